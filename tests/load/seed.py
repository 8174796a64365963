"""Create the load run's seeded citizens from a JSON-lines file, in one process.

``python -m tests.load.seed FILE`` with the replicas' environment: one ``create_citizen``
per line (the same domain rules and password hashing as ``idp citizens create``, without
starting a process per citizen). Prints one JSON object per citizen: id_number and sub.
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> None:
    from idp import create_app
    from idp.citizens.creation import create_citizen

    app = create_app()
    with app.app_context(), open(path, encoding="utf-8") as lines:
        for line in lines:
            person = json.loads(line)
            citizen = create_citizen(**person, actor="cli")
            print(json.dumps({"id_number": citizen.id_number, "sub": citizen.subject}))


if __name__ == "__main__":
    main(sys.argv[1])

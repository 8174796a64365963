"""The physical floor of the login path: argon2id verifications per second on one core.

Run in the provider's environment and pinned to the provider's CPU:
``taskset -c 0 python -m bench.argon2_floor --seconds 5`` prints
``{"per_second", "ms_each", "time_cost", "memory_cost", "parallelism"}``, measured with the
provider's own hasher (idp.citizens.password_policy) and the parameters its settings give.
"""

from __future__ import annotations

import argparse
import json
import time


def measure(seconds: float) -> dict:
    """Verify one password against its hash for ``seconds``; returns the rate."""
    from idp.citizens.password_policy import configure_hasher, hash_password, verify_password
    from idp.settings import load_settings

    settings = load_settings()
    params = {
        "time_cost": int(settings["ARGON2_TIME_COST"]),
        "memory_cost": int(settings["ARGON2_MEMORY_COST"]),
        "parallelism": int(settings["ARGON2_PARALLELISM"]),
    }
    configure_hasher(**params)
    password = "matkhau2026"
    stored = hash_password(password)
    verify_password(stored, password)  # first touch of the memory is not the steady state
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        if not verify_password(stored, password):
            raise RuntimeError("argon2id verification failed on its own hash")
        count += 1
    elapsed = time.perf_counter() - started
    return {"per_second": count / elapsed, "ms_each": elapsed / count * 1000, **params}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    print(json.dumps(measure(parser.parse_args().seconds)))


if __name__ == "__main__":
    main()

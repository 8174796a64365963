"""The layers of the code (setup.cfg's import-linter contracts) hold: the flows import
nothing of the protocol side, the relying-party module and the portal nothing of the
provider, models no views, and the three former import cycles stay broken.
docs/architecture.md "Layers" explains each contract."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_linter_contract_is_kept():
    command = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run(
        [str(command), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout and "9 kept" in run.stdout

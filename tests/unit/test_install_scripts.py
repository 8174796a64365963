"""scripts/demo and scripts/test install the project only when its dependencies changed
(scripts/ensure-venv keeps a hash of setup.cfg + pyproject.toml in .venv)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/../calls.log"
"""


def make_tree(tmp_path: Path) -> Path:
    """A project copy with the real scripts and a .venv whose python only records calls."""
    (tmp_path / "scripts").mkdir()
    for name in ("ensure-venv", "demo", "test"):
        shutil.copy2(ROOT / "scripts" / name, tmp_path / "scripts" / name)
    for name in ("setup.cfg", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def installs(tree: Path) -> list[str]:
    log = tree / ".venv" / "calls.log"
    calls = log.read_text().splitlines() if log.exists() else []
    return [call for call in calls if "install -q -e" in call]


def ensure(tree: Path, *extras: str) -> None:
    subprocess.run([str(tree / "scripts" / "ensure-venv"), *extras], check=True, timeout=60)


def test_pip_runs_only_when_setup_cfg_pyproject_or_extras_change(tmp_path):
    tree = make_tree(tmp_path)
    ensure(tree)
    assert installs(tree) == ["-m pip install -q -e ."]
    ensure(tree)
    ensure(tree)
    assert len(installs(tree)) == 1  # nothing changed: no pip at all

    ensure(tree, "test")
    assert installs(tree)[-1] == "-m pip install -q -e .[test]"
    ensure(tree, "test")
    assert len(installs(tree)) == 2

    with (tree / "setup.cfg").open("a") as cfg:
        cfg.write("\n# a new dependency\n")
    ensure(tree, "test")
    assert len(installs(tree)) == 3
    (tree / "pyproject.toml").write_text((tree / "pyproject.toml").read_text() + "\n")
    ensure(tree, "test")
    assert len(installs(tree)) == 4
    ensure(tree, "test")
    assert len(installs(tree)) == 4


def test_demo_and_test_scripts_go_through_the_stamp_check():
    for name in ("demo", "test"):
        text = (ROOT / "scripts" / name).read_text()
        assert "scripts/ensure-venv" in text
        assert "pip install" not in text

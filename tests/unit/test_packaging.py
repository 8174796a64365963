"""What ``pip install .`` (the Docker image) ships: every folder of Python code under the
four packages is a package that setup.cfg's ``find:`` finds. A folder without
``__init__.py`` is left out of a regular install while an editable one still imports it,
so only a built install would miss it (``idp/oidc`` once did)."""

import configparser
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = ("idp", "relying_party", "portal", "webapp")


def _included() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    raw = config["options.packages.find"]["include"]
    return [name.strip() for name in raw.replace("\n", ",").split(",") if name.strip()]


def test_every_folder_of_python_code_is_a_package_the_install_finds():
    found = set(find_packages(where=str(ROOT), include=_included()))
    folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for top in TOP_LEVEL
        for path in (ROOT / top).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert folders, "no Python code found"
    assert sorted(folders - found) == []


def test_the_top_level_packages_are_the_ones_setup_cfg_includes():
    included = {name.removesuffix(".*") for name in _included()}
    assert included == set(TOP_LEVEL)

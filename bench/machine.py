"""Facts about the machine and the software a run was measured on."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def _command_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "missing"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def _first_version(text: str) -> str:
    found = re.search(r"\d+(?:\.\d+)+", text)
    return found.group(0) if found else "unknown"


def _redis_version() -> str:
    found = re.search(r"v=(\S+)", _command_version(["redis-server", "--version"]))
    return found.group(1) if found else "unknown"


def _package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def _oidc_provider() -> str:
    manifest = BENCH_DIR / "node_modules" / "oidc-provider" / "package.json"
    if not manifest.exists():
        return "missing"
    return json.loads(manifest.read_text())["version"]


def facts() -> dict:
    """CPU, memory, kernel, load and the versions of everything measured or measuring."""
    versions = ", ".join(
        [
            f"Python {platform.python_version()}",
            f"granian {_package('granian')}",
            f"Flask {_package('flask')}",
            f"Authlib {_package('authlib')}",
            f"Node.js {_command_version(['node', '--version'])}",
            f"oidc-provider {_oidc_provider()}",
            _command_version(["wrk", "--version"]).split(" [")[0],
            f"PostgreSQL {_first_version(_command_version(['psql', '--version']))}",
            f"Redis {_redis_version()}",
        ]
    )
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory": _memory(),
        "kernel": f"Linux {platform.release()}",
        "load_before": load_average(),
        "versions": versions,
    }

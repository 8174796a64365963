"""Child processes of the benchmark: started pinned to a CPU, watched, stopped by their id."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

SERVER_CPU = 0
GENERATOR_CPU = 1


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(argv: list[str], cpu: int) -> list[str]:
    """``argv`` run under ``taskset -c cpu``."""
    return ["taskset", "-c", str(cpu), *argv]


class ChildProcess:
    """A process we started, its output in ``log_path``; stopped only through its own id."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path):
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("wb")
        # Same session as the run, so the run's scheduling priority covers it.
        self.popen = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_until_serving(
        self, url: str, timeout: float = 60, method: str = "GET", verify: str | bool = True
    ) -> None:
        """Poll ``url`` until it answers 200; raise with the log's tail if it never does.

        ``verify`` is what ``requests`` trusts for an https:// ``url`` (a CA bundle's path).
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                break
            try:
                if requests.request(method, url, timeout=2, verify=verify).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start serving {url}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, grace: float = 10) -> None:
        """SIGTERM this process (granian then stops its workers), SIGKILL after ``grace``."""
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()


def children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (e.g. granian's workers)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return sorted(found)


def memory_kib(pid: int, field: str = "VmHWM") -> int:
    """A memory figure from ``/proc/<pid>/status`` in KiB (VmHWM: the RSS high-water mark)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def schedstat(pids: list[int]) -> tuple[int, int]:
    """Nanoseconds ``pids`` (all their threads) have spent on a CPU, and waiting on a run
    queue for one."""
    on_cpu = waiting = 0
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except FileNotFoundError:  # the process ended
            continue
        for task in tasks:
            try:
                fields = (task / "schedstat").read_text().split()
            except OSError:  # the thread ended between the listing and the read
                continue
            on_cpu, waiting = on_cpu + int(fields[0]), waiting + int(fields[1])
    return on_cpu, waiting


def raise_priority(nice: int) -> str:
    """Give every process of the run priority ``nice`` over other work; says what it did.

    With the kernel's autogroups, priority between sessions is the session's, so the run
    takes a session of its own (bench/run starts it in one) and sets that session's nice.
    """
    if not nice:
        return "unchanged"
    if os.geteuid() != 0:
        return "unchanged (needs root)"
    if os.getsid(0) != os.getpid():
        try:
            os.setsid()
        except OSError:
            return "unchanged (not a session of its own: start it with bench/run)"
    os.setpriority(os.PRIO_PROCESS, 0, nice)
    autogroup = Path("/proc/self/autogroup")
    if autogroup.exists():
        autogroup.write_text(str(nice))
    return f"nice {nice}"

"""nginx in front of the provider, as production deploys it (config/nginx.conf).

The bench runs the same front as production, minus TLS (the anchor speaks plain HTTP too):
keep-alive connections to the provider's server (granian), the two public documents
(discovery, JWKS) cached by nginx for as long as the provider's ``Cache-Control`` allows
and revalidated with its ``ETag``, every other path passed through. nginx runs one worker
pinned to the provider's CPU, so its work is paid from the same core.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bench.processes import SERVER_CPU, ChildProcess, children_of, free_port, pinned

CONFIG = """\
{user}worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {workdir}/nginx-access.log combined buffer=64k flush=1s;
    client_body_temp_path {workdir}/nginx-body;
    proxy_temp_path {workdir}/nginx-proxy;
    fastcgi_temp_path {workdir}/nginx-fastcgi;
    uwsgi_temp_path {workdir}/nginx-uwsgi;
    scgi_temp_path {workdir}/nginx-scgi;
{shared}
    upstream idp_replicas {{
        server 127.0.0.1:{upstream_port};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 1m;
{locations}
    }}
}}
"""


def production_blocks() -> tuple[str, str]:
    """The cache zone and the idp ``location`` blocks, cut from config/nginx.conf."""
    text = (Path(__file__).resolve().parent.parent / "config" / "nginx.conf").read_text()
    shared = _between(text, "# bench:shared:begin", "# bench:shared:end")
    locations = _between(text, "# bench:locations:begin", "# bench:locations:end")
    return shared, locations


def _between(text: str, begin: str, end: str) -> str:
    start = text.index(begin) + len(begin)
    return text[start : text.index(end, start)].rstrip() + "\n"


class NginxFront:
    """nginx (one worker, pinned) proxying to the provider's granian on ``upstream_port``."""

    name = "nginx"

    def __init__(self, workdir: Path, upstream_port: int):
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.upstream_port = upstream_port
        self.process: ChildProcess | None = None

    def config(self) -> str:
        shared, locations = production_blocks()
        shared = shared.replace("/var/cache/nginx/idp", str(self.workdir / "nginx-cache"))
        # Started by root, nginx's worker would switch to an unprivileged user that cannot
        # enter the run's private folder; it stays the run's own user instead.
        user = "user root;\n" if os.geteuid() == 0 else ""
        return CONFIG.format(
            user=user,
            workdir=self.workdir,
            port=self.port,
            upstream_port=self.upstream_port,
            shared=shared,
            locations=locations.replace("$idp_request_id", "$request_id"),
        )

    def start(self, probe: str = "/.well-known/openid-configuration", method: str = "GET") -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        path = self.workdir / "nginx.conf"
        path.write_text(self.config())
        argv = [nginx, "-p", str(self.workdir), "-c", str(path), "-g", "daemon off;"]
        self.process = ChildProcess(
            "nginx", pinned(argv, SERVER_CPU), {}, self.workdir / "nginx.log"
        )
        try:
            self.process.wait_until_serving(self.base_url + probe, method=method)
        except RuntimeError as exc:
            errors = self.workdir / "nginx-error.log"
            tail = errors.read_text(errors="replace")[-2000:] if errors.exists() else ""
            raise RuntimeError(f"{exc}\n{tail}") from None

    def worker_pids(self) -> list[int]:
        """nginx's worker process (not its cache manager and loader, which come and go)."""
        if self.process is None:
            return []
        found = []
        for pid in children_of(self.process.pid):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"worker process" in title:
                found.append(pid)
        return found

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

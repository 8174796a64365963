"""The anchor: node-oidc-provider (bench/anchor.mjs), one process pinned to CPU 0."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import requests

from bench.browser import PendingCode
from bench.processes import SERVER_CPU, ChildProcess, free_port, pinned

BENCH_DIR = Path(__file__).resolve().parent


class AnchorUnderTest:
    """node-oidc-provider with the same kind of client as the provider's bench client."""

    name = "anchor"

    def __init__(self, workdir: Path, redirect_uri: str):
        self.workdir = workdir
        self.port = free_port()
        self.control_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.client_id = "bench-client"
        self.client_secret = secrets.token_urlsafe(32)
        self.redirect_uri = redirect_uri
        self.process: ChildProcess | None = None

    def start(self) -> None:
        settings = self.workdir / "anchor.json"
        settings.write_text(
            json.dumps(
                {
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "redirect_uri": self.redirect_uri,
                }
            )
        )
        argv = ["node", str(BENCH_DIR / "anchor.mjs"), str(self.port), str(self.control_port)]
        argv.append(str(settings))
        self.process = ChildProcess(
            "anchor",
            pinned(argv, SERVER_CPU),
            {"PATH": os.environ["PATH"]},
            self.workdir / "anchor.log",
        )
        self.process.wait_until_serving(self.base_url + "/.well-known/openid-configuration")

    def worker_pids(self) -> list[int]:
        """node serves from the process itself."""
        return [self.process.pid]

    def mint_codes(self, count: int) -> list[PendingCode]:
        """``count`` fresh (code, code_verifier) pairs, granted programmatically."""
        response = requests.post(
            f"http://127.0.0.1:{self.control_port}/mint", params={"count": count}, timeout=600
        )
        response.raise_for_status()
        pairs = [line.split(" ", 1) for line in response.text.splitlines() if line]
        return [PendingCode(code, verifier) for code, verifier in pairs]

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

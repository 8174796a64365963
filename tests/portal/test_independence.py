"""The relying party and the portal stand without the provider: with ``idp`` made
unimportable (a meta-path finder that raises), each is built and goes once through login
(PKCE S256, state, nonce) and callback (``iss``, the ID token, userinfo) against a fake
provider, in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("independence_round.py")


def run_round(kind: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("PORTAL_")}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), kind],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_an_agency_app_mounts_the_relying_party_with_flask_and_authlib_only():
    # Neither the portal nor its shared plumbing (webapp, Flask-WTF) was needed.
    assert run_round("agency") == "OK"


def test_an_agency_app_may_authenticate_with_a_private_key_jwt():
    assert run_round("agency-private-key-jwt") == "OK"


def test_the_portal_signs_a_citizen_in_without_the_provider_package():
    assert run_round("portal") == "OK flask_wtf portal webapp"

"""``idp demo`` as a newcomer runs it, in a child process on free non-default ports: the
issuer and the portal's redirect URIs follow the ports, the banner names a number that
shows the "chính chủ" refusal, and the log labels each line with its server, keeps full
level names and never shows codes, tokens or hints."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from idp.demo import DEMO_NEWCOMER, NOT_OWNED_PHONE
from tests.conftest import csrf_of
from tests.http.registration_driver import form_actions

START_SECONDS = 90  # how long the demo may take to migrate, make keys and listen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Demo:
    provider: str
    portal: str
    log_path: Path
    vneid: str

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _wait_until_listening(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"idp demo exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"idp demo did not listen on {url}:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    port, portal_port, vneid_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "IDP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{workdir / 'demo.sqlite3'}",
        "IDP_KEYS_DIR": str(workdir / "keys"),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("REDIS_URL", "SUBSCRIBER_CHECK", "IDP_ISSUER", "SMS_BACKEND"):
        env.pop(name, None)
    log_path = workdir / "demo.log"
    code = "import sys; from idp.cli import main; sys.exit(main())"
    args = ["demo", "--port", str(port), "--portal-port", str(portal_port)]
    args += ["--vneid-port", str(vneid_port), "--vneid-dir", str(workdir / "vneid")]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", code, *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        provider = f"http://127.0.0.1:{port}"
        _wait_until_listening(process, provider + "/healthz", log_path)
        _wait_until_listening(process, f"http://127.0.0.1:{portal_port}/", log_path)
        vneid = f"http://127.0.0.1:{vneid_port}"
        _wait_until_listening(process, vneid + "/healthz", log_path)
        yield Demo(provider, f"http://127.0.0.1:{portal_port}", log_path, vneid)
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_issuer_and_the_portal_follow_the_chosen_ports(demo):
    discovery = requests.get(demo.provider + "/.well-known/openid-configuration", timeout=10)
    assert discovery.json()["issuer"] == demo.provider
    assert discovery.json()["authorization_endpoint"] == demo.provider + "/oauth2/authorize"

    portal = requests.Session()
    start = portal.get(demo.portal + "/login/national", allow_redirects=False, timeout=10)
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(demo.provider + "/oauth2/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["redirect_uri"] == [demo.portal + "/callback"]
    # The provider knows that redirect URI: the login starts (no error page).
    login = portal.get(authorize, allow_redirects=False, timeout=10)
    assert login.status_code == 302, login.text[:500]
    assert urlsplit(login.headers["Location"]).path.startswith("/login")


def _registration_details_answer(demo, phone: str) -> requests.Response:
    """A newcomer's browser: "Đăng ký" → citizen, mobile → the details with ``phone``."""
    browser = requests.Session()
    choose = browser.get(demo.provider + "/register", timeout=10)
    page = choose.text
    details = browser.post(
        demo.provider + form_actions(page)[0],
        data={"csrf_token": csrf_of(page), "kind": "citizen", "method": "mobile"},
        timeout=10,
    )
    page = details.text
    person = {key: value for key, value in DEMO_NEWCOMER.items()}
    return browser.post(
        demo.provider + form_actions(page)[0],
        data={"csrf_token": csrf_of(page), **person, "phone": phone, "email": ""},
        allow_redirects=False,
        timeout=10,
    )


def test_the_demo_refuses_a_number_that_is_not_chinh_chu(demo):
    refused = _registration_details_answer(demo, NOT_OWNED_PHONE)
    assert refused.status_code == 400
    assert "chưa được đăng ký chính chủ" in refused.text
    accepted = _registration_details_answer(demo, DEMO_NEWCOMER["phone"])
    assert accepted.status_code == 302 and "/otp" in accepted.headers["Location"]


def test_the_banner_says_where_to_go_and_which_number_is_refused(demo):
    banner = demo.log()
    assert f"provider     {demo.provider}/" in banner
    assert f"portal       {demo.portal}/" in banner
    assert f"register with phone {NOT_OWNED_PHONE} to see the refusal" in banner
    assert f"CCCD {DEMO_NEWCOMER['id_number']}" in banner


def test_log_lines_are_labelled_full_and_free_of_codes_tokens_and_hints(demo):
    secrets = ("c0de-SECRET-4242", "hint-SECRET-4343", "login-SECRET-4444", "rt-SECRET-4545")
    requests.get(demo.portal + f"/callback?code={secrets[0]}&state=not-a-known-state", timeout=10)
    requests.get(
        demo.provider + "/oauth2/authorize",
        params={
            "client_id": "demo-client",
            "response_type": "code",
            "id_token_hint": secrets[1],
            "login_hint": secrets[2],
            "state": "visible-state",
        },
        timeout=10,
    )
    requests.post(demo.provider + f"/oauth2/revoke?token={secrets[3]}", timeout=10)
    requests.post(demo.portal + "/backchannel-logout", data={"logout_token": "x.y.z"}, timeout=10)
    deadline = time.monotonic() + 10
    while "logout token rejected" not in demo.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = demo.log()
    for secret in secrets:
        assert secret not in log
    lines = log.splitlines()
    callback = [line for line in lines if "/callback?" in line]
    assert callback and all("[portal]" in line for line in callback), callback
    assert "code=[redacted]" in callback[0] and "state=not-a-known-state" in callback[0]
    authorize = [line for line in lines if "/oauth2/authorize?" in line and "hint=" in line]
    assert authorize and all("[provider]" in line for line in authorize), authorize
    assert "id_token_hint=[redacted]" in authorize[0] and "state=visible-state" in authorize[0]
    warning = [line for line in lines if "logout token rejected" in line]
    assert warning and re.search(r"\[portal\] WARNING relying_party: ", warning[0]), warning
    assert not re.search(r"\] (WARNI|ERRO|CRITI) ", log)
    request_lines = [line for line in lines if '" 30' in line or '" 40' in line]
    assert request_lines and all(re.search(r"\[(provider|portal)\]", x) for x in request_lines)


def test_the_vneid_emulator_runs_beside_the_provider_as_its_upstream(demo):
    from idp import vneid_emulator as emulator

    discovery = requests.get(demo.vneid + "/.well-known/openid-configuration", timeout=10)
    assert discovery.json()["issuer"] == demo.vneid
    browser = requests.Session()
    choice = browser.get(demo.provider + "/login", timeout=10)
    assert emulator.LABEL in choice.text
    flow = parse_qs(urlsplit(choice.url).query)["flow"][0]
    at_vneid = browser.post(
        demo.provider + "/login/upstream",
        data={"csrf_token": csrf_of(choice.text), "flow": flow, "upstream": emulator.NAME},
        timeout=10,
    )
    assert at_vneid.url.startswith(demo.vneid + "/login?flow="), at_vneid.url
    banner = demo.log()
    assert f"VNeID (demo) {demo.vneid}/" in banner
    assert emulator.CITIZENS[1]["password"] in banner

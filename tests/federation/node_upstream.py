"""node-oidc-provider as an independent upstream OpenID provider on 127.0.0.1.

``NodeUpstream(clients, accounts)`` runs tests/federation/node_upstream.mjs (the npm
package ``oidc-provider`` pinned in bench/package.json) with the given confidential
clients and accounts; its stock development pages (devInteractions) take any password for
a login listed in ``accounts``. ``sign_in`` drives those pages with plain HTTP forms, as a
browser would; ``end_session`` signs the browser out of the upstream, which then delivers
back-channel logout tokens to the clients of that session that registered a
``backchannel_logout_uri``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
SCRIPT = Path(__file__).resolve().with_name("node_upstream.mjs")
PACKAGE = BENCH / "node_modules" / "oidc-provider" / "package.json"
NPM_INSTALL = ["install", "--prefix", str(BENCH), "--no-audit", "--no-fund", "--loglevel=error"]
START_TIMEOUT = 20.0


def ensure_node_oidc_provider() -> None:
    """Skip the calling test without Node.js; install bench/package.json's packages when
    node-oidc-provider is missing (a fresh checkout on a machine with node and npm)."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed here (apt-get install nodejs npm to run this)")
    if PACKAGE.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed here (apt-get install npm to run this)")
    # One install at a time, should several test processes get here together.
    lock_path = Path(tempfile.gettempdir()) / "dvc-idp-node-upstream-npm.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if PACKAGE.exists():
            return
        done = subprocess.run(
            [npm, *NPM_INSTALL], capture_output=True, text=True, timeout=600, check=False
        )
    if done.returncode != 0 or not PACKAGE.exists():
        raise RuntimeError(
            f"npm {' '.join(NPM_INSTALL)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )


class NodeUpstream:
    """node-oidc-provider on ``http://127.0.0.1:<port>`` until ``stop()``.

    ``clients``: dicts with ``client_id``, ``client_secret``, ``redirect_uris``,
    ``post_logout_redirect_uris`` and optionally ``backchannel_logout_uri`` (then
    ``backchannel_logout_session_required``); each a confidential ``client_secret_basic``
    client of the authorization code flow, allowed ``openid profile phone citizen_id``.
    ``accounts``: account id (the ``sub``) -> its claims (``name``, ``birthdate``,
    ``phone_number``, ``phone_number_verified``, ``citizen_id``).
    """

    def __init__(
        self, clients: list[dict], accounts: dict[str, dict], port: int | None = None
    ) -> None:
        self.clients = clients
        self.accounts = accounts
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.metadata: dict = {}
        self._workdir: tempfile.TemporaryDirectory | None = None
        self._process: subprocess.Popen | None = None

    def start(self) -> NodeUpstream:
        """Start node and wait until its discovery document answers (``metadata``)."""
        ensure_node_oidc_provider()
        self._workdir = tempfile.TemporaryDirectory(prefix="node-upstream-")
        workdir = Path(self._workdir.name)
        settings = workdir / "settings.json"
        settings.write_text(json.dumps({"clients": self.clients, "accounts": self.accounts}))
        with (workdir / "stdout.log").open("wb") as out, (workdir / "stderr.log").open("wb") as err:
            self._process = subprocess.Popen(
                ["node", str(SCRIPT), str(self.port), str(settings)],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_serving(self) -> None:
        url = self.issuer + "/.well-known/openid-configuration"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"node-oidc-provider exited with {self._process.returncode} before "
                    f"serving {self.issuer}:\n{self.stderr()}"
                )
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                response = requests.get(url, timeout=2)
                if response.status_code == 200:
                    self.metadata = response.json()
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"node-oidc-provider did not serve {url} within {START_TIMEOUT:.0f} s:\n"
                    f"{self.stderr()}"
                )
            time.sleep(0.05)

    def stderr(self) -> str:
        """What node wrote on stderr so far: server errors, failed back-channel logouts."""
        if self._workdir is None:
            return ""
        path = Path(self._workdir.name) / "stderr.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=10)
            self._process = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> NodeUpstream:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Form:
    def __init__(self, attrs: dict[str, str | None]) -> None:
        self.id = attrs.get("id") or ""
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.fields: dict[str, str] = {}


class _Forms(HTMLParser):
    """The forms of a page with the named inputs inside each (the value they submit)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self._open: _Form | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._open = _Form(attributes)
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attributes.get("name"):
            self._open.fields[attributes["name"]] = attributes.get("value") or ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def _interaction_form(page: requests.Response) -> _Form | None:
    """The devInteractions login or consent form of ``page``, if it is one of those."""
    for form in _Forms(page.text).forms:
        if form.method == "post" and form.fields.get("prompt") in {"login", "consent"}:
            return form
    return None


def sign_in(
    browser: requests.Session, page: requests.Response, account_id: str
) -> requests.Response:
    """Sign ``account_id`` in on the upstream's login page the browser landed on (any
    password), approve the consent page when one follows, and return where the browser
    ends: normally the client's redirect_uri with ``code``, ``state`` and ``iss``. A page
    that is no interaction page (the upstream already had a session and consent) is
    returned as it is."""
    for _ in range(5):
        form = _interaction_form(page)
        if form is None:
            if urlsplit(page.url).path.startswith("/interaction/"):
                raise AssertionError(
                    f"no login or consent form at {page.url} ({page.status_code}):\n{page.text}"
                )
            return page
        fields = dict(form.fields)
        if fields["prompt"] == "login":
            fields.update(login=account_id, password="any password")
        page = browser.post(urljoin(page.url, form.action), data=fields, timeout=10)
    raise AssertionError(f"still on the upstream's interaction pages at {page.url}")


def end_session(browser: requests.Session, upstream: NodeUpstream, **params) -> requests.Response:
    """RP-initiated logout at the upstream (``id_token_hint``, ``post_logout_redirect_uri``,
    ``client_id``, ``state``... as given): confirm it with ``logout=yes`` and return where
    the browser ends (the post_logout_redirect_uri when one was accepted, else the
    upstream's own "Sign-out Success" page). Before answering, the upstream has POSTed a
    ``logout_token`` to every client of the session that has a backchannel_logout_uri."""
    query = {name: value for name, value in params.items() if value is not None}
    page = browser.get(upstream.issuer + "/session/end", params=query, timeout=10)
    confirm = next(
        (
            form
            for form in _Forms(page.text).forms
            if form.method == "post" and form.action.endswith("/session/end/confirm")
        ),
        None,
    )
    if confirm is None:
        raise AssertionError(
            f"no logout confirmation form at {page.url} ({page.status_code}):\n{page.text}"
        )
    fields = {**confirm.fields, "logout": "yes"}
    return browser.post(urljoin(page.url, confirm.action), data=fields, timeout=10)

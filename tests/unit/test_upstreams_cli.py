"""``idp upstreams add/list/suspend/resume/remove``: an operator adds an upstream by its
issuer (discovery is read from it, here the VNeID emulator served on 127.0.0.1) and gets
the addresses to register there; bad input is a clear error, never a traceback."""

from __future__ import annotations

import json

import pytest

from tests.federation.emulator import start_emulator
from tests.unit.cli_runner import run


@pytest.fixture
def vneid(tmp_path, clock):
    live, server = start_emulator(tmp_path / "vneid", "http://127.0.0.1:5000", clock)
    yield live
    server.stop()


def _add(issuer: str, *extra: str):
    return run(
        "upstreams",
        "add",
        "--name",
        "vneid",
        "--label",
        "Tài khoản định danh điện tử VNeID",
        "--issuer",
        issuer,
        "--client-id",
        "dvc-national-idp",
        "--client-secret",
        "s3cret",
        "--id-number-claim",
        "citizen_id",
        "--name-claim",
        "name",
        *extra,
    )


def test_add_list_suspend_resume_remove(env, vneid):
    assert run("db", "upgrade").exit_code == 0
    added = _add(vneid.issuer, "--create-accounts")
    assert added.exit_code == 0, added.output
    printed = json.loads(added.output)
    assert printed["name"] == "vneid"
    assert printed["redirect_uri"] == "http://127.0.0.1:5000/upstream/vneid/callback"
    assert printed["backchannel_logout_uri"].endswith("/upstream/vneid/backchannel-logout")
    listed = json.loads(run("upstreams", "list").output)
    assert listed["issuer"] == vneid.issuer and listed["create_accounts"] is True
    assert listed["acr"] == "LoA2" and listed["active"] is True
    assert "s3cret" not in run("upstreams", "list").output
    assert json.loads(run("upstreams", "suspend", "vneid").output)["active"] is False
    assert json.loads(run("upstreams", "list").output)["active"] is False
    assert json.loads(run("upstreams", "resume", "vneid").output)["active"] is True
    again = _add(vneid.issuer)
    assert again.exit_code == 1 and "vneid" in again.output
    removed = json.loads(run("upstreams", "remove", "vneid").output)
    assert removed == {"removed": "vneid", "links_removed": 0}
    assert run("upstreams", "list").output == ""
    missing = run("upstreams", "remove", "vneid")
    assert missing.exit_code == 1 and "Traceback" not in missing.output


@pytest.mark.parametrize(
    ("issuer", "extra"),
    [
        ("ftp://127.0.0.1/", ()),
        ("http://127.0.0.1:1", ()),  # nothing listens: discovery cannot be read
        ("{issuer}", ("--acr", "LoA9")),
        ("{issuer}", ("--scope", "profile")),
        ("{issuer}/other", ()),  # the document names another issuer
    ],
)
def test_bad_upstreams_are_refused_with_a_reason(env, vneid, issuer, extra):
    assert run("db", "upgrade").exit_code == 0
    refused = _add(issuer.format(issuer=vneid.issuer), *extra)
    assert refused.exit_code == 1, refused.output
    assert refused.output.startswith("Error: ") and "Traceback" not in refused.output
    assert run("upstreams", "list").output == ""

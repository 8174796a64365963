"""Passwords and OTPs never reach the logs or the audit trail, through a whole
registration, login and recovery (the SMS backend is the outbox, not the console); the
accepted codes are audited (``otp.verified``) by purpose only. Codes, tokens, hints and
passwords in query strings or bodies are redacted from every log line, whoever writes it
(``webapp.log_redaction``; the demo's real request lines: tests/servers/test_demo.py)."""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest

from tests.http.driver import Browser
from tests.http.registration_driver import NEWCOMER, NEWCOMER_E164, PASSWORD, import_registry
from tests.http.test_recovery import RecoveryBrowser

NEW_PASSWORD = "doimatkhau2027"


def test_no_password_or_otp_in_logs_or_audit(app, outbox, oidc_client, caplog):
    from idp.audit import AuditEvent
    from idp.extensions import db

    caplog.set_level(logging.DEBUG)
    import_registry(app, (NEWCOMER["phone"], NEWCOMER["id_number"]))
    rec = RecoveryBrowser(app, outbox)
    assert rec.register(NEWCOMER, NEWCOMER_E164).status_code == 302

    browser = Browser(app, outbox)
    url, _ = browser.authorize_url(oidc_client["client_id"])
    final = browser.login(url, NEWCOMER["id_number"], PASSWORD, NEWCOMER_E164)
    assert final.status_code == 302

    rec = RecoveryBrowser(app, outbox)
    resp = rec.identify(NEWCOMER["id_number"], NEWCOMER["phone"])
    assert resp.status_code == 302
    resp = rec.submit_otp(resp.location, outbox.last_otp(NEWCOMER_E164))
    assert resp.status_code == 302
    assert rec.submit_password(resp.location, NEW_PASSWORD).status_code in (200, 302)

    codes = {re.search(r"\b\d{6}\b", m["text"]).group() for m in outbox.messages()}
    assert len(codes) >= 3
    with app.app_context():
        audit_text = json.dumps(
            [[e.event, e.details] for e in db.session.scalars(db.select(AuditEvent))],
            ensure_ascii=False,
        )
        verified = db.session.scalars(db.select(AuditEvent).filter_by(event="otp.verified")).all()
    # Each accepted code is audited by its purpose alone (the secrets check below covers it).
    assert sorted(e.details["purpose"] for e in verified) == ["login", "recovery", "registration"]
    assert all(set(e.details) == {"purpose"} for e in verified)
    logged = caplog.text
    assert logged and audit_text
    for secret in (PASSWORD, NEW_PASSWORD, *codes):
        assert secret not in logged, secret
        assert secret not in audit_text, secret


SENSITIVE = (
    "code",
    "id_token_hint",
    "login_hint",
    "access_token",
    "refresh_token",
    "token",
    "client_secret",
    "client_assertion",
    "assertion",
    "code_verifier",
    "password",
    "otp",
)


@pytest.mark.parametrize("name", SENSITIVE)
def test_sensitive_parameters_never_reach_a_log_line(app, caplog, name):
    """Request lines (werkzeug's), client debug lines and bodies: the value is blanked,
    whatever logger writes it; ``state`` stays readable."""
    caplog.set_level(logging.DEBUG)
    secret = f"S3cret-{name}-value"
    logging.getLogger("werkzeug").info(
        '127.0.0.1 - - "%s" 302 -', f"GET /cb?{name}={secret}&state=keep-me HTTP/1.1"
    )
    logging.getLogger("urllib3.connectionpool").debug(
        '%s "POST /oauth2/token?x=1&%s=%s HTTP/1.1" 200', "http://idp", name, secret
    )
    logging.getLogger("idp.test").warning("body: grant_type=x&%s=%s", name, secret)
    assert secret not in caplog.text
    assert caplog.text.count(f"{name}=[redacted]") == 3
    assert "state=keep-me" in caplog.text


def test_parameter_names_that_merely_contain_a_sensitive_one_are_kept(app, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("werkzeug").info(
        "GET /x?token_type_hint=refresh_token&grant_type=authorization_code&state=s"
    )
    assert "token_type_hint=refresh_token&grant_type=authorization_code&state=s" in caplog.text


def test_json_lines_redact_tracebacks_too():
    from webapp.logging_setup import JsonFormatter

    try:
        raise ValueError("fetch failed: https://rp.example/cb?code=S3cretCode&state=s")
    except ValueError:
        record = logging.LogRecord(
            "idp.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "S3cretCode" not in line and "code=[redacted]" in line


def test_sensitive_members_of_json_bodies_and_dicts_are_redacted(app, caplog):
    """Registration bodies are JSON, audit details are dicts: the member's value is blanked,
    whichever quotes it has; other members stay readable."""
    caplog.set_level(logging.INFO)
    logging.getLogger("idp.test").info(
        'body: {"client_secret": "S3cret\\"json", "client_name": "Sở Y tế"}'
    )
    logging.getLogger("idp.test").info("details: %s", {"password": "S3cret'repr", "ip": "1.2.3.4"})
    assert "S3cret" not in caplog.text
    assert '"client_secret": "[redacted]"' in caplog.text
    assert "'password': \"[redacted]\"" in caplog.text
    assert '"client_name": "Sở Y tế"' in caplog.text and "'ip': '1.2.3.4'" in caplog.text

"""Passwords and OTPs never reach the logs or the audit trail, through a whole
registration, login and recovery (the SMS backend is the outbox, not the console); the
accepted codes are audited (``otp.verified``) by purpose only."""

from __future__ import annotations

import json
import logging
import re

from tests.http.driver import Browser
from tests.http.test_recovery import RecoveryBrowser
from tests.http.test_registration import NEWCOMER, NEWCOMER_E164, PASSWORD, import_registry

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

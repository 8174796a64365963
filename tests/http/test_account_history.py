"""Sign-in history from the audit trail: the citizen's own security events, newest first,
with Vietnamese labels, twenty to a page."""

from __future__ import annotations

import re

import pytest

from tests.http.test_account_profile import AccountBrowser, signed_in_browser


def events_on(page: str) -> list[str]:
    return re.findall(r'<li data-event="([^"]+)">', page)


def record(app, event: str, citizen_id: int | None, times: int = 1, **details) -> None:
    from idp import audit

    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.7"}):
        for _ in range(times):
            audit.record(event, citizen_id=citizen_id, **details)


def test_history_lists_sign_ins_failures_and_otp_sends_newest_first(app, outbox, citizen):
    browser = AccountBrowser(app, outbox)
    password_url = browser.open_password_form()  # a wrong password first, then a sign-in
    resp = browser.submit_password(password_url, citizen["id_number"], "saimatkhau9")
    assert resp.status_code == 400
    account = signed_in_browser(app, outbox, citizen)
    page = account.text("/account/history")
    assert events_on(page)[:3] == ["login.success", "otp.sent", "login.failed"]
    assert "Đăng nhập thành công" in page
    assert "Gửi mã OTP qua SMS" in page
    assert "Đăng nhập thất bại (sai mật khẩu)" in page
    assert "IP 127.0.0.1" in page
    assert "Trang 1/1" in page


def test_history_shows_only_this_citizens_listed_events_with_agency_names(
    app, outbox, citizen, oidc_client
):
    record(app, "login.lockout", citizen["id"])
    record(app, "consent.revoked", citizen["id"], client_id=oidc_client["client_id"])
    record(app, "authorization.code_issued", citizen["id"])  # bookkeeping: not shown
    record(app, "login.success", None)  # nobody's
    record(app, "login.success", citizen["id"] + 1000)  # someone else's
    account = signed_in_browser(app, outbox, citizen)
    page = account.text("/account/history")
    shown = events_on(page)
    assert shown == [
        "login.success",
        "otp.sent",
        "consent.revoked",
        "login.lockout",
        "citizen.created",
    ]
    assert "Tài khoản bị tạm khóa do nhập sai mật khẩu nhiều lần" in page
    assert "Thu hồi quyền truy cập của cơ quan</strong> – Cổng DVC thử nghiệm" in page
    assert "IP 10.0.0.7" in page


def test_history_is_paginated(app, outbox, citizen):
    record(app, "otp.failed", citizen["id"], times=45)
    account = signed_in_browser(app, outbox, citizen)  # + login.success, otp.sent
    first = account.text("/account/history")
    assert len(events_on(first)) == 20 and "Trang 1/3" in first
    assert 'href="/account/history?page=2" rel="next">Trang sau</a>' in first
    assert "Trang trước" not in first
    third = account.text("/account/history?page=3")
    assert len(events_on(third)) == 8 and "Trang 3/3" in third
    assert events_on(third)[-1] == "citizen.created"
    assert 'href="/account/history?page=2" rel="prev">Trang trước</a>' in third
    assert "Trang sau" not in third
    beyond = account.text("/account/history?page=9")
    assert "Không có sự kiện nào ở trang này." in beyond


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "1.5", "１", "9999999"])
def test_a_bad_page_number_gets_a_message_and_a_400(app, outbox, citizen, raw):
    account = signed_in_browser(app, outbox, citizen)
    resp = account.get("/account/history", query_string={"page": raw})
    assert resp.status_code == 400
    assert "Số trang không hợp lệ." in resp.get_data(as_text=True)

"""The provider's own login pages, driven with plain HTTP forms in the federation tests."""

from __future__ import annotations

import requests

from tests.federation.conftest import csrf_of, flow_of


def password_login(federation, page: requests.Response, citizen: dict, started: bool = False):
    """From the login choice (or, ``started``, the password page) through password + SMS
    OTP; returns the page the browser ends on."""
    flow = flow_of(page)
    if not started:
        page = federation.browser.post(
            f"{federation.url}/login/method",
            data={"csrf_token": csrf_of(page.text), "flow": flow, "method": "password"},
        )
    otp_page = federation.browser.post(
        page.url,
        data={
            "csrf_token": csrf_of(page.text),
            "flow": flow,
            "username": citizen["id_number"],
            "password": citizen["password"],
        },
    )
    assert "/login/otp" in otp_page.url, otp_page.text[:800]
    code = federation.outbox.last_otp(citizen["phone_e164"])
    return federation.browser.post(
        otp_page.url, data={"csrf_token": csrf_of(otp_page.text), "flow": flow, "otp": code}
    )

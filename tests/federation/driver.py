"""This project's login pages (the provider's, or the VNeID emulator's) driven with plain
HTTP forms in the federation tests."""

from __future__ import annotations

from collections.abc import Callable

import requests

from tests.federation.conftest import csrf_of, flow_of


def through_password_and_otp(
    browser: requests.Session,
    page: requests.Response,
    username: str,
    password: str,
    otp: Callable[[], str],
    started: bool = False,
    follow: bool = True,
) -> requests.Response:
    """From a login choice ``page`` (or, ``started``, its password page): "Tài khoản cấp
    bởi Cổng dịch vụ công quốc gia", the password, then the code ``otp()`` reads once it
    was sent; the answer to the code (its redirects followed unless ``follow`` is False)."""
    flow = flow_of(page)
    if not started:
        origin = page.url.split("/login")[0]
        page = browser.post(
            f"{origin}/login/method",
            data={"csrf_token": csrf_of(page.text), "flow": flow, "method": "password"},
        )
    otp_page = browser.post(
        page.url,
        data={
            "csrf_token": csrf_of(page.text),
            "flow": flow,
            "username": username,
            "password": password,
        },
    )
    assert "/login/otp" in otp_page.url, otp_page.text[:800]
    return browser.post(
        otp_page.url,
        data={"csrf_token": csrf_of(otp_page.text), "flow": flow, "otp": otp()},
        allow_redirects=follow,
    )


def password_login(federation, page: requests.Response, citizen: dict, started: bool = False):
    """The provider's own login for ``citizen``; the page the browser ends on."""
    return through_password_and_otp(
        federation.browser,
        page,
        citizen["id_number"],
        citizen["password"],
        lambda: federation.outbox.last_otp(citizen["phone_e164"]),
        started=started,
    )

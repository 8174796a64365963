"""The authenticator app: enrolment confirmed by a first code, recovery codes shown once,
login with the app ("Ứng dụng xác thực") or a recovery code instead of the SMS OTP, and
no code accepted twice."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pyotp

from tests.conftest import REDIRECT_URI, query_of
from tests.http.test_account_profile import AccountBrowser, signed_in_browser
from tests.http.test_code_flow import redeem, verify_id_token


def enrol(app, outbox, citizen) -> tuple[AccountBrowser, str, list[str]]:
    """Set the app up from the account page; returns the browser, secret and codes."""
    account = signed_in_browser(app, outbox, citizen)
    page = account.text("/account/authenticator")
    assert "Cài đặt ứng dụng xác thực" in page
    resp = account.submit("/account/authenticator", "/account/authenticator/setup", {})
    assert resp.status_code == 302 and resp.location == "/account/authenticator"
    page = account.text("/account/authenticator")
    assert 'src="data:image/svg+xml;base64,' in page
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    resp = account.submit(
        "/account/authenticator",
        "/account/authenticator/confirm",
        {"otp": pyotp.TOTP(secret).now()},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[-800:]
    assert resp.location == "/account/authenticator/recovery-codes"
    codes = re.findall(
        r"<li><code>([A-Z2-9]{5}-[A-Z2-9]{5})</code></li>", account.text(resp.location)
    )
    return account, secret, codes


def next_code(secret: str) -> str:
    """The code of the next 30-second step (accepted: one step of clock drift)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def to_second_factor(browser: AccountBrowser, citizen: dict, start: str = "/login") -> str:
    """Password step of a citizen with an app: returns the choice page's URL."""
    password_url = browser.open_password_form(start)
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/login/second-factor"
    return resp.location


def choose(browser: AccountBrowser, choice_url: str, method: str):
    flow = query_of(choice_url)["flow"]
    return browser.submit(choice_url, f"/login/second-factor?flow={flow}", {"method": method})


def enter_totp(browser: AccountBrowser, totp_url: str, code: str):
    return browser.submit(totp_url, totp_url, {"otp": code})


def enter_recovery_code(browser: AccountBrowser, totp_url: str, code: str):
    flow = query_of(totp_url)["flow"]
    return browser.submit(totp_url, f"/login/recovery-code?flow={flow}", {"recovery_code": code})


def last_accepted_code(app, secret: str) -> str:
    """The code of the last time-step the provider accepted (a replay of it must fail)."""
    from idp.account.models import AuthenticatorApp
    from idp.extensions import db

    with app.app_context():
        step = db.session.scalar(db.select(AuthenticatorApp.last_step))
    return pyotp.TOTP(secret).at(step * 30)


def amr_of_sessions(app, citizen_id: int) -> list[list[str]]:
    from idp.login_session import sessions_of

    with app.app_context():
        return sorted(s.amr for s in sessions_of(citizen_id))


def test_enrolment_shows_ten_codes_once_and_stores_only_secrets_it_cannot_leak(
    app, outbox, citizen
):
    from idp.account.models import AuthenticatorApp, RecoveryCode
    from idp.extensions import db

    account, secret, codes = enrol(app, outbox, citizen)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Shown once: a reload of the codes' page goes back to the app's page, without them.
    resp = account.get("/account/authenticator/recovery-codes")
    assert resp.status_code == 302 and resp.location == "/account/authenticator"
    page = account.text("/account/authenticator")
    assert "Đã cài đặt từ" in page and '<strong id="codes-left">10</strong>/10' in page
    assert secret not in page and not any(code in page for code in codes)
    with app.app_context():
        row = db.session.scalar(db.select(AuthenticatorApp))
        assert row.confirmed_at is not None and row.last_step > 0
        assert secret not in row.secret
        hashes = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
        assert len(hashes) == 10 and not set(hashes) & {c.replace("-", "") for c in codes}
    assert "Mã OTP qua SMS và ứng dụng xác thực" in account.text("/account")
    resp = account.submit("/account/authenticator", "/account/authenticator/setup", {})
    assert resp.status_code == 409
    assert 'data-code="totp.already_enabled"' in resp.get_data(as_text=True)


def test_enrolment_needs_a_right_code(app, outbox, citizen):
    account = signed_in_browser(app, outbox, citizen)
    resp = account.submit(
        "/account/authenticator", "/account/authenticator/confirm", {"otp": "123456"}
    )
    assert resp.status_code == 400 and 'data-code="totp.no_enrolment"' in resp.get_data(
        as_text=True
    )
    account.submit("/account/authenticator", "/account/authenticator/setup", {})
    page = account.text("/account/authenticator")
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    wrong = pyotp.TOTP(secret).at(time.time() - 600)
    for typed in (wrong, "12345", "abcdef"):
        resp = account.submit(
            "/account/authenticator", "/account/authenticator/confirm", {"otp": typed}
        )
        assert resp.status_code == 400
        assert 'data-code="totp.invalid"' in resp.get_data(as_text=True)
    assert "Cài đặt ứng dụng xác thực" not in account.text("/account")  # not enabled yet


def test_login_with_the_app_gives_otp_amr_and_a_replayed_code_is_refused(
    app, outbox, citizen, oidc_client
):
    _, secret, _ = enrol(app, outbox, citizen)
    enrolment_code = last_accepted_code(app, secret)
    browser = AccountBrowser(app, outbox)
    url, req = browser.authorize_url(oidc_client["client_id"])
    choice_url = to_second_factor(browser, citizen, start=url)
    page = browser.text(choice_url)
    assert page.index("Mã OTP qua tin nhắn SMS") < page.index("Ứng dụng xác thực")
    sent = len(outbox.messages())
    resp = choose(browser, choice_url, "totp")
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/login/totp"
    totp_url = resp.location
    assert len(outbox.messages()) == sent  # no SMS for the app

    resp = enter_totp(browser, totp_url, enrolment_code)  # used at enrolment
    assert resp.status_code == 400
    assert 'data-code="totp.replayed"' in resp.get_data(as_text=True)
    code = next_code(secret)
    resp = enter_totp(browser, totp_url, code)
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/oauth2/authorize/resume"
    resp = browser.get(resp.location)
    assert resp.location.startswith(REDIRECT_URI)
    tokens = redeem(browser.http, oidc_client, query_of(resp.location)["code"], req["verifier"])
    claims = verify_id_token(browser.http, tokens.get_json()["id_token"], oidc_client["client_id"])
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == "LoA1"

    again = AccountBrowser(app, outbox)  # the same code in another browser: refused
    totp_url = choose(again, to_second_factor(again, citizen), "totp").location
    resp = enter_totp(again, totp_url, code)
    assert resp.status_code == 400
    assert 'data-code="totp.replayed"' in resp.get_data(as_text=True)


def test_sms_stays_the_default_for_a_citizen_with_the_app(app, outbox, citizen):
    enrol(app, outbox, citizen)
    browser = AccountBrowser(app, outbox)
    choice_url = to_second_factor(browser, citizen, start="/account/sessions")
    resp = choose(browser, choice_url, "sms")
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/login/otp"
    resp = browser.submit_otp(resp.location, outbox.last_otp(citizen["phone_e164"]))
    assert resp.status_code == 302 and resp.location == "/account/sessions"
    assert ["pwd", "sms", "mfa"] in amr_of_sessions(app, citizen["id"])


def test_the_totp_page_offers_sms_instead(app, outbox, citizen):
    enrol(app, outbox, citizen)
    browser = AccountBrowser(app, outbox)
    choice_url = to_second_factor(browser, citizen)
    totp_url = choose(browser, choice_url, "totp").location
    page = browser.text(totp_url)
    assert "Nhận mã OTP qua SMS" in page and "Dùng mã khôi phục" in page
    resp = choose(browser, totp_url, "sms")
    assert urlsplit(resp.location).path == "/login/otp"


def test_recovery_codes_work_once_each(app, outbox, citizen):
    account, _, codes = enrol(app, outbox, citizen)
    browser = AccountBrowser(app, outbox)
    totp_url = choose(browser, to_second_factor(browser, citizen), "totp").location
    resp = enter_recovery_code(browser, totp_url, "AAAAA-BBBBB")
    assert resp.status_code == 400
    assert 'data-code="recovery_code.invalid"' in resp.get_data(as_text=True)
    resp = enter_recovery_code(browser, totp_url, " " + codes[0].lower().replace("-", " "))
    assert resp.status_code == 302 and resp.location == "/login/done"
    assert ["pwd", "mfa"] in amr_of_sessions(app, citizen["id"])
    assert '<strong id="codes-left">9</strong>/10' in account.text("/account/authenticator")

    again = AccountBrowser(app, outbox)
    totp_url = choose(again, to_second_factor(again, citizen), "totp").location
    resp = enter_recovery_code(again, totp_url, codes[0])
    assert resp.status_code == 400
    assert 'data-code="recovery_code.used"' in resp.get_data(as_text=True)


def test_wrong_codes_are_limited_per_citizen(app, outbox, citizen):
    _, secret, _ = enrol(app, outbox, citizen)
    browser = AccountBrowser(app, outbox)
    totp_url = choose(browser, to_second_factor(browser, citizen), "totp").location
    wrong = pyotp.TOTP(secret).at(time.time() - 600)
    for _ in range(4):
        resp = enter_totp(browser, totp_url, wrong)
        assert 'data-code="totp.invalid"' in resp.get_data(as_text=True)
    resp = enter_totp(browser, totp_url, wrong)
    assert 'data-code="totp.too_many"' in resp.get_data(as_text=True)
    fresh = AccountBrowser(app, outbox)  # a new login flow does not reset the count
    totp_url = choose(fresh, to_second_factor(fresh, citizen), "totp").location
    resp = enter_totp(fresh, totp_url, next_code(secret))
    assert resp.status_code == 400
    assert 'data-code="totp.too_many"' in resp.get_data(as_text=True)


def test_new_recovery_codes_need_the_password_and_void_the_old_ones(app, outbox, citizen):
    account, _, old_codes = enrol(app, outbox, citizen)
    action = "/account/authenticator/recovery-codes"
    resp = account.submit("/account/authenticator", action, {"current_password": "sai12345"})
    assert resp.status_code == 400
    assert 'data-code="password.current_wrong"' in resp.get_data(as_text=True)
    resp = account.submit(
        "/account/authenticator", action, {"current_password": citizen["password"]}
    )
    assert resp.status_code == 303
    page = account.text(resp.location)
    new_codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", page)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    browser = AccountBrowser(app, outbox)
    totp_url = choose(browser, to_second_factor(browser, citizen), "totp").location
    resp = enter_recovery_code(browser, totp_url, old_codes[1])
    assert 'data-code="recovery_code.invalid"' in resp.get_data(as_text=True)
    resp = enter_recovery_code(browser, totp_url, new_codes[1])
    assert resp.status_code == 302


def test_disabling_needs_the_password_and_login_goes_back_to_sms_only(app, outbox, citizen):
    from idp.account.models import AuthenticatorApp, RecoveryCode
    from idp.extensions import db

    account, _, _ = enrol(app, outbox, citizen)
    action = "/account/authenticator/disable"
    resp = account.submit("/account/authenticator", action, {"current_password": ""})
    assert resp.status_code == 400
    resp = account.submit(
        "/account/authenticator", action, {"current_password": citizen["password"]}
    )
    assert resp.status_code == 302
    assert "Đã tắt ứng dụng xác thực." in account.text(resp.location)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuthenticatorApp.id))) == 0
        assert db.session.scalar(db.select(db.func.count(RecoveryCode.id))) == 0
    browser = AccountBrowser(app, outbox)
    resp = browser.submit_password(
        browser.open_password_form(), citizen["id_number"], citizen["password"]
    )
    assert urlsplit(resp.location).path == "/login/otp"


def test_the_totp_steps_refuse_a_flow_at_another_step(app, outbox, citizen):
    enrol(app, outbox, citizen)
    browser = AccountBrowser(app, outbox)
    choice_url = to_second_factor(browser, citizen)
    flow = query_of(choice_url)["flow"]
    resp = browser.submit(choice_url, f"/login/totp?flow={flow}", {"otp": "123456"})
    assert resp.status_code == 400 and 'data-code="flow.wrong_step"' in resp.get_data(as_text=True)


def test_a_changed_secret_key_makes_the_app_unusable_but_sms_still_works(
    app_factory, outbox, citizen
):
    _, secret, _ = enrol(app_factory(), outbox, citizen)
    app = app_factory(SECRET_KEY="another-secret-key-for-this-test-0123456789")
    browser = AccountBrowser(app, outbox)
    choice_url = to_second_factor(browser, citizen)
    totp_url = choose(browser, choice_url, "totp").location
    resp = enter_totp(browser, totp_url, next_code(secret))
    assert resp.status_code == 400
    assert 'data-code="totp.secret_unreadable"' in resp.get_data(as_text=True)
    resp = choose(browser, totp_url, "sms")
    resp = browser.submit_otp(resp.location, outbox.last_otp(citizen["phone_e164"]))
    assert resp.status_code == 302


def test_the_same_code_sent_twice_at_once_is_accepted_once(app, outbox, citizen):
    import threading

    from idp.account import totp
    from idp.errors import DomainError

    _, secret, _ = enrol(app, outbox, citizen)
    code = next_code(secret)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def try_code():
        with app.app_context():
            barrier.wait()
            try:
                totp.accept_login_code(citizen["id"], code)
                outcomes.append("accepted")
            except DomainError as exc:
                outcomes.append(exc.problem.code)
            finally:
                from idp.extensions import db

                db.session.remove()

    threads = [threading.Thread(target=try_code) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] + ["totp.replayed"] * 3


def test_a_code_typed_with_full_width_digits_and_spaces_is_the_same_code(app, outbox, citizen):
    # Some phone keyboards type full-width digits; SMS codes accept them the same way.
    _, secret, _ = enrol(app, outbox, citizen)
    browser = AccountBrowser(app, outbox)
    totp_url = choose(browser, to_second_factor(browser, citizen), "totp").location
    code = next_code(secret)
    typed = " ".join(chr(ord("０") + int(d)) for d in code)
    resp = enter_totp(browser, totp_url, typed)
    assert resp.status_code == 302, resp.get_data(as_text=True)[-500:]

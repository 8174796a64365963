"""Hypothesis-generated values for the citizen's HTML forms, each reached the real way (GETs
and the earlier steps) and posted with a valid CSRF token so that the input gets to the
handlers: login (user name and password, the SMS OTP), registration (details, OTP,
password), forgotten password and the complaint form. Whatever is typed, missing or
added: never a 5xx, always a redirect or a Vietnamese page saying what is wrong, and no
citizen or complaint row unless the whole flow was valid.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.conftest import NEWCOMER, NEWCOMER_E164, csrf_of, query_of

# Every example sends an SMS from the same address: room for them (the caps have their
# own tests in tests/security/).
APP_OVERRIDES = {"OTP_MAX_SENDS_PER_HOUR": 100000}
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
VIETNAMESE = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")

TEXT = st.text(max_size=30)
CONTROL = st.text(
    alphabet=st.characters(max_codepoint=0x9F, whitelist_categories=["Cc"]), min_size=1
)
DIGITS = st.text(alphabet="0123456789 +.-", max_size=16)
LONG = st.integers(60, 6000).map(lambda n: "9" * n)
VALUES = st.one_of(TEXT, CONTROL, DIGITS, LONG, st.just(""))
EXTRA = st.dictionaries(
    st.sampled_from(["flow", "csrf_token", "method", "kind", "decision", "x"]) | TEXT,
    VALUES,
    max_size=3,
)


def fields(names: list[str], real: dict[str, list[str]] | None = None):
    """Each field missing, random, or one of its real values; plus extra fields."""
    real = real or {}

    def one(name):
        options = [VALUES]
        if real.get(name):
            options.append(st.sampled_from(real[name]))
        return st.one_of(*options)

    present = st.fixed_dictionaries({}, optional={name: one(name) for name in names})
    return st.builds(lambda a, b: {**b, **a}, present, EXTRA)


def counts(app) -> tuple[int, int]:
    from idp.citizens.models import Citizen
    from idp.complaints.models import Complaint
    from idp.extensions import db

    with app.app_context():
        citizens = db.session.scalar(db.select(db.func.count()).select_from(Citizen))
        complaints = db.session.scalar(db.select(db.func.count()).select_from(Complaint))
        db.session.rollback()
        return citizens, complaints


def answered_properly(resp) -> None:
    """A redirect, or a Vietnamese page; an error status comes with its message."""
    assert resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:800])
    if resp.status_code in (302, 303):
        assert resp.location
        return
    page = resp.get_data(as_text=True)
    assert resp.mimetype == "text/html", resp.mimetype
    assert '<html lang="vi">' in page
    if resp.status_code >= 400:
        text = unicodedata.normalize("NFC", page.lower())
        assert 'role="alert"' in page or "invalid-feedback" in page or "error" in page, page[:800]
        assert VIETNAMESE & set(text), page[:800]


def assert_right_code_decides(resp, data: dict, entered: str, code: str) -> None:
    """Only the code sent passes; it passes unless another field broke the request."""
    if resp.status_code == 302:
        assert entered == code, data
    elif entered == code and set(data) == {"otp"}:
        raise AssertionError(f"the right code was refused: {data!r} {resp.status_code}")


def post(http, url: str, page: str, data: dict):
    values = {"csrf_token": csrf_of(page), **{k: v for k, v in data.items() if k != "csrf_token"}}
    if "csrf_token" in data:  # an extra csrf_token field: a duplicate, the real one first
        return http.post(url, data=MultiDict([*values.items(), ("csrf_token", data["csrf_token"])]))
    return http.post(url, data=values)


# -- reaching each step -------------------------------------------------------------------


def login_password_page(http) -> tuple[str, str]:
    choose = http.get("/login").location
    page = http.get(choose).get_data(as_text=True)
    flow = query_of(choose)["flow"]
    resp = post(http, "/login/method", page, {"flow": flow, "method": "password"})
    assert resp.status_code == 302
    return resp.location, http.get(resp.location).get_data(as_text=True)


def login_otp_page(app, http) -> tuple[str, str]:
    citizen = app.fuzz["citizen"]
    url, page = login_password_page(http)
    resp = post(
        http, url, page, {"username": citizen["id_number"], "password": citizen["password"]}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    return resp.location, http.get(resp.location).get_data(as_text=True)


def registration_details_page(http) -> tuple[str, str]:
    choose = http.get("/register").location
    page = http.get(choose).get_data(as_text=True)
    resp = post(http, choose, page, {"kind": "citizen", "method": "mobile"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    return resp.location, http.get(resp.location).get_data(as_text=True)


def registration_otp_page(http) -> tuple[str, str]:
    url, page = registration_details_page(http)
    resp = post(http, url, page, NEWCOMER)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    return resp.location, http.get(resp.location).get_data(as_text=True)


def registration_password_page(app, http) -> tuple[str, str]:
    url, page = registration_otp_page(http)
    resp = post(http, url, page, {"otp": app.fuzz["outbox"].last_otp(NEWCOMER_E164)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    return resp.location, http.get(resp.location).get_data(as_text=True)


@pytest.fixture(scope="module")
def app(fuzz_app):
    from idp.subscribers.csv_import import import_subscribers

    with fuzz_app.app_context():
        import_subscribers(
            ["phone,id_number", f"{NEWCOMER['phone'].replace(' ', '')},{NEWCOMER['id_number']}"],
            actor="test",
        )
    return fuzz_app


# -- the forms ----------------------------------------------------------------------------


@FUZZ
@given(data=fields(["username", "password"], {"username": ["066090001234", "066 090 001 234"]}))
def test_login_password_form(app, data):
    http = app.test_client()
    url, page = login_password_page(http)
    before = counts(app)
    resp = post(http, url, page, data)
    answered_properly(resp)
    if resp.status_code == 302:  # only the real password passes
        assert data.get("password") == app.fuzz["citizen"]["password"]
        assert urlsplit(resp.location).path == "/login/otp"
    assert counts(app) == before


@FUZZ
@given(data=fields(["otp"]), right=st.booleans())
def test_login_otp_form(app, data, right):
    http = app.test_client()
    url, page = login_otp_page(app, http)
    code = app.fuzz["outbox"].last_otp(app.fuzz["citizen"]["phone_e164"])
    if right:
        data = {**data, "otp": code}
    before = counts(app)
    resp = post(http, url, page, data)
    answered_properly(resp)
    entered = "".join(unicodedata.normalize("NFKC", data.get("otp", "")).split())
    assert_right_code_decides(resp, data, entered, code)
    assert counts(app) == before


@FUZZ
@given(
    data=fields(
        ["id_number", "full_name", "date_of_birth", "gender", "phone", "email"],
        {name: [value] for name, value in NEWCOMER.items()}
        | {"gender": ["male", "female", "other", "MALE"]},
    )
)
@example(data={"date_of_birth": "0000-00-00", "id_number": "066195012345"})
def test_registration_details_form(app, data):
    http = app.test_client()
    url, page = registration_details_page(http)
    before = counts(app)
    resp = post(http, url, page, data)
    answered_properly(resp)
    assert counts(app) == before


@FUZZ
@given(data=fields(["otp"]))
def test_registration_otp_form(app, data):
    http = app.test_client()
    url, page = registration_otp_page(http)
    before = counts(app)
    resp = post(http, url, page, data)
    answered_properly(resp)
    code = app.fuzz["outbox"].last_otp(NEWCOMER_E164)
    entered = "".join(unicodedata.normalize("NFKC", data.get("otp", "")).split())
    assert_right_code_decides(resp, data, entered, code)
    assert counts(app) == before


@FUZZ
@given(
    data=fields(["password", "password_confirm"], {"password": ["binhtran2026"]}),
    confirm_same=st.booleans(),
)
def test_registration_password_form(app, data, confirm_same):
    from idp.citizens.models import Citizen
    from idp.extensions import db

    if confirm_same and "password" in data:
        data = {**data, "password_confirm": data["password"]}
    http = app.test_client()
    url, page = registration_password_page(app, http)
    citizens, complaints = counts(app)
    resp = post(http, url, page, data)
    answered_properly(resp)
    after = counts(app)
    if after[0] == citizens + 1:  # the whole flow was valid: details, OTP, password
        assert resp.status_code == 302
        assert data.get("password") and data.get("password") == data.get("password_confirm")
        with app.app_context():  # the next example registers the same person again
            db.session.execute(db.delete(Citizen).filter_by(id_number=NEWCOMER["id_number"]))
            db.session.commit()
    else:
        assert after == (citizens, complaints)
        assert resp.status_code != 302 or not data.get("password")


@FUZZ
@given(data=fields(["username", "phone"], {"username": ["066090001234"], "phone": ["0912345678"]}))
def test_forgotten_password_form(app, data):
    http = app.test_client()
    start = http.get("/recovery")
    url = start.location if start.status_code == 302 else "/recovery/identify"
    page = http.get(url).get_data(as_text=True)
    before = counts(app)
    resp = post(http, url, page, data)
    answered_properly(resp)
    assert counts(app) == before


@FUZZ
@given(
    data=fields(
        ["id_number", "full_name", "phone", "email", "description"],
        {
            "id_number": ["066090001234"],
            "full_name": ["Nguyễn Văn An"],
            "phone": ["0912345678"],
            "description": ["Tôi không đăng ký tài khoản này, có người dùng số CCCD của tôi."],
        },
    )
)
def test_complaint_form(app, data):
    from idp.complaints.filing import check_complaint, typed_values

    http = app.test_client()
    page = http.get("/complaints/new").get_data(as_text=True)
    citizens, complaints = counts(app)
    resp = post(http, "/complaints/new", page, data)
    answered_properly(resp)
    checked, _ = check_complaint(typed_values(MultiDict(data)))
    filed = counts(app)[1] - complaints
    assert filed == (1 if checked is not None else 0), (data, resp.status_code)
    assert (resp.status_code == 302) == (filed == 1)
    assert counts(app)[0] == citizens

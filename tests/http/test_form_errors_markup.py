"""Form errors in the markup, on every kind of form page (issue [9/13], items 17, 28, 31).

The pages are rendered the way their views render them, with a ``Problem`` tied to a
field: the message must sit beside that field (``<name>-error``, pointed at by the field's
``aria-describedby``), the summary at the top must be a ``role="alert"`` that takes focus
(``autofocus``), and the title must start with "Lỗi: ". The browser tests check the same
in Chromium (focus, title, look); these check every template cheaply.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from flask import render_template

from idp.account.password import CURRENT_PASSWORD_WRONG
from idp.citizens.password_policy import PASSWORD_CONFIRM_MISMATCH, PASSWORD_TOO_SHORT
from idp.flows.flow import FLOW_NOT_FOUND

FLOW = SimpleNamespace(id="flow-id", data={})
MISMATCH = PASSWORD_CONFIRM_MISMATCH
TOO_SHORT = PASSWORD_TOO_SHORT
CURRENT_WRONG = CURRENT_PASSWORD_WRONG
NO_FIELD = FLOW_NOT_FOUND


class Elements(HTMLParser):
    """Every start tag's attributes, and the text of <title>."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False
        self.html = page
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def by_id(self, element_id: str) -> dict[str, str | None]:
        found = [attrs for _, attrs in self.tags if attrs.get("id") == element_id]
        assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
        return found[0]

    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.tags if attrs.get("id")]


def render(app, template: str, endpoint: str | None = None, **context) -> Elements:
    with app.test_request_context("/"):
        if endpoint:
            from flask import request

            request.url_rule = SimpleNamespace(endpoint=endpoint)
        return Elements(render_template(template, **context))


def assert_error_beside(page: Elements, field: str, code: str) -> None:
    """The field is marked invalid and described by the message written next to it."""
    assert page.by_id(field).get("aria-invalid") == "true"
    assert page.by_id(field).get("aria-describedby") == f"{field}-error"
    assert page.by_id(f"{field}-error").get("data-code") == code


def assert_summary_takes_focus(page: Elements) -> None:
    summary = page.by_id("error-summary")
    assert summary.get("role") == "alert"
    assert "autofocus" in summary and summary.get("tabindex") == "-1"
    assert page.title.startswith("Lỗi: ")


PASSWORD_FORMS = [
    ("provider/registration/password.html", {"flow": FLOW}),
    ("provider/recovery/password.html", {"flow": FLOW}),
    ("provider/account/password.html", {}),
]


@pytest.mark.parametrize("template,context", PASSWORD_FORMS)
@pytest.mark.parametrize("problem", [MISMATCH, TOO_SHORT], ids=lambda p: p.field)
def test_password_errors_sit_beside_their_field(app, template, context, problem):
    page = render(app, template, problem=problem, **context)

    assert_error_beside(page, problem.field, problem.code)
    assert_summary_takes_focus(page)
    other = "password" if problem.field == "password_confirm" else "password_confirm"
    assert "aria-invalid" not in page.by_id(other)


def test_account_password_wrong_current_password_sits_beside_it(app):
    page = render(app, "provider/account/password.html", problem=CURRENT_WRONG)
    assert_error_beside(page, "current_password", CURRENT_WRONG.code)


@pytest.mark.parametrize("template,context", PASSWORD_FORMS)
def test_password_forms_without_errors_have_no_summary_and_a_plain_title(app, template, context):
    page = render(app, template, **context)
    assert "error-summary" not in page.ids()
    assert not page.title.startswith("Lỗi")


def test_details_form_marks_the_gender_radios_not_the_fieldset(app):
    from idp.citizens.identity_number import GENDER_INVALID

    page = render(
        app,
        "provider/registration/details.html",
        flow=FLOW,
        values={},
        problems={"gender": GENDER_INVALID, "phone": TOO_SHORT.on("phone")},
    )

    assert_summary_takes_focus(page)
    radios = [a for tag, a in page.tags if tag == "input" and a.get("name") == "gender"]
    assert len(radios) == 2 and all(a.get("aria-invalid") == "true" for a in radios)
    fieldset = next(a for tag, a in page.tags if tag == "fieldset")
    assert "aria-invalid" not in fieldset
    assert fieldset.get("aria-describedby") == "gender-error"
    # The summary links lead to the fields, one of them the first radio.
    links = [a["href"] for tag, a in page.tags if tag == "a" and a.get("data-code")]
    assert links == ["#gender", "#phone"] and page.by_id("gender").get("type") == "radio"


@pytest.mark.parametrize(
    "template,context",
    [
        ("provider/message.html", {}),
        ("provider/login/password.html", {"flow": FLOW, "username": ""}),
        ("console/login.html", {"next": "", "name": ""}),
        ("portal/message.html", {"retry_url": "/"}),
    ],
)
def test_every_page_base_prefixes_the_title_and_focuses_the_summary(app, template, context):
    if template.startswith("portal/"):
        from portal import create_portal_app

        app = create_portal_app(
            {"PORTAL_ISSUER": "http://127.0.0.1:9", "PORTAL_CLIENT_SECRET": "s" * 32}
        )
    page = render(app, template, problem=NO_FIELD, **context)
    assert_summary_takes_focus(page)
    assert page.by_id("error-summary").get("data-code") == NO_FIELD.code


def test_registration_choice_keeps_ids_unique_with_several_kinds(app, monkeypatch):
    from idp.flows.registration import flow as states

    kinds = {"citizen": "Công dân", "business": "Doanh nghiệp"}
    page = render(
        app, "provider/registration/choose.html", flow=FLOW, kinds=kinds, methods=states.METHODS
    )

    ids = page.ids()
    assert len(ids) == len(set(ids)), ids
    radios = [a for tag, a in page.tags if tag == "input" and a.get("name") == "kind"]
    assert [a.get("id") for a in radios] == ["kind-citizen", "kind-business"]
    assert ["checked" in a for a in radios] == [True, False]
    labels = [a.get("for") for tag, a in page.tags if tag == "label"]
    assert set(labels) >= {"kind-citizen", "kind-business"}


@pytest.mark.parametrize(
    "endpoint,current,reached_from",
    [
        ("account.profile", "/account", None),
        ("account.history", "/account/history", None),
        ("account.password", None, "/account"),
        ("account.phone_request_filed", None, "/account"),
        ("account.authenticator_codes", None, "/account/authenticator"),
        ("account.authenticator_new_codes", "/account/authenticator", None),
    ],
)
def test_account_tabs_say_which_one_is_open(app, endpoint, current, reached_from):
    template = {
        "account.profile": "provider/account/profile.html",
        "account.history": "provider/account/history.html",
        "account.password": "provider/account/password.html",
        "account.phone_request_filed": "provider/account/phone_request_filed.html",
        "account.authenticator_codes": "provider/account/recovery_codes.html",
        # Only on an error: the app's page again, with the problem.
        "account.authenticator_new_codes": "provider/account/authenticator.html",
    }[endpoint]
    profile = SimpleNamespace(
        full_name="Nguyễn Văn An",
        date_of_birth=None,
        gender="male",
        masked_id_number="066******234",
        masked_phone="091****678",
        carrier=None,
        email=None,
    )
    page = render(
        app,
        template,
        endpoint=endpoint,
        profile=profile,
        history=None,
        reference="KN-2026-000001",
        codes=["ABCDE-23456"],
        first_time=False,
        codes_left=10,
    )

    marked = {a["href"]: a.get("aria-current") for tag, a in page.tags if "aria-current" in a}
    expected = {}
    if current:
        expected[current] = "page"
    if reached_from:
        expected[reached_from] = "true"
    assert marked == expected


def test_phone_lost_textarea_holds_only_what_was_typed(app):
    from idp.complaints.filing import DESCRIPTION_TOO_SHORT

    typed = "quá ngắn"
    page = render(
        app,
        "provider/account/phone_lost.html",
        values={"phone": "0987654321", "description": typed},
        problem=DESCRIPTION_TOO_SHORT,
    )

    contents = re.findall(r"<textarea[^>]*>(.*?)</textarea>", page.html, re.S)
    assert contents == [typed]
    assert_error_beside(page, "description", DESCRIPTION_TOO_SHORT.code)
    after = page.html.split("</textarea>", 1)[1]
    assert 'id="description-error"' in after


OTP_PAGES = [
    ("provider/otp.html", {}),
    ("provider/account/phone_otp.html", {"which": "old"}),
]


@pytest.mark.parametrize("template,context", OTP_PAGES)
def test_wrong_otp_sits_beside_the_code_field_with_one_summary(app, template, context):
    from idp.otp import OTP_WRONG

    problem = OTP_WRONG.format(tries_left=4)
    page = render(app, template, problem=problem, action="/otp", resend_action="/resend", **context)

    assert_error_beside(page, "otp", problem.code)
    assert_summary_takes_focus(page)  # by_id: exactly one summary
    assert page.html.count("Bạn còn 4 lần thử.") == 2  # in the summary and beside the field
    ids = page.ids()
    assert len(ids) == len(set(ids)), ids


def test_otp_page_without_errors_marks_nothing(app):
    page = render(app, "provider/otp.html", action="/otp", resend_action="/resend")
    assert "aria-invalid" not in page.by_id("otp")
    assert "otp-error" not in page.ids() and "error-summary" not in page.ids()


CONSOLE = SimpleNamespace(name="operator", role="operator", can_change=True)


def _console_page(app, template: str, **context) -> Elements:
    from idp.console import labels

    return render(app, template, console=CONSOLE, labels=labels, **context)


def test_console_search_error_sits_beside_the_number_field(app):
    from idp.console.account_locks import SEARCH_INVALID

    page = _console_page(app, "console/citizens.html", q="123", problem=SEARCH_INVALID)
    assert_error_beside(page, "q", SEARCH_INVALID.code)
    assert_summary_takes_focus(page)


def test_console_token_lifetime_error_sits_beside_the_select(app):
    from idp.console.views.registration_tokens import LIFETIMES
    from idp.oidc.registration_tokens import LIFETIME_INVALID

    page = _console_page(
        app,
        "console/registration_tokens.html",
        tokens=[],
        lifetimes=LIFETIMES,
        problem=LIFETIME_INVALID,
    )
    assert_error_beside(page, "expires_in", LIFETIME_INVALID.code)
    assert_summary_takes_focus(page)


def test_console_complaint_note_error_sits_beside_the_note(app):
    from datetime import UTC, datetime

    from idp.console.views.complaints import NOTE_REQUIRED

    complaint = SimpleNamespace(
        reference="KN-2026-000001",
        status="open",
        kind="ownership",
        id_number="066195012345",
        full_name="Nguyễn Văn An",
        phone="+84977000111",
        email=None,
        created_at=datetime(2026, 1, 2, tzinfo=UTC),
        description="Nội dung",
        evidence=[],
        resolved_at=None,
    )
    page = _console_page(
        app,
        "console/complaint.html",
        complaint=complaint,
        actions=["reject"],
        note="",
        problem=NOTE_REQUIRED,
    )
    assert_error_beside(page, "note", NOTE_REQUIRED.code)
    assert_summary_takes_focus(page)

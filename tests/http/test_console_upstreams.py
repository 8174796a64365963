"""Upstream identity providers in the operators' console: the list with their settings,
suspending one (its button leaves the login choice) and resuming it, audited as the
operator; auditors only read."""

from __future__ import annotations

import re

import pytest

from tests.conftest import query_of
from tests.http.driver import Browser
from tests.http.test_account_linked_identities import (
    BANK,
    VNEID,
    add_upstream,
    assert_sound_markup,
)
from tests.http.test_console import Console, audit_rows, make_operator

ACTOR = "operator:van.hanh"


@pytest.fixture
def upstreams(app) -> None:
    add_upstream(app)
    add_upstream(app, "bank", BANK, active=False)


def choice_buttons(app, outbox) -> list[str]:
    """The upstreams' buttons on the login choice page (``/login?flow=...``)."""
    browser = Browser(app, outbox)
    resp = browser.get("/login")
    assert resp.status_code == 302 and "flow" in query_of(resp.location)
    page = browser.get(resp.location).get_data(as_text=True)
    assert "Tài khoản cấp bởi Cổng dịch vụ công quốc gia" in page
    return re.findall(r'<button type="submit" name="upstream" value="([^"]+)"[^>]*>([^<]*)<', page)


def row_of(page: str, name: str) -> str:
    return page.split(f'<tr data-upstream="{name}">')[1].split("</tr>")[0]


def test_the_console_lists_the_upstreams_with_their_settings(app, console, upstreams):
    assert '<a href="/console/upstreams">Nhà cung cấp định danh</a>' in console.page("/console/")
    page = console.page("/console/upstreams")
    assert page.index('data-upstream="bank"') < page.index('data-upstream="vneid"')  # by name
    vneid = row_of(page, "vneid")
    for shown in (
        "<code>vneid</code>",
        VNEID,
        "<code>https://vneid.example.vn</code>",
        "<code>dvc-at-vneid</code>",
        "<td>LoA2</td>",
        '<td class="create-accounts">Không</td>',
        '<td class="link-without-password">Không</td>',
        '<td class="upstream-status">Đang hoạt động</td>',
        ">Tạm dừng</button>",
    ):
        assert shown in vneid, shown
    bank = row_of(page, "bank")
    assert '<td class="upstream-status">Đang tạm dừng</td>' in bank
    assert ">Kích hoạt lại</button>" in bank
    assert "client_secret" not in page and ">x<" not in page
    assert_sound_markup(page)


def test_no_upstream_yet(console):
    page = console.page("/console/upstreams")
    assert 'id="no-upstreams"' in page and "<table>" not in page


def test_suspending_hides_the_button_and_resuming_brings_it_back(app, outbox, console, upstreams):
    assert choice_buttons(app, outbox) == [("vneid", VNEID)]

    resp = console.post("/console/upstreams/vneid/status", action="suspend")
    assert resp.status_code == 302 and resp.location == "/console/upstreams"
    page = console.page(resp.location)
    assert "Đã tạm dừng nhà cung cấp định danh" in page
    assert '<td class="upstream-status">Đang tạm dừng</td>' in row_of(page, "vneid")
    assert choice_buttons(app, outbox) == []
    suspended = audit_rows(app, event="upstream.suspended")
    assert [(r.actor, r.details["upstream"]) for r in suspended] == [(ACTOR, "vneid")]

    resp = console.post("/console/upstreams/vneid/status", action="resume")
    assert resp.status_code == 302
    assert "Đã kích hoạt lại nhà cung cấp định danh." in console.page(resp.location)
    assert choice_buttons(app, outbox) == [("vneid", VNEID)]
    resumed = audit_rows(app, event="upstream.resumed")
    assert [(r.actor, r.details["upstream"]) for r in resumed] == [(ACTOR, "vneid")]

    assert console.post("/console/upstreams/bank/status", action="resume").status_code == 302
    assert choice_buttons(app, outbox) == [("bank", BANK), ("vneid", VNEID)]


def test_an_unknown_upstream_or_action_is_refused(app, console, upstreams):
    resp = console.post("/console/upstreams/khong-co/status", action="suspend")
    assert resp.status_code == 404
    assert "Không có nhà cung cấp định danh tên khong-co." in resp.get_data(as_text=True)
    resp = console.post("/console/upstreams/vneid/status", action="delete")
    assert resp.status_code == 400
    assert 'data-code="console.upstream_action_invalid"' in resp.get_data(as_text=True)
    assert '<td class="upstream-status">Đang hoạt động</td>' in row_of(
        console.page("/console/upstreams"), "vneid"
    )
    assert audit_rows(app, event="upstream.suspended") == []


def test_a_change_without_csrf_token_is_refused(app, console, upstreams):
    resp = console.http.post("/console/upstreams/vneid/status", data={"action": "suspend"})
    assert resp.status_code == 400
    assert audit_rows(app, event="upstream.suspended") == []


def test_auditors_see_the_list_but_cannot_suspend(app, upstreams):
    auditor = make_operator(app, "kiem.toan", role="auditor")
    console = Console(app)
    assert console.sign_in(auditor).status_code == 302
    page = console.page("/console/upstreams")
    assert (
        VNEID in page and "Tạm dừng</button>" not in page and "<form" not in row_of(page, "vneid")
    )
    resp = console.post("/console/upstreams/vneid/status", action="suspend")
    assert resp.status_code == 403 and "chỉ được xem" in resp.get_data(as_text=True)
    assert audit_rows(app, event="upstream.suspended") == []


def test_the_page_needs_a_console_session(app, upstreams):
    resp = app.test_client().get("/console/upstreams")
    assert resp.status_code == 302 and resp.location.startswith("/console/login")

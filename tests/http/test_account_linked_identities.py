"""Linked identities on the account page ("Tài khoản liên kết"): each upstream identity with
its label, when it was linked and last used, and "Hủy liên kết" (refused with a 4xx when
it is the only way into an account without a password, or not the citizen's link); the
sign-in history names the upstream of a federated sign-in, a link and an unlink.

Upstreams and links are rows inserted here (no upstream on the network); a citizen with
no password is signed in by writing a federated login session, as the callback does."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.conftest import OTHER_CITIZEN, csrf_of
from tests.http.test_account_history import events_on, record
from tests.http.test_account_profile import AccountBrowser, signed_in_browser

VNEID = "Tài khoản định danh điện tử VNeID"
BANK = "Ngân hàng số (thử nghiệm)"
LINKED_AT = datetime(2026, 3, 4, 1, 2, tzinfo=UTC)  # 08:02 04/03/2026 in Vietnam
USED_AT = datetime(2026, 4, 5, 6, 7, tzinfo=UTC)  # 13:07 05/04/2026 in Vietnam
LAST_WAY_IN_TEXT = "Không thể hủy liên kết này: tài khoản của bạn chưa có mật khẩu"


def add_upstream(app, name: str = "vneid", label: str = VNEID, active: bool = True) -> None:
    """An upstream as ``idp upstreams add`` stores it (without reading its discovery)."""
    from idp.extensions import db
    from idp.federation.models import Upstream

    with app.app_context():
        db.session.add(
            Upstream(
                name=name,
                label=label,
                issuer=f"https://{name}.example.vn",
                client_id=f"dvc-at-{name}",
                client_secret_sealed="x",
                scope="openid",
                id_number_claim="citizen_id",
                acr="LoA2",
                create_accounts=False,
                link_without_password=False,
                logout_upstream=False,
                active=active,
            )
        )
        db.session.commit()


def add_link(app, citizen_id: int, upstream: str = "vneid", **times) -> int:
    """The citizen's identity at ``upstream``; its id."""
    from idp.extensions import db
    from idp.federation.models import UpstreamLink

    with app.app_context():
        link = UpstreamLink(
            upstream=upstream,
            issuer=f"https://{upstream}.example.vn",
            subject=f"sub-{upstream}-{citizen_id}",
            citizen_id=citizen_id,
            **times,
        )
        db.session.add(link)
        db.session.commit()
        return link.id


def link_ids(app, citizen_id: int) -> list[int]:
    from idp.extensions import db
    from idp.federation.models import UpstreamLink

    with app.app_context():
        query = db.select(UpstreamLink.id).filter_by(citizen_id=citizen_id)
        return sorted(db.session.scalars(query))


def passwordless_citizen(app) -> dict:
    """``OTHER_CITIZEN`` as an account made from an upstream identity: no password."""
    from idp.citizens.creation import create_citizen

    details = {k: v for k, v in OTHER_CITIZEN.items() if k != "password"}
    with app.app_context():
        created = create_citizen(**details, password=None, actor="upstream:vneid")
        return {"id": created.id, **details, "phone_e164": created.phone}


def federated_browser(app, outbox, citizen_id: int, upstream: str = "vneid") -> AccountBrowser:
    """A browser signed in through ``upstream``: the login session its callback writes."""
    from idp.login_session import UpstreamSession, begin_session, cookie_name

    browser = AccountBrowser(app, outbox)
    with app.test_request_context("/"):
        session = begin_session(citizen_id, ["fed"], "LoA2", UpstreamSession(upstream, "sid-1"))
        name = cookie_name()
    browser.http.set_cookie(name, session.key, domain="localhost")
    return browser


def unlink(account: AccountBrowser, link_id) -> object:
    return account.submit(
        "/account/linked-identities", "/account/linked-identities/unlink", {"link_id": link_id}
    )


def audit_events(app, citizen_id: int) -> list[str]:
    from idp.audit import AuditEvent
    from idp.extensions import db

    with app.app_context():
        query = db.select(AuditEvent.event).filter_by(citizen_id=citizen_id)
        return list(db.session.scalars(query.order_by(AuditEvent.id)))


@pytest.fixture
def vneid(app) -> str:
    add_upstream(app)
    return "vneid"


def test_the_tab_shows_only_where_the_provider_has_upstreams(app, outbox, citizen):
    account = signed_in_browser(app, outbox, citizen)
    assert "Tài khoản liên kết" not in account.text("/account")
    add_upstream(app)
    page = account.text("/account")
    assert '<a href="/account/linked-identities">Tài khoản liên kết</a>' in page
    page = account.text("/account/linked-identities")
    assert 'href="/account/linked-identities" aria-current="page"' in page
    assert "Chưa có tài khoản định danh nào được liên kết." in page
    assert 'id="no-password"' not in page  # this citizen has a password


def test_links_are_listed_with_their_label_and_times(app, outbox, citizen, vneid):
    add_upstream(app, "bank", BANK, active=False)
    first = add_link(app, citizen["id"], "vneid", created_at=LINKED_AT, last_used_at=USED_AT)
    second = add_link(app, citizen["id"], "bank", created_at=USED_AT)
    account = signed_in_browser(app, outbox, citizen)

    page = account.text("/account/linked-identities")
    sections = re.findall(r'<section class="linked-identity" id="link-(\d+)"', page)
    assert sections == [str(first), str(second)]  # oldest first
    vneid_part = page.split(f'id="link-{first}"')[1].split("</section>")[0]
    assert f">{VNEID}</h2>" in vneid_part
    assert "<dt>Liên kết lúc</dt><dd>08:02 04/03/2026</dd>" in vneid_part
    assert "<dt>Dùng gần nhất</dt><dd>13:07 05/04/2026</dd>" in vneid_part
    assert f'name="link_id" value="{first}"' in vneid_part and "Hủy liên kết</button>" in vneid_part
    bank_part = page.split(f'id="link-{second}"')[1].split("</section>")[0]
    assert f">{BANK}</h2>" in bank_part
    assert "<dt>Dùng gần nhất</dt><dd>Chưa dùng</dd>" in bank_part
    assert "Tạm thời không dùng được để đăng nhập" in bank_part  # its upstream is suspended
    assert_sound_markup(page)


def assert_sound_markup(page: str) -> None:
    """Ids are unique and every aria-describedby / aria-labelledby names one of them."""
    from tests.http.test_form_errors_markup import Elements

    elements = Elements(page)
    ids = elements.ids()
    assert len(ids) == len(set(ids)), ids
    for _, attrs in elements.tags:
        for name in ("aria-describedby", "aria-labelledby"):
            for target in (attrs.get(name) or "").split():
                assert target in ids, (name, target)


def test_unlinking_removes_the_link_says_so_and_is_in_the_history(app, outbox, citizen, vneid):
    link_id = add_link(app, citizen["id"])
    account = signed_in_browser(app, outbox, citizen)

    resp = unlink(account, link_id)
    assert resp.status_code == 302 and resp.location == "/account/linked-identities"
    assert link_ids(app, citizen["id"]) == []
    page = account.text(resp.location)
    assert 'data-code="upstream_unlinked"' in page and "Đã hủy liên kết" in page
    assert "Chưa có tài khoản định danh nào được liên kết." in page
    assert 'data-code="upstream_unlinked"' not in account.text(resp.location)  # once
    assert "upstream.unlinked" in audit_events(app, citizen["id"])
    history = account.text("/account/history")
    assert events_on(history)[0] == "upstream.unlinked"
    assert f"<strong>Hủy liên kết tài khoản {VNEID}</strong>" in history


def test_the_only_way_into_an_account_without_password_is_not_unlinked(app, outbox, vneid):
    owner = passwordless_citizen(app)
    link_id = add_link(app, owner["id"])
    account = federated_browser(app, outbox, owner["id"])

    page = account.text("/account/linked-identities")
    assert 'id="no-password"' in page and 'href="/account/password"' in page
    resp = unlink(account, link_id)
    assert resp.status_code == 409
    refused = resp.get_data(as_text=True)
    assert LAST_WAY_IN_TEXT in refused and 'data-code="upstream.last_way_in"' in refused
    assert 'role="alert"' in refused and "<title>Lỗi: " in refused
    assert_sound_markup(refused)
    assert link_ids(app, owner["id"]) == [link_id]
    assert "upstream.unlinked" not in audit_events(app, owner["id"])


def test_without_password_one_of_two_active_links_may_go(app, outbox, vneid):
    add_upstream(app, "bank", BANK)
    owner = passwordless_citizen(app)
    first = add_link(app, owner["id"], "vneid")
    second = add_link(app, owner["id"], "bank")
    account = federated_browser(app, outbox, owner["id"])

    assert unlink(account, first).status_code == 302
    assert link_ids(app, owner["id"]) == [second]
    resp = unlink(account, second)  # now the last one
    assert resp.status_code == 409 and LAST_WAY_IN_TEXT in resp.get_data(as_text=True)
    assert link_ids(app, owner["id"]) == [second]


def test_a_link_at_a_suspended_upstream_is_no_way_in(app, outbox, vneid):
    add_upstream(app, "bank", BANK, active=False)
    owner = passwordless_citizen(app)
    usable = add_link(app, owner["id"], "vneid")
    add_link(app, owner["id"], "bank")
    account = federated_browser(app, outbox, owner["id"])

    resp = unlink(account, usable)
    assert resp.status_code == 409 and LAST_WAY_IN_TEXT in resp.get_data(as_text=True)
    assert usable in link_ids(app, owner["id"])


@pytest.mark.parametrize("raw", ["abc", "", "-1", "1.0", "１", "9" * 30])
def test_a_malformed_link_id_is_not_found(app, outbox, citizen, vneid, raw):
    link_id = add_link(app, citizen["id"])
    account = signed_in_browser(app, outbox, citizen)
    resp = unlink(account, raw)
    assert resp.status_code == 404
    assert "Không tìm thấy liên kết này." in resp.get_data(as_text=True)
    assert link_ids(app, citizen["id"]) == [link_id]


def test_another_citizens_link_is_refused_and_kept(app, outbox, citizen, vneid):
    owner = passwordless_citizen(app)
    add_upstream(app, "bank", BANK)
    theirs = add_link(app, owner["id"], "vneid")
    add_link(app, owner["id"], "bank")  # so that unlinking would be allowed for the owner
    account = signed_in_browser(app, outbox, citizen)

    resp = unlink(account, theirs)
    assert resp.status_code == 404
    page = resp.get_data(as_text=True)
    assert "Không tìm thấy liên kết này." in page and 'data-code="upstream.link_not_found"' in page
    assert theirs in link_ids(app, owner["id"])
    assert "upstream.unlinked" not in audit_events(app, owner["id"])


def test_an_unlink_without_csrf_token_is_refused(app, outbox, citizen, vneid):
    link_id = add_link(app, citizen["id"])
    account = signed_in_browser(app, outbox, citizen)
    resp = account.http.post("/account/linked-identities/unlink", data={"link_id": link_id})
    assert resp.status_code == 400
    wrong = account.http.post(
        "/account/linked-identities/unlink", data={"link_id": link_id, "csrf_token": "forged"}
    )
    assert wrong.status_code == 400
    assert link_ids(app, citizen["id"]) == [link_id]
    assert csrf_of(account.text("/account/linked-identities"))  # the real form carries one


def test_an_unlink_without_login_changes_nothing(app, outbox, citizen, vneid):
    link_id = add_link(app, citizen["id"])
    browser = AccountBrowser(app, outbox)
    page = browser.text(browser.get("/login").location)  # a form, for a CSRF token
    resp = browser.post_form("/account/linked-identities/unlink", page, {"link_id": link_id})
    assert resp.status_code == 302 and resp.location.startswith("/login?flow=")
    assert link_ids(app, citizen["id"]) == [link_id]


def test_history_names_the_upstream_of_sign_ins_and_links(app, outbox, citizen, vneid):
    record(app, "upstream.linked", citizen["id"], upstream="vneid", how="proof")
    record(app, "login.success", citizen["id"], upstream="vneid", acr="LoA2", amr=["fed"])
    record(app, "login.success", citizen["id"], upstream="da-xoa", acr="LoA2")  # removed since
    account = signed_in_browser(app, outbox, citizen)

    page = account.text("/account/history")
    assert events_on(page)[:5] == [
        "login.success",  # this browser's password sign-in
        "otp.sent",
        "login.success",
        "login.success",
        "upstream.linked",
    ]
    labels = re.findall(r'<li data-event="[^"]+">\s*<strong>(.*?)</strong>', page)
    assert labels[:5] == [
        "Đăng nhập thành công",
        "Gửi mã OTP qua SMS",
        "Đăng nhập bằng da-xoa",
        f"Đăng nhập bằng {VNEID}",
        f"Liên kết tài khoản {VNEID}",
    ]


def test_an_upstream_label_is_escaped_in_the_history(app, outbox, citizen):
    add_upstream(app, "lab", "<b>Nhãn & thử</b>")
    record(app, "login.success", citizen["id"], upstream="lab", acr="LoA2")
    account = signed_in_browser(app, outbox, citizen)
    page = account.text("/account/history")
    assert "Đăng nhập bằng &lt;b&gt;Nhãn &amp; thử&lt;/b&gt;" in page
    assert "<b>Nhãn" not in page

"""The operators' console in Chromium: first sign-in with QR enrolment, approving a
dynamically registered client, and resolving an ownership complaint."""

from __future__ import annotations

import re

import pyotp
import requests
from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.steps import fits_phone
from tests.conftest import CITIZEN


def create_operator(provider, name: str, enrolled: bool) -> dict:
    from idp.console.models import Operator
    from idp.console.operators import create_operator
    from idp.extensions import db

    with provider.app.app_context():
        operator, password, uri = create_operator(name, "operator", actor="test")
        if enrolled:
            db.session.get(Operator, operator.id).totp_confirmed = True
            db.session.commit()
    return {"name": name, "password": password, "totp": pyotp.parse_uri(uri)}


def sign_in_with_password(page, provider, operator: dict) -> None:
    page.goto(f"{provider.url}/console/")
    expect(page.get_by_role("heading", name="Đăng nhập quản trị")).to_be_visible()
    page.get_by_label("Tên đăng nhập").fill(operator["name"])
    page.get_by_label("Mật khẩu").fill(operator["password"])
    page.get_by_role("button", name="Tiếp tục").click()


def test_first_sign_in_then_approve_a_registered_client(page, provider_factory):
    provider = provider_factory(CLIENT_APPROVAL_REQUIRED=True)
    from idp.oidc.registration_tokens import issue_token

    with provider.app.app_context():
        token = issue_token("test")[0]
    registered = requests.post(
        f"{provider.url}/oauth2/register",
        json={
            "client_name": "Sở Giáo dục và Đào tạo",
            "redirect_uris": ["https://sgd.example.vn/cb"],
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]

    operator = create_operator(provider, "nguyen.van.hanh", enrolled=False)
    sign_in_with_password(page, provider, operator)
    expect(page.get_by_role("heading", name="Cài đặt ứng dụng xác thực")).to_be_visible()
    qr = page.get_by_role("img", name="Mã QR cài đặt ứng dụng xác thực")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the data: URI rendered under the CSP
    assert fits_phone(page)
    shoot(page, "console-enrol")
    page.get_by_label("Mã xác thực").fill(operator["totp"].now())
    page.get_by_role("button", name="Xác nhận").click()

    expect(page.get_by_role("heading", name="Trang quản trị")).to_be_visible()
    page.get_by_role("link", name="Ứng dụng", exact=True).click()
    row = page.locator(f'tr[data-client-id="{client_id}"]')
    expect(row).to_contain_text("Chờ duyệt")
    assert fits_phone(page)
    shoot(page, "console-clients")
    row.get_by_role("link", name="Sở Giáo dục và Đào tạo").click()
    expect(page.locator("#client-status")).to_have_text("Chờ duyệt")
    page.get_by_role("button", name="Duyệt ứng dụng").click()

    expect(page.get_by_role("status")).to_contain_text("Đã duyệt ứng dụng")
    expect(page.locator("#client-status")).to_have_text("Đang hoạt động")
    assert fits_phone(page)
    shoot(page, "console-client-approved")


def test_resolve_a_complaint_by_locking_the_disputed_account(page, provider):
    from idp.complaints.evidence import EvidenceFile
    from idp.complaints.filing import ComplaintForm, file_complaint

    holder = provider.create_citizen(**CITIZEN)
    form = ComplaintForm(
        id_number=CITIZEN["id_number"],
        full_name="Nguyễn Văn An",
        phone="+84987654321",
        email="an.nguyen@example.vn",
        description="Số CCCD của tôi đã bị người khác dùng để đăng ký tài khoản.",
    )
    png = EvidenceFile("cccd-mat-truoc.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    with provider.app.app_context():
        reference = file_complaint(form, [png]).reference

    operator = create_operator(provider, "tran.thi.xu.ly", enrolled=True)
    sign_in_with_password(page, provider, operator)
    expect(page.get_by_role("heading", name="Mã xác thực")).to_be_visible()
    page.get_by_label("Mã xác thực").fill(operator["totp"].now())
    page.get_by_role("button", name="Xác nhận").click()

    page.get_by_role("link", name="Khiếu nại", exact=True).click()
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=f"Khiếu nại {reference}")).to_be_visible()
    expect(page.get_by_role("link", name="cccd-mat-truoc.png")).to_be_visible()
    page.get_by_label("Khóa tài khoản bị khiếu nại").check()
    page.get_by_label("Ghi chú").fill("Đã đối chiếu CCCD bản gốc tại bộ phận một cửa.")
    assert fits_phone(page)
    shoot(page, "console-complaint")
    page.get_by_role("button", name="Xác nhận xử lý").click()

    expect(page.get_by_role("status")).to_contain_text("Đã xử lý khiếu nại")
    expect(page.locator("#complaint-status")).to_have_text("Đã khóa tài khoản")
    expect(page.get_by_text("operator:tran.thi.xu.ly")).to_be_visible()
    assert fits_phone(page)
    shoot(page, "console-complaint-resolved")

    page.get_by_role("link", name="Nhật ký").click()
    page.get_by_label("Sự kiện (bắt đầu bằng)").fill("complaint.resolved")
    page.get_by_role("button", name="Tìm kiếm").click()
    expect(page.locator("#audit-total")).to_contain_text("1 sự kiện")
    expect(page.get_by_role("cell", name="operator:tran.thi.xu.ly")).to_be_visible()
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with provider.app.app_context():
        assert db.session.get(Citizen, holder["id"]).status == "locked"
    assert re.match(r"^KN-\d{4}-\d{6}$", reference)

"""English for the citizen's account pages and the operators' console (``?lang=en``), the
lockout message with its time, and the OTP countdown texts handed to the script.

Besides the labels each test names, every English page is scanned for text with
Vietnamese letters: only data (names, the "Tiếng Việt" switch link) may keep them."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest

from tests.conftest import CITIZEN
from tests.http.driver import Browser
from tests.http.registration_driver import import_registry
from tests.http.test_account_history import record
from tests.http.test_account_profile import AccountBrowser
from tests.http.test_console import Console, make_operator
from tests.http.test_console_actions import confidential_client, file_complaint
from tests.http.test_i18n import html_lang

ROOT = Path(__file__).resolve().parents[2]
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)
# Letters with diacritics (Latin-1 supplement, Latin extended, Vietnamese block).
VIETNAMESE_LETTER = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1ea0-\u1ef9]")
# Never translated: the link to the other language and its label.
ALWAYS_ALLOWED = ("Tiếng Việt", "Ngôn ngữ / Language")
SHOWN_ATTRIBUTES = {"alt", "placeholder", "aria-label", "title"}
SCRIPT_TEXT_ATTRIBUTES = {"data-countdown", "data-expired", "data-wait-text"}


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and name in SHOWN_ATTRIBUTES | SCRIPT_TEXT_ATTRIBUTES:
                self.texts.append(value)

    def handle_data(self, data):
        if data.strip():
            self.texts.append(data.strip())


def vietnamese_leftovers(page: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Texts a reader sees (text, alt, placeholder, aria-label, script texts) that still
    have Vietnamese letters once the ``allowed`` data values are taken out."""
    parser = _Texts()
    parser.feed(page)
    left = []
    for text in parser.texts:
        for value in (*ALWAYS_ALLOWED, *allowed):
            text = text.replace(value, "")
        if VIETNAMESE_LETTER.search(text):
            left.append(text)
    return left


def assert_english(page: str, english: list[str], vietnamese: list[str], allowed=()) -> None:
    assert html_lang(page) == "en", page[:300]
    for label in english:
        assert label in page, label
    for label in vietnamese:
        assert label not in page, label
    assert ">Tiếng Việt</a>" in page, "the footer's language switch is missing"
    assert vietnamese_leftovers(page, allowed) == []


# --- the citizen's account ----------------------------------------------------------------


def english_account(app, outbox, citizen) -> AccountBrowser:
    browser = AccountBrowser(app, outbox)
    browser.http.environ_base["HTTP_USER_AGENT"] = CHROME_ON_WINDOWS
    resp = browser.sign_in(citizen)
    assert resp.status_code == 302 and resp.location == "/account"
    assert html_lang(browser.text("/account?lang=en")) == "en"
    return browser


@pytest.fixture
def account(app, outbox, citizen) -> AccountBrowser:
    return english_account(app, outbox, citizen)


ACCOUNT_PAGES = {
    "/account": (
        [
            "<h1>My account</h1>",
            "<dt>Full name</dt>",
            "<dt>Date of birth</dt>",
            "<dt>Gender</dt><dd>Male</dd>",
            "<dt>ID number (CMND/CCCD)</dt>",
            "<dt>Two-step verification</dt><dd>One-time code (OTP) by SMS</dd>",
            "<dt>Email</dt><dd>None</dd>",
            "Email address",
            'placeholder="name@example.vn"',
            "Leave it empty and press “Update email” to remove the saved address.",
            ">Update email</button>",
            ">Change password</a>",
            ">Change phone number</a>",
            ">Connected agencies</a>",
            ">Sign-in sessions</a>",
            ">Sign-in history</a>",
            ">Authenticator app</a>",
            "<title>My account - National Public Service Portal</title>",
        ],
        ["Tài khoản của tôi", "Họ và tên", "Xác thực hai bước", "Cập nhật thư điện tử", "Chưa có"],
    ),
    "/account/agencies": (
        [
            "<h1>Connected agencies</h1>",
            "The agencies and organisations that have received your information",
            "No agency has received your information yet.",
        ],
        ["Cơ quan đã kết nối", "Chưa có cơ quan nào nhận thông tin của bạn."],
    ),
    "/account/sessions": (
        [
            "<h1>Sign-in sessions</h1>",
            "Chrome on Windows",
            '<span class="muted">(this device)</span>',
            "<dt>Location</dt><dd>Local network",
            "<dt>Signed in at</dt>",
            "<dt>Verification method</dt><dd>One-time code (OTP) by SMS</dd>",
            ">Sign out</button>",
            ">Sign out on all devices</button>",
        ],
        ["Phiên đăng nhập", "thiết bị này", "Chrome trên Windows", "Mạng nội bộ", "Cách xác thực"],
    ),
    "/account/history": (
        [
            "<h1>Sign-in history</h1>",
            "<strong>Signed in</strong>",
            "<strong>One-time code (OTP) sent by SMS</strong>",
            "<strong>Account created</strong>",
            "Chrome on Windows",
            "Page 1/1",
            'aria-label="Pages"',
        ],
        ["Lịch sử đăng nhập", "Đăng nhập thành công", "Gửi mã OTP qua SMS", "Trang 1/1"],
    ),
    "/account/authenticator": (
        [
            "<h1>Authenticator app</h1>",
            "Use an authenticator app on your phone",
            ">Set up authenticator app</button>",
        ],
        ["Cài đặt ứng dụng xác thực", "Dùng ứng dụng xác thực trên điện thoại"],
    ),
    "/account/password": (
        [
            "<h1>Change password</h1>",
            "The new password has at least 8 characters",
            "Current password",
            '<span id="password-label">New password</span>',
            '<span id="password_confirm-label">Repeat new password</span>',
            ">Change password</button>",
        ],
        ["Đổi mật khẩu", "Mật khẩu hiện tại", "Nhập lại mật khẩu mới"],
    ),
    "/account/phone": (
        [
            "<h1>Change phone number</h1>",
            "The new number must be a mobile subscription registered in your own name",
            "New mobile phone number",
            ">Continue</button>",
            ">I no longer use my old phone number</a>",
        ],
        ["Đổi số điện thoại", "Số điện thoại di động mới", "Tôi không còn dùng số điện thoại cũ"],
    ),
    "/account/phone/lost": (
        [
            "<h1>Change phone number after losing the old one</h1>",
            "goes to the support team for review",
            "Reason for the change",
            ">Send request</button>",
        ],
        ["Đổi số điện thoại khi mất số cũ", "Lý do đổi số", "Gửi yêu cầu"],
    ),
}


@pytest.mark.parametrize("url", list(ACCOUNT_PAGES))
def test_account_page_in_english(account, citizen, url):
    english, vietnamese = ACCOUNT_PAGES[url]
    assert_english(account.text(url), english, vietnamese, (citizen["full_name"],))


def test_account_pages_stay_vietnamese_by_default(app, outbox, citizen):
    browser = AccountBrowser(app, outbox)
    browser.sign_in(citizen)
    page = browser.text("/account")
    assert html_lang(page) == "vi"
    assert "<h1>Tài khoản của tôi</h1>" in page and "<dt>Xác thực hai bước</dt>" in page
    assert ">English</a>" in page
    sessions = browser.text("/account/sessions")
    assert "Trình duyệt không xác định" in sessions and "(thiết bị này)" in sessions


def test_account_notices_and_problems_in_english(account):
    resp = account.submit("/account", "/account/email", {"email": "an.nguyen@vidu.vn"})
    assert resp.status_code == 302
    page = account.text(resp.location)
    assert "Your email address has been updated." in page
    assert "Đã cập nhật thư điện tử." not in page
    resp = account.submit(
        "/account/password",
        "/account/password",
        {"current_password": "", "password": "x", "password_confirm": "x"},
    )
    assert resp.status_code == 400
    assert "Please enter your current password." in resp.get_data(as_text=True)


def test_authenticator_setup_and_recovery_codes_in_english(account, citizen):
    resp = account.submit("/account/authenticator", "/account/authenticator/setup", {})
    assert resp.status_code == 302
    page = account.text("/account/authenticator")
    assert_english(
        page,
        [
            "Scan the QR code with an authenticator app",
            'alt="QR code to set up the authenticator app"',
            'Cannot scan it? Enter the key by hand: <code id="totp-secret">',
            "Verification code",
            ">Confirm</button>",
        ],
        ["Quét mã QR", "Không quét được?", "Mã xác thực"],
        (citizen["full_name"],),
    )
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    resp = account.submit(
        "/account/authenticator",
        "/account/authenticator/confirm",
        {"otp": pyotp.TOTP(secret).now()},
    )
    assert resp.status_code == 303  # to the page that shows the codes once
    codes = account.text(resp.location)
    assert_english(
        codes,
        [
            "<h1>Recovery code</h1>",
            "The authenticator app is set up.",
            "Write down or print the 10 codes below",
            "These codes are shown only <strong>once</strong>.",
            ">I have saved the codes</a>",
        ],
        ["Mã khôi phục", "Hãy ghi lại", "Tôi đã lưu các mã"],
    )
    page = account.text("/account/authenticator")
    assert_english(
        page,
        [
            "Set up since ",
            "you can choose “Authenticator app” instead of a one-time code (OTP) by SMS.",
            'Recovery codes left: <strong id="codes-left">10</strong>/10.',
            "<h2>Create new recovery codes</h2>",
            "<h2>Turn off authenticator app</h2>",
            "Current password",
        ],
        ["Đã cài đặt từ", "Mã khôi phục còn lại", "Tắt ứng dụng xác thực"],
    )
    profile = account.text("/account")
    assert "One-time code (OTP) by SMS and authenticator app" in profile


def test_phone_change_code_page_and_countdown_texts_in_english(app, outbox, citizen):
    import_registry(app, ("0987 654 321", CITIZEN["id_number"]))
    account = english_account(app, outbox, citizen)
    resp = account.submit("/account/phone", "/account/phone", {"phone": "0987 654 321"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    page = account.text(resp.location)
    assert_english(
        page,
        [
            "<h1>Confirm your old phone number</h1>",
            'data-countdown="{minutes} min {seconds} s"',
            'data-expired="The one-time code (OTP) has expired. Please press “Resend OTP”."',
            'data-wait-text="(in {seconds} seconds)"',
            "Resend OTP",
        ],
        ["Xác nhận số điện thoại cũ", "giây", "phút"],
    )


def test_countdown_texts_come_from_the_page_in_vietnamese_too(app, outbox, citizen):
    import_registry(app, ("0987 654 321", CITIZEN["id_number"]))
    browser = AccountBrowser(app, outbox)
    browser.sign_in(citizen)
    resp = browser.submit("/account/phone", "/account/phone", {"phone": "0987 654 321"})
    page = browser.text(resp.location)
    assert html_lang(page) == "vi"
    assert "<h1>Xác nhận số điện thoại cũ</h1>" in page
    assert 'data-countdown="{minutes} phút {seconds} giây"' in page
    assert 'data-wait-text="(sau {seconds} giây)"' in page
    assert 'data-expired="Mã OTP đã hết hạn. Vui lòng nhấn “Gửi lại OTP”."' in page


def test_scripts_carry_no_vietnamese_text():
    scripts = sorted((ROOT / "static").rglob("*.js"))
    assert scripts
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        assert not VIETNAMESE_LETTER.search(text), script.name
    otp = (ROOT / "static" / "js" / "otp.js").read_text(encoding="utf-8")
    for attribute in SCRIPT_TEXT_ATTRIBUTES:
        assert f'"{attribute}"' in otp, attribute


def test_signed_out_page_in_english(account):
    resp = account.submit("/account/sessions", "/account/sessions/end-all", {})
    assert resp.status_code == 303
    assert_english(
        account.text(resp.location),
        [
            "<title>Signed out - National Public Service Portal</title>",
            "<h1>Signed out</h1>",
            "You have signed out on all devices (sign-in sessions ended: 1).",
            ">Sign in again</a>",
            ">Home</a>",
        ],
        ["Đã đăng xuất", "Bạn đã đăng xuất", "Đăng nhập lại"],
    )


# --- lockout and history ----------------------------------------------------------------

UNDER_LOCK_EN = (
    "If the user name and password are right, a one-time code (OTP) has been sent to the "
    "account's registered phone number."
)
UNDER_LOCK_VI = (
    "Nếu tên đăng nhập và mật khẩu đúng, mã OTP đã được gửi đến số điện thoại đã đăng ký "
    "của tài khoản."
)


def lock_out(browser: Browser, oidc_client, citizen, lang: str):
    """Lock the user name (LOCKOUT_THRESHOLD wrong passwords), then give the right one:
    the OTP step under the lock."""
    password_url = browser.start_login(browser.authorize_url(oidc_client["client_id"])[0])
    browser.get(f"{password_url}&lang={lang}")
    for _ in range(10):
        browser.submit_password(password_url, citizen["id_number"], "saimatkhau1")
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    assert resp.status_code == 302
    return browser.get(resp.location)


def test_otp_step_under_the_lock_in_english(app, outbox, citizen, oidc_client):
    page = lock_out(Browser(app, outbox), oidc_client, citizen, "en").get_data(as_text=True)
    assert UNDER_LOCK_EN in page, page[page.find("<h1") :][:600]
    assert "Nếu tên đăng nhập" not in page


def test_otp_step_under_the_lock_in_vietnamese_keeps_its_wording(app, outbox, citizen, oidc_client):
    page = lock_out(Browser(app, outbox), oidc_client, citizen, "vi").get_data(as_text=True)
    assert UNDER_LOCK_VI in page


def test_too_many_wrong_current_passwords_in_english(account):
    for _ in range(10):
        page = account.submit(
            "/account/password",
            "/account/password",
            {"current_password": "saimatkhau1", "password": "x", "password_confirm": "x"},
        ).get_data(as_text=True)
    resp = account.submit(
        "/account/password",
        "/account/password",
        {"current_password": "saimatkhau1", "password": "x", "password_confirm": "x"},
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert re.search(
        r"You entered a wrong current password too many times\. "
        r"Please try again in \d+ minutes\.",
        page,
    ), page[page.find('role="alert"') - 50 :][:400]


def test_history_in_english(app, outbox, citizen, oidc_client):
    record(app, "login.failed", citizen["id"])
    record(app, "login.lockout", citizen["id"])
    record(app, "login.refused_locked_out", citizen["id"])
    record(app, "consent.revoked", citizen["id"], client_id=oidc_client["client_id"])
    account = english_account(app, outbox, citizen)
    page = account.text("/account/history")
    assert_english(
        page,
        [
            "<strong>Sign-in failed (wrong password)</strong>",
            "<strong>Account temporarily locked after too many wrong passwords</strong>",
            "<strong>Sign-in refused (account temporarily locked)</strong>",
            "<strong>Agency access revoked</strong> – Cổng DVC thử nghiệm",
            "<strong>Signed in</strong>",
        ],
        [
            "Đăng nhập thất bại",
            "Tài khoản bị tạm khóa do nhập sai mật khẩu nhiều lần",
            "Thu hồi quyền truy cập của cơ quan",
        ],
        ("Cổng DVC thử nghiệm",),
    )


# --- the operators' console ---------------------------------------------------------------


@pytest.fixture
def console(app) -> Console:
    console = Console(app)
    assert console.sign_in(make_operator(app)).status_code == 302
    assert html_lang(console.page("/console/?lang=en")) == "en"
    return console


CONSOLE_NAV = [
    ">Applications</a>",
    ">Registration tokens</a>",
    ">Complaints</a>",
    ">Citizen</a>",
    ">Audit log</a>",
    ">Signing keys</a>",
    "van.hanh · Operator",
    ">Sign out</button>",
]


def test_console_sign_in_pages_in_english(app):
    operator = make_operator(app, enrolled=False)
    console = Console(app)
    page = console.page("/console/login?lang=en")
    assert_english(
        page,
        [
            "<title>Console sign-in - National Public Service Portal</title>",
            "<h1>Console sign-in</h1>",
            "User name",
            "Password",
            ">Continue</button>",
        ],
        ["Đăng nhập quản trị", "Tên đăng nhập", "Mật khẩu", "Tiếp tục"],
    )
    wrong = console.submit_password(operator["name"], "not-the-password")
    assert wrong.status_code == 400
    assert "Wrong user name or password." in wrong.get_data(as_text=True)
    resp = console.submit_password(operator["name"], operator["password"])
    assert resp.status_code == 302 and "/console/login/enrol" in resp.location
    assert_english(
        console.page(resp.location),
        [
            "<h1>Set up authenticator app</h1>",
            "First sign-in: scan the QR code",
            'alt="QR code to set up the authenticator app"',
            "Cannot scan it? Enter the key by hand:",
            "Verification code",
            ">Confirm</button>",
        ],
        ["Cài đặt ứng dụng xác thực", "Lần đăng nhập đầu tiên", "Mã xác thực"],
    )


def test_console_code_page_in_english(app):
    operator = make_operator(app)
    console = Console(app)
    console.page("/console/login?lang=en")
    resp = console.submit_password(operator["name"], operator["password"])
    assert_english(
        console.page(resp.location),
        [
            "<h1>Verification code</h1>",
            "Enter the 6-digit code shown in your authenticator app.",
            ">Sign in again</a>",
        ],
        ["Mã xác thực", "Nhập mã 6 chữ số", "Đăng nhập lại"],
    )


def test_console_pages_in_english(app, console, citizen):
    client = confidential_client(app, status="pending")
    reference = file_complaint(app, citizen["id_number"])
    assert console.post("/console/registration-tokens", expires_in="86400").status_code == 303
    pages = {
        "/console/": (
            [
                "<h1>Operators’ console</h1>",
                "<dt>Applications awaiting approval</dt>",
                "<dt>Open complaints</dt>",
            ],
            ["Trang quản trị", "Ứng dụng chờ duyệt", "Khiếu nại chờ xử lý"],
            (),
        ),
        "/console/clients": (
            [
                "<h1>Applications (clients)</h1>",
                ">All</a>",
                ">Awaiting approval</a>",
                "<th>Name</th>",
                "<th>Status</th>",
                "<th>Registered at</th>",
            ],
            ["Ứng dụng (client)", "Tất cả", "Chờ duyệt", "Đăng ký lúc"],
            ("Sở Y tế",),
        ),
        f"/console/clients/{client['client_id']}": (
            [
                '<dd id="client-status">Awaiting approval</dd>',
                "<dt>Authentication</dt><dd>client_secret_basic (secret, HTTP Basic)</dd>",
                "<dt>Scope</dt>",
                "<dt>ID token signing</dt>",
                "<dt>Dynamically registered</dt><dd>No</dd>",
                ">Approve application</button>",
                ">Suspend application</button>",
                ">Reissue client secret</button>",
                "← Application list",
            ],
            ["Trạng thái", "Duyệt ứng dụng", "Cấp lại client secret", "Danh sách ứng dụng"],
            ("Sở Y tế",),
        ),
        "/console/registration-tokens": (
            [
                "<h1>Application registration tokens</h1>",
                "An initial access token lets an agency register its own application",
                "Lifetime",
                '<option value="86400" selected>1 day</option>',
                ">Issue registration token</button>",
                "<h2>Recently issued tokens</h2>",
                "<th>Issued by</th>",
                "<th>Expires</th>",
                "<td>Not used</td>",
            ],
            ["Mã đăng ký ứng dụng", "Thời hạn", "1 ngày", "Chưa dùng", "Hết hạn"],
            (),
        ),
        "/console/complaints": (
            [
                "<h1>Complaints</h1>",
                ">Open</a>",
                "<th>Complainant</th>",
                "<th>Filed at</th>",
                "<td>Open</td>",
            ],
            ["Khiếu nại", "Chờ xử lý", "Người khiếu nại"],
            ("Trần Thị Bình",),
        ),
        f"/console/complaints/{reference}": (
            [
                f"<h1>Complaint {reference}</h1>",
                '<dd id="complaint-status">Open</dd>',
                '<dd id="complaint-kind">Account dispute</dd>',
                "<dt>Evidence</dt>",
                "<h2>Resolve the complaint</h2>",
                "<legend>Resolution</legend>",
                "Reject the complaint",
                "Lock the disputed account",
                ">Confirm resolution</button>",
                "← Complaint list",
            ],
            ["Khiếu nại ", "Tranh chấp tài khoản", "Bác bỏ khiếu nại", "Xác nhận xử lý"],
            (
                "Trần Thị Bình",
                "Tôi chưa từng đăng ký tài khoản này nhưng số CCCD của tôi đã bị dùng.",
            ),
        ),
        f"/console/citizens?q={citizen['id_number']}": (
            [
                "<h1>Citizen accounts</h1>",
                "<dt>Account code</dt>",
                '<dd id="citizen-status">Active</dd>',
                ">See this account’s events</a>",
                "Reason for locking",
                ">Lock account</button>",
            ],
            ["Tài khoản công dân", "Mã tài khoản", "Đang hoạt động", "Khóa tài khoản"],
            (citizen["full_name"],),
        ),
        "/console/keys": (
            [
                "<h1>Signing keys (JWKS)</h1>",
                "<th>Algorithm</th>",
                "<th>Signs from</th>",
                "<th>Published until</th>",
                "<td>Signing</td>",
                ">Rotate signing keys</button>",
            ],
            ["Khóa ký", "Thuật toán", "Đang ký", "Xoay vòng khóa ký"],
            (),
        ),
    }
    for url, (english, vietnamese, allowed) in pages.items():
        assert_english(console.page(url), english + CONSOLE_NAV, vietnamese, allowed)


def test_console_audit_trail_in_english(console, citizen):
    page = console.page(f"/console/audit?citizen={citizen['id']}")
    assert_english(
        page,
        [
            "<h1>System audit log</h1>",
            "Event (starts with)",
            "Citizen (ID number (CMND/CCCD) or account code)",
            ">From</label>",
            ">To</label>",
            ">Search</button>",
            "<th>Time</th>",
            "<th>Actor</th>",
            "<th>Details</th>",
        ],
        ["Nhật ký hệ thống", "Sự kiện", "Từ ngày", "Tìm kiếm"],
    )
    assert re.search(r'<p class="muted" id="audit-total">Events: \d+ · page 1/1</p>', page)
    too_long = console.page("/console/audit?event=" + "x" * 65, status=400)
    assert "Each filter is at most 64 characters long." in too_long


def test_console_notices_in_english(app, console, citizen):
    resp = console.post(f"/console/citizens/{citizen['id']}/lock", reason="test")
    assert resp.status_code == 302
    page = console.page(resp.location)
    assert "Account locked; every sign-in session of the citizen has ended." in page
    assert '<dd id="citizen-status">Locked</dd>' in page and ">Unlock account</button>" in page
    resp = console.post(f"/console/citizens/{citizen['id']}/unlock")
    assert "Account unlocked." in console.page(resp.location)


def test_console_notice_with_a_number_in_english(app_factory, keys_dir, tmp_path):
    own_keys = tmp_path / "keys"
    shutil.copytree(keys_dir, own_keys)
    app = app_factory(IDP_KEYS_DIR=str(own_keys))
    console = Console(app)
    assert console.sign_in(make_operator(app)).status_code == 302
    console.page("/console/keys?lang=en")
    resp = console.post("/console/keys/rotate")
    assert resp.status_code == 302
    page = console.page(resp.location)
    assert "New signing keys added: 2; they start signing after the lead time." in page
    assert "<td>Upcoming</td>" in page and "Đã thêm" not in page


def test_console_stays_vietnamese_by_default_with_a_switch(app):
    page = Console(app).page("/console/login")
    assert html_lang(page) == "vi"
    assert "<h1>Đăng nhập quản trị</h1>" in page
    link = re.search(r'<a href="([^"]+)" lang="en" hreflang="en">English</a>', page)
    assert link and urlsplit(link.group(1).replace("&amp;", "&")).path == "/console/login"

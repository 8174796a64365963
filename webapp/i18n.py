"""Page language: Vietnamese by default, English on request (Flask-Babel).

The language comes from, in order: ``?lang=vi|en`` on any page (remembered in the
session), the authorization request's ``ui_locales`` (remembered when a login starts,
see ``remember_locale``), else Vietnamese. Accept-Language is deliberately ignored:
Vietnamese is the default for everyone, whatever the browser says.

Vietnamese strings are the msgids; ``translations/en`` holds the English catalog.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations, gettext
from jinja2.ext import (  # the wrappers Jinja's i18n extension installs (newstyle)
    _make_new_gettext,
    _make_new_ngettext,
    _make_new_npgettext,
    _make_new_pgettext,
)

from webapp import ROOT

DEFAULT_LOCALE = "vi"
SUPPORTED_LOCALES = ("vi", "en")
LANGUAGE_PARAMETER = "lang"
TRANSLATIONS_DIR = ROOT / "translations"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PLACEHOLDER_CACHE: dict[str, list[tuple[re.Pattern[str], str]]] = {}


def N_(message: str) -> str:
    """Mark a message for extraction without translating it (``pybabel -k N_``)."""
    return message


# Messages other modules choose at runtime and templates translate with ``_(value)``;
# listed here so extraction finds them (Problem messages are found by ``-k Problem:2``).
RUNTIME_MESSAGES = (
    N_("Công dân"),
    N_("Thuê bao di động"),
    N_("Xác thực OTP"),
    N_("Xác thực số điện thoại"),
    N_("Quên mật khẩu"),
    N_("Mã OTP mới đã được gửi."),
    N_("Mã định danh tài khoản của bạn dành riêng cho cơ quan này"),
    N_("Họ và tên"),
    N_("Ngày sinh"),
    N_("Giới tính"),
    N_("Số điện thoại"),
    N_("Thư điện tử (email)"),
    N_("Số định danh cá nhân (số CMND/CCCD)"),
    N_("Duy trì quyền truy cập cả khi bạn không trực tuyến"),
    N_("Bạn đã đăng xuất khỏi cổng dịch vụ công tỉnh và Cổng Dịch vụ công Quốc gia."),
    N_("Mật khẩu + OTP qua SMS"),
    N_("Mật khẩu + OTP từ ứng dụng xác thực"),
    N_("Mật khẩu"),
    N_("Mức độ đảm bảo {acr}"),
    N_("Tài khoản định danh điện tử (mức độ đảm bảo {acr})"),
    N_(
        "Để liên kết tài khoản {label} với tài khoản Cổng Dịch vụ công Quốc gia có cùng số "
        "định danh, vui lòng đăng nhập một lần bằng mật khẩu và mã OTP."
    ),
    N_("Không xác định"),
    N_("Yêu cầu không hợp lệ."),
    N_("Không tìm thấy trang bạn yêu cầu."),
    N_("Phương thức không được hỗ trợ cho địa chỉ này."),
    N_("Dữ liệu gửi lên quá lớn."),
    N_("Định dạng dữ liệu không được hỗ trợ."),
    N_("Bạn thao tác quá nhiều lần. Vui lòng thử lại sau ít phút."),
)


def init_app(app: Flask) -> None:
    """Install Flask-Babel, the ``?lang=`` switch and the template helpers on ``app``."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=page_locale)
    app.before_request(_remember_requested_language)
    app.context_processor(_language_context)
    app.add_template_filter(translated)


def page_locale() -> str:
    """The language of this request's pages: the session's choice, else Vietnamese."""
    # Flask-Babel may ask outside a request (CLI); there is no session then.
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in SUPPORTED_LOCALES else DEFAULT_LOCALE


def remember_locale(language: str | None) -> None:
    """Keep ``language`` (``vi``/``en``) for this browser's pages; ignore anything else."""
    if language in SUPPORTED_LOCALES and session.get("lang") != language:
        session["lang"] = language


def _remember_requested_language() -> None:
    remember_locale(request.args.get(LANGUAGE_PARAMETER))


def translated(message: str | None) -> str | None:
    """``message`` (chosen at runtime, e.g. a Problem's) in the page language.

    Unlike the template ``_``, the result is plain text, so Jinja still escapes it.
    """
    if not message:
        return message
    result = gettext(message)
    return result if result != message else _translated_with_values(message)


def _translated_with_values(message: str) -> str:
    # Problems format numbers into their text at runtime ("sau {minutes} phút"), so the
    # message is matched against the catalog's msgids with placeholders instead.
    for pattern, msgstr in _placeholder_messages(str(get_locale())):
        match = pattern.fullmatch(message)
        if match:
            return msgstr.format(**match.groupdict())
    return message


def _placeholder_messages(language: str) -> list[tuple[re.Pattern[str], str]]:
    if language not in _PLACEHOLDER_CACHE:
        catalog = getattr(get_translations(), "_catalog", {})  # gettext's own msgid table
        _PLACEHOLDER_CACHE[language] = [
            (_msgid_pattern(msgid), msgstr)
            for msgid, msgstr in catalog.items()
            if isinstance(msgid, str) and msgstr and PLACEHOLDER.search(msgid)
        ]
    return _PLACEHOLDER_CACHE[language]


def _msgid_pattern(msgid: str) -> re.Pattern[str]:
    pieces = PLACEHOLDER.split(msgid)  # text, name, text, name, ..., text
    parts = [
        f"(?P<{piece}>.+?)" if index % 2 else re.escape(piece) for index, piece in enumerate(pieces)
    ]
    return re.compile("".join(parts), re.S)


def switch_language_url(language: str) -> str:
    """The current page's URL (GET) with ``lang`` set to ``language``."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != LANGUAGE_PARAMETER]
    args.append((LANGUAGE_PARAMETER, language))
    return f"{request.path}?{urlencode(args)}"


def _language_context() -> dict[str, object]:
    # The page's catalog, looked up once per render: Flask-Babel's template callables look
    # it up again for every string (through the request context, the domain, the locale).
    # The same Jinja wrappers as Flask-Babel installs, so pages come out byte for byte alike.
    catalog = get_translations()
    return {
        "page_lang": str(get_locale() or DEFAULT_LOCALE),
        "language_url": switch_language_url,
        "gettext": _make_new_gettext(catalog.ugettext),
        "ngettext": _make_new_ngettext(catalog.ungettext),
        "pgettext": _make_new_pgettext(catalog.upgettext),
        "npgettext": _make_new_npgettext(catalog.unpgettext),
    }

"""Rules for the citizen's phone number: Vietnamese mobile numbers only, stored in E.164.

Parsing and the numbering plan come from ``phonenumbers`` (region VN); the carrier comes
from the prefix table below, so only numbers whose prefix is a known mobile prefix are
accepted.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberType

from idp.errors import DomainError, Problem

FIELD = "phone"
REGION = "VN"
COUNTRY_CODE = 84

# Mobile prefixes of the 10-digit national form (after the 2018 conversion), longest
# match wins. Sources: the ministry's numbering plan as published by the carriers and
# libphonenumber's carrier data (030 and 051 are MobiFone there).
CARRIER_PREFIXES: dict[str, str] = {
    # Viettel
    **dict.fromkeys(
        ["086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039"],
        "Viettel",
    ),
    # Vinaphone
    **dict.fromkeys(["088", "091", "094", "081", "082", "083", "084", "085"], "Vinaphone"),
    # MobiFone
    **dict.fromkeys(
        ["089", "090", "093", "070", "076", "077", "078", "079", "030", "051"], "MobiFone"
    ),
    # Vietnamobile
    **dict.fromkeys(["092", "052", "056", "058"], "Vietnamobile"),
    # Gmobile (099 is shared with Itelecom, see below)
    **dict.fromkeys(["099", "059"], "Gmobile"),
    # Itelecom (Indochina Telecom)
    **dict.fromkeys(["087", "0998", "0999"], "Itelecom"),
    # Wintel, formerly Reddi (Mobicast)
    "055": "Wintel",
}

_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_SEPARATORS = re.compile(r"[\s.\-()]+")
_SHAPE = re.compile(r"\+?[0-9]+")
# Old 11-digit mobile numbers (01xx xxx xxxx), converted to 10 digits in 2018.
_OLD_MOBILE = re.compile(r"1[2689][0-9]{8}")

PHONE_REQUIRED = Problem("phone.required", "Vui lòng nhập số điện thoại di động.", FIELD)
PHONE_INVALID = Problem(
    "phone.invalid",
    "Số điện thoại không hợp lệ. Vui lòng nhập số di động gồm 10 chữ số, ví dụ 0912345678.",
    FIELD,
)
PHONE_LANDLINE = Problem(
    "phone.landline",
    "Không chấp nhận số điện thoại cố định. Vui lòng nhập số điện thoại di động.",
    FIELD,
)
PHONE_OLD_MOBILE = Problem(
    "phone.old_11_digits",
    "Số di động 11 số đã được chuyển sang 10 số từ năm 2018. Vui lòng nhập số mới gồm 10 chữ số.",
    FIELD,
)
PHONE_FOREIGN = Problem(
    "phone.foreign",
    "Chỉ chấp nhận số điện thoại di động của nhà mạng Việt Nam (mã quốc gia +84).",
    FIELD,
)
PHONE_NOT_MOBILE = Problem(
    "phone.not_mobile",
    "Đầu số này không phải đầu số di động của nhà mạng Việt Nam. Vui lòng kiểm tra lại.",
    FIELD,
)


def _carrier_of_national(national: str) -> str | None:
    for length in (4, 3):
        carrier = CARRIER_PREFIXES.get(national[:length])
        if carrier is not None:
            return carrier
    return None


def _parse_e164(e164: str) -> str:
    """The 10-digit national form of a stored Vietnamese E.164 number."""
    if not re.fullmatch(r"\+84[0-9]{9}", e164 or ""):
        raise ValueError(f"not a Vietnamese mobile number in E.164: {e164!r}")
    return "0" + e164[3:]


def normalize_phone(raw: str) -> str:
    """Parse a Vietnamese mobile number in any usual spelling and return it in E.164."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not text:
        raise DomainError(PHONE_REQUIRED)
    if not _SHAPE.fullmatch(text):
        raise DomainError(PHONE_INVALID)
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException as exc:
        raise DomainError(PHONE_INVALID) from exc

    if number.country_code != COUNTRY_CODE:
        raise DomainError(PHONE_FOREIGN)
    national_significant = phonenumbers.national_significant_number(number)
    if _OLD_MOBILE.fullmatch(national_significant):
        raise DomainError(PHONE_OLD_MOBILE)
    number_type = phonenumbers.number_type(number)
    # Every 02x number is a geographic landline, even one typed with a digit missing.
    if number_type == PhoneNumberType.FIXED_LINE or national_significant.startswith("2"):
        raise DomainError(PHONE_LANDLINE)
    if not phonenumbers.is_valid_number(number):
        if len(national_significant) != 9:
            raise DomainError(PHONE_INVALID)
        raise DomainError(PHONE_NOT_MOBILE)
    national = "0" + national_significant
    if (
        number_type not in _MOBILE_TYPES
        or len(national) != 10
        or _carrier_of_national(national) is None
    ):
        raise DomainError(PHONE_NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def carrier_of(e164: str) -> str | None:
    """The carrier a Vietnamese mobile number belongs to, from its prefix; else ``None``."""
    try:
        national = _parse_e164(e164)
    except ValueError:
        return None
    return _carrier_of_national(national)


def national_format(e164: str) -> str:
    """The 10-digit national form of a stored number: ``+84912345678`` -> ``0912345678``."""
    return _parse_e164(e164)


def mask_phone(e164: str) -> str:
    """The national form with the middle hidden: ``+84912345678`` -> ``091****678``."""
    national = _parse_e164(e164)
    return national[:3] + "****" + national[-3:]

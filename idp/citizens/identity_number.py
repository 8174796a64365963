"""Rules for the citizen's identity number: the 12-digit CCCD and the older 9-digit CMND.

A CCCD (căn cước công dân, also the personal identity number) reads ``PPP G YY RRRRRR``:
the province code ``PPP`` where the birth was registered, one digit ``G`` for the birth
century and gender, the last two digits ``YY`` of the birth year and six random digits.
A CMND (chứng minh nhân dân) is 9 digits with no structure we can check.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from idp.errors import DomainError, Problem

FIELD = "id_number"

CCCD_LENGTH = 12
CMND_LENGTH = 9

# Province codes of the CCCD (Circular 07/2016/TT-BCA, appendix), one per province or
# centrally-run city of the 63 that existed when the codes were issued. Numbers issued
# under these codes stay valid after later administrative mergers.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

GENDERS = ("male", "female")

ID_REQUIRED = Problem("id_number.required", "Vui lòng nhập số CMND/CCCD.", FIELD)
ID_NOT_DIGITS = Problem(
    "id_number.not_digits",
    "Số CMND/CCCD chỉ được chứa chữ số (0–9).",
    FIELD,
)
ID_BAD_LENGTH = Problem(
    "id_number.length",
    "Số CMND/CCCD không đúng độ dài: số CMND gồm 9 chữ số, số CCCD gồm 12 chữ số.",
    FIELD,
)
CMND_INVALID = Problem(
    "id_number.cmnd_invalid",
    "Số CMND không hợp lệ. Vui lòng kiểm tra lại số in trên chứng minh nhân dân.",
    FIELD,
)
CCCD_BAD_PROVINCE = Problem(
    "id_number.province",
    "Số CCCD không hợp lệ: ba chữ số đầu phải là mã tỉnh, thành phố nơi đăng ký khai sinh.",
    FIELD,
)
CCCD_GENDER_MISMATCH = Problem(
    "id_number.gender_mismatch",
    "Số CCCD không khớp với giới tính đã khai: chữ số thứ tư của số CCCD thể hiện giới tính.",
    FIELD,
)
CCCD_CENTURY_MISMATCH = Problem(
    "id_number.century_mismatch",
    "Số CCCD không khớp với năm sinh đã khai: chữ số thứ tư của số CCCD thể hiện thế kỷ sinh.",
    FIELD,
)
CCCD_YEAR_MISMATCH = Problem(
    "id_number.year_mismatch",
    "Số CCCD không khớp với năm sinh đã khai: chữ số thứ năm và thứ sáu của số CCCD là "
    "hai số cuối của năm sinh.",
    FIELD,
)
GENDER_INVALID = Problem("gender.invalid", "Vui lòng chọn giới tính Nam hoặc Nữ.", "gender")

_IGNORED = re.compile(r"[\s.]+")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class IdentityNumber:
    """A checked identity number; the CCCD fields are ``None`` for a CMND."""

    number: str
    kind: Literal["CCCD", "CMND"]
    province_code: str | None = None
    province: str | None = None
    gender: Literal["male", "female"] | None = None
    birth_century_start: int | None = None
    birth_year: int | None = None


def normalize_identity_number(raw: str) -> str:
    """Drop surrounding whitespace and inner spaces or dots; the rest must be digits."""
    # NFKC turns full-width digits typed on some phone keyboards into ASCII ones.
    text = _IGNORED.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not text:
        raise DomainError(ID_REQUIRED)
    if not _DIGITS.fullmatch(text):
        raise DomainError(ID_NOT_DIGITS)
    return text


def check_gender(raw: str) -> str:
    """``male`` or ``female`` (the form's values), else DomainError(GENDER_INVALID)."""
    if raw not in GENDERS:
        raise DomainError(GENDER_INVALID)
    return raw


def validate_identity_number(
    raw: str,
    *,
    date_of_birth: datetime.date | None = None,
    gender: str | None = None,
) -> IdentityNumber:
    """Check a CMND or CCCD; a CCCD must agree with the date of birth and gender given."""
    number = normalize_identity_number(raw)
    if gender is not None:
        check_gender(gender)
    if len(number) == CMND_LENGTH:
        if set(number) == {"0"}:
            raise DomainError(CMND_INVALID)
        return IdentityNumber(number=number, kind="CMND")
    if len(number) != CCCD_LENGTH:
        raise DomainError(ID_BAD_LENGTH)

    province_code = number[:3]
    province = PROVINCE_CODES.get(province_code)
    if province is None:
        raise DomainError(CCCD_BAD_PROVINCE)

    code = int(number[3])
    encoded_gender: Literal["male", "female"] = "female" if code % 2 else "male"
    century_start = 1900 + 100 * (code // 2)
    birth_year = century_start + int(number[4:6])

    if gender is not None and gender != encoded_gender:
        raise DomainError(CCCD_GENDER_MISMATCH)
    if date_of_birth is not None:
        if date_of_birth.year // 100 != century_start // 100:
            raise DomainError(CCCD_CENTURY_MISMATCH)
        if date_of_birth.year != birth_year:
            raise DomainError(CCCD_YEAR_MISMATCH)

    return IdentityNumber(
        number=number,
        kind="CCCD",
        province_code=province_code,
        province=province,
        gender=encoded_gender,
        birth_century_start=century_start,
        birth_year=birth_year,
    )


def mask_identity_number(number: str) -> str:
    """Show the first three and last three digits, stars in between."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 6) + number[-3:]

"""Rules for the date of birth, as an HTML date input sends it (YYYY-MM-DD)."""

from __future__ import annotations

import datetime
import re

from idp.errors import DomainError, Problem

FIELD = "date_of_birth"
MIN_AGE = 14  # a citizen is issued a CCCD from the age of 14
MAX_AGE = 120

# Vietnam keeps UTC+7 all year; "today" is the citizen's today, whatever the server's zone.
VIETNAM_TZ = datetime.timezone(datetime.timedelta(hours=7), "ICT")

DOB_REQUIRED = Problem("date_of_birth.required", "Vui lòng nhập ngày sinh.", FIELD)
DOB_BAD_FORMAT = Problem(
    "date_of_birth.format",
    "Ngày sinh không đúng định dạng năm-tháng-ngày (YYYY-MM-DD), ví dụ 1990-05-31.",
    FIELD,
)
DOB_NOT_A_DATE = Problem(
    "date_of_birth.not_a_date",
    "Ngày sinh không tồn tại trên lịch, vui lòng kiểm tra lại ngày và tháng.",
    FIELD,
)
DOB_IN_FUTURE = Problem("date_of_birth.future", "Ngày sinh không được sau ngày hôm nay.", FIELD)
DOB_TOO_OLD = Problem(
    "date_of_birth.too_old",
    "Ngày sinh không hợp lệ: tuổi tính theo ngày sinh vượt quá {max_age}. "
    "Vui lòng kiểm tra lại năm sinh.",
    FIELD,
).format(max_age=MAX_AGE)
DOB_TOO_YOUNG = Problem(
    "date_of_birth.too_young",
    "Công dân phải đủ {min_age} tuổi (tuổi được cấp thẻ căn cước) mới đăng ký được tài khoản.",
    FIELD,
).format(min_age=MIN_AGE)


def today_in_vietnam() -> datetime.date:
    """Today's date in Vietnam (UTC+7)."""
    return datetime.datetime.now(VIETNAM_TZ).date()


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Age in whole years on ``day`` (someone born on 29 February ages on 1 March)."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_date_of_birth(raw: str, *, today: datetime.date | None = None) -> datetime.date:
    """Parse a YYYY-MM-DD date of birth and check it is plausible for a citizen."""
    text = (raw or "").strip()
    if not text:
        raise DomainError(DOB_REQUIRED)
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise DomainError(DOB_BAD_FORMAT)
    try:
        value = datetime.date(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise DomainError(DOB_NOT_A_DATE) from exc
    today = today or today_in_vietnam()
    if value > today:
        raise DomainError(DOB_IN_FUTURE)
    age = age_on(value, today)
    if age > MAX_AGE:
        raise DomainError(DOB_TOO_OLD)
    if age < MIN_AGE:
        raise DomainError(DOB_TOO_YOUNG)
    return value

"""Rules for the citizen's optional e-mail address (syntax only, no DNS look-up)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from idp.errors import DomainError, Problem

FIELD = "email"

EMAIL_INVALID = Problem(
    "email.invalid",
    "Địa chỉ thư điện tử không hợp lệ. Vui lòng nhập theo dạng ten@vidu.vn "
    "hoặc để trống nếu không có.",
    FIELD,
)


def normalize_email(raw: str | None) -> str | None:
    """``None`` for an empty value, else the normalized address; DomainError if invalid."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(EMAIL_INVALID) from exc
    return result.normalized

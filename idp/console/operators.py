"""Operator accounts: creation (CLI). Signing in is ``idp.console.sign_in_rules``."""

from __future__ import annotations

import re
import secrets

from idp import audit
from idp.citizens.password_policy import hash_password
from idp.console import totp
from idp.console.models import ROLES, Operator
from idp.errors import DomainError, Problem
from idp.extensions import db

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

NAME_INVALID = Problem(
    "operator.name_invalid",
    "Tên người vận hành gồm 3-64 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch ngang "
    "hoặc gạch dưới.",
    "name",
)
ROLE_INVALID = Problem("operator.role_invalid", "Vai trò phải là operator hoặc auditor.", "role")
OPERATOR_EXISTS = Problem("operator.exists", "Đã có người vận hành với tên này.", "name")


def create_operator(name: str, role: str, actor: str = "cli") -> tuple[Operator, str, str]:
    """A new operator; returns it with its password and TOTP provisioning URI (shown once)."""
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise DomainError(NAME_INVALID)
    if role not in ROLES:
        raise DomainError(ROLE_INVALID)
    if db.session.scalar(db.select(Operator.id).filter_by(name=name)) is not None:
        raise DomainError(OPERATOR_EXISTS)
    password = secrets.token_urlsafe(18)
    operator = Operator(
        name=name,
        role=role,
        password_hash=hash_password(password),
        totp_secret=totp.new_sealed_secret(),
    )
    db.session.add(operator)
    db.session.commit()
    audit.record("operator.created", actor=actor, operator=name, role=role)
    return operator, password, totp.provisioning_uri(operator)

"""The last step of recovery: the new password, and everything signed in with the old one ends.

In one transaction: the new argon2id hash and every access and refresh token revoked;
then the user-wide lock and its counts are cleared, every login session ends, the
agencies of each are told by back-channel logout (``idp.sign_out``), and the reset is
audited.
"""

from __future__ import annotations

from idp import audit
from idp.citizens import lockout
from idp.citizens.models import Citizen
from idp.citizens.password_policy import check_password, hash_password
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.flows.flow import Flow, finish_flow
from idp.sign_out import end_citizen_sessions, revoke_tokens_of

RECOVERY_ALREADY_FINISHED = Problem(
    "recovery.already_finished",
    "Yêu cầu đặt lại mật khẩu này đã được xử lý. Vui lòng đăng nhập bằng mật khẩu mới.",
)


def reset_password(flow: Flow, password: str, password_confirm: str) -> Citizen:
    """Set the new password of the flow's citizen; DomainError if it breaks a rule."""
    citizen = db.session.get(Citizen, flow.data.citizen_id)
    if citizen is None:
        raise DomainError(RECOVERY_ALREADY_FINISHED)
    check_password(
        password, password_confirm, identity_number=citizen.id_number, phone_e164=citizen.phone
    )
    if not finish_flow(flow):
        raise DomainError(RECOVERY_ALREADY_FINISHED)
    citizen.password_hash = hash_password(password)
    revoked = revoke_tokens_of(citizen.id)
    db.session.commit()
    lockout.register_success(citizen.id_number)
    ended = end_citizen_sessions(citizen.id, reason="password_reset")
    audit.record(
        "password.reset", citizen_id=citizen.id, revoked_tokens=revoked, ended_sessions=ended
    )
    return citizen

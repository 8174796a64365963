"""Sign-in history: the citizen's own security events from the audit trail, newest first.

Only the events listed in ``EVENT_LABELS`` are shown (sign-ins and their failures,
lockouts, OTP sends and failures, password, phone and e-mail changes, consent given and
withdrawn, sign-outs, the authenticator app, identities linked at upstream providers);
operators' reads of the account and token bookkeeping stay in the operators' console.

A sign-in through an upstream provider (VNeID...) and a link or unlink name the upstream
(the ``upstream`` detail): the entry says which, by the upstream's label (its name when
the upstream has been removed since).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from idp.account.devices import Device, describe_user_agent
from idp.audit import AuditEvent
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.federation.models import Upstream
from idp.oidc.models import Client
from webapp.i18n import N_

PAGE_SIZE = 20

# The Vietnamese label of each event a citizen sees (the key is AuditEvent.event); the
# page shows it in the page's language (``translated``).
EVENT_LABELS: dict[str, str] = {
    "login.success": N_("Đăng nhập thành công"),
    "login.failed": N_("Đăng nhập thất bại (sai mật khẩu)"),
    "login.lockout": N_("Tài khoản bị tạm khóa do nhập sai mật khẩu nhiều lần"),
    "login.refused_locked_out": N_("Đăng nhập bị từ chối (tài khoản đang tạm khóa)"),
    "login.refused_disabled": N_("Đăng nhập bị từ chối (tài khoản bị khóa)"),
    "otp.sent": N_("Gửi mã OTP qua SMS"),
    "otp.failed": N_("Nhập sai mã OTP"),
    "totp.failed": N_("Nhập sai mã ứng dụng xác thực"),
    "recovery_code.used": N_("Đăng nhập bằng mã khôi phục"),
    "recovery_code.failed": N_("Nhập sai mã khôi phục"),
    "totp.enrolled": N_("Cài đặt ứng dụng xác thực"),
    "totp.disabled": N_("Tắt ứng dụng xác thực"),
    "recovery_codes.renewed": N_("Tạo mới mã khôi phục"),
    "recovery.requested": N_("Yêu cầu lấy lại mật khẩu"),
    "password.reset": N_("Đặt lại mật khẩu (quên mật khẩu)"),
    "password.changed": N_("Đổi mật khẩu"),
    "account.password_set": N_("Đặt mật khẩu"),
    "password.change_failed": N_("Đổi mật khẩu thất bại (sai mật khẩu hiện tại)"),
    "phone.changed": N_("Đổi số điện thoại"),
    "phone_change.requested": N_("Gửi yêu cầu đổi số điện thoại (mất số cũ)"),
    "account.email_changed": N_("Cập nhật thư điện tử"),
    "consent.granted": N_("Đồng ý chia sẻ thông tin"),
    "consent.denied": N_("Từ chối chia sẻ thông tin"),
    "consent.revoked": N_("Thu hồi quyền truy cập của cơ quan"),
    "logout": N_("Đăng xuất"),
    "logout.everywhere": N_("Đăng xuất khỏi tất cả thiết bị"),
    "citizen.created": N_("Tạo tài khoản"),
    "citizen.locked": N_("Tài khoản bị khóa"),
    "citizen.unlocked": N_("Tài khoản được mở khóa"),
    "upstream.linked": N_("Liên kết tài khoản định danh"),
    "upstream.unlinked": N_("Hủy liên kết tài khoản định danh"),
}
# The label of an event that names an upstream provider; ``%(upstream)s`` is its label.
UPSTREAM_EVENT_LABELS: dict[str, str] = {
    "login.success": N_("Đăng nhập bằng %(upstream)s"),
    "upstream.linked": N_("Liên kết tài khoản %(upstream)s"),
    "upstream.unlinked": N_("Hủy liên kết tài khoản %(upstream)s"),
}

PAGE_INVALID = Problem("history.page_invalid", "Số trang không hợp lệ.")


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    event: str
    label: str
    ip: str | None
    device: Device
    agency: str | None
    upstream: str | None = None  # the upstream's label; ``label`` then has %(upstream)s


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    page: int
    pages: int
    total: int


def parse_page(raw: str | None) -> int:
    """The page number asked for (1 when absent); DomainError unless a positive integer."""
    if raw is None or raw == "":
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or int(raw) < 1:
        raise DomainError(PAGE_INVALID)
    return int(raw)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _upstream_of(row: AuditEvent) -> str | None:
    """The upstream an event names, for the events whose label can say it."""
    if row.event not in UPSTREAM_EVENT_LABELS or not isinstance(row.details, dict):
        return None
    name = row.details.get("upstream")
    return name if isinstance(name, str) and name else None


def history_of(citizen_id: int, page: int = 1) -> HistoryPage:
    """One page of the citizen's security events, newest first."""
    where = (AuditEvent.citizen_id == citizen_id, AuditEvent.event.in_(list(EVENT_LABELS)))
    total = int(db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(*where)) or 0)
    rows = db.session.scalars(
        db.select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    client_ids = {row.client_id for row in rows if row.client_id}
    clients = db.session.scalars(db.select(Client).where(Client.client_id.in_(client_ids)))
    names = {client.client_id: client.client_name for client in clients}
    upstream_names = {name for name in map(_upstream_of, rows) if name}
    labels = {}
    if upstream_names:
        query = db.select(Upstream.name, Upstream.label).where(Upstream.name.in_(upstream_names))
        labels = {name: label for name, label in db.session.execute(query)}
    entries = []
    for row in rows:
        upstream = _upstream_of(row)
        entries.append(
            HistoryEntry(
                at=_aware(row.at),
                event=row.event,
                label=UPSTREAM_EVENT_LABELS[row.event] if upstream else EVENT_LABELS[row.event],
                ip=row.ip,
                device=describe_user_agent(row.user_agent),
                agency=(names.get(row.client_id) or row.client_id) if row.client_id else None,
                upstream=(labels.get(upstream) or upstream) if upstream else None,
            )
        )
    return HistoryPage(entries, page, max(1, math.ceil(total / PAGE_SIZE)), total)

"""Vietnamese labels for the states and roles the console shows (msgids: templates show
them with ``|translated``)."""

from __future__ import annotations

from webapp.i18n import N_

# The statuses of clients, citizens and complaints in one table: no name stands for two
# different states across those kinds, and "active" reads the same for clients and citizens.
STATUS = {
    "active": N_("Đang hoạt động"),
    "pending": N_("Chờ duyệt"),
    "suspended": N_("Tạm ngưng"),
    "deleted": N_("Đã xóa"),
    "locked": N_("Đã khóa"),
    "disabled": N_("Vô hiệu hóa"),
    "open": N_("Chờ xử lý"),
    "rejected": N_("Đã bác bỏ"),
    "account_locked": N_("Đã khóa tài khoản"),
    "phone_changed": N_("Đã đổi số điện thoại"),
}
COMPLAINT_ACTIONS = {
    "reject": N_("Bác bỏ khiếu nại"),
    "lock-account": N_("Khóa tài khoản bị khiếu nại"),
    "change-phone": N_("Đổi số điện thoại theo yêu cầu"),
}
COMPLAINT_KINDS = {
    "ownership": N_("Tranh chấp tài khoản"),
    "phone_change": N_("Đổi số điện thoại (mất số cũ)"),
}
ROLES = {"operator": N_("Vận hành (operator)"), "auditor": N_("Kiểm toán (auditor)")}
AUTH_METHODS = {
    "client_secret_basic": N_("client_secret_basic (bí mật, HTTP Basic)"),
    "client_secret_post": N_("client_secret_post (bí mật, trong thân yêu cầu)"),
    "private_key_jwt": N_("private_key_jwt (khóa riêng của ứng dụng)"),
    "none": N_("none (ứng dụng công khai, PKCE)"),
}

"""Vietnamese labels for the states and roles the console shows."""

from __future__ import annotations

CLIENT_STATUS = {
    "active": "Đang hoạt động",
    "pending": "Chờ duyệt",
    "suspended": "Tạm ngưng",
    "deleted": "Đã xóa",
}
CITIZEN_STATUS = {"active": "Đang hoạt động", "locked": "Đã khóa", "disabled": "Vô hiệu hóa"}
COMPLAINT_STATUS = {
    "open": "Chờ xử lý",
    "rejected": "Đã bác bỏ",
    "account_locked": "Đã khóa tài khoản",
}
COMPLAINT_ACTIONS = {"reject": "Bác bỏ khiếu nại", "lock-account": "Khóa tài khoản bị khiếu nại"}
ROLES = {"operator": "Vận hành (operator)", "auditor": "Kiểm toán (auditor)"}
AUTH_METHODS = {
    "client_secret_basic": "client_secret_basic (bí mật, HTTP Basic)",
    "client_secret_post": "client_secret_post (bí mật, trong thân yêu cầu)",
    "private_key_jwt": "private_key_jwt (khóa riêng của ứng dụng)",
    "none": "none (ứng dụng công khai, PKCE)",
}

"""XSS: whatever a citizen types is echoed back escaped (Jinja autoescape), never as markup."""

from __future__ import annotations

from tests.http.registration_driver import NEWCOMER, RegistrationBrowser

PAYLOAD = '"><script>alert(1)</script><img src=x onerror=alert(1)>'


def test_typed_values_are_echoed_escaped(app, outbox):
    reg = RegistrationBrowser(app, outbox)
    details_url = reg.choose(reg.start())
    resp = reg.submit_details(
        details_url, {**NEWCOMER, "full_name": PAYLOAD, "email": PAYLOAD, "phone": PAYLOAD[:20]}
    )
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

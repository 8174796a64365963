"""The form reader the login driver relies on, on pages shaped like the provider's."""

from bench.html_forms import forms_of

CHOICE_PAGE = """
<form method="post" action="/login/method" class="choices">
  <input type="hidden" name="csrf_token" value="tok-1">
  <input type="hidden" name="flow" value="f-9">
  <button type="submit" name="method" value="password" class="choice">
    Tài khoản cấp bởi Cổng dịch vụ công quốc gia</button>
</form>
"""

OTP_PAGE = """
<form method="post" action="/login/otp?flow=f-9" novalidate>
  <input type="hidden" name="csrf_token" value="tok-2">
  <input id="otp" name="otp" inputmode="numeric" maxlength="6">
  <input type="checkbox" name="remember" value="yes">
  <button type="submit" class="button">Xác nhận</button>
</form>
<form method="post" action="/login/otp/resend?flow=f-9" class="resend">
  <input type="hidden" name="csrf_token" value="tok-2">
  <button type="submit" class="button secondary" id="resend">Gửi lại OTP</button>
</form>
"""


def test_the_pressed_button_is_sent_with_the_hidden_fields():
    (form,) = forms_of(CHOICE_PAGE)
    assert form.action == "/login/method"
    assert form.method == "post"
    data = form.submission("Tài khoản cấp bởi Cổng dịch vụ công quốc gia")
    assert data == {"csrf_token": "tok-1", "flow": "f-9", "method": "password"}


def test_typed_values_join_the_fields_and_unchecked_boxes_stay_out():
    verify, resend = forms_of(OTP_PAGE)
    assert verify.has_field("otp") and not resend.has_field("otp")
    assert verify.submission(otp="123456") == {"csrf_token": "tok-2", "otp": "123456"}
    assert resend.action == "/login/otp/resend?flow=f-9"
    assert [label for label, _, _ in resend.buttons] == ["Gửi lại OTP"]


def test_fields_outside_any_form_are_ignored():
    assert forms_of('<input name="q" value="x"><p>no form</p>') == []

"""Forgot password ("Quên mật khẩu"): user name + phone → SMS OTP → new password.

The first step answers the same whether or not the user name and phone belong together,
so it never tells whether an account exists.
"""

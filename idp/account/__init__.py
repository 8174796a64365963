"""The citizen's own account at the provider (``/account``): profile and e-mail, password,
phone number, connected agencies, signed-in sessions, sign-in history and the
authenticator app. One module per feature; the HTTP surface is in ``idp.account.views``."""

"""The portal's pages (user guide parts 1-2 as the provincial portal shows them).

``/`` home ("Đăng nhập", "Đăng ký"; the citizen once signed in; where the provider sends
the browser back after logout) · ``/login`` the chooser ("Đăng nhập Cổng DVC Quốc gia")
· ``/register`` starts an authorization request for registration · ``/account`` (uses
the access token). ``relying_party.mount`` adds ``/login/national``, ``/callback``,
``/logout`` and ``/backchannel-logout`` to this blueprint.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import requests
from flask import Blueprint, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from portal.presentation import current_citizen, mask_phone, page_locale
from relying_party import rp
from relying_party.routes import logged_out_at_provider
from relying_party.signed_in import end_local_session, fresh_access_token

LOGGED_OUT = "Bạn đã đăng xuất khỏi cổng dịch vụ công tỉnh và Cổng Dịch vụ công Quốc gia."


def home() -> ResponseReturnValue:
    """Home; also the post-logout redirect target (its ``state`` is checked here)."""
    notice = LOGGED_OUT if logged_out_at_provider() else None
    return render_template("portal/home.html", citizen=current_citizen(), notice=notice)


def login() -> ResponseReturnValue:
    """Step 3: the portal's choice of how to sign in."""
    return render_template("portal/login.html")


def register() -> ResponseReturnValue:
    """ "Đăng ký": the provider's registration, which then continues this authorization."""
    g.retry_url = url_for("portal.register")
    provider = rp().provider
    url = provider.start_authorization(rp().settings.redirect_uri, purpose="register", next="/")
    parts = urlsplit(url)
    # ``lang`` is the provider's own page-language switch (its registration pages come
    # before the authorization request, whose ``ui_locales`` it honours afterwards).
    query = urlencode({"return_to": f"{parts.path}?{parts.query}", "lang": page_locale()})
    return redirect(f"{provider.issuer}/register?{query}")


def account() -> ResponseReturnValue:
    """The citizen's details, read fresh from userinfo with a valid access token."""
    if current_citizen() is None:
        return redirect(url_for("portal.login"))
    access_token = fresh_access_token()
    userinfo = None
    if access_token:
        try:
            token = {"access_token": access_token, "token_type": "Bearer"}
            userinfo = rp().provider.call("userinfo", token=token)
        except requests.HTTPError:
            userinfo = None
    if userinfo is None:
        end_local_session()
        return redirect(url_for("portal.start_login", next=url_for("portal.account")))
    phone = userinfo.get("phone_number") or ""
    return render_template(
        "portal/account.html",
        citizen=current_citizen(),
        info=userinfo,
        phone_masked=mask_phone(phone) if phone.startswith("+84") else "",
    )


def make_blueprint() -> Blueprint:
    """A new ``portal`` blueprint with the pages above (one per app: ``relying_party.mount``
    adds its routes to it)."""
    bp = Blueprint("portal", __name__)
    bp.add_url_rule("/", "home", home, methods=["GET"])
    bp.add_url_rule("/login", "login", login, methods=["GET"])
    bp.add_url_rule("/register", "register", register, methods=["GET"])
    bp.add_url_rule("/account", "account", account, methods=["GET"])
    return bp

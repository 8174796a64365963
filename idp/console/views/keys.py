"""Signing keys: see them with their dates, rotate them."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for

from idp.console.session import require_console
from idp.console.views import bp
from idp.oidc.key_rotation import rotate_signing_keys
from idp.oidc.keys import ALGORITHMS, KeysMissing
from idp.services import clock, services
from webapp.i18n import N_

KEYS_ADDED = N_("Đã thêm {count} khóa ký mới; khóa mới bắt đầu ký sau thời gian chờ.")


@bp.get("/keys")
@require_console()
def keys():
    """Every key: algorithm, kid, when it signs from, until when it is published."""
    store = services().keys
    records = sorted(store.records(), key=lambda r: (r.alg, r.active_from))
    signing = set()
    for alg in ALGORITHMS:
        try:
            signing.add(store.signing_key(alg)[0])
        except KeysMissing:
            pass
    return render_template(
        "console/keys.html", records=records, signing=signing, now=int(clock().now())
    )


@bp.post("/keys/rotate")
@require_console(change=True)
def rotate_keys():
    """Add the next key per algorithm (published now, signing after the lead time)."""
    added = rotate_signing_keys(g.console.actor)
    flash(KEYS_ADDED.format(count=len(added)))
    return redirect(url_for("console.keys"))

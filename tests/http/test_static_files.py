"""Static files on both apps (issue 9, items 18 and 32): fingerprinted URLs cached for a
year, a revalidating answer without the current fingerprint, ``/favicon.ico``, the
emblem kept round, and the portal home's meta description."""

from __future__ import annotations

import re

import pytest

from webapp.static_files import CACHE_FOREVER

FINGERPRINTED_CSS = re.compile(r'href="(/static/css/site\.css\?v=([0-9a-f]{12}))"')


@pytest.fixture
def portal_app(app):
    from portal import create_portal_app

    return create_portal_app({"PORTAL_CLIENT_SECRET": "s", "PORTAL_ISSUER": "http://127.0.0.1:9"})


def both(app, portal_app):
    return [("provider", app.test_client()), ("portal", portal_app.test_client())]


def test_pages_link_fingerprinted_static_files_cached_for_a_year(app, portal_app):
    import hashlib

    from idp.settings import ROOT

    digest = hashlib.sha256((ROOT / "static/css/site.css").read_bytes()).hexdigest()[:12]
    for name, http in both(app, portal_app):
        page = http.get("/").get_data(as_text=True)
        url, fingerprint = FINGERPRINTED_CSS.search(page).groups()
        assert fingerprint == digest, name
        fresh = http.get(url)
        assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == CACHE_FOREVER
        for stale in ("/static/css/site.css", "/static/css/site.css?v=000000000000"):
            answer = http.get(stale)
            assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-cache"
        assert re.search(r'href="/static/favicon\.ico\?v=[0-9a-f]{12}"', page), name


def test_favicon_is_served_on_both_apps(app, portal_app):
    from idp.settings import ROOT

    icon = (ROOT / "static/favicon.ico").read_bytes()
    assert icon[:4] == b"\x00\x00\x01\x00"  # an ICO file
    for name, http in both(app, portal_app):
        answer = http.get("/favicon.ico")
        assert answer.status_code == 200, name
        assert answer.mimetype == "image/vnd.microsoft.icon" and answer.data == icon
        assert answer.headers["Cache-Control"] == "public, max-age=86400"


def test_a_missing_static_file_is_a_plain_404(app, portal_app):
    for _name, http in both(app, portal_app):
        assert http.get("/static/css/none.css").status_code == 404
        assert http.get("/static/../setup.cfg").status_code == 404


def test_the_emblem_never_shrinks_out_of_round():
    from idp.settings import ROOT

    css = (ROOT / "static/css/site.css").read_text()
    rule = re.search(r"\.emblem \{([^}]*)\}", css).group(1)
    assert "flex: none" in rule  # a flex item next to a long name would be squeezed
    assert "width: 2.2rem" in rule and "height: 2.2rem" in rule


def test_the_portal_home_has_a_meta_description(portal_app):
    http = portal_app.test_client()
    page = http.get("/").get_data(as_text=True)
    assert re.search(r'<meta name="description" content="[^"]{40,}">', page)
    english = http.get("/?lang=en").get_data(as_text=True)
    described = re.search(r'<meta name="description" content="([^"]+)">', english).group(1)
    assert "National Public Service Portal" in described


@pytest.mark.parametrize(
    ("value", "shown"),
    [("1990-05-17", "17/05/1990"), ("2001-12-01", "01/12/2001"), ("", ""), ("1990", "1990")],
)
def test_portal_dates_are_shown_as_the_provider_shows_them(value, shown):
    from portal.presentation import display_date

    assert display_date(value) == shown

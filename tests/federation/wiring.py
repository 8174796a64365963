"""Wiring the provider under test to an upstream and an agency, as an operator would."""

from __future__ import annotations

from tests.conftest import register_agency_client

UPSTREAM_CLIENT_ID = "dvc-national-idp"
UPSTREAM_CLIENT_SECRET = "secret-of-the-national-idp-at-the-upstream"
AGENCY_SCOPE = "openid profile phone citizen_id"


def add_test_upstream(app, issuer: str, name: str = "vneid", discover: bool = True, **flags):
    """``idp upstreams add`` for ``issuer`` with the claims the test upstreams release
    (``citizen_id``, ``name``, ``birthdate``, ``phone_number``); ``flags`` override."""
    from idp.federation.upstreams import UpstreamSettings, add_upstream

    settings = {
        "name": name,
        "label": "Tài khoản định danh điện tử (thử nghiệm)",
        "issuer": issuer,
        "client_id": UPSTREAM_CLIENT_ID,
        "client_secret": UPSTREAM_CLIENT_SECRET,
        "scope": "openid profile phone citizen_id",
        "id_number_claim": "citizen_id",
        "name_claim": "name",
        "birthdate_claim": "birthdate",
        "phone_claim": "phone_number",
        **flags,
    }
    with app.app_context():
        return add_upstream(UpstreamSettings(**settings), actor="test", discover=discover)


def register_agency(app, base: str) -> tuple[str, str]:
    """The Đắk Lắk portal's client at the provider, for an agency served at ``base``."""
    return register_agency_client(app, base, "Cổng DVC tỉnh Đắk Lắk", AGENCY_SCOPE)

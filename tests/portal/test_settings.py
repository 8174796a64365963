"""The portal's typed settings: unknown names refused by name, values coerced and
range-checked the same way from the environment, a TOML file and overrides."""

from __future__ import annotations

import pytest

from portal.settings import (
    SettingsError,
    client_settings,
    load_portal_model,
    load_portal_settings,
)

BASE = {"PORTAL_CLIENT_SECRET": "s3cret"}


def load(environ: dict[str, str], **overrides):
    return load_portal_model({**BASE, **overrides}, environ=environ)


def test_defaults_and_coercion_from_the_environment():
    model = load(
        {
            "PORTAL_SESSION_SECONDS": " 3600 ",
            "PORTAL_LOG_JSON": "yes",
            "PORTAL_ISSUER": "https://x/",
        }
    )
    assert model.PORTAL_SESSION_SECONDS == 3600
    assert model.LOG_JSON is True
    assert model.PORTAL_ISSUER == "https://x"
    assert model.PORTAL_COOKIE_NAME.startswith("portal_")


@pytest.mark.parametrize("name", ["PORTAL_ISUER", "PORTAL_HOST", "PORTAL_LOG_LEVEL"])
def test_an_unknown_portal_variable_is_refused_by_name(name):
    with pytest.raises(SettingsError, match=name):
        load({name: "x"})


def test_variables_of_other_applications_are_not_the_portals_business():
    assert load({"SECRET_KEY": "x", "GRANIAN_WORKERS": "2"}).PORTAL_CLIENT_ID == "demo-client"


def test_an_unknown_override_is_refused_by_name():
    with pytest.raises(SettingsError, match="PORTAL_SESION_SECONDS"):
        load({}, PORTAL_SESION_SECONDS=60)


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_a_boolean_that_is_neither_true_nor_false_is_refused(raw):
    with pytest.raises(SettingsError, match="PORTAL_LOG_JSON must be true or false"):
        load({"PORTAL_LOG_JSON": raw})
    with pytest.raises(SettingsError, match="LOG_JSON must be true or false"):
        load({"LOG_JSON": raw})


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("PORTAL_HTTP_TIMEOUT", "five", "whole number"),
        ("PORTAL_HTTP_TIMEOUT", "0", "between 1 and 60"),
        ("PORTAL_CLOCK_LEEWAY", "-1", "between 0 and 300"),
        ("PORTAL_SESSION_SECONDS", "10", "between 60 and 604800"),
    ],
)
def test_numbers_are_checked_from_the_environment(name, raw, reason):
    with pytest.raises(SettingsError, match=f"{name} must be .*{reason}"):
        load({name: raw})


def test_overrides_are_checked_like_the_environment():
    with pytest.raises(SettingsError, match="PORTAL_HTTP_TIMEOUT must be between"):
        load({}, PORTAL_HTTP_TIMEOUT=600)
    with pytest.raises(SettingsError, match="PORTAL_LOG_JSON must be true or false"):
        load({}, PORTAL_LOG_JSON="maybe")
    with pytest.raises(SettingsError, match="PORTAL_CLOCK_LEEWAY must be a whole number"):
        load({}, PORTAL_CLOCK_LEEWAY=True)


def test_the_app_takes_flask_configuration_but_refuses_unknown_portal_names():
    from portal import create_portal_app

    app = create_portal_app({**BASE, "TESTING": True, "WTF_CSRF_ENABLED": False})
    assert app.config["TESTING"] is True and app.config["WTF_CSRF_ENABLED"] is False
    with pytest.raises(SettingsError, match="PORTAL_CLIENTID"):
        create_portal_app({**BASE, "PORTAL_CLIENTID": "x"})


def test_a_toml_file_is_read_and_checked(tmp_path):
    path = tmp_path / "portal.toml"
    path.write_text('PORTAL_CLIENT_ID = "from-file"\nPORTAL_HTTP_TIMEOUT = 7\n', "utf-8")
    model = load({"PORTAL_SETTINGS_FILE": str(path), "PORTAL_HTTP_TIMEOUT": "9"})
    assert (model.PORTAL_CLIENT_ID, model.PORTAL_HTTP_TIMEOUT) == ("from-file", 9)
    path.write_text('PORTAL_CLIENT_ID = "x"\nPORTAL_SCOPES = "openid"\n', "utf-8")
    with pytest.raises(SettingsError, match="PORTAL_SCOPES"):
        load({"PORTAL_SETTINGS_FILE": str(path)})
    path.write_text("PORTAL_LOG_JSON = 1\n", "utf-8")
    with pytest.raises(SettingsError, match="PORTAL_LOG_JSON must be true or false"):
        load({"PORTAL_SETTINGS_FILE": str(path)})


def test_production_refusals_and_the_environment_name():
    with pytest.raises(SettingsError, match="IDP_ENV must be one of"):
        load({"IDP_ENV": "prod"})
    with pytest.raises(SettingsError, match=r"PORTAL_SECRET_KEY .*REDIS_URL .*https://"):
        load({"IDP_ENV": "production"})


def test_the_client_registration_for_the_relying_party(monkeypatch):
    monkeypatch.delenv("PORTAL_SETTINGS_FILE", raising=False)
    settings = load_portal_settings({**BASE, "PORTAL_BASE_URL": "https://p.example/"})
    client = client_settings(settings)
    assert client.redirect_uri == "https://p.example/callback"
    assert client.post_logout_redirect_uri == "https://p.example/"
    assert client.scope == settings["PORTAL_SCOPE"]


def test_the_portal_can_run_under_the_fapi2_profile():
    """private_key_jwt with its key, pushed requests and a DPoP key reach the relying
    party's client settings; the key is required with private_key_jwt, not the secret."""
    import json

    from joserfc.jwk import ECKey

    from portal.settings import check_portal_settings

    key = json.dumps(ECKey.generate_key("P-256", private=True).as_dict(private=True))
    fapi = {
        "PORTAL_TOKEN_ENDPOINT_AUTH_METHOD": "private_key_jwt",
        "PORTAL_PRIVATE_KEY": key,
        "PORTAL_USE_PAR": True,
        "PORTAL_DPOP_KEY": key,
    }
    settings = load_portal_settings(fapi)
    check_portal_settings(settings)  # no secret needed
    client = client_settings(settings)
    assert client.token_endpoint_auth_method == "private_key_jwt" and client.use_par
    assert client.dpop_key == key and client.private_key_alg == "ES256"
    with pytest.raises(SettingsError, match="PORTAL_PRIVATE_KEY is not set"):
        check_portal_settings(load_portal_settings({**fapi, "PORTAL_PRIVATE_KEY": ""}))
    with pytest.raises(SettingsError, match="PORTAL_DPOP_ALG"):
        check_portal_settings(load_portal_settings({**BASE, "PORTAL_DPOP_ALG": "HS256"}))

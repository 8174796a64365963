"""Settings: files, environment overrides, and production refusals."""

from __future__ import annotations

import pytest

from idp.settings import SettingsError, load_settings

GOOD_PRODUCTION = {
    "SECRET_KEY": "s" * 48,
    "DATABASE_URL": "postgresql+psycopg://idp@db/idp",
    "REDIS_URL": "redis://redis:6379/0",
    "IDP_ISSUER": "https://dangnhap.dichvucong.gov.vn",
    "SUBSCRIBER_CHECK": "http",
    "SMS_BACKEND": "http",
    "SMS_HTTP_URL": "https://sms-gateway.example.vn/api/send",
    "SMS_HTTP_TOKEN": "sms-token",
    "METRICS_ALLOWED_IPS": "10.0.0.0/8",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in GOOD_PRODUCTION:
        monkeypatch.delenv(name, raising=False)


def test_environment_overrides_file(monkeypatch):
    monkeypatch.setenv("OTP_TTL_SECONDS", "120")
    monkeypatch.setenv("SHOW_SMS_PAGE", "false")
    settings = load_settings("development")
    assert settings["OTP_TTL_SECONDS"] == 120
    assert settings["SHOW_SMS_PAGE"] is False


def test_bad_integer_in_environment_is_named(monkeypatch):
    monkeypatch.setenv("OTP_TTL_SECONDS", "five")
    with pytest.raises(SettingsError, match="OTP_TTL_SECONDS"):
        load_settings("development")


def test_unknown_env_is_refused():
    with pytest.raises(SettingsError, match="no settings file"):
        load_settings("staging")


def test_good_production_settings_load():
    settings = load_settings("production", GOOD_PRODUCTION)
    assert settings["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "override,reason",
    [
        ({"SECRET_KEY": "development-secret-key-change-me"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "sqlite:///x.db"}, "SQLite"),
        ({"REDIS_URL": ""}, "REDIS_URL is not set"),
        ({"SUBSCRIBER_CHECK": "off"}, "SUBSCRIBER_CHECK=off"),
        ({"IDP_ISSUER": "http://dangnhap.example"}, "https"),
        ({"SMS_BACKEND": "outbox"}, "SMS_BACKEND"),
    ],
)
def test_production_refuses_unsafe_settings(override, reason):
    with pytest.raises(SettingsError, match=reason):
        load_settings("production", {**GOOD_PRODUCTION, **override})


def test_production_refusal_via_environment(monkeypatch):
    for name, value in GOOD_PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SUBSCRIBER_CHECK", "off")
    with pytest.raises(SettingsError, match="refusing to start in production"):
        load_settings("production")


@pytest.mark.parametrize(
    "name, value",
    [
        ("OTP_RESEND_COOLDOWN_SECONDS", 0),  # once answered 500 at the first OTP send
        ("OTP_TTL_SECONDS", -5),
        ("AUTH_CODE_SECONDS", 0),
        ("CLIENT_CACHE_SECONDS", -1),
        ("OUTBOUND_BACKOFF_SECONDS", 0),
        ("OUTBOUND_HTTP_TIMEOUT", 0),
        ("OUTBOUND_HTTP_TIMEOUT", "3"),
        ("OUTBOUND_HTTP_MAX_BYTES", -1),
    ],
)
def test_durations_that_cannot_work_are_refused_at_start(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings("test", {name: value})


@pytest.mark.parametrize(
    "name, value",
    [
        ("LOCKOUT_THRESHOLD", 0),
        ("LOCKOUT_THRESHOLD", -3),
        ("LOGIN_FAILURES_PER_USERNAME_PER_IP", 0),
        ("CONSOLE_LOCKOUT_THRESHOLD", 0),
        ("CONSOLE_CODE_LOCKOUT_THRESHOLD", 0),
        ("CONSOLE_CODE_LOCKOUT_THRESHOLD", -1),
        ("CONSOLE_FAILURES_PER_NAME_PER_IP", 0),
    ],
)
def test_lock_counts_that_cannot_work_are_refused_at_start(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings("test", {name: value})


def test_a_zero_client_cache_window_is_allowed():
    assert load_settings("test", {"CLIENT_CACHE_SECONDS": 0})["CLIENT_CACHE_SECONDS"] == 0


def test_a_duration_from_the_environment_is_checked_too(monkeypatch):
    monkeypatch.setenv("OTP_RESEND_COOLDOWN_SECONDS", "0")
    with pytest.raises(SettingsError, match="OTP_RESEND_COOLDOWN_SECONDS"):
        load_settings("test")


# -- the typed model: unknown names and coercion -----------------------------------------


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    """Write a settings file ``config/scratch.toml`` in a scratch settings directory."""
    import idp.settings

    monkeypatch.setattr(idp.settings, "CONFIG_DIR", tmp_path)

    def write(text: str) -> str:
        (tmp_path / "scratch.toml").write_text(text)
        return "scratch"

    return write


def test_an_unknown_key_in_the_settings_file_is_refused_by_name(settings_file):
    env = settings_file('OTP_TTL_SECOND = 120\nSMS_BACKEND = "console"\n')
    with pytest.raises(SettingsError, match=r"OTP_TTL_SECOND in scratch.toml is not a setting"):
        load_settings(env)


def test_an_unknown_variable_of_the_providers_families_is_refused(monkeypatch):
    monkeypatch.setenv("OTP_TTL_SECOND", "120")
    with pytest.raises(SettingsError, match=r"OTP_TTL_SECOND in the environment.*OTP_TTL_SECONDS"):
        load_settings("test")


def test_variables_outside_the_providers_families_are_left_alone(monkeypatch):
    monkeypatch.setenv("REDIS_PASSWORD", "x")  # compose's, not the provider's
    monkeypatch.setenv("IDP_HOST", "dangnhap.example.vn")  # nginx's, passed by env_file
    assert load_settings("test")["OTP_TTL_SECONDS"] == 300


def test_an_override_in_the_providers_families_must_be_a_setting():
    with pytest.raises(SettingsError, match="LOCKOUT_THRESHOLDS"):
        load_settings("test", {"LOCKOUT_THRESHOLDS": 3})
    assert load_settings("test", {"TESTING": True})["TESTING"] is True  # Flask's own key


@pytest.mark.parametrize("raw", ["maybe", "", "on", "2"])
def test_a_boolean_is_true_false_one_zero_yes_or_no(monkeypatch, raw):
    monkeypatch.setenv("LOG_JSON", raw)
    with pytest.raises(SettingsError, match="LOG_JSON must be true or false"):
        load_settings("test")


@pytest.mark.parametrize(
    "raw, value", [("true", True), ("YES", True), ("1", True), ("false", False), ("no", False)]
)
def test_boolean_words(monkeypatch, raw, value):
    monkeypatch.setenv("LOG_JSON", raw)
    assert load_settings("test")["LOG_JSON"] is value


@pytest.mark.parametrize(
    "name, raw, message",
    [
        ("OTP_CHALLENGE_PERCENT", "10001", "at most 10000"),
        ("POW_DIFFICULTY_BITS", "-1", "at least 0"),
        ("ARGON2_PARALLELISM", "0", "at least 1"),
        ("OTP_TTL_SECONDS", "0", "at least 1 second"),
        ("OTP_TTL_SECONDS", "1.5", "whole number"),
        ("BACKCHANNEL_LOGOUT_TIMEOUT", "nan", "finite"),
        ("IDP_ISSUER", "dangnhap.example.vn", "URL with a host"),
        ("SMS_HTTP_URL", "ftp://sms.example.vn/send", "URL with a host"),
        ("LOG_LEVEL", "LOUD", "one of DEBUG"),
    ],
)
def test_out_of_range_values_are_refused_by_name(monkeypatch, name, raw, message):
    monkeypatch.setenv(name, raw)
    with pytest.raises(SettingsError, match=f"{name} must.*{message}"):
        load_settings("test")


@pytest.mark.parametrize(
    "name, toml, env, value",
    [
        ("OTP_TTL_SECONDS", "120", "120", 120),
        ("OTP_TTL_SECONDS", '"120"', "120", 120),
        ("LOG_JSON", "true", "yes", True),
        ("LOG_JSON", '"no"', "0", False),
        ("OUTBOUND_HTTP_TIMEOUT", "2", "2", 2.0),
        ("OUTBOUND_HTTP_TIMEOUT", "0.5", "0.5", 0.5),
    ],
)
def test_the_settings_file_and_the_environment_coerce_alike(
    settings_file, monkeypatch, name, toml, env, value
):
    from_file = load_settings(settings_file(f"{name} = {toml}\n"))[name]
    monkeypatch.setenv(name, env)
    from_env = load_settings(settings_file(""))[name]
    assert from_file == from_env == value
    assert type(from_file) is type(from_env) is type(value)


@pytest.mark.parametrize("toml", ['"maybe"', "10001", "-3"])
def test_the_settings_file_is_range_checked_like_the_environment(settings_file, toml):
    name = "LOG_JSON" if "maybe" in toml else "OTP_CHALLENGE_PERCENT"
    with pytest.raises(SettingsError, match=name):
        load_settings(settings_file(f"{name} = {toml}\n"))


def test_the_app_holds_the_typed_settings(app):
    settings = app.extensions["settings"]
    assert settings.OTP_TTL_SECONDS == app.config["OTP_TTL_SECONDS"] == 300
    assert isinstance(app.config["CLIENT_CACHE_SECONDS"], float)
    with pytest.raises(AttributeError):
        settings.OTP_TTL_SECONDS = 1  # frozen

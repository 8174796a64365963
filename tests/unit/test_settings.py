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

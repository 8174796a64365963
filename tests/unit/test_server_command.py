"""``webapp.server.granian_command``: the one command line of
``idp serve`` and ``idp portal``
(no server is started; tests/servers/test_granian.py runs it)."""

from __future__ import annotations

import sys

import pytest

from portal.serve import THREADS_WITHOUT_REDIS, server_command
from webapp.server import (
    DEFAULTS,
    ProcessEnvironmentFilter,
    ServerSettingsError,
    clear_metrics_folder,
    default_workers,
    granian_command,
)


def test_granian_serves_the_wsgi_target_on_the_given_address_with_our_log_settings():
    argv, env = granian_command("idp.wsgi:app", "127.0.0.1", 8123, environ={})
    assert argv[:3] == [sys.executable, "-m", "granian"] and argv[-1] == "idp.wsgi:app"
    pairs = {argv[i]: argv[i + 1] for i in range(3, len(argv) - 1) if argv[i].startswith("--")}
    assert pairs["--interface"] == "wsgi" and pairs["--http"] == "1"
    assert pairs["--host"] == "127.0.0.1" and pairs["--port"] == "8123"
    assert pairs["--log-config"].endswith("config/granian-logging.json")
    assert "--no-access-log" in argv  # webapp.logging_setup.AccessLog writes it
    assert env == {**DEFAULTS, "GRANIAN_WORKERS": str(default_workers())}


def test_operators_variables_win_over_the_defaults_and_options_over_both():
    environ = {"GRANIAN_WORKERS": "3", "GRANIAN_WORKERS_KILL_TIMEOUT": "5", "PATH": "/bin"}
    _, env = granian_command("idp.wsgi:app", "0.0.0.0", 8000, environ=environ)
    assert env["GRANIAN_WORKERS"] == "3" and env["GRANIAN_WORKERS_KILL_TIMEOUT"] == "5"
    assert env["PATH"] == "/bin"
    _, env = granian_command("idp.wsgi:app", "0.0.0.0", 8000, 2, 8, environ=environ)
    assert env["GRANIAN_WORKERS"] == "2" and env["GRANIAN_BLOCKING_THREADS"] == "8"


@pytest.mark.parametrize("name", ["GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"])
def test_a_gunicorn_variable_is_refused_with_its_granian_name(name):
    with pytest.raises(ServerSettingsError, match=f"{name} is no longer read.*GRANIAN_"):
        granian_command("idp.wsgi:app", "127.0.0.1", 8000, environ={name: "4"})


def test_the_portal_without_redis_runs_one_worker_of_threads(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("IDP_ENV", "development")
    monkeypatch.setenv("PORTAL_CLIENT_ID", "portal")
    monkeypatch.setenv("PORTAL_CLIENT_SECRET", "secret")
    monkeypatch.setenv("GRANIAN_WORKERS", "5")
    argv, env = server_command("127.0.0.1", 5001, 4)
    assert argv[-1] == "portal.wsgi:app"
    assert env["GRANIAN_WORKERS"] == "1"
    assert env["GRANIAN_BLOCKING_THREADS"] == str(THREADS_WITHOUT_REDIS)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    _, env = server_command("127.0.0.1", 5001, 4)
    assert env["GRANIAN_WORKERS"] == "4"


def test_the_metrics_folder_is_emptied_at_start(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"stale")
    (folder / "notes.txt").write_text("kept")
    clear_metrics_folder({"PROMETHEUS_MULTIPROC_DIR": str(folder)})
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    clear_metrics_folder({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "new")})
    assert (tmp_path / "new").is_dir()


def test_the_process_environment_is_taken_out_of_each_request():
    process = {"SECRET_KEY": "s3cret", "HTTP_X_REQUEST_ID": "leaked", "REMOTE_ADDR": "1.2.3.4"}
    seen = []
    app = ProcessEnvironmentFilter(lambda environ, start: seen.append(dict(environ)), process)
    # What granian 2.8 hands over: the process environment, then the request's keys.
    app({**process, "REMOTE_ADDR": "1.2.3.4", "PATH_INFO": "/"}, None)
    app({**process, "HTTP_X_REQUEST_ID": "from-client", "REMOTE_ADDR": "5.6.7.8"}, None)
    assert seen[0] == {"REMOTE_ADDR": "1.2.3.4", "PATH_INFO": "/"}  # a request key stays
    assert seen[1] == {"HTTP_X_REQUEST_ID": "from-client", "REMOTE_ADDR": "5.6.7.8"}

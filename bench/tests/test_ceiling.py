"""The ceiling's server candidates: their command lines and how they are reported (no
server is started)."""

import pytest

from bench.ceiling import CANDIDATES, candidates_table, server_argv
from bench.load import LoadResult
from bench.report import RunReport, _notes
from webapp.server import granian_command


def test_the_first_candidate_is_idp_serves_own_granian_command_line():
    argv, env = server_argv(CANDIDATES[0], 8123, 4)
    assert CANDIDATES[0] == "granian-wsgi"
    expected, _ = granian_command("bench.ceiling:logged_app", "127.0.0.1", 8123, 1, 4)
    assert argv == expected
    pairs = {argv[i]: argv[i + 1] for i in range(3, len(argv) - 1) if argv[i].startswith("--")}
    assert pairs["--interface"] == "wsgi" and pairs["--port"] == "8123"
    assert env["GRANIAN_WORKERS"] == "1" and env["GRANIAN_BLOCKING_THREADS"] == "4"
    assert "--no-access-log" in argv  # the app writes the provider's access log instead


def test_the_gthread_candidate_reads_the_former_gunicorn_settings_with_threads():
    argv, env = server_argv("gunicorn-gthread", 8123, 4)
    assert argv[0].endswith("gunicorn") and argv[1] == "-c"
    assert argv[2].endswith("bench/gunicorn.conf.py")
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[argv.index("--workers") + 1] == "1"
    assert "--worker-class" not in argv  # gthread because threads > 1
    assert env == {"GUNICORN_THREADS": "4"} and argv[-1] == "bench.ceiling:app"


def test_the_sync_candidate_has_one_thread_so_gunicorn_keeps_it_sync():
    argv, env = server_argv("gunicorn-sync", 8123, 4)
    assert argv[argv.index("--worker-class") + 1] == "sync"
    assert argv[argv.index("--threads") + 1] == "1"
    assert env == {"GUNICORN_THREADS": "1"}


def test_an_unknown_server_is_refused():
    with pytest.raises(ValueError, match="unknown server"):
        server_argv("waitress", 8123, 4)


def test_the_candidates_table_has_a_row_per_server_even_when_one_failed():
    table = candidates_table(
        {
            "gunicorn-gthread": LoadResult(30000, 10.0, 4.9, 20.0, 0, 0),
            "granian-wsgi": "RuntimeError: did not start\nlog | tail",
        }
    ).splitlines()
    assert table[0] == "| server | req/s | p50 ms | p99 ms | errors |"
    assert table[2] == "| gunicorn-gthread | 3,000 | 4.90 | 20.00 | 0 |"
    assert table[3].startswith(
        "| granian-wsgi | not measured: RuntimeError: did not start log / tail"
    )


def test_bench_run_notes_every_candidate_on_each_front_under_the_tables():
    report = RunReport("2026-01-02T03:04:05Z", {}, {})
    report.ceilings = {
        "none": {
            "gunicorn-sync": {"per_second": 2531.4, "p50_ms": 5.89, "p99_ms": 10.4, "errors": 0},
            "granian-wsgi": "RuntimeError: did not start",
        },
        "nginx": {
            "gunicorn-sync": {"per_second": 1400.2, "p50_ms": 9.0, "p99_ms": 15.0, "errors": 0}
        },
    }
    note = next(n for n in _notes(report) if "Ceiling of each server" in n)
    direct, nginx = note.split(" — ")
    assert "directly: gunicorn-sync 2,531 req/s, p50 5.9 ms, p99 10.4 ms, 0 errors" in direct
    assert "granian-wsgi" in direct and "not measured (RuntimeError: did not start)" in direct
    assert nginx.startswith("behind nginx: gunicorn-sync 1,400 req/s")


def test_the_authlib_stack_is_authlibs_own_grant_on_an_in_memory_client():
    from bench.ceiling import CLIENT_ID, CLIENT_SECRET, PATH, authlib_app

    http = authlib_app.test_client()
    body = {"grant_type": "client_credentials"}
    answer = http.post(PATH, data=body, auth=(CLIENT_ID, CLIENT_SECRET))
    assert answer.status_code == 200
    assert answer.get_json()["token_type"] == "Bearer" and answer.get_json()["access_token"]
    wrong = http.post(PATH, data=body, auth=(CLIENT_ID, CLIENT_SECRET + "x"))
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"
    assert http.get("/ready").status_code == 200


def test_the_authlib_stack_runs_under_the_production_server_only():
    argv, _ = server_argv(CANDIDATES[0], 8123, 4, stack="flask-authlib")
    expected, _ = granian_command("bench.ceiling:logged_authlib_app", "127.0.0.1", 8123, 1, 4)
    assert argv == expected
    with pytest.raises(ValueError, match="granian-wsgi only"):
        server_argv("gunicorn-gthread", 8123, 4, stack="flask-authlib")
    with pytest.raises(ValueError, match="unknown stack"):
        server_argv(CANDIDATES[0], 8123, 4, stack="django")

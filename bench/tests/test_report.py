"""The tables: both servers per path and front, skipped paths, logins against the argon2id
floor, and each target against its figure on the production server alone."""

from bench.load import LoadResult
from bench.logins import LoginResult
from bench.measurement import Measurement
from bench.report import (
    DOCS_BEGIN,
    DOCS_END,
    PathRow,
    RunReport,
    markdown,
    table,
    targets_table,
    write,
)

MACHINE = {
    "nproc": 2,
    "cpu_model": "AMD EPYC",
    "memory": "23.5 GiB",
    "kernel": "Linux 6",
    "load_before": "0.1 0.1 0.1",
    "versions": "Python 3.11",
}
OPTIONS = {
    "connections": 16,
    "threads": 1,
    "seconds": 10,
    "warmup": 2,
    "priority": "nice -10",
    "login_workers": 8,
}


def _result(requests: int, status_errors: int = 0) -> LoadResult:
    return LoadResult(requests, 10.0, 1.5, 9.0, status_errors, status_errors)


def _report() -> RunReport:
    report = RunReport("2026-01-02T03:04:05Z", dict(MACHINE), dict(OPTIONS))
    report.rows = [
        PathRow(
            "GET JWKS",
            Measurement("jwks", "provider", _result(5000, 100)),
            Measurement("jwks", "anchor", _result(20000)),
            102400,
        ),
        PathRow(
            "POST introspection",
            Measurement(
                "introspection", "provider", unavailable="endpoint not available (HTTP 404)"
            ),
            Measurement("introspection", "anchor", _result(70000)),
        ),
    ]
    report.logins["none"] = LoginResult(
        300, 10.0, 250.0, 900.0, 2, "LoginFailed: OTP", 10, 0.97, 0.02
    )
    report.argon2 = {
        "per_second": 58.0,
        "ms_each": 17.2,
        "time_cost": 2,
        "memory_cost": 19456,
        "parallelism": 1,
    }
    return report


def test_each_path_shows_both_servers_and_their_ratio():
    lines = table(_report()).splitlines()
    jwks = next(line for line in lines if line.startswith("| GET JWKS"))
    assert "| 490 |" in jwks  # (5000 - 100 errors) / 10 s
    assert "| 2,000 |" in jwks
    assert "| 0.245 |" in jwks
    assert "100 MiB" in jwks


def test_a_missing_endpoint_is_a_skipped_row_not_a_column_of_errors():
    line = next(row for row in table(_report()).splitlines() if "introspection" in row)
    assert "skipped: endpoint not available (HTTP 404)" in line
    assert "| 7,000 |" in line and line.count("–") >= 4


def test_logins_are_set_against_the_argon2id_floor():
    line = table(_report()).splitlines()[-1]
    assert line.startswith("| Full login (logins/s) | 30.0 |")
    assert "argon2id floor 58.0/s" in line and "0.517 of floor" in line


def test_written_reports_refresh_only_the_marked_block_of_the_docs(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text(f"# Title\n\nkept\n\n{DOCS_BEGIN}\nold\n{DOCS_END}\n\nalso kept\n")
    saved = write(_report(), tmp_path / "results", docs)
    text = docs.read_text()
    assert text.startswith("# Title\n\nkept\n\n") and text.endswith("\n\nalso kept\n")
    assert "old" not in text and "| GET JWKS |" in text
    assert "| Path |" in saved.read_text()
    assert (tmp_path / "results" / "20260102T030405.json").exists()


def _both_fronts() -> RunReport:
    report = _report()
    report.fronts = ["none", "nginx"]
    report.rows.append(
        PathRow(
            "GET JWKS",
            Measurement("jwks", "provider", _result(15000)),
            Measurement("jwks", "anchor", _result(20000)),
            102400,
            "nginx",
        )
    )
    return report


def test_each_front_has_its_own_table_and_the_anchor_row_is_shared():
    report = _both_fronts()
    direct = next(r for r in table(report, "none").splitlines() if r.startswith("| GET JWKS"))
    nginx = next(r for r in table(report, "nginx").splitlines() if r.startswith("| GET JWKS"))
    assert "| 0.245 |" in direct and "| 0.750 |" in nginx
    assert "skipped: not measured" in table(report, "nginx").splitlines()[-1]
    text = markdown(report)
    assert text.index("`--front none`") < text.index("`--front nginx`")


def test_targets_are_judged_on_the_production_server_alone():
    lines = targets_table(_both_fronts()).splitlines()
    jwks = next(line for line in lines if line.startswith("| GET JWKS"))
    assert jwks == "| GET JWKS | ≥ 0.6× anchor | 0.245× | no |"  # not nginx's 0.750
    assert any("introspection" in line and "| – | – |" in line for line in lines)
    assert lines[-1] == "| Full logins | ≥ 0.7 of the argon2id floor | 0.517 | no |"


def test_the_flask_authlib_floor_is_set_against_the_anchors_client_credentials():
    report = _report()
    report.rows.append(
        PathRow(
            "POST token (client_credentials)",
            Measurement("cc", "provider", _result(10000)),
            Measurement("cc", "anchor", _result(80000)),
        )
    )
    report.stack_floor = {"none": {"per_second": 3800.0, "p50_ms": 4.0, "p99_ms": 9.0, "errors": 0}}
    text = targets_table(report)
    assert "Flask + Authlib floor (client_credentials): 3,800 req/s, 0.475× the anchor's" in text
    report.stack_floor = {"none": "RuntimeError: did not start"}
    assert "floor (client_credentials): not measured (RuntimeError" in targets_table(report)
    report.stack_floor = {}
    assert "Flask + Authlib" not in targets_table(report)

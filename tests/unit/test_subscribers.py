"""The "chính chủ" check backends and the registry's CSV import, table by table."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from idp.errors import ServiceUnavailable
from idp.settings import SettingsError
from idp.subscribers import create_check
from idp.subscribers.csv_import import ImportRefused, import_subscribers, parse_rows
from idp.subscribers.http import CarrierApiCheck
from idp.subscribers.off import NoCheck
from idp.subscribers.registry import RegistryCheck
from tests.live import free_port

# -- choosing the backend ------------------------------------------------------------
HTTP_SETTINGS = {"SUBSCRIBER_HTTP_URL": "http://x", "SUBSCRIBER_HTTP_TOKEN": "t"}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"SUBSCRIBER_CHECK": "registry"}, RegistryCheck),
        ({"SUBSCRIBER_CHECK": "off"}, NoCheck),
        ({"SUBSCRIBER_CHECK": " HTTP ", **HTTP_SETTINGS}, CarrierApiCheck),
    ],
)
def test_backend_is_chosen_by_the_setting(settings, expected):
    assert isinstance(create_check(settings), expected)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"SUBSCRIBER_CHECK": "carrier"}, "unknown SUBSCRIBER_CHECK 'carrier'"),
        ({"SUBSCRIBER_CHECK": ""}, "unknown SUBSCRIBER_CHECK"),
        ({"SUBSCRIBER_CHECK": "http", "SUBSCRIBER_HTTP_TOKEN": "t"}, "SUBSCRIBER_HTTP_URL"),
        ({"SUBSCRIBER_CHECK": "http", "SUBSCRIBER_HTTP_URL": "http://x"}, "SUBSCRIBER_HTTP_TOKEN"),
    ],
)
def test_bad_settings_are_refused_at_startup(settings, message):
    with pytest.raises(SettingsError, match=message):
        create_check(settings)


def test_app_refuses_to_start_with_an_http_check_and_no_url(app_factory):
    with pytest.raises(SettingsError):
        app_factory(SUBSCRIBER_CHECK="http", SUBSCRIBER_HTTP_URL="", SUBSCRIBER_HTTP_TOKEN="")


def test_off_accepts_everything():
    assert NoCheck().is_registered_to("+84987654321", "066195012345") is True


# -- the carrier API ---------------------------------------------------------------------
class FakeCarrier:
    """A carrier API on 127.0.0.1 answering ``status`` and ``body`` after ``delay`` s."""

    def __init__(
        self, status: int = 200, body: str = '{"match": true}', delay: float = 0, port: int = 0
    ):
        self.status, self.body, self.delay = status, body, delay
        self.requests: list[dict] = []
        carrier = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                carrier.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "content_type": self.headers.get("Content-Type"),
                        "json": json.loads(self.rfile.read(length) or b"null"),
                    }
                )
                time.sleep(carrier.delay)
                payload = carrier.body.encode()
                try:
                    self.send_response(carrier.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/verify"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, '{"match": true}', True),
        (200, '{"match": false}', False),
        (200, '{"match": false, "carrier": "Viettel"}', False),
        (200, '{"match": "true"}', ServiceUnavailable),
        (200, '{"match": 1}', ServiceUnavailable),
        (200, "{}", ServiceUnavailable),
        (200, "[true]", ServiceUnavailable),
        (200, "<html>maintenance</html>", ServiceUnavailable),
        (200, "", ServiceUnavailable),
        (500, '{"match": true}', ServiceUnavailable),
        (401, '{"error": "bad token"}', ServiceUnavailable),
        (204, "", ServiceUnavailable),
    ],
)
def test_carrier_api_answers(status, body, expected):
    with FakeCarrier(status, body) as carrier:
        check = CarrierApiCheck(carrier.url, "carrier-token", timeout=3)
        if expected is ServiceUnavailable:
            with pytest.raises(ServiceUnavailable) as err:
                check.is_registered_to("+84987654321", "066195012345")
            assert err.value.service == "subscriber"
        else:
            assert check.is_registered_to("+84987654321", "066195012345") is expected
    [sent] = carrier.requests
    assert sent["path"] == "/verify"
    assert sent["authorization"] == "Bearer carrier-token"
    assert sent["content_type"] == "application/json"
    assert sent["json"] == {"phone": "+84987654321", "id_number": "066195012345"}


def test_carrier_api_down_is_unavailable():
    check = CarrierApiCheck(f"http://127.0.0.1:{free_port()}/verify", "t", timeout=3)
    with pytest.raises(ServiceUnavailable):
        check.is_registered_to("+84987654321", "066195012345")


def test_carrier_api_too_slow_is_unavailable():
    with FakeCarrier(delay=1.0) as carrier:
        check = CarrierApiCheck(carrier.url, "t", timeout=0.2)
        with pytest.raises(ServiceUnavailable):
            check.is_registered_to("+84987654321", "066195012345")


# -- the registry ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("phone", "id_number", "expected"),
    [
        ("+84987654321", "066195012345", True),  # registered to that number
        ("+84987654321", "066090001234", False),  # registered to someone else
        ("+84912345678", "066195012345", False),  # not in the registry
        ("+84977000111", "123456789", True),  # a CMND holder
    ],
)
def test_registry_lookup(app, phone, id_number, expected):
    with app.app_context():
        import_subscribers(["phone,id_number", "0987654321,066195012345", "0977000111,123456789"])
        assert RegistryCheck().is_registered_to(phone, id_number) is expected


# -- the CSV import ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["phone,id_number", "0987654321,066195012345"], {"+84987654321": "066195012345"}),
        (  # usual spellings of phones, spaces, a blank line, header case and spaces
            ["Phone, ID_Number", "+84 987 654 321,066195012345", "", "84.912.345.678, 123456789"],
            {"+84987654321": "066195012345", "+84912345678": "123456789"},
        ),
        (  # the same row twice is one entry
            ["phone,id_number", "0987654321,066195012345", "0987654321,066195012345"],
            {"+84987654321": "066195012345"},
        ),
        (["phone,id_number", '"0987 654 321","066195012345"'], {"+84987654321": "066195012345"}),
    ],
)
def test_csv_rows_are_normalized(lines, expected):
    assert parse_rows(lines) == expected


@pytest.mark.parametrize(
    ("lines", "problems"),
    [
        (["phone,number", "0987654321,066195012345"], [(1, "subscribers.header")]),
        (["id_number,phone", "066195012345,0987654321"], [(1, "subscribers.header")]),
        ([], [(1, "subscribers.header")]),
        (["phone,id_number"], [(2, "subscribers.empty")]),
        (
            [
                "phone,id_number",
                "0987654321,066195012345",
                "0241234567,066195012345",  # a landline
                "0987654322,12345",  # a number of the wrong length
                "abc,",  # both wrong
                "",
                "0987654323,066195012345,extra",
                "0987654321,066090001234",  # same phone, another identity number
            ],
            [
                (3, "phone.landline"),
                (4, "id_number.length"),
                (5, "phone.invalid"),
                (5, "id_number.required"),
                (7, "subscribers.extra_fields"),
                (8, "subscribers.conflict"),
            ],
        ),
    ],
)
def test_bad_csv_rows_are_reported_with_line_numbers(lines, problems):
    with pytest.raises(ImportRefused) as err:
        parse_rows(lines)
    assert [(p.line, p.problem.code) for p in err.value.problems] == problems
    assert all(str(p).startswith(f"dòng {p.line}: ") for p in err.value.problems)


def _registry(app) -> dict[str, str]:
    from idp.extensions import db
    from idp.subscribers.models import Subscriber

    with app.app_context():
        return {s.phone: s.id_number for s in db.session.scalars(db.select(Subscriber))}


def test_reimport_updates_and_a_bad_file_changes_nothing(app):
    with app.app_context():
        first = import_subscribers(
            ["phone,id_number", "0987654321,066195012345", "0912345678,066090001234"]
        )
        assert (first.rows, first.added, first.updated) == (2, 2, 0)
        again = import_subscribers(
            ["phone,id_number", "0987654321,123456789", "0977000111,066195012345"]
        )
        assert (again.rows, again.added, again.updated) == (2, 1, 1)
    assert _registry(app) == {
        "+84987654321": "123456789",
        "+84912345678": "066090001234",
        "+84977000111": "066195012345",
    }
    with app.app_context(), pytest.raises(ImportRefused):
        import_subscribers(["phone,id_number", "0966000111,066195012345", "0966000112,1"])
    assert "+84966000111" not in _registry(app)  # the good row was not written either


def test_large_import_crosses_chunks(app):
    rows = [f"0966{n:06d},066195012345" for n in range(2500)]
    with app.app_context():
        report = import_subscribers(["phone,id_number", *rows])
    assert report.rows == 2500 and report.added == 2500
    assert len(_registry(app)) == 2500


def test_cli_import_reports_lines_and_imports_all_or_nothing(app, tmp_path, monkeypatch):
    from click.testing import CliRunner

    import idp.cli

    monkeypatch.setattr(idp.cli, "_app", lambda: app)
    good = tmp_path / "good.csv"
    good.write_text("\ufeffphone,id_number\n0987654321,066195012345\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("phone,id_number\n0912345678,066090001234\n0987,066195012345\n")

    result = CliRunner().invoke(idp.cli.main, ["subscribers", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"rows": 1, "added": 1, "updated": 0}

    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    result = CliRunner().invoke(idp.cli.main, ["subscribers", "import", str(bad)])
    assert result.exit_code == 1
    assert "dòng 3: Số điện thoại không hợp lệ" in result.output
    assert "nothing imported" in result.output
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    result = CliRunner().invoke(idp.cli.main, ["subscribers", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3: " in result.output and "dòng" not in result.output
    assert "Số điện thoại" not in result.output
    assert _registry(app) == {"+84987654321": "066195012345"}


def test_cli_import_through_the_real_settings(app, tmp_path, keys_dir):
    """``idp subscribers import`` as an operator runs it: settings from the environment."""
    from click.testing import CliRunner

    import idp.cli

    path = tmp_path / "registry.csv"
    path.write_text("phone,id_number\n0987654321,066195012345\n")
    env = {
        "IDP_ENV": "test",
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": app.config["REDIS_URL"],
        "REDIS_PREFIX": app.config["REDIS_PREFIX"],
        "IDP_KEYS_DIR": str(keys_dir),
    }
    result = CliRunner(env=env).invoke(idp.cli.main, ["subscribers", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert _registry(app) == {"+84987654321": "066195012345"}

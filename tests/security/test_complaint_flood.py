"""Complaint flooding (``idp/abuse/complaint_flood.py``): per-IP submissions, filed
complaints per identity number and for the whole provider, counted in the store; a total
evidence size per complaint; every refusal a 429 page in the page language. The shipped
nginx configuration lets exactly the complaint form's largest body through."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from idp.flows.complaint.views import FORM_SLACK_BYTES, evidence_limits
from idp.settings import DEFAULTS
from tests.conftest import REAL_REDIS
from tests.http.test_complaint import COMPLAINANT, PNG, complaints_in, submit

ROOT = Path(__file__).resolve().parents[2]
NGINX = (ROOT / "config" / "nginx.conf").read_text()
OTHER_CITIZEN = {**COMPLAINANT, "id_number": "079203004567"}


def client_at(app, ip: str):
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = ip
    return http


def refusals(app) -> list[str]:
    from idp.audit import AuditEvent
    from idp.extensions import db

    with app.app_context():
        rows = db.session.scalars(db.select(AuditEvent).filter_by(event="complaint.refused"))
        return [row.details["reason"] for row in rows]


def test_submissions_per_ip_are_capped_with_a_vietnamese_429(app_factory):
    app = app_factory(COMPLAINT_SUBMISSIONS_PER_IP_PER_HOUR=3)
    http = client_at(app, "198.51.100.7")
    assert submit(http, COMPLAINANT).status_code == 302
    assert submit(http, {**COMPLAINANT, "description": "ngắn"}).status_code == 400  # counts
    assert submit(http, OTHER_CITIZEN).status_code == 302
    refused = submit(http, COMPLAINANT, [("a.png", PNG)])
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Bạn đã gửi quá nhiều khiếu nại trong thời gian ngắn." in page
    assert re.search(r"thử lại sau \d+ phút", page)
    assert len(complaints_in(app)) == 2
    assert submit(client_at(app, "192.0.2.9"), COMPLAINANT).status_code == 302
    assert refusals(app) == ["ip"]


def test_the_per_ip_cap_refuses_before_reading_the_body(app_factory):
    app = app_factory(COMPLAINT_SUBMISSIONS_PER_IP_PER_HOUR=1, COMPLAINT_MAX_FILE_BYTES=1000)
    http = client_at(app, "198.51.100.8")
    assert submit(http, COMPLAINANT).status_code == 302
    oversized = PNG + b"\x00" * (2 * 1024 * 1024)  # over the form's body limit: 413 if read
    assert submit(http, COMPLAINANT, [("a.png", oversized)]).status_code == 429


def test_filed_complaints_per_identity_number_are_capped(app_factory):
    app = app_factory(COMPLAINTS_PER_ID_NUMBER_PER_DAY=2)
    for n in range(2):
        assert submit(client_at(app, f"203.0.113.{n + 1}"), COMPLAINANT).status_code == 302
    refused = submit(client_at(app, "203.0.113.50"), COMPLAINANT)
    assert refused.status_code == 429
    assert "Số CMND/CCCD này đã có nhiều khiếu nại đang chờ xử lý." in refused.get_data(
        as_text=True
    )
    assert submit(client_at(app, "203.0.113.51"), OTHER_CITIZEN).status_code == 302
    assert len(complaints_in(app)) == 3
    assert refusals(app) == ["id_number"]


def test_filed_complaints_for_the_whole_provider_are_capped(app_factory):
    app = app_factory(COMPLAINTS_GLOBAL_PER_HOUR=2)
    assert submit(client_at(app, "198.51.100.1"), COMPLAINANT).status_code == 302
    assert submit(client_at(app, "192.0.2.1"), OTHER_CITIZEN).status_code == 302
    refused = submit(client_at(app, "203.0.113.1"), {**COMPLAINANT, "id_number": "001099001234"})
    assert refused.status_code == 429
    assert "Hệ thống đang nhận quá nhiều khiếu nại." in refused.get_data(as_text=True)
    assert len(complaints_in(app)) == 2
    assert refusals(app) == ["global"]


def test_the_refusal_page_is_english_when_chosen(app_factory):
    app = app_factory(COMPLAINT_SUBMISSIONS_PER_IP_PER_HOUR=1)
    http = client_at(app, "198.51.100.9")
    http.get("/complaints/new?lang=en")
    assert submit(http, COMPLAINANT).status_code == 302
    refused = submit(http, COMPLAINANT)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "You have sent too many complaints in a short time." in page
    assert "khiếu nại" not in page.split("<main", 1)[-1].split("</main>", 1)[0]


@pytest.mark.skipif(not REAL_REDIS, reason="the in-process store is per process; needs REDIS_URL")
def test_two_replicas_share_the_counters(app_factory):
    first = app_factory(COMPLAINT_SUBMISSIONS_PER_IP_PER_HOUR=2)
    second = app_factory(COMPLAINT_SUBMISSIONS_PER_IP_PER_HOUR=2)
    assert submit(client_at(first, "198.51.100.10"), COMPLAINANT).status_code == 302
    assert submit(client_at(second, "198.51.100.10"), OTHER_CITIZEN).status_code == 302
    assert submit(client_at(first, "198.51.100.10"), COMPLAINANT).status_code == 429


def test_all_evidence_together_is_capped(app_factory):
    app = app_factory(COMPLAINT_MAX_FILE_BYTES=4096, COMPLAINT_MAX_TOTAL_BYTES=6000)
    files = [(f"{n}.png", PNG + b"\x00" * (3000 - len(PNG))) for n in range(3)]
    refused = submit(app.test_client(), COMPLAINANT, files)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Tổng dung lượng các tệp minh chứng vượt quá 0.00572205 MB." in page
    assert complaints_in(app) == []
    assert submit(app.test_client(), COMPLAINANT, files[:2]).status_code == 302


def test_the_default_total_keeps_bodies_under_the_advertised_limit(app):
    limits = evidence_limits(app.config)
    assert limits.total_bytes < limits.files * limits.file_bytes
    assert limits.body_bytes == limits.total_bytes + FORM_SLACK_BYTES
    page = app.test_client().get("/complaints/new").get_data(as_text=True)
    assert "mỗi tệp không quá 5 MB, tổng cộng không quá 10 MB." in page


def _size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1048576}[unit.lower()]


def _server_block(name: str) -> str:
    start = NGINX.index(f"server_name {name};")
    end = NGINX.index("\nserver {", start) if "\nserver {" in NGINX[start:] else len(NGINX)
    return NGINX[start:end]


def test_nginx_body_limits_agree_with_the_settings():
    production = (ROOT / "config" / "production.toml").read_text()
    assert "COMPLAINT_" not in production and "MAX_CONTENT_LENGTH" not in production
    provider = _server_block("${IDP_HOST}")
    [server_wide] = re.findall(r"^    client_max_body_size (\S+);", provider, re.M)
    assert _size(server_wide) == DEFAULTS["MAX_CONTENT_LENGTH"]  # 1 MB everywhere else
    complaint = re.search(r"location = /complaints/new \{(.*?)\n    \}", provider, re.S)
    assert complaint, "config/nginx.conf has no location for the complaint form"
    [allowed] = re.findall(r"client_max_body_size (\S+);", complaint.group(1))
    limits = evidence_limits(DEFAULTS)
    assert _size(allowed) >= limits.body_bytes  # the form's largest body gets through
    assert _size(allowed) - limits.body_bytes < 1048576  # and not much more
    assert "proxy_pass http://idp_replicas;" in complaint.group(1)
    portal = _server_block("${PORTAL_HOST}")
    assert re.findall(r"client_max_body_size (\S+);", portal) == ["1m"]

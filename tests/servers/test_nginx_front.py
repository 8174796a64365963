"""config/nginx.conf as production runs it, in front of the provider on 127.0.0.1 (issue 9,
item 32): pages, styles and scripts come compressed, and fingerprinted static files keep
the year-long Cache-Control the provider gives them. Skipped where nginx is missing."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import urllib3

from tests.live import LiveServer, free_port
from tests.unit.test_production_settings import write_self_signed

pytestmark = pytest.mark.servers

ROOT = Path(__file__).resolve().parents[2]
IDP_HOST = "idp.example.vn"


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if not found:
        pytest.skip("nginx is not installed here (apt-get install nginx to run this check)")
    return found


@pytest.fixture
def front(app_factory, tmp_path):
    """nginx with the production site configuration, its replicas being one live provider;
    returns the HTTPS base URL (the Host header chooses the provider's server block)."""
    nginx = _nginx()
    app = app_factory(IDP_ISSUER=f"https://{IDP_HOST}")
    backend = LiveServer(app).start()
    backend_port = backend.url.rsplit(":", 1)[1]
    tls = tmp_path / "tls"
    tls.mkdir()
    for name in ("idp", "portal"):
        write_self_signed(tls / f"{name}.crt", tls / f"{name}.key")
    http_port, https_port = free_port(), free_port()
    site = (ROOT / "config" / "nginx.conf").read_text()
    site = site.replace("${IDP_HOST}", IDP_HOST).replace("${PORTAL_HOST}", "p.example.vn")
    site = re.sub(r"server (idp-a|idp-b|portal):\d+", f"server 127.0.0.1:{backend_port}", site)
    site = site.replace("listen 80 default_server;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    site = site.replace("/etc/nginx/tls", str(tls))
    site = site.replace("/var/cache/nginx/idp", str(tmp_path / "cache"))
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", version)
    if found and tuple(map(int, found.groups())) < (1, 25, 1):
        site = site.replace("http2 on;", "")
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; daemon off;\n"
        f"events {{}}\nhttp {{ {temp} access_log off; include {tmp_path}/site.conf; }}\n"
    )
    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"https://127.0.0.1:{https_port}"
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    try:
        for _ in range(100):  # until nginx listens
            try:
                requests.get(base + "/healthz", headers={"Host": IDP_HOST}, verify=False, timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        backend.stop()


def fetch(base: str, path: str) -> requests.Response:
    """GET through nginx as a browser would, asking for gzip; the body left compressed."""
    return requests.get(
        base + path,
        headers={"Host": IDP_HOST, "Accept-Encoding": "gzip"},
        verify=False,
        timeout=10,
        stream=True,
        allow_redirects=False,
    )


def test_pages_styles_and_scripts_are_compressed(front):
    page = fetch(front, "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers.get("Content-Encoding") == "gzip"
    html = gzip.decompress(page.raw.read()).decode()
    assert "Vary" in page.headers and "Accept-Encoding" in page.headers["Vary"]
    for path in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js)\?v=[0-9a-f]{12})"', html):
        asset = fetch(front, path)
        assert asset.status_code == 200 and asset.headers.get("Content-Encoding") == "gzip"
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', html).group(1)
    assert fetch(front, css).headers["Cache-Control"] == "public, max-age=31536000, immutable"
    script = fetch(front, "/static/js/otp.js")
    assert script.headers.get("Content-Encoding") == "gzip"
    assert script.headers["Cache-Control"] == "no-cache"  # no fingerprint: revalidate

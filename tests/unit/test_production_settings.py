"""Production settings, and the deployment files that carry them (compose, Dockerfile, env).

There is no Docker engine here, so ``docker compose config`` cannot run: the compose file
is parsed with PyYAML and checked for what compose itself would need (services, health
checks, start order, secrets from the env file, the shared key volume), and the
Dockerfile for paths that exist. nginx's own syntax check runs where nginx is installed.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from limits import parse_many

from idp.settings import DEFAULTS, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
REPLICAS = ("idp-a", "idp-b")
SECRET = "s" * 48

COMPLETE = {
    "SECRET_KEY": SECRET,
    "DATABASE_URL": "postgresql+psycopg://idp:pw@postgres:5432/idp",
    "REDIS_URL": "redis://:pw@redis:6379/0",
    "IDP_ISSUER": "https://dangnhap.dichvucong.example.vn",
    "SMS_BACKEND": "http",
    "SMS_HTTP_URL": "https://sms-gateway.example.vn/api/send",
    "SMS_HTTP_TOKEN": "t" * 32,
    "SUBSCRIBER_CHECK": "http",
    "RATE_LIMITS_ENABLED": True,
    "METRICS_ALLOWED_IPS": "172.28.0.0/24",
}


def production(monkeypatch, **settings):
    for name in DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    return load_settings("production", {**COMPLETE, **settings})


def read_env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def interpolate(value, env: dict[str, str]):
    """compose's ${NAME}, ${NAME:-default} and ${NAME:?message} (enough for this file)."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        found = env.get(name, "")
        if op == ":?" and not found:
            raise AssertionError(f"compose would refuse: {arg}")
        if op == ":-" and not found:
            return arg
        return found

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value.replace("$$", "\0")).replace(
        "\0", "$"
    )


# -- settings ---------------------------------------------------------------------------


def test_complete_production_settings_start(monkeypatch):
    settings = production(monkeypatch)
    assert settings["IDP_ENV"] == "production" and settings["SESSION_COOKIE_SECURE"] is True
    assert settings["LOG_JSON"] is True


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"REDIS_URL": ""}, "REDIS_URL is not set"),
        ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "sqlite:///x.db"}, "SQLite"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"IDP_ISSUER": "http://dangnhap.example.vn"}, "https://"),
        ({"SMS_BACKEND": "outbox"}, "does not reach citizens' phones"),
        ({"SUBSCRIBER_CHECK": "off"}, "SUBSCRIBER_CHECK=off"),
        ({"RATE_LIMITS_ENABLED": False}, "RATE_LIMITS_ENABLED=false"),
        ({"SHOW_SMS_PAGE": True}, "SHOW_SMS_PAGE=true"),
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE=false"),
        ({"SMS_HTTP_URL": "http://sms-gateway.example.vn/send"}, "SMS_HTTP_URL must be an https"),
        ({"METRICS_ALLOWED_IPS": ""}, "METRICS_ALLOWED_IPS is empty"),
        ({"METRICS_ALLOWED_IPS": "  "}, "METRICS_ALLOWED_IPS is empty"),
        ({"SMS_HTTP_URL": ""}, "SMS_BACKEND=http needs SMS_HTTP_URL"),
        ({"SMS_HTTP_TOKEN": ""}, "SMS_BACKEND=http needs SMS_HTTP_TOKEN"),
        ({"SMS_BACKEND": "carrier-pigeon"}, "SMS_BACKEND='carrier-pigeon' is not one of"),
    ],
)
def test_production_refuses_unsafe_settings_saying_why(monkeypatch, change, reason):
    with pytest.raises(SettingsError, match=re.escape(reason)):
        production(monkeypatch, **change)


def test_every_production_refusal_is_listed_at_once(monkeypatch):
    unsafe = {
        "SHOW_SMS_PAGE": True,
        "SESSION_COOKIE_SECURE": False,
        "SMS_HTTP_URL": "http://sms.example.vn/send",
        "METRICS_ALLOWED_IPS": "",
    }
    with pytest.raises(SettingsError) as refused:
        production(monkeypatch, **unsafe)
    for name in unsafe:
        assert name in str(refused.value)


@pytest.mark.parametrize("env", ["development", "test"])
def test_an_http_sms_backend_without_url_or_token_is_refused_by_name(monkeypatch, env):
    monkeypatch.delenv("SMS_HTTP_URL", raising=False)
    monkeypatch.delenv("SMS_HTTP_TOKEN", raising=False)
    monkeypatch.setenv("SMS_BACKEND", "http")
    with pytest.raises(SettingsError, match="SMS_BACKEND=http needs SMS_HTTP_URL; SMS_BACKEND"):
        load_settings(env)


def test_an_http_sms_backend_without_token_is_a_clear_cli_error(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from idp.cli import main

    monkeypatch.setenv("IDP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.setenv("SMS_BACKEND", "http")
    monkeypatch.setenv("SMS_HTTP_URL", "https://sms.example.vn/send")
    monkeypatch.delenv("SMS_HTTP_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["keys", "list"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "SMS_BACKEND=http needs SMS_HTTP_TOKEN" in result.output
    assert "Traceback" not in result.output


def test_environment_variables_override_the_settings_file(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_TOKEN_PER_CLIENT", "42/minute")
    monkeypatch.setenv("RATE_LIMITS_ENABLED", "false")
    settings = load_settings("test")
    assert settings["RATE_LIMIT_TOKEN_PER_CLIENT"] == "42/minute"
    assert settings["RATE_LIMITS_ENABLED"] is False


def test_every_rate_limit_in_the_policy_has_a_setting():
    from idp.rate_limits import NAMED_LIMITS

    for limit in NAMED_LIMITS:
        assert isinstance(DEFAULTS[limit.setting], str), limit.setting


# -- the env file -----------------------------------------------------------------------


def test_env_example_lists_every_variable_compose_needs():
    example = read_env_file(ROOT / ".env.example")
    needed = set(re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    assert needed <= set(example), needed - set(example)


def test_env_example_points_at_the_deploy_steps_it_means():
    """Each "docs/deploy.md, step N" in .env.example names the step that does the thing
    (the portal's client is created in step 4; it said step 3, the migration)."""
    steps = dict(re.findall(r"^(\d+)\. (.*)$", (ROOT / "docs/deploy.md").read_text(), re.M))
    example = (ROOT / ".env.example").read_text()
    pointers = re.findall(r"^# -- (.*)\(docs/deploy\.md, step (\d+)\)", example, re.M)
    assert pointers
    for text, step in pointers:
        if "client" in text:
            assert "idp clients create" in steps[step], (step, steps[step])


def test_env_example_holds_no_secret_and_production_refuses_it_until_filled(monkeypatch):
    example = read_env_file(ROOT / ".env.example")
    secrets = ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "PORTAL_SECRET_KEY")
    assert all(example[name] == "" for name in secrets)
    replica = SERVICES["idp-a"]
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        interpolate(replica["environment"], example)

    filled = {
        **example,
        "SECRET_KEY": SECRET,
        "POSTGRES_PASSWORD": "pg",
        "REDIS_PASSWORD": "rd",
        "SMS_HTTP_TOKEN": "sms-token",
    }
    environment = {**filled, **interpolate(replica["environment"], filled)}
    for name in DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    settings = load_settings(environment["IDP_ENV"])
    assert settings["DATABASE_URL"] == "postgresql+psycopg://idp:pg@postgres:5432/idp"
    assert settings["TRUSTED_PROXIES"] == "172.28.0.10"

    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings("production")


def test_env_is_git_ignored_and_the_example_is_not():
    if not (ROOT / ".git").exists() or not shutil.which("git"):
        pytest.skip("not a git checkout")

    def ignored(path: str) -> bool:
        done = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        return done.returncode == 0

    assert ignored(".env") and ignored("config/tls/idp.key")
    assert not ignored(".env.example")


# -- docker-compose.yml -----------------------------------------------------------------


def test_compose_has_the_production_services():
    assert set(SERVICES) == {"postgres", "redis", "migrate", *REPLICAS, "nginx", "portal"}
    for name in REPLICAS:
        assert SERVICES[name]["command"][:2] == ["idp", "serve"]
    assert SERVICES["portal"]["command"][:2] == ["idp", "portal"]
    job = " ".join(SERVICES["migrate"]["command"])
    assert "idp db upgrade" in job and "idp keys generate" in job
    assert SERVICES["migrate"]["restart"] == "no"


def test_compose_lets_requests_in_flight_finish_before_docker_kills_the_server():
    from webapp.server import DEFAULTS

    kill_timeout = int(DEFAULTS["GRANIAN_WORKERS_KILL_TIMEOUT"])
    for name in (*REPLICAS, "portal"):
        assert int(SERVICES[name]["stop_grace_period"].rstrip("s")) > kill_timeout


def test_compose_starts_services_in_order_of_health():
    def conditions(name):
        return {dep: spec["condition"] for dep, spec in SERVICES[name]["depends_on"].items()}

    healthy = "service_healthy"
    assert conditions("migrate") == {"postgres": healthy, "redis": healthy}
    for name in REPLICAS:
        assert conditions(name) == {
            "migrate": "service_completed_successfully",
            "postgres": healthy,
            "redis": healthy,
        }
    assert conditions("nginx") == dict.fromkeys(REPLICAS, healthy)
    assert conditions("portal") == {"redis": healthy, "nginx": healthy}
    for name, service in SERVICES.items():
        if name != "migrate":
            assert service["healthcheck"]["test"], name
    for name in REPLICAS:  # the load balancer's view of a replica is its readiness
        assert "/readyz" in " ".join(SERVICES[name]["healthcheck"]["test"])


def test_compose_takes_secrets_from_the_env_file_only():
    for name in ("migrate", *REPLICAS):
        assert SERVICES[name]["env_file"] == ".env"
        assert SERVICES[name]["environment"]["IDP_ENV"] == "production"
    assert "env_file" not in SERVICES["portal"]  # the provider's secrets stay with it
    secret_names = ("SECRET", "PASSWORD", "TOKEN")
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in secret_names):
                assert "${" in str(value), f"{name}: {key} is written in the file"
        command = service.get("command") or []
        if "--requirepass" in command:
            assert command[command.index("--requirepass") + 1].startswith("${"), name


def test_compose_shares_one_key_volume_written_only_by_the_job():
    assert "keys" in COMPOSE["volumes"]
    assert "keys:/var/lib/idp/keys" in SERVICES["migrate"]["volumes"]
    for name in REPLICAS:
        assert "keys:/var/lib/idp/keys:ro" in SERVICES[name]["volumes"]
        assert SERVICES[name]["environment"]["IDP_KEYS_DIR"] == "/var/lib/idp/keys"
        assert SERVICES[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]


def test_replicas_trust_only_nginx_and_nginx_balances_both():
    nginx_ip = SERVICES["nginx"]["networks"]["backend"]["ipv4_address"]
    subnet = COMPOSE["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(nginx_ip) in ipaddress.ip_network(subnet)
    conf = (ROOT / "config" / "nginx.conf").read_text()
    for name in REPLICAS:
        assert SERVICES[name]["environment"]["TRUSTED_PROXIES"] == nginx_ip
        port = SERVICES[name]["command"][-1]
        assert f"server {name}:{port}" in conf
    assert (
        "./config/nginx.conf:/etc/nginx/templates/default.conf.template:ro"
        in (SERVICES["nginx"]["volumes"])
    )
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in conf
    assert set(SERVICES["nginx"]["ports"]) == {"80:80", "443:443"}
    assert all("ports" not in s for n, s in SERVICES.items() if n != "nginx")


# -- Dockerfile -------------------------------------------------------------------------


def test_dockerfile_builds_from_python_slim_with_pip_and_existing_paths():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    assert next(line for line in lines if line.startswith("FROM")) == "FROM python:3.11-slim"
    assert any("pip install ." in line for line in lines)
    for line in lines:
        if line.startswith("COPY"):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"{line}: {source} is missing"
    assert any(line.startswith("USER ") and "root" not in line for line in lines)


# -- nginx ------------------------------------------------------------------------------


def write_self_signed(cert_path: Path, key_path: Path) -> None:
    """A throw-away certificate, only so that nginx -t can load the TLS server blocks."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.vn")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def test_nginx_limits_the_protocol_endpoints_per_address_coarsely():
    """The provider counts these per client; nginx only stops floods from one address."""
    conf = (ROOT / "config" / "nginx.conf").read_text()
    zone = re.search(
        r"limit_req_zone \$binary_remote_addr zone=idp_protocol:\S+ rate=(\d+)r/s;", conf
    )
    assert zone, "no per-address zone for the protocol endpoints"
    location = re.search(
        r"location ~ \^/oauth2/\(token\|introspect\|revoke\|par\|userinfo\)\$ \{(.*?)\n    \}",
        conf,
        re.S,
    )
    assert location, "no location for token, introspection, revocation and userinfo"
    body = location.group(1)
    assert "limit_req zone=idp_protocol" in body
    assert "limit_req_status 429;" in body
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in body
    # Coarse: above a busy agency's whole per-client token budget.
    per_client = parse_many(DEFAULTS["RATE_LIMIT_TOKEN_PER_CLIENT"])[0]
    assert int(zone.group(1)) > per_client.amount / per_client.get_expiry()


def test_nginx_configuration_passes_nginx_own_check(tmp_path):
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if not nginx:
        pytest.skip("nginx is not installed here (apt-get install nginx to run this check)")
    tls = tmp_path / "tls"
    tls.mkdir()
    for name in ("idp", "portal"):
        write_self_signed(tls / f"{name}.crt", tls / f"{name}.key")
    site = (ROOT / "config" / "nginx.conf").read_text()
    site = site.replace("${IDP_HOST}", "idp.example.vn").replace("${PORTAL_HOST}", "p.example.vn")
    for host in ("idp-a", "idp-b", "portal"):  # names compose would resolve
        site = site.replace(f"server {host}:", "server 127.0.0.1:")
    site = site.replace("/etc/nginx/tls", str(tls))
    site = site.replace("/var/cache/nginx/idp", str(tmp_path / "cache"))
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", version)
    if found and tuple(map(int, found.groups())) < (1, 25, 1):
        site = site.replace("http2 on;", "")  # the image runs 1.27; older nginx lacks it
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log stderr;\n"
        f"events {{}}\nhttp {{ {temp} access_log off; include {tmp_path}/site.conf; }}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_production_refuses_client_chosen_requests_to_private_addresses(monkeypatch):
    assert production(monkeypatch)["OUTBOUND_ALLOW_PRIVATE_ADDRESSES"] is False
    with pytest.raises(SettingsError, match="OUTBOUND_ALLOW_PRIVATE_ADDRESSES"):
        production(monkeypatch, OUTBOUND_ALLOW_PRIVATE_ADDRESSES=True)

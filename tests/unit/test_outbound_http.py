"""The outbound policy for client-chosen URLs (idp/outbound/): which addresses are
refused (with an injected resolver, so public-looking names can point anywhere), that the
connection goes to the checked address, no redirects, the size cap, the timeout, and
the back-off."""

from __future__ import annotations

import socket

import pytest

from idp.outbound import FailureBackoff, OutboundFailed, OutboundHttp, OutboundRefused
from tests.loopback_http import FakeClock, LoopbackHttp, SilentServer

NON_PUBLIC = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "10.0.0.5",  # RFC 1918
    "172.16.3.4",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "100.64.0.1",  # shared address space (CGNAT)
    "0.0.0.0",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "192.0.2.10",  # documentation
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fc00::1",  # unique local
    "fd12:3456::1",
    "fe80::1",  # link-local
    "ff02::1",  # multicast
    "::ffff:10.0.0.5",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "2002:a00:5::1",  # 6to4 around 10.0.0.5
    "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
    "2001:db8::1",  # documentation
]


def policy(allow_private: bool = False, answers=None, **kw) -> OutboundHttp:
    """A policy whose resolver answers ``answers`` (name → addresses) and nothing else."""
    answers = answers or {}

    def resolver(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name")
        return list(answers[host])

    kw.setdefault("timeout", 2)
    kw.setdefault("max_bytes", 1024)
    return OutboundHttp(allow_private=allow_private, resolver=resolver, **kw)


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_a_public_name_resolving_to_a_non_public_address_is_refused(address):
    strict = policy(answers={"keys.agency.example.vn": [address]})
    with pytest.raises(OutboundRefused, match="non-public address"):
        strict.check("https://keys.agency.example.vn/jwks.json")
    with pytest.raises(OutboundRefused):
        strict.get("https://keys.agency.example.vn/jwks.json")


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/",
        "https://[::1]/",
        "https://[fc00::1]:8443/jwks",
        "http://127.0.0.1:8080/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://localhost/jwks",
        "https://printer.local/",
        "https://router.home.arpa/",
    ],
)
def test_non_public_literals_and_reserved_names_are_refused(url):
    with pytest.raises(OutboundRefused):
        policy().check(url)


def test_decimal_and_short_ipv4_forms_are_refused_after_resolution():
    strict = OutboundHttp(allow_private=False, timeout=2, max_bytes=1024)
    for url in ("http://2130706433/", "http://0x7f.1/", "http://127.1/"):
        with pytest.raises(OutboundRefused):
            strict.check(url)


def test_one_non_public_address_among_public_ones_is_enough_to_refuse():
    strict = policy(answers={"rp.example.vn": ["203.0.113.7", "8.8.8.8", "10.1.2.3"]})
    with pytest.raises(OutboundRefused):
        strict.check("https://rp.example.vn/")


def test_public_addresses_pass_and_unresolvable_names_are_refused():
    strict = policy(answers={"rp.example.vn": ["8.8.8.8", "2001:4860:4860::8888"]})
    strict.check("https://rp.example.vn/jwks")
    with pytest.raises(OutboundRefused, match="cannot be resolved"):
        strict.check("https://nowhere.example.vn/jwks")
    with pytest.raises(OutboundRefused):
        strict.check("https://user:pw@rp.example.vn/jwks")
    with pytest.raises(OutboundRefused):
        strict.check("file:///etc/passwd")


def test_where_allowed_loopback_is_requested():
    with LoopbackHttp() as server:
        url = server.answer("/keys", 200, {"keys": []})
        response = OutboundHttp(allow_private=True, timeout=2, max_bytes=1024).get(url)
    assert response.status == 200 and response.body == b'{"keys": []}'


def test_the_connection_goes_to_the_checked_address_and_the_name_is_resolved_once(
    monkeypatch,
):
    """DNS rebinding: the resolver's second answer (anything but 127.0.0.1, where the
    server listens) would be used if the name were resolved again before connecting."""
    answers = iter([["127.0.0.1"], ["127.0.0.2"], ["127.0.0.2"]])
    asked: list[str] = []

    def rebinding_resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    system_lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def spying_getaddrinfo(host, *args, **kw):
        system_lookups.append(host)
        return real_getaddrinfo(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", spying_getaddrinfo)
    http = OutboundHttp(allow_private=True, timeout=2, max_bytes=1024, resolver=rebinding_resolver)
    with LoopbackHttp() as server:
        server.answer("/keys", 200, {"keys": []})
        response = http.get(server.url("/keys", host="rp.example.vn"))
    assert response.status == 200
    assert asked == ["rp.example.vn"]
    assert "rp.example.vn" not in system_lookups  # urllib3 was given the address itself
    assert server.requests[0].host == f"rp.example.vn:{server.port}"


def test_redirects_are_not_followed():
    with LoopbackHttp() as server:
        server.answer("/moved", 302, b"", Location="/keys")
        server.answer("/keys", 200, {"keys": []})
        response = OutboundHttp(allow_private=True, timeout=2, max_bytes=1024).get(
            server.url("/moved")
        )
    assert response.status == 302
    assert server.paths() == ["/moved"]


def test_a_body_over_the_cap_is_refused_whether_declared_or_not():
    http = OutboundHttp(allow_private=True, timeout=2, max_bytes=1000)
    with LoopbackHttp() as server:
        assert http.get(server.answer("/fits", 200, b"x" * 1000)).body == b"x" * 1000
        with pytest.raises(OutboundFailed, match="too large"):
            http.get(server.answer("/declared", 200, b"x" * 1001))
        # Content-Length absent: the body ends when the connection closes.
        undeclared = server.answer("/undeclared", 200, b"y" * 50000, declare_length=False)
        with pytest.raises(OutboundFailed, match="too large"):
            http.get(undeclared)


def test_a_compressed_body_is_refused():
    http = OutboundHttp(allow_private=True, timeout=2, max_bytes=1000)
    with LoopbackHttp() as server:
        url = server.answer("/gz", 200, b"\x1f\x8b", Content_Encoding="gzip")
        with pytest.raises(OutboundFailed, match="compressed"):
            http.get(url)


def test_a_server_that_never_answers_times_out():
    http = OutboundHttp(allow_private=True, timeout=0.2, max_bytes=1000)
    with SilentServer() as server, pytest.raises(OutboundFailed, match="Timeout"):
        http.get(server.url("/keys"))


def test_a_refused_connection_is_a_failure_not_an_exception_leak():
    http = OutboundHttp(allow_private=True, timeout=1, max_bytes=1000)
    with SilentServer() as server:
        port = server.port
    with pytest.raises(OutboundFailed):
        http.get(f"http://127.0.0.1:{port}/keys")


def test_back_off_doubles_up_to_the_ceiling_and_a_success_forgets():
    clock = FakeClock()
    backoff = FailureBackoff(base=10, ceiling=40, clock=clock)
    assert not backoff.waiting("u")
    assert [backoff.failed("u") for _ in range(4)] == [10, 20, 40, 40]
    assert backoff.waiting("u")
    clock.advance(39)
    assert backoff.waiting("u")
    clock.advance(1)
    assert not backoff.waiting("u")
    backoff.failed("u")
    backoff.succeeded("u")
    assert not backoff.waiting("u")
    assert backoff.failed("u") == 10


def _certificate(subject_name: str, issuer_key, issuer_name, key, *, ca: bool, sans=()):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_name)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in sans]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls_server(tmp_path):
    """An https server on 127.0.0.1 whose certificate names keys.agency.example.vn,
    issued by a test CA (its bundle at ``ca_file``)."""
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec as ec_keys
    from cryptography.x509.oid import NameOID

    ca_key = ec_keys.generate_private_key(ec_keys.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca_cert = _certificate("Test CA", ca_key, ca_name, ca_key, ca=True)
    leaf_key = ec_keys.generate_private_key(ec_keys.SECP256R1())
    leaf = _certificate(
        "keys.agency.example.vn",
        ca_key,
        ca_name,
        leaf_key,
        ca=False,
        sans=["keys.agency.example.vn"],
    )
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    with LoopbackHttp() as server:
        server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
        server.ca_file = str(tmp_path / "ca.pem")
        yield server


def test_https_goes_to_the_checked_address_and_still_verifies_the_host_name(tls_server):
    tls_server.answer("/jwks", 200, {"keys": []})
    port = tls_server.port
    http = OutboundHttp(
        allow_private=True,
        timeout=2,
        max_bytes=1024,
        resolver=lambda host, _: ["127.0.0.1"],
        ca_certs=tls_server.ca_file,
    )
    response = http.get(f"https://keys.agency.example.vn:{port}/jwks")
    assert response.status == 200 and response.body == b'{"keys": []}'
    # The same server under a name its certificate does not carry: refused by TLS.
    with pytest.raises(OutboundFailed):
        http.get(f"https://other.agency.example.vn:{port}/jwks")
    with pytest.raises(OutboundFailed):  # nor is a bare address accepted for the name
        http.get(f"https://127.0.0.1:{port}/jwks")
    assert tls_server.paths() == ["/jwks"]


def test_an_internationalised_host_name_is_resolved_and_sent_as_idna():
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    http = OutboundHttp(allow_private=True, timeout=2, max_bytes=1024, resolver=resolver)
    with LoopbackHttp() as server:
        server.answer("/khoa", 200, {"keys": []})
        assert http.get(server.url("/khoa", host="ảnh.cơquan.vn")).status == 200
    assert asked == ["xn--nh-k5s.xn--cquan-uob.vn"]
    assert server.requests[0].host == f"xn--nh-k5s.xn--cquan-uob.vn:{server.port}"

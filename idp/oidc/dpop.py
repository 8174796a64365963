"""DPoP (RFC 9449): access tokens bound to a key the client holds, proved per request.

A proof is a JWT in the ``DPoP`` header, signed with the private key whose public half is
in its header (``jwk``). ``verify_proof`` checks it as §4.3 lists: one header, ``typ``
``dpop+jwt``, an asymmetric ``alg`` of ``ALGORITHMS``, a public ``jwk`` that verifies the
signature, ``htm`` and ``htu`` naming this request (the issuer's URL of the path, without
query or fragment), ``iat`` within ``DPOP_PROOF_SECONDS`` of now, ``ath`` the hash of the
access token when one is presented, the server's nonce when ``DPOP_REQUIRE_NONCE`` is on,
and a ``jti`` never seen before on any replica (remembered in the store as long as a
proof's ``iat`` is acceptable). It returns the key's RFC 7638 thumbprint (``jkt``).

Nonces (§8) are stateless: an HMAC of the current time window under ``SECRET_KEY``, so
every replica issues and accepts the same ones; the current and the previous window's
are accepted. Authlib has no DPoP support, so this module is ours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from flask import current_app, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from joserfc.jws import JWSRegistry

from idp.oidc.models import keyed_hash
from idp.oidc.security_profiles import FAPI2_ALGORITHMS, is_fapi2
from idp.services import clock, store
from webapp import json_limits

ALGORITHMS = ["ES256", "PS256", "RS256"]
MAX_PROOF_LENGTH = 8192
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_KEY_TYPES = {"ES256": "EC", "PS256": "RSA", "RS256": "RSA"}


class _ProofRegistry(JWSRegistry):
    # The proof's header carries its public key: an RSA one is past joserfc's 512 bytes.
    max_header_length = 4096


_REGISTRY = _ProofRegistry(algorithms=ALGORITHMS)


class InvalidDPoPProof(OAuth2Error):
    """RFC 9449 §5: ``invalid_dpop_proof``."""

    error = "invalid_dpop_proof"
    status_code = 400


class UseDPoPNonce(OAuth2Error):
    """RFC 9449 §8: the proof must carry the server's nonce, given in ``DPoP-Nonce``."""

    error = "use_dpop_nonce"
    status_code = 400
    description = "Send the DPoP proof again with the nonce in the DPoP-Nonce header."

    def get_headers(self):
        return [*super().get_headers(), ("DPoP-Nonce", current_nonce())]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def access_token_hash(access_token: str) -> str:
    """``ath`` (§4.2): base64url of the SHA-256 of the access token."""
    return _b64(hashlib.sha256(access_token.encode()).digest())


def endpoint_url() -> str:
    """The ``htu`` this request's proof must name: the issuer's URL of the path."""
    return current_app.config["IDP_ISSUER"] + request.path


def _window() -> int:
    return int(clock().now() // current_app.config["DPOP_NONCE_SECONDS"])


def _nonce_for(window: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return _b64(hmac.new(key, f"dpop-nonce:{window}".encode(), hashlib.sha256).digest())[:32]


def current_nonce() -> str:
    """The nonce to give clients now (``DPoP-Nonce``)."""
    return _nonce_for(_window())


def nonce_required() -> bool:
    return current_app.config["DPOP_REQUIRE_NONCE"]


def _nonce_is_fresh(nonce: object) -> bool:
    if not isinstance(nonce, str):
        return False
    window = _window()
    return any(hmac.compare_digest(nonce, _nonce_for(w)) for w in (window, window - 1))


def _same_url(htu: object, expected: str) -> bool:
    if not isinstance(htu, str) or len(htu) > 2048:
        return False
    got, want = urlsplit(htu), urlsplit(expected)
    return (got.scheme.lower(), got.netloc.lower(), got.path) == (
        want.scheme.lower(),
        want.netloc.lower(),
        want.path,
    )


def _header_of(proof: str) -> dict:
    segment = proof.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json_limits.loads(raw)
    except (ValueError, json_limits.JsonRefused):
        raise InvalidDPoPProof("The DPoP proof's header is not JSON.") from None
    if not isinstance(header, dict):
        raise InvalidDPoPProof("The DPoP proof's header is not a JSON object.")
    return header


def proof_header() -> str | None:
    """The request's one ``DPoP`` header, or None; two are refused (§4.3 check 1)."""
    values = request.headers.getlist("DPoP")
    if not values:
        return None
    if len(values) > 1:
        raise InvalidDPoPProof("Send one DPoP header.")
    return values[0]


def verify_proof(proof: str, method: str, url: str, access_token: str | None = None) -> str:
    """The ``jkt`` of a valid proof for this request (see the module docstring);
    InvalidDPoPProof or UseDPoPNonce otherwise."""
    return _verified(proof, method, url, access_token)[0]


def _verified(proof: str, method: str, url: str, access_token: str | None) -> tuple[str, str]:
    """``verify_proof``'s work: the key's ``jkt`` and the proof's ``alg``."""
    if not proof or len(proof) > MAX_PROOF_LENGTH or proof.count(".") != 2:
        raise InvalidDPoPProof("The DPoP proof is not a JWT.")
    header = _header_of(proof)
    alg, jwk = header.get("alg"), header.get("jwk")
    if header.get("typ") != "dpop+jwt":
        raise InvalidDPoPProof("The DPoP proof's typ must be dpop+jwt.")
    if alg not in ALGORITHMS:
        raise InvalidDPoPProof("The DPoP proof's alg is not supported.")
    if not isinstance(jwk, dict) or _PRIVATE_MEMBERS & set(jwk):
        raise InvalidDPoPProof("The DPoP proof's jwk must be a public key.")
    if jwk.get("kty") != _KEY_TYPES[alg]:
        raise InvalidDPoPProof("The DPoP proof's jwk does not fit its alg.")
    try:
        key = JWKRegistry.import_key(jwk)
        claims = jwt.decode(proof, key, algorithms=[alg], registry=_REGISTRY).claims
        jkt = key.thumbprint()
    except (JoseError, ValueError, TypeError, KeyError):
        raise InvalidDPoPProof("The DPoP proof's signature does not verify.") from None
    _check_claims(claims, method, url, access_token)
    window = current_app.config["DPOP_PROOF_SECONDS"]
    replay_key = "dpop-jti:" + keyed_hash(f"{jkt}:{claims['jti']}")[:48]
    if not store().add(replay_key, {"t": 1}, 2 * window + 1):
        raise InvalidDPoPProof("This DPoP proof was used before.")
    return jkt, alg


def _check_claims(claims: dict, method: str, url: str, access_token: str | None) -> None:
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not 1 <= len(jti) <= 256:
        raise InvalidDPoPProof("The DPoP proof needs a jti.")
    if claims.get("htm") != method:
        raise InvalidDPoPProof("The DPoP proof's htm is not this request's method.")
    if not _same_url(claims.get("htu"), url):
        raise InvalidDPoPProof("The DPoP proof's htu is not this endpoint.")
    window = current_app.config["DPOP_PROOF_SECONDS"]
    if not isinstance(iat, int) or isinstance(iat, bool) or abs(clock().now() - iat) > window:
        raise InvalidDPoPProof("The DPoP proof's iat is not recent.")
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(
            ath, access_token_hash(access_token)
        ):
            raise InvalidDPoPProof("The DPoP proof's ath is not this access token's hash.")
    if nonce_required() and not _nonce_is_fresh(claims.get("nonce")):
        raise UseDPoPNonce()


def client_requires_dpop(client) -> bool:
    """RFC 9449 §5.2: the client registered ``dpop_bound_access_tokens: true`` (a FAPI 2.0
    client always has)."""
    return bool(client.client_metadata.get("dpop_bound_access_tokens")) or is_fapi2(client)


def thumbprint_claim(jkt: str) -> dict[str, str]:
    """``cnf`` (§6.1) of a token bound to the key ``jkt``."""
    return {"jkt": jkt}


def read_token_request_proof(oauth_request) -> None:
    """The token request's proof (§5), if it sent one, checked: its key's ``jkt`` and its
    ``alg`` kept on ``oauth_request`` (``dpop_jkt``, ``dpop_alg``) for the grant."""
    oauth_request.dpop_jkt = oauth_request.dpop_alg = None
    proof = proof_header()
    if proof is not None:
        jkt, alg = _verified(proof, "POST", endpoint_url(), None)
        oauth_request.dpop_jkt, oauth_request.dpop_alg = jkt, alg


def check_required(client, oauth_request) -> None:
    """At the token endpoint, once the client is authenticated and before its code or
    refresh token is spent: a client registered with ``dpop_bound_access_tokens`` must
    have sent a proof (§5.2), signed ES256/PS256 for a FAPI 2.0 client."""
    jkt = getattr(oauth_request, "dpop_jkt", None)
    if jkt is None and client_requires_dpop(client):
        raise InvalidDPoPProof("This client must send a DPoP proof with token requests.")
    alg = getattr(oauth_request, "dpop_alg", None)
    if is_fapi2(client) and jkt and alg not in FAPI2_ALGORITHMS:
        raise InvalidDPoPProof("A FAPI 2.0 client signs its DPoP proofs ES256 or PS256.")


class TokenBinding:
    """Grant extension (every grant): before a token is made from a refresh token bound to
    a key, the request's proof must be by that key (§5.8)."""

    def __call__(self, grant) -> None:
        grant.register_hook("before_create_token_response", self.check)

    def check(self, grant) -> None:
        bound = getattr(getattr(grant.request, "refresh_token", None), "dpop_jkt", None)
        if bound is not None and bound != getattr(grant.request, "dpop_jkt", None):
            raise InvalidDPoPProof("The refresh token is bound to another DPoP key.")


def _resource_challenge(error: str, description: str) -> str:
    realm = current_app.config["IDP_ISSUER"]
    return (
        f'DPoP realm="{realm}", error="{error}", error_description="{description}", '
        f'algs="{" ".join(ALGORITHMS)}"'
    )


class InvalidDPoPProofAtResource(InvalidDPoPProof):
    """§7.1: at a protected resource a bad proof is a 401 with a ``DPoP`` challenge."""

    status_code = 401

    def get_headers(self):
        challenge = _resource_challenge(self.error, self.description or "")
        return [*OAuth2Error.get_headers(self), ("WWW-Authenticate", challenge)]


class UseDPoPNonceAtResource(UseDPoPNonce):
    """§9: the resource's own nonce request, a 401 with a ``DPoP`` challenge."""

    status_code = 401

    def get_headers(self):
        challenge = _resource_challenge(self.error, "Send the proof again with the nonce.")
        return [
            *OAuth2Error.get_headers(self),
            ("WWW-Authenticate", challenge),
            ("DPoP-Nonce", current_nonce()),
        ]


def resource_proof_key(access_token: str) -> str:
    """The ``jkt`` of a protected resource request's proof for ``access_token`` (§7);
    the resource's 401 errors otherwise."""
    proof = proof_header_at_resource()
    try:
        return verify_proof(proof, request.method, endpoint_url(), access_token=access_token)
    except UseDPoPNonce:
        raise UseDPoPNonceAtResource() from None
    except InvalidDPoPProof as exc:
        raise InvalidDPoPProofAtResource(exc.description) from None


def proof_header_at_resource() -> str:
    try:
        proof = proof_header()
    except InvalidDPoPProof as exc:
        raise InvalidDPoPProofAtResource(exc.description) from None
    if proof is None:
        raise InvalidDPoPProofAtResource("A DPoP access token needs a DPoP proof.")
    return proof

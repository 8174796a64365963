"""The signing key store: generation, RFC 7638 kids, rotation with lead time and retirement."""

from __future__ import annotations

import json

from joserfc.jwk import ECKey, RSAKey

from idp.clock import Clock
from idp.oidc.keys import KeyStore


def test_generate_creates_rsa_and_ec_keys_once(tmp_path):
    store = KeyStore(tmp_path)
    created = store.generate()
    assert sorted(r.alg for r in created) == ["ES256", "RS256"]
    assert store.generate() == []
    rs_kid, rs_key = store.signing_key("RS256")
    es_kid, es_key = store.signing_key("ES256")
    assert isinstance(rs_key, RSAKey) and isinstance(es_key, ECKey)
    assert rs_kid == rs_key.thumbprint()  # RFC 7638
    assert es_kid == es_key.thumbprint()
    for record in store.records():
        assert (tmp_path / record.file).stat().st_mode & 0o077 == 0


def test_jwks_is_public_only(tmp_path):
    store = KeyStore(tmp_path)
    store.generate()
    jwks = store.jwks()
    assert len(jwks["keys"]) == 2
    for key in jwks["keys"]:
        assert key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    assert b'"d"' not in store.jwks_body()


def test_rotation_publishes_before_signing_and_retires_later(tmp_path):
    store = KeyStore(tmp_path)
    store.generate()
    old_kid, _ = store.signing_key("RS256")
    added = store.rotate(lead_seconds=3600, token_lifetime=600)
    new_rs = next(r for r in added if r.alg == "RS256")
    published = {k["kid"] for k in store.jwks()["keys"]}
    assert {old_kid, new_rs.kid} <= published
    assert store.signing_key("RS256")[0] == old_kid  # lead time not passed yet
    old = next(r for r in store.records() if r.kid == old_kid)
    assert old.retire_after == new_rs.active_from + 600


def test_rotation_without_lead_signs_at_once_and_prunes_expired(tmp_path):
    clock = Clock()
    store = KeyStore(tmp_path, clock.now)
    store.generate()
    old_kid, _ = store.signing_key("ES256")
    store.rotate(lead_seconds=0, token_lifetime=0)
    new_kid, _ = store.signing_key("ES256")
    assert new_kid != old_kid
    clock.advance(1.1)
    store.refresh(force=True)
    assert old_kid not in {k["kid"] for k in store.jwks()["keys"]}
    store.rotate(lead_seconds=0, token_lifetime=0)  # deletes files of expired keys
    index = json.loads((tmp_path / "keys.json").read_text())
    assert old_kid not in {k["kid"] for k in index["keys"]}
    assert not list(tmp_path.glob(f"*{old_kid}.pem"))


def test_other_process_rotation_is_picked_up(tmp_path):
    reader = KeyStore(tmp_path)
    writer = KeyStore(tmp_path)
    writer.generate()
    reader.refresh(force=True)
    before = {k["kid"] for k in reader.jwks()["keys"]}
    writer.rotate(lead_seconds=60, token_lifetime=60)
    reader.refresh(force=True)
    assert len({k["kid"] for k in reader.jwks()["keys"]} - before) == 2


def test_missing_keys_are_not_ready(tmp_path):
    assert KeyStore(tmp_path / "none").ready() is False


def test_key_files_are_0600_in_a_0700_folder_and_leave_no_temporary_files(tmp_path):
    """keys/README.md: keys.json was written 0644 (it names every key file); the folder
    was left as the umask made it."""
    import os
    import stat

    folder = tmp_path / "keys"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    old_umask = os.umask(0o022)
    try:
        store = KeyStore(folder)
        store.generate()
        store.rotate(lead_seconds=0, token_lifetime=60)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = sorted(path.name for path in folder.iterdir())
    assert "keys.json" in names and len(names) == 5  # the index and four PEM files
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_concurrent_first_readers_wait_for_the_first_load(tmp_path, monkeypatch):
    """A fresh worker's first requests come together: none may see the keys not loaded yet
    (the load test once got 'no RS256 signing key' 500s from a new granian worker)."""
    import threading
    import time

    KeyStore(tmp_path).generate()
    store = KeyStore(tmp_path)
    slow_read = store._read_index

    def read_slowly():
        time.sleep(0.2)  # the first loader is still reading when the others arrive
        return slow_read()

    monkeypatch.setattr(store, "_read_index", read_slowly)
    found, failed = [], []

    def sign():
        try:
            found.append(store.signing_key("RS256")[0])
        except Exception as exc:  # KeysMissing before the fix
            failed.append(exc)

    threads = [threading.Thread(target=sign) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == [] and len(set(found)) == 1 and len(found) == 8

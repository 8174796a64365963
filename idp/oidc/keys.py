"""Signing keys: RSA 2048 (RS256) and P-256 (ES256) PEM files in ``IDP_KEYS_DIR``.

``keys.json`` in the folder indexes the PEM files: for each key its ``kid`` (the RFC 7638
thumbprint), algorithm, when it starts signing and when it stops being published.
Rotation adds a key that is published ``lead`` seconds before it signs (so every relying
party's JWKS cache has it by then) and keeps the key it replaces published until every
token it signed has expired. Private members never leave this module: ``jwks()`` holds
public keys only.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from joserfc.jwk import ECKey, RSAKey

ALGORITHMS = ("RS256", "ES256")
INDEX = "keys.json"


@dataclass
class KeyRecord:
    kid: str
    alg: str
    file: str
    created_at: int
    active_from: int
    retire_after: int | None = None


class KeysMissing(RuntimeError):
    """No usable signing key: run ``idp keys generate``."""


def _generate(alg: str) -> RSAKey | ECKey:
    if alg == "RS256":
        return RSAKey.generate_key(2048, private=True)
    return ECKey.generate_key("P-256", private=True)


def _import(alg: str, pem: bytes) -> RSAKey | ECKey:
    return RSAKey.import_key(pem) if alg == "RS256" else ECKey.import_key(pem)


class KeyStore:
    """The key folder, loaded once and re-read when ``keys.json`` changes on disk."""

    RECHECK_SECONDS = 5.0

    def __init__(self, directory: str | os.PathLike, clock: Callable[[], float] = time.time):
        """Keys in ``directory``; ``clock`` is wall time in epoch seconds (the app's)."""
        self.directory = Path(directory)
        self._clock = clock
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._checked_at = 0.0
        self._loaded = False  # until the first load ends, every reader waits for it
        self._records: list[KeyRecord] = []
        self._keys: dict[str, RSAKey | ECKey] = {}
        self._jwks_body = b'{"keys":[]}'

    # -- reading -------------------------------------------------------------------
    def _index_path(self) -> Path:
        return self.directory / INDEX

    def _read_index(self) -> list[KeyRecord]:
        try:
            data = json.loads(self._index_path().read_text())
        except FileNotFoundError:
            return []
        return [KeyRecord(**item) for item in data["keys"]]

    def refresh(self, force: bool = False) -> None:
        """Reload the folder if ``keys.json`` changed (checked at most every few seconds).

        The check time is set once a load has ended: a thread that came while another was
        loading waits for it on the lock instead of reading the keys not yet loaded (a
        fresh worker's first concurrent token requests found no signing key)."""
        if not force and self._recent():
            return
        with self._lock:
            if not force and self._recent():
                return  # another thread loaded meanwhile
            try:
                mtime = self._index_path().stat().st_mtime
            except FileNotFoundError:
                mtime = None
            if force or not self._loaded or mtime != self._mtime:
                records = self._read_index()
                keys = {
                    r.kid: _import(r.alg, (self.directory / r.file).read_bytes()) for r in records
                }
                self._records, self._keys, self._mtime = records, keys, mtime
                self._jwks_body = self._build_jwks_body()
            self._loaded = True
            self._checked_at = time.monotonic()

    def _recent(self) -> bool:
        return self._loaded and time.monotonic() - self._checked_at < self.RECHECK_SECONDS

    def _published(self, now: float) -> list[KeyRecord]:
        return [r for r in self._records if r.retire_after is None or r.retire_after > now]

    def _build_jwks_body(self) -> bytes:
        keys = []
        for record in self._published(self._clock()):
            public = self._keys[record.kid].as_dict(private=False)
            public.update({"kid": record.kid, "alg": record.alg, "use": "sig"})
            keys.append(public)
        return json.dumps({"keys": keys}, separators=(",", ":")).encode()

    def jwks(self) -> dict:
        """The public JWK Set: current, upcoming and not yet expired retired keys."""
        return json.loads(self.jwks_body())

    def jwks_body(self) -> bytes:
        """The JWK Set as precomputed JSON bytes (served as is)."""
        self.refresh()
        return self._jwks_body

    def signing_key(self, alg: str) -> tuple[str, RSAKey | ECKey]:
        """The key that signs with ``alg`` now: the newest whose lead time has passed."""
        self.refresh()
        now = self._clock()
        candidates = [r for r in self._records if r.alg == alg and r.active_from <= now]
        if not candidates:
            raise KeysMissing(f"no {alg} signing key in {self.directory}: run 'idp keys generate'")
        # Newest activation wins; within the same second, the key added later (index order).
        _, record = max(enumerate(candidates), key=lambda pair: (pair[1].active_from, pair[0]))
        return record.kid, self._keys[record.kid]

    def public_key(self, kid: str) -> RSAKey | ECKey | None:
        self.refresh()
        return self._keys.get(kid)

    def ready(self) -> bool:
        try:
            for alg in ALGORITHMS:
                self.signing_key(alg)
        except KeysMissing:
            return False
        return True

    # -- writing (CLI) ---------------------------------------------------------------
    def _private_directory(self) -> Path:
        """The key folder, created or narrowed to 0700 (keys/README.md)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        return self.directory

    def _write_file(self, name: str, data: bytes) -> None:
        """Write ``name`` atomically with mode 0600: a reader (another replica) sees the
        old file or the whole new one, and no one else ever sees it at all."""
        directory = self._private_directory()
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:  # mkstemp creates the file 0600
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, directory / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _write_index(self, records: list[KeyRecord]) -> None:
        index = json.dumps({"keys": [asdict(r) for r in records]}, indent=2)
        self._write_file(INDEX, index.encode())

    def _add_key(self, alg: str, active_from: int) -> KeyRecord:
        key = _generate(alg)
        kid = key.thumbprint()
        filename = f"{alg.lower()}-{kid}.pem"
        self._write_file(filename, key.as_pem(private=True))
        return KeyRecord(kid, alg, filename, int(self._clock()), active_from)

    def generate(self) -> list[KeyRecord]:
        """Create a signing key for each algorithm that has none; returns the new ones."""
        records = self._read_index()
        created = []
        for alg in ALGORITHMS:
            if not any(r.alg == alg for r in records):
                created.append(self._add_key(alg, int(self._clock())))
        if created:
            self._write_index(records + created)
        self.refresh(force=True)
        return created

    def rotate(self, lead_seconds: int, token_lifetime: int) -> list[KeyRecord]:
        """Add the next key per algorithm, retire the ones it replaces, prune expired ones.

        The new key is published now and signs after ``lead_seconds``; the key it replaces
        signs until then and stays published ``token_lifetime`` seconds longer.
        """
        now = int(self._clock())
        records = self._read_index()
        kept = []
        for record in records:
            if record.retire_after is not None and record.retire_after <= now:
                (self.directory / record.file).unlink(missing_ok=True)
            else:
                kept.append(record)
        added = []
        for alg in ALGORITHMS:
            new = self._add_key(alg, now + lead_seconds)
            for record in kept:
                if record.alg == alg and record.retire_after is None:
                    record.retire_after = new.active_from + token_lifetime
            added.append(new)
        self._write_index(kept + added)
        self.refresh(force=True)
        return added

    def records(self) -> list[KeyRecord]:
        self.refresh(force=True)
        return list(self._records)

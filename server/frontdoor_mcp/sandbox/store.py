"""The sandbox's state in SQLite: frontdoors, tokens, OAuth clients, certificates, the CA, settings.

One connection guarded by one lock: the sandbox serves a handful of clients, SQLite statements take
microseconds, and a single writer makes every acknowledged write ordered and simple to reason about.
WAL with synchronous=FULL means a commit has reached the disk before the HTTP response is sent, so an
acknowledged write survives `kill -9` and power loss alike.

Tokens and OAuth client secrets are stored as SHA-256 digests (they are high-entropy random strings,
so a fast hash is enough); the one exception is the remembered default sandbox identity (see lifecycle).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from frontdoor_mcp.sandbox.schema import (
    ORDER_SQL,
    SCHEMA,
    SCHEMA_VERSION,
    SELECT_ANY,
    SELECT_BY_ID,
    SELECT_LISTED,
    SELECT_LIVE,
    CertificateRow,
    SortProperty,
    certificate_row,
)


@dataclass(frozen=True)
class Principal:
    """Who a credential acts as, and the frontdoors it may use."""

    username: str
    frontdoor_ids: frozenset[str]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Store:
    """All sandbox state. Thread-safe: every method takes the one lock."""

    def __init__(self, path: str | Path = ":memory:", clock: Callable[[], float] = time.time) -> None:
        """`clock`: the wall clock (epoch seconds) the timestamps are read from."""
        self.path = str(path)
        self._clock = clock
        if self.path != ":memory:":
            # The file holds the CA key and the remembered sandbox token: owner-only from the first byte.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            with self._lock:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.execute("PRAGMA foreign_keys=ON")
                self._conn.execute("PRAGMA busy_timeout=5000")
                self._conn.executescript(SCHEMA)
                self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                last = self._conn.execute("SELECT MAX(created_us) FROM certificates").fetchone()[0]
        except BaseException:
            self._conn.close()  # e.g. a file that is not SQLite: no caller will ever get a Store to close
            raise
        self._last_us: int = last if isinstance(last, int) else 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Generator[sqlite3.Connection, None, None]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _clock_us(self) -> int:
        return int(self._clock() * 1_000_000)

    def _now_us(self) -> int:
        """Wall-clock microseconds, forced strictly increasing so createdAt order equals insertion order."""
        self._last_us = max(self._clock_us(), self._last_us + 1)
        return self._last_us

    # settings and CA ------------------------------------------------------------------------------------

    def get_setting(self, name: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def setting(self, name: str, create: Callable[[], str]) -> str:
        """The stored value of a setting, created (once, atomically) by `create` when absent."""
        with self._write() as db:
            row = db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
            if row:
                return str(row[0])
            value = create()
            db.execute("INSERT INTO settings (name, value) VALUES (?, ?)", (name, value))
            return value

    def ca_pem(self, create: Callable[[], tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
        """(key PEM, certificate PEM) of the CA, created by `create` on first use and kept from then on."""
        with self._write() as db:
            row = db.execute("SELECT key_pem, certificate_pem FROM ca WHERE id = 1").fetchone()
            if row:
                return str(row[0]).encode("ascii"), str(row[1]).encode("ascii")
            key_pem, cert_pem = create()
            db.execute(
                "INSERT INTO ca (id, key_pem, certificate_pem) VALUES (1, ?, ?)",
                (key_pem.decode("ascii"), cert_pem.decode("ascii")),
            )
            return key_pem, cert_pem

    # frontdoors and credentials -------------------------------------------------------------------------

    def ensure_frontdoor(self, frontdoor_id: str) -> None:
        with self._write() as db:
            self._insert_frontdoor(db, frontdoor_id)

    def put_token(self, token: str, username: str, frontdoor_ids: Sequence[str]) -> None:
        """Accept `token` as `username`, adding `frontdoor_ids` (created if new) to what it may use."""
        digest = _digest(token)
        with self._write() as db:
            db.execute(
                "INSERT INTO tokens (token_sha256, username) VALUES (?, ?) "
                "ON CONFLICT (token_sha256) DO UPDATE SET username = excluded.username",
                (digest, username),
            )
            for fid in frontdoor_ids:
                self._insert_frontdoor(db, fid)
                db.execute("INSERT OR IGNORE INTO token_frontdoors VALUES (?, ?)", (digest, fid))

    def token_principal(self, token: str) -> Principal | None:
        digest = _digest(token)
        with self._lock:
            row = self._conn.execute("SELECT username FROM tokens WHERE token_sha256 = ?", (digest,)).fetchone()
            if row is None:
                return None
            fids = self._conn.execute(
                "SELECT frontdoor_id FROM token_frontdoors WHERE token_sha256 = ?", (digest,)
            ).fetchall()
        return Principal(str(row[0]), frozenset(str(f[0]) for f in fids))

    def put_oauth_client(self, client_id: str, secret: str, username: str, frontdoor_ids: Sequence[str]) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO oauth_clients (client_id, secret_sha256, username) VALUES (?, ?, ?) "
                "ON CONFLICT (client_id) DO UPDATE SET secret_sha256 = excluded.secret_sha256, "
                "username = excluded.username",
                (client_id, _digest(secret), username),
            )
            for fid in frontdoor_ids:
                self._insert_frontdoor(db, fid)
                db.execute("INSERT OR IGNORE INTO oauth_client_frontdoors VALUES (?, ?)", (client_id, fid))

    def oauth_client(self, client_id: str, secret: str | None = None) -> Principal | None:
        """The client's principal; with `secret`, only if it matches (constant-time)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT secret_sha256, username FROM oauth_clients WHERE client_id = ?", (client_id,)
            ).fetchone()
            if row is None:
                return None
            fids = self._conn.execute(
                "SELECT frontdoor_id FROM oauth_client_frontdoors WHERE client_id = ?", (client_id,)
            ).fetchall()
        if secret is not None and not hmac.compare_digest(str(row[0]), _digest(secret)):
            return None
        return Principal(str(row[1]), frozenset(str(f[0]) for f in fids))

    # certificates ---------------------------------------------------------------------------------------

    def insert_certificate(self, frontdoor_id: str, name: str, value: str, username: str) -> CertificateRow:
        cert_id = f"cert-{uuid.uuid4()}"
        with self._write() as db:
            db.execute(
                "INSERT INTO certificates (id, frontdoor_id, name, value, created_us, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (cert_id, frontdoor_id, name, value, self._now_us(), username),
            )
            return self._select(db, frontdoor_id, cert_id, live=True) or _missing(cert_id)

    def get_certificate(self, frontdoor_id: str, cert_id: str) -> CertificateRow | None:
        """A certificate that is not deleted, or None."""
        with self._lock:
            return self._select(self._conn, frontdoor_id, cert_id, live=True)

    def get_any_certificate(self, cert_id: str) -> CertificateRow | None:
        """A certificate by id whatever its frontdoor or state (for inspection in tests and tools)."""
        with self._lock:
            row = self._conn.execute(SELECT_BY_ID, (cert_id,)).fetchone()
        return certificate_row(tuple(row)) if row else None

    def list_certificates(
        self, frontdoor_id: str, orders: Sequence[tuple[SortProperty, bool]], offset: int, limit: int
    ) -> tuple[list[CertificateRow], int]:
        """One page of live certificates, ordered by `orders` ((property, descending) pairs), and the total."""
        terms: list[str] = []
        for prop, descending in orders:
            terms.extend(f"{column} {'DESC' if descending else 'ASC'}" for column in ORDER_SQL[prop])
        terms.append("seq ASC")  # insertion order breaks every remaining tie: pages never overlap or skip
        with self._lock:
            total = self._conn.execute(
                "SELECT COUNT(*) FROM certificates WHERE frontdoor_id = ? AND deleted_us IS NULL", (frontdoor_id,)
            ).fetchone()[0]
            rows = self._conn.execute(
                f"{SELECT_LISTED} WHERE frontdoor_id = ? AND deleted_us IS NULL "
                f"ORDER BY {', '.join(terms)} LIMIT ? OFFSET ?",
                (frontdoor_id, limit, offset),
            ).fetchall()
        return [certificate_row(tuple(r)) for r in rows], int(total)

    def update_certificate(
        self, frontdoor_id: str, cert_id: str, username: str, *, name: str | None = None, value: str | None = None
    ) -> CertificateRow | None:
        """Set the fields given (None: keep); None if there is no such live certificate."""
        with self._write() as db:
            current = self._select(db, frontdoor_id, cert_id, live=True)
            if current is None or (name is None and value is None):
                return current
            db.execute(
                "UPDATE certificates SET name = ?, value = ?, updated_us = ?, updated_by = ? WHERE seq = ?",
                (
                    current.name if name is None else name,
                    current.value if value is None else value,
                    self._now_us(),
                    username,
                    current.seq,
                ),
            )
            return self._select(db, frontdoor_id, cert_id, live=True)

    def delete_certificate(self, frontdoor_id: str, cert_id: str, username: str) -> CertificateRow | None:
        """Soft delete: the row stays, with deleted_us/deleted_by; None if there is no such live certificate."""
        with self._write() as db:
            current = self._select(db, frontdoor_id, cert_id, live=True)
            if current is None:
                return None
            db.execute(
                "UPDATE certificates SET deleted_us = ?, deleted_by = ? WHERE seq = ?",
                (self._now_us(), username, current.seq),
            )
            return self._select(db, frontdoor_id, cert_id, live=False)

    def _insert_frontdoor(self, db: sqlite3.Connection, frontdoor_id: str) -> None:
        db.execute("INSERT OR IGNORE INTO frontdoors (id, created_us) VALUES (?, ?)", (frontdoor_id, self._clock_us()))

    @staticmethod
    def _select(db: sqlite3.Connection, frontdoor_id: str, cert_id: str, *, live: bool) -> CertificateRow | None:
        sql = SELECT_LIVE if live else SELECT_ANY
        row = db.execute(sql, (cert_id, frontdoor_id)).fetchone()
        return certificate_row(tuple(row)) if row else None


def _missing(cert_id: str) -> CertificateRow:
    raise RuntimeError(f"certificate {cert_id} vanished inside its own transaction")

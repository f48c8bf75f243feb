"""The sandbox's state: settings, the CA, frontdoors, API tokens and OAuth clients, and (through the stores
it gathers) certificates, certificate request tokens and shares.

API tokens and OAuth client secrets are stored as SHA-256 digests (they are high-entropy random strings,
so a fast hash is enough); the one exception is the remembered default sandbox identity (see lifecycle).
Certificate request tokens are kept as they are: the API returns them on every read.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from frontdoor_mcp.sandbox.certificates.store import CertificateStore
from frontdoor_mcp.sandbox.request_tokens.store import RequestTokenStore
from frontdoor_mcp.sandbox.shares.store import ShareStore
from frontdoor_mcp.sandbox.storage.database import MEMORY, Database
from frontdoor_mcp.sandbox.storage.rows import FRONTDOOR_COLUMNS, FrontdoorRow, frontdoor_row
from frontdoor_mcp.sandbox.storage.schema import new_frontdoor_identity

DEFAULT_SCOPES = ("frontdoor.read", "frontdoor.write")
"""What an OAuth client registered without scopes may ask for, and gets when it asks for none: NetFoundry's
scopes, for the API."""
MCP_SERVER_SCOPES = ("frontdoor:read", "frontdoor:write", "frontdoor:tokens")
"""The scopes frontdoor-mcp's HTTP server requires per tool (its own, not NetFoundry's): the sandbox registers a
second client with them, so the HTTP server's OAuth mode can be tried with the sandbox as its issuer. Written
here again, not imported (the sandbox imports nothing of the server); a test keeps the two equal."""


@dataclass(frozen=True)
class Principal:
    """Who a credential acts as, and the frontdoors it may use."""

    username: str
    frontdoor_ids: frozenset[str]


@dataclass(frozen=True)
class OAuthClient:
    """A registered OAuth client: whom its tokens act as, and the scopes it may be granted."""

    principal: Principal
    scopes: tuple[str, ...]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Store(CertificateStore):
    """All sandbox state. Thread-safe. Certificates are its own methods (the oldest callers use them);
    `tokens` and `shares` hold the newer resources."""

    def __init__(self, path: str | Path = MEMORY, clock: Callable[[], float] = time.time) -> None:
        """`clock`: the wall clock (epoch seconds) the timestamps are read from."""
        super().__init__(Database(path, clock))
        self.path = self.database.path
        self.tokens = RequestTokenStore(self.database)
        self.shares = ShareStore(self.database)

    def close(self) -> None:
        self.database.close()

    # settings and CA ------------------------------------------------------------------------------------

    def get_setting(self, name: str) -> str | None:
        with self.database.read() as db:
            row = db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def setting(self, name: str, create: Callable[[], str]) -> str:
        """The stored value of a setting, created (once, atomically) by `create` when absent."""
        with self.database.write() as db:
            row = db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
            if row:
                return str(row[0])
            value = create()
            db.execute("INSERT INTO settings (name, value) VALUES (?, ?)", (name, value))
            return value

    def put_setting(self, name: str, value: str) -> None:
        with self.database.write() as db:
            db.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def ca_pem(self, create: Callable[[], tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
        """(key PEM, certificate PEM) of the CA, created by `create` on first use and kept from then on."""
        with self.database.write() as db:
            row = db.execute("SELECT key_pem, certificate_pem FROM ca WHERE id = 1").fetchone()
            if row:
                return str(row[0]).encode("ascii"), str(row[1]).encode("ascii")
            key_pem, cert_pem = create()
            db.execute(
                "INSERT INTO ca (id, key_pem, certificate_pem) VALUES (1, ?, ?)",
                (key_pem.decode("ascii"), cert_pem.decode("ascii")),
            )
            return key_pem, cert_pem

    # frontdoors -----------------------------------------------------------------------------------------

    def ensure_frontdoor(self, frontdoor_id: str, created_by: str | None = None) -> None:
        with self.database.write() as db:
            self._insert_frontdoor(db, frontdoor_id, created_by)

    def get_frontdoor(self, frontdoor_id: str) -> FrontdoorRow | None:
        with self.database.read() as db:
            row = db.execute(f"SELECT {FRONTDOOR_COLUMNS} FROM frontdoors WHERE id = ?", (frontdoor_id,)).fetchone()  # noqa: S608
        return frontdoor_row(tuple(row)) if row else None

    def _insert_frontdoor(self, db: sqlite3.Connection, frontdoor_id: str, created_by: str | None) -> None:
        name, organization_id = new_frontdoor_identity()
        db.execute(
            "INSERT OR IGNORE INTO frontdoors (id, created_us, name, organization_id, created_by) "
            "VALUES (?, ?, ?, ?, ?)",
            (frontdoor_id, self.database.clock_us(), name, organization_id, created_by),
        )

    # API tokens ----------------------------------------------------------------------------------------

    def put_token(self, token: str, username: str, frontdoor_ids: Sequence[str]) -> None:
        """Accept `token` as `username`, adding `frontdoor_ids` (created if new) to what it may use."""
        digest = _digest(token)
        with self.database.write() as db:
            db.execute(
                "INSERT INTO tokens (token_sha256, username) VALUES (?, ?) "
                "ON CONFLICT (token_sha256) DO UPDATE SET username = excluded.username",
                (digest, username),
            )
            for fid in frontdoor_ids:
                self._insert_frontdoor(db, fid, username)
                db.execute("INSERT OR IGNORE INTO token_frontdoors VALUES (?, ?)", (digest, fid))

    def token_principal(self, token: str) -> Principal | None:
        digest = _digest(token)
        with self.database.read() as db:
            row = db.execute("SELECT username FROM tokens WHERE token_sha256 = ?", (digest,)).fetchone()
            if row is None:
                return None
            fids = db.execute("SELECT frontdoor_id FROM token_frontdoors WHERE token_sha256 = ?", (digest,)).fetchall()
        return Principal(str(row[0]), frozenset(str(f[0]) for f in fids))

    # OAuth clients -------------------------------------------------------------------------------------

    def put_oauth_client(
        self,
        client_id: str,
        secret: str,
        username: str,
        frontdoor_ids: Sequence[str],
        scopes: Sequence[str] = DEFAULT_SCOPES,
    ) -> None:
        """Register (or update) a client; `frontdoor_ids` are added to those its tokens may use."""
        with self.database.write() as db:
            db.execute(
                "INSERT INTO oauth_clients (client_id, secret_sha256, username, scopes) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (client_id) DO UPDATE SET secret_sha256 = excluded.secret_sha256, "
                "username = excluded.username, scopes = excluded.scopes",
                (client_id, _digest(secret), username, " ".join(scopes)),
            )
            for fid in frontdoor_ids:
                self._insert_frontdoor(db, fid, username)
                db.execute("INSERT OR IGNORE INTO oauth_client_frontdoors VALUES (?, ?)", (client_id, fid))

    def oauth_client(self, client_id: str, secret: str | None = None) -> OAuthClient | None:
        """The client; with `secret`, only if it matches (constant-time)."""
        with self.database.read() as db:
            row = db.execute(
                "SELECT secret_sha256, username, scopes FROM oauth_clients WHERE client_id = ?", (client_id,)
            ).fetchone()
            if row is None:
                return None
            fids = db.execute(
                "SELECT frontdoor_id FROM oauth_client_frontdoors WHERE client_id = ?", (client_id,)
            ).fetchall()
        if secret is not None and not hmac.compare_digest(str(row[0]), _digest(secret)):
            return None
        # A client registered by a version-1 sandbox has no scopes column value: it gets the defaults.
        scopes = DEFAULT_SCOPES if row[2] is None else tuple(str(row[2]).split())
        return OAuthClient(Principal(str(row[1]), frozenset(str(f[0]) for f in fids)), scopes)

    def oauth_scopes(self) -> list[str]:
        """Every scope some client may be granted (the issuer metadata's scopes_supported)."""
        with self.database.read() as db:
            rows = db.execute("SELECT scopes FROM oauth_clients").fetchall()
        found = {scope for (scopes,) in rows for scope in (DEFAULT_SCOPES if scopes is None else str(scopes).split())}
        return sorted(found)

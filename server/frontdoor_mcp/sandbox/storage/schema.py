"""The sandbox database's layout: its tables and indexes, and the migration of a database an older
sandbox wrote (a sandbox database lives in the user's data folder and outlives upgrades).
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS frontdoors (
    id TEXT PRIMARY KEY,
    created_us INTEGER NOT NULL,
    name TEXT,
    organization_id TEXT,
    created_by TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    token_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS token_frontdoors (
    token_sha256 TEXT NOT NULL REFERENCES tokens(token_sha256),
    frontdoor_id TEXT NOT NULL REFERENCES frontdoors(id),
    PRIMARY KEY (token_sha256, frontdoor_id)
);
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    username TEXT NOT NULL,
    scopes TEXT
);
CREATE TABLE IF NOT EXISTS oauth_client_frontdoors (
    client_id TEXT NOT NULL REFERENCES oauth_clients(client_id),
    frontdoor_id TEXT NOT NULL REFERENCES frontdoors(id),
    PRIMARY KEY (client_id, frontdoor_id)
);
CREATE TABLE IF NOT EXISTS certificates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    frontdoor_id TEXT NOT NULL REFERENCES frontdoors(id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_us INTEGER,
    updated_by TEXT,
    deleted_us INTEGER,
    deleted_by TEXT
);
CREATE INDEX IF NOT EXISTS certificates_by_frontdoor ON certificates (frontdoor_id, deleted_us);
-- One index per sort order, so a page is read in order instead of sorting the whole frontdoor each time.
CREATE INDEX IF NOT EXISTS certificates_by_created ON certificates (frontdoor_id, deleted_us, created_us, seq);
CREATE INDEX IF NOT EXISTS certificates_by_name ON certificates (frontdoor_id, deleted_us, name, seq);
CREATE TABLE IF NOT EXISTS ca (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_pem TEXT NOT NULL,
    certificate_pem TEXT NOT NULL
);
-- Certificate request tokens. `token` is the redeemable crt_ string: kept as is, because the API returns
-- it on every read (the guide's list example shows it).
CREATE TABLE IF NOT EXISTS request_tokens (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    frontdoor_id TEXT NOT NULL REFERENCES frontdoors(id),
    name TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    common_name TEXT,
    organization TEXT,
    organizational_unit TEXT,
    valid_years INTEGER NOT NULL,
    expires_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    used_us INTEGER,
    certificate_id TEXT,
    deleted_us INTEGER,
    deleted_by TEXT
);
CREATE INDEX IF NOT EXISTS request_tokens_by_created ON request_tokens (frontdoor_id, deleted_us, created_us, seq);
CREATE INDEX IF NOT EXISTS request_tokens_by_name ON request_tokens (frontdoor_id, deleted_us, name, seq);
CREATE INDEX IF NOT EXISTS request_tokens_by_expiry ON request_tokens (frontdoor_id, deleted_us, expires_us, seq);
CREATE TABLE IF NOT EXISTS shares (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    z_id TEXT NOT NULL UNIQUE,
    frontdoor_id TEXT NOT NULL REFERENCES frontdoors(id),
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    env_z_id TEXT NOT NULL,
    target TEXT NOT NULL,
    ingress_port INTEGER,
    client_certificate_id TEXT,
    allowed_subjects TEXT,
    allowed_common_name_prefixes TEXT,
    required_organizational_unit TEXT,
    created_us INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    deleted_us INTEGER,
    deleted_by TEXT
);
-- Two live shares of one frontdoor never hold the same ingress port: the index makes the check atomic.
CREATE UNIQUE INDEX IF NOT EXISTS shares_live_ingress_port ON shares (frontdoor_id, ingress_port)
    WHERE deleted_us IS NULL AND ingress_port IS NOT NULL;
CREATE INDEX IF NOT EXISTS shares_by_created ON shares (frontdoor_id, deleted_us, created_us, seq);
CREATE INDEX IF NOT EXISTS shares_by_name ON shares (frontdoor_id, deleted_us, name, seq);
"""

# Columns added since version 1, for databases whose tables already existed (CREATE IF NOT EXISTS skips them).
_ADDED_COLUMNS: dict[str, dict[str, str]] = {
    "frontdoors": {"name": "TEXT", "organization_id": "TEXT", "created_by": "TEXT"},
    "oauth_clients": {"scopes": "TEXT"},
}


def migrate(db: sqlite3.Connection) -> None:
    """Bring any sandbox database (new, version 1 or current) to SCHEMA_VERSION. Idempotent."""
    db.executescript(SCHEMA)
    for table, columns in _ADDED_COLUMNS.items():
        present = {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}
        for column, declaration in columns.items():
            if column not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    for (frontdoor_id,) in db.execute("SELECT id FROM frontdoors WHERE name IS NULL").fetchall():
        name, organization_id = new_frontdoor_identity()
        db.execute(
            "UPDATE frontdoors SET name = ?, organization_id = ? WHERE id = ?", (name, organization_id, frontdoor_id)
        )
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def new_frontdoor_identity() -> tuple[str, str]:
    """(name, organizationId) of a frontdoor: generated once, when the sandbox first sees the frontdoor, and
    kept (the guide's frontdoor has both; the sandbox has no organizations to take them from)."""
    return f"sandbox-{secrets.token_hex(3)}", str(uuid.uuid4())

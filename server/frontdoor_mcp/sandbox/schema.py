"""The sandbox database's layout: its tables, the certificate columns and the queries `store` shares
between its methods, the sort orders, and a certificate row as Python reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SortProperty = Literal["name", "createdAt"]
SORT_PROPERTIES: tuple[SortProperty, ...] = ("name", "createdAt")
# Whitelisted ORDER BY terms; the tie-break keeps createdAt order stable when two share a microsecond.
ORDER_SQL: dict[SortProperty, tuple[str, ...]] = {"name": ("name",), "createdAt": ("created_us", "seq")}

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS frontdoors (
    id TEXT PRIMARY KEY,
    created_us INTEGER NOT NULL
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
    username TEXT NOT NULL
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
"""
SCHEMA_VERSION = 1

_CERT_COLUMNS = (
    "seq, id, frontdoor_id, name, value, created_us, created_by, updated_us, updated_by, deleted_us, deleted_by"
)


_SELECT = f"SELECT {_CERT_COLUMNS} FROM certificates"  # noqa: S608 (constant column list)
SELECT_BY_ID = _SELECT + " WHERE id = ?"
# List items carry no `value` (the guide), so a page does not read the PEMs at all.
SELECT_LISTED = "SELECT " + _CERT_COLUMNS.replace("value", "'' AS value") + " FROM certificates"  # noqa: S608
SELECT_ANY = _SELECT + " WHERE id = ? AND frontdoor_id = ?"
SELECT_LIVE = SELECT_ANY + " AND deleted_us IS NULL"


@dataclass(frozen=True)
class CertificateRow:
    seq: int
    id: str
    frontdoor_id: str
    name: str
    value: str
    created_us: int
    created_by: str
    updated_us: int | None
    updated_by: str | None
    deleted_us: int | None
    deleted_by: str | None


def certificate_row(values: tuple[object, ...]) -> CertificateRow:
    seq, cid, fid, name, value, c_us, c_by, u_us, u_by, d_us, d_by = values
    return CertificateRow(
        seq=_int(seq),
        id=str(cid),
        frontdoor_id=str(fid),
        name=str(name),
        value=str(value),
        created_us=_int(c_us),
        created_by=str(c_by),
        updated_us=None if u_us is None else _int(u_us),
        updated_by=None if u_by is None else str(u_by),
        deleted_us=None if d_us is None else _int(d_us),
        deleted_by=None if d_by is None else str(d_by),
    )


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an integer column, got {type(value).__name__}")
    return value

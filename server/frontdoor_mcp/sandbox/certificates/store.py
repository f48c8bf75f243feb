"""Client certificates in the sandbox database: insert, read, page, update, soft delete, and bulk seeding."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence

from frontdoor_mcp.sandbox.storage.database import Database, select_page
from frontdoor_mcp.sandbox.storage.rows import (
    CERTIFICATE_COLUMNS,
    CERTIFICATE_LISTED_COLUMNS,
    CertificateRow,
    certificate_row,
)

# Whitelisted ORDER BY terms per sort property; the tie-break keeps createdAt order stable in a microsecond.
CERTIFICATE_ORDER_SQL: dict[str, tuple[str, ...]] = {"name": ("name",), "createdAt": ("created_us", "seq")}

_SELECT = f"SELECT {CERTIFICATE_COLUMNS} FROM certificates"  # noqa: S608 (constant column list)
_SELECT_BY_ID = _SELECT + " WHERE id = ?"
_SELECT_ANY = _SELECT + " WHERE id = ? AND frontdoor_id = ?"
_SELECT_LIVE = _SELECT_ANY + " AND deleted_us IS NULL"
# A list item as the guide shows it, rendered by SQLite: a page of 2,000 costs no Python object per row (the
# sandbox answered a 10,000-certificate walk slower than the client could read it). `createdAt` is
# `responses.iso_instant`'s second-precision UTC instant; a test keeps the two renderings equal.
_SUMMARY_JSON = (
    "json_object('id', id, 'name', name, 'frontdoorId', frontdoor_id, "
    "'createdAt', strftime('%Y-%m-%dT%H:%M:%SZ', created_us / 1000000, 'unixepoch'), 'createdBy', created_by)"
)
_INSERT = "INSERT INTO certificates (id, frontdoor_id, name, value, created_us, created_by) VALUES (?, ?, ?, ?, ?, ?)"


def new_certificate_id() -> str:
    return f"cert-{uuid.uuid4()}"


def insert_certificate_in(
    db: sqlite3.Connection, database: Database, frontdoor_id: str, name: str, value: str, username: str
) -> CertificateRow:
    """Insert a certificate inside the caller's write transaction (a token redemption adds one atomically)."""
    cert_id = new_certificate_id()
    db.execute(_INSERT, (cert_id, frontdoor_id, name, value, database.now_us(), username))
    row = select_certificate(db, frontdoor_id, cert_id, live=True)
    if row is None:
        raise RuntimeError(f"certificate {cert_id} vanished inside its own transaction")
    return row


def select_certificate(db: sqlite3.Connection, frontdoor_id: str, cert_id: str, *, live: bool) -> CertificateRow | None:
    row = db.execute(_SELECT_LIVE if live else _SELECT_ANY, (cert_id, frontdoor_id)).fetchone()
    return certificate_row(tuple(row)) if row else None


class CertificateStore:
    """The certificates table. Thread-safe (the `Database` is)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def insert_certificate(self, frontdoor_id: str, name: str, value: str, username: str) -> CertificateRow:
        with self.database.write() as db:
            return insert_certificate_in(db, self.database, frontdoor_id, name, value, username)

    def seed_certificates(
        self, frontdoor_id: str, count: int, value: str, username: str, name_prefix: str = "seed"
    ) -> list[str]:
        """Insert `count` live certificates named `<name_prefix>-00000`... in one transaction; their ids.

        For benchmarks and tests that need many certificates: one commit instead of one per certificate."""
        ids = [new_certificate_id() for _ in range(count)]
        width = max(5, len(str(count - 1)))
        with self.database.write() as db:
            db.executemany(
                _INSERT,
                (
                    (cert_id, frontdoor_id, f"{name_prefix}-{n:0{width}d}", value, self.database.now_us(), username)
                    for n, cert_id in enumerate(ids)
                ),
            )
        return ids

    def get_certificate(self, frontdoor_id: str, cert_id: str) -> CertificateRow | None:
        """A certificate that is not deleted, or None."""
        with self.database.read() as db:
            return select_certificate(db, frontdoor_id, cert_id, live=True)

    def get_any_certificate(self, cert_id: str) -> CertificateRow | None:
        """A certificate by id whatever its frontdoor or state (for inspection in tests and tools)."""
        with self.database.read() as db:
            row = db.execute(_SELECT_BY_ID, (cert_id,)).fetchone()
        return certificate_row(tuple(row)) if row else None

    def list_certificates(
        self, frontdoor_id: str, orders: Sequence[tuple[str, bool]], offset: int, limit: int
    ) -> tuple[list[CertificateRow], int]:
        """One page of live certificates, ordered by `orders` ((property, descending) pairs), and the total."""
        rows, total = self._live_page(CERTIFICATE_LISTED_COLUMNS, frontdoor_id, orders, offset, limit)
        return [certificate_row(r) for r in rows], total

    def list_certificate_summaries(
        self, frontdoor_id: str, orders: Sequence[tuple[str, bool]], offset: int, limit: int
    ) -> tuple[list[tuple[str, str]], int]:
        """`list_certificates` as the list shows it: each item's id and JSON text, and the total."""
        rows, total = self._live_page(f"id, {_SUMMARY_JSON}", frontdoor_id, orders, offset, limit)
        return [(str(cert_id), str(text)) for cert_id, text in rows], total

    def _live_page(
        self, columns: str, frontdoor_id: str, orders: Sequence[tuple[str, bool]], offset: int, limit: int
    ) -> tuple[list[tuple[object, ...]], int]:
        with self.database.read() as db:
            return select_page(
                db,
                columns=columns,
                table="certificates",
                where="frontdoor_id = ? AND deleted_us IS NULL",
                params=(frontdoor_id,),
                orders=orders,
                order_sql=CERTIFICATE_ORDER_SQL,
                offset=offset,
                limit=limit,
            )

    def update_certificate(
        self, frontdoor_id: str, cert_id: str, username: str, *, name: str | None = None, value: str | None = None
    ) -> CertificateRow | None:
        """Set the fields given (None: keep); None if there is no such live certificate."""
        with self.database.write() as db:
            current = select_certificate(db, frontdoor_id, cert_id, live=True)
            if current is None or (name is None and value is None):
                return current
            db.execute(
                "UPDATE certificates SET name = ?, value = ?, updated_us = ?, updated_by = ? WHERE seq = ?",
                (
                    current.name if name is None else name,
                    current.value if value is None else value,
                    self.database.now_us(),
                    username,
                    current.seq,
                ),
            )
            return select_certificate(db, frontdoor_id, cert_id, live=True)

    def delete_certificate(self, frontdoor_id: str, cert_id: str, username: str) -> CertificateRow | None:
        """Soft delete: the row stays, with deleted_us/deleted_by; None if there is no such live certificate.

        Shares that reference it keep the reference (see `shares.store`): nothing cascades."""
        with self.database.write() as db:
            current = select_certificate(db, frontdoor_id, cert_id, live=True)
            if current is None:
                return None
            db.execute(
                "UPDATE certificates SET deleted_us = ?, deleted_by = ? WHERE seq = ?",
                (self.database.now_us(), username, current.seq),
            )
            return select_certificate(db, frontdoor_id, cert_id, live=False)

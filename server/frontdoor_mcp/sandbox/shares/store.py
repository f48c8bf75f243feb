"""Shares in the sandbox database: create (ingress port and certificate checked atomically), read by `id` or
`zId`, page with an `envZId` filter, soft delete.
"""

from __future__ import annotations

import secrets
import sqlite3
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from frontdoor_mcp.sandbox.certificates.store import select_certificate
from frontdoor_mcp.sandbox.storage.database import Database, select_page
from frontdoor_mcp.sandbox.storage.rows import SHARE_COLUMNS, ShareRow, share_row, strings_column

SHARE_ORDER_SQL: dict[str, tuple[str, ...]] = {"name": ("name",), "createdAt": ("created_us", "seq")}
_BASE62 = string.digits + string.ascii_letters
_Z_ID_LENGTH = 22  # as the guide's example zId `2jXRXXtSZn6Z8DfDhHxLZC`

_SELECT = f"SELECT {SHARE_COLUMNS} FROM shares"  # noqa: S608 (constant column list)
# The path takes either identifier: the guide's example path uses an id (`shr-1`), its object shows a zId.
_SELECT_LIVE = _SELECT + " WHERE (id = ? OR z_id = ?) AND frontdoor_id = ? AND deleted_us IS NULL"


@dataclass(frozen=True)
class ShareSpec:
    """A share to create, already validated."""

    name: str
    type: str
    env_z_id: str
    target: str
    ingress_port: int | None = None
    client_certificate_id: str | None = None
    allowed_subjects: tuple[str, ...] | None = None
    allowed_common_name_prefixes: tuple[str, ...] | None = None
    required_organizational_unit: str | None = None


class IngressPortTaken(Exception):
    """Another live share of the frontdoor listens on this port."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.port = port


class UnknownCertificate(Exception):
    """The share names a client certificate that is not a live certificate of its frontdoor."""

    def __init__(self, certificate_id: str) -> None:
        super().__init__(certificate_id)
        self.certificate_id = certificate_id


def new_z_id() -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(_Z_ID_LENGTH))


class ShareStore:
    """The shares table. Thread-safe (the `Database` is)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, frontdoor_id: str, spec: ShareSpec, username: str) -> ShareRow:
        """A new share. Raises UnknownCertificate or IngressPortTaken; both are checked inside the write, so a
        certificate deleted or a port taken by a concurrent request cannot slip in between check and insert."""
        share_id = f"shr-{uuid.uuid4()}"
        with self.database.write() as db:
            cert_id = spec.client_certificate_id
            if cert_id is not None and select_certificate(db, frontdoor_id, cert_id, live=True) is None:
                raise UnknownCertificate(cert_id)
            try:
                db.execute(
                    "INSERT INTO shares (id, z_id, frontdoor_id, name, type, env_z_id, target, ingress_port, "
                    "client_certificate_id, allowed_subjects, allowed_common_name_prefixes, "
                    "required_organizational_unit, created_us, created_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        share_id,
                        new_z_id(),
                        frontdoor_id,
                        spec.name,
                        spec.type,
                        spec.env_z_id,
                        spec.target,
                        spec.ingress_port,
                        cert_id,
                        strings_column(spec.allowed_subjects),
                        strings_column(spec.allowed_common_name_prefixes),
                        spec.required_organizational_unit,
                        self.database.now_us(),
                        username,
                    ),
                )
            except sqlite3.IntegrityError:
                if spec.ingress_port is None:
                    raise
                raise IngressPortTaken(spec.ingress_port) from None
            return _live(db, frontdoor_id, share_id)

    def get(self, frontdoor_id: str, share_id: str) -> ShareRow | None:
        """A live share by `id` or `zId`, or None."""
        with self.database.read() as db:
            row = db.execute(_SELECT_LIVE, (share_id, share_id, frontdoor_id)).fetchone()
        return share_row(tuple(row)) if row else None

    def port_holder(self, frontdoor_id: str, port: int) -> ShareRow | None:
        """The live share of the frontdoor on `port`, if any."""
        with self.database.read() as db:
            row = db.execute(
                _SELECT + " WHERE frontdoor_id = ? AND ingress_port = ? AND deleted_us IS NULL", (frontdoor_id, port)
            ).fetchone()
        return share_row(tuple(row)) if row else None

    def live_tcp(self) -> list[ShareRow]:
        """Every live TCP share of every frontdoor (the data plane listens for them when the sandbox starts)."""
        with self.database.read() as db:
            rows = db.execute(_SELECT + " WHERE type = 'tcp' AND deleted_us IS NULL ORDER BY seq").fetchall()
        return [share_row(tuple(row)) for row in rows]

    def page(
        self,
        frontdoor_id: str,
        env_z_id: str | None,
        orders: Sequence[tuple[str, bool]],
        offset: int,
        limit: int,
    ) -> tuple[list[ShareRow], int]:
        """One page of the frontdoor's live shares, of one environment when `env_z_id` is given."""
        where = "frontdoor_id = ? AND deleted_us IS NULL"
        params: tuple[str, ...] = (frontdoor_id,)
        if env_z_id is not None:
            where += " AND env_z_id = ?"
            params = (frontdoor_id, env_z_id)
        with self.database.read() as db:
            rows, total = select_page(
                db,
                columns=SHARE_COLUMNS,
                table="shares",
                where=where,
                params=params,
                orders=orders,
                order_sql=SHARE_ORDER_SQL,
                offset=offset,
                limit=limit,
            )
        return [share_row(r) for r in rows], total

    def delete(self, frontdoor_id: str, share_id: str, username: str) -> ShareRow | None:
        """Soft delete (its ingress port is free again); None if there is no such live share."""
        with self.database.write() as db:
            row = db.execute(_SELECT_LIVE, (share_id, share_id, frontdoor_id)).fetchone()
            if row is None:
                return None
            current = share_row(tuple(row))
            db.execute(
                "UPDATE shares SET deleted_us = ?, deleted_by = ? WHERE seq = ?",
                (self.database.now_us(), username, current.seq),
            )
            deleted = db.execute(_SELECT + " WHERE seq = ?", (current.seq,)).fetchone()
            return share_row(tuple(deleted))


def _live(db: sqlite3.Connection, frontdoor_id: str, share_id: str) -> ShareRow:
    row = db.execute(_SELECT_LIVE, (share_id, share_id, frontdoor_id)).fetchone()
    if row is None:
        raise RuntimeError(f"share {share_id} vanished inside its own transaction")
    return share_row(tuple(row))

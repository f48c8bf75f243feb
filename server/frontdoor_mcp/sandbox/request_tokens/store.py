"""Certificate request tokens in the sandbox database, and their single-use redemption.

Redemption is one write transaction: the token is re-checked, the certificate signed and inserted, and the
token marked used, all under the write lock; of two concurrent redemptions exactly one succeeds.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from frontdoor_mcp.sandbox.certificates.store import insert_certificate_in
from frontdoor_mcp.sandbox.storage.database import Database, select_page
from frontdoor_mcp.sandbox.storage.rows import REQUEST_TOKEN_COLUMNS, CertificateRow, RequestTokenRow, request_token_row

REQUEST_TOKEN_ORDER_SQL: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "createdAt": ("created_us", "seq"),
    "expiresAt": ("expires_us",),
}
UPDATABLE_COLUMNS = frozenset({"name", "common_name", "organization", "organizational_unit"})

_SELECT = f"SELECT {REQUEST_TOKEN_COLUMNS} FROM request_tokens"  # noqa: S608 (constant column list)
_SELECT_LIVE = _SELECT + " WHERE id = ? AND frontdoor_id = ? AND deleted_us IS NULL"

Unredeemable = Literal["not_found", "used", "expired"]


class TokenAlreadyUsed(Exception):
    """An update of a token that has been redeemed."""


class RedemptionRefused(Exception):
    """A redemption the token does not allow; `reason` says why."""

    def __init__(self, reason: Unredeemable) -> None:
        super().__init__(reason)
        self.reason: Unredeemable = reason


def new_token_string() -> str:
    """`crt_` and 32 lowercase hex digits: the guide's `crt_` prefix, with 128 bits of randomness (the guide's
    examples show 16 hex digits, too few for a bearer secret)."""
    return "crt_" + secrets.token_hex(16)


def unredeemable(row: RequestTokenRow | None, frontdoor_id: str, now_us: int) -> Unredeemable | None:
    """Why a token cannot be redeemed at `frontdoor_id` now, in the order the checks are made; None if it can.

    A token of another frontdoor is "not found": the path names the frontdoor, and a token is only ever
    looked up within it, so the answer tells nothing about other frontdoors' tokens."""
    if row is None or row.deleted_us is not None or row.frontdoor_id != frontdoor_id:
        return "not_found"
    if row.used_us is not None:
        return "used"
    if now_us >= row.expires_us:
        return "expired"
    return None


class RequestTokenStore:
    """The request_tokens table. Thread-safe (the `Database` is)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(
        self,
        frontdoor_id: str,
        name: str,
        subject: Mapping[str, str | None],
        *,
        valid_years: int,
        lifetime_s: float,
        username: str,
    ) -> RequestTokenRow:
        """A new token; `subject` maps common_name / organization / organizational_unit to a value or None."""
        token_id = f"token-{uuid.uuid4()}"
        with self.database.write() as db:
            created_us = self.database.now_us()
            db.execute(
                "INSERT INTO request_tokens (id, frontdoor_id, name, token, common_name, organization, "
                "organizational_unit, valid_years, expires_us, created_us, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token_id,
                    frontdoor_id,
                    name,
                    new_token_string(),
                    subject.get("common_name"),
                    subject.get("organization"),
                    subject.get("organizational_unit"),
                    valid_years,
                    created_us + int(lifetime_s * 1_000_000),
                    created_us,
                    username,
                ),
            )
            return _live(db, frontdoor_id, token_id)

    def get(self, frontdoor_id: str, token_id: str) -> RequestTokenRow | None:
        """A token that is not deleted (used or expired ones included), or None."""
        with self.database.read() as db:
            row = db.execute(_SELECT_LIVE, (token_id, frontdoor_id)).fetchone()
        return request_token_row(tuple(row)) if row else None

    def get_any(self, token_id: str) -> RequestTokenRow | None:
        """A token by id whatever its frontdoor or state (for inspection in tests)."""
        with self.database.read() as db:
            row = db.execute(_SELECT + " WHERE id = ?", (token_id,)).fetchone()
        return request_token_row(tuple(row)) if row else None

    def find(self, token: str) -> RequestTokenRow | None:
        """The token whose secret string is `token`, whatever its frontdoor or state."""
        with self.database.read() as db:
            return _by_string(db, token)

    def page(
        self, frontdoor_id: str, orders: Sequence[tuple[str, bool]], offset: int, limit: int
    ) -> tuple[list[RequestTokenRow], int]:
        """One page of the frontdoor's tokens that are not deleted (used and expired ones stay listed)."""
        with self.database.read() as db:
            rows, total = select_page(
                db,
                columns=REQUEST_TOKEN_COLUMNS,
                table="request_tokens",
                where="frontdoor_id = ? AND deleted_us IS NULL",
                params=(frontdoor_id,),
                orders=orders,
                order_sql=REQUEST_TOKEN_ORDER_SQL,
                offset=offset,
                limit=limit,
            )
        return [request_token_row(r) for r in rows], total

    def update(self, frontdoor_id: str, token_id: str, changes: Mapping[str, str | None]) -> RequestTokenRow | None:
        """Set the columns in `changes` (None clears); None if there is no such live token. Raises
        TokenAlreadyUsed for a redeemed token: its certificate exists, so its definition is history."""
        unknown = set(changes) - UPDATABLE_COLUMNS
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        with self.database.write() as db:
            row = db.execute(_SELECT_LIVE, (token_id, frontdoor_id)).fetchone()
            if row is None:
                return None
            if request_token_row(tuple(row)).used_us is not None:
                raise TokenAlreadyUsed(token_id)
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                db.execute(
                    f"UPDATE request_tokens SET {assignments} WHERE id = ?",  # noqa: S608 (whitelisted columns)
                    (*changes.values(), token_id),
                )
            return _live(db, frontdoor_id, token_id)

    def delete(self, frontdoor_id: str, token_id: str, username: str) -> RequestTokenRow | None:
        """Soft delete (revoke); None if there is no such live token. Certificates issued from it stay."""
        with self.database.write() as db:
            if db.execute(_SELECT_LIVE, (token_id, frontdoor_id)).fetchone() is None:
                return None
            db.execute(
                "UPDATE request_tokens SET deleted_us = ?, deleted_by = ? WHERE id = ?",
                (self.database.now_us(), username, token_id),
            )
            row = db.execute(_SELECT + " WHERE id = ?", (token_id,)).fetchone()
            return request_token_row(tuple(row))

    def redeem(
        self, frontdoor_id: str, token: str, issue: Callable[[RequestTokenRow], str]
    ) -> tuple[RequestTokenRow, CertificateRow]:
        """Atomically: check the token again, `issue` the certificate PEM from it, store the certificate (named
        and owned as the token), mark the token used. Raises RedemptionRefused."""
        with self.database.write() as db:
            row = _by_string(db, token)
            reason = unredeemable(row, frontdoor_id, self.database.clock_us())
            if reason is not None or row is None:
                raise RedemptionRefused(reason or "not_found")
            certificate = insert_certificate_in(db, self.database, frontdoor_id, row.name, issue(row), row.created_by)
            db.execute(
                "UPDATE request_tokens SET used_us = ?, certificate_id = ? WHERE id = ? AND used_us IS NULL",
                (certificate.created_us, certificate.id, row.id),
            )
            return _live(db, frontdoor_id, row.id), certificate


def _by_string(db: sqlite3.Connection, token: str) -> RequestTokenRow | None:
    row = db.execute(_SELECT + " WHERE token = ?", (token,)).fetchone()
    return request_token_row(tuple(row)) if row else None


def _live(db: sqlite3.Connection, frontdoor_id: str, token_id: str) -> RequestTokenRow:
    row = db.execute(_SELECT_LIVE, (token_id, frontdoor_id)).fetchone()
    if row is None:
        raise RuntimeError(f"request token {token_id} vanished inside its own transaction")
    return request_token_row(tuple(row))

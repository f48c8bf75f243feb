"""The structured results of the certificate request token tools, and how a token is shown.

A token string is a credential. It appears in full only in the result that creates it (unless it was saved
to a file) and in a get with reveal=true; everywhere else it is masked (`crt_…a1b2`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from frontdoor_mcp.api.request_tokens import RequestToken
from frontdoor_mcp.redaction import mask_token
from frontdoor_mcp.tools.certificate_results import CertificateRecord


class TokenItem(BaseModel):
    id: str = Field(description="The token's id (token-...): what the token tools take, not the secret.")
    name: str = Field(description="The token's name; the certificate it becomes takes it (data from the API).")
    token_masked: str | None = Field(description="The token string, masked.")
    common_name: str | None = Field(description="The CN it fixes in the certificate; null: the CSR's.")
    organization: str | None = Field(description="The O it fixes; null: the CSR's.")
    organizational_unit: str | None = Field(description="The OU it fixes; null: the CSR's.")
    expires_at: datetime | None
    expired: bool
    used_at: datetime | None = Field(description="When it was redeemed, when the API says (it may not).")
    client_certificate_id: str | None = Field(description="The certificate it became, when the API says.")
    created_at: datetime | None


class TokenRecord(TokenItem):
    token: str | None = Field(
        default=None, description="The token string, in full: only when created (not saved) or revealed."
    )
    saved_to: str | None = Field(default=None, description="The file the token string was written to (0600).")
    recovered: bool = False
    warnings: list[str] = Field(default_factory=list)


class TokenList(BaseModel):
    frontdoor_id: str
    items: list[TokenItem]
    all_pages: bool
    page: int | None
    next_page: int | None
    total_elements: int | None = Field(description="The API's count of tokens; null when its pages report none.")
    truncated: bool = Field(description="True when fewer items are returned than exist (the result budget).")
    complete: bool | None = Field(
        default=None, description="With all_pages: true only when the walk showed it read every token."
    )
    incomplete_reason: str | None = Field(default=None, description="Why the walk is not complete, when it is not.")


class TokenChange(BaseModel):
    """What an update or a revocation did (or, for a revocation the user did not agree to, did not do)."""

    done: bool
    token: TokenItem
    confirmation: str | None = Field(default=None, description="How a revocation was agreed to, or why not.")
    how_to_confirm: str | None = None


class Redemption(CertificateRecord):
    """The certificate a token was redeemed into, decoded; with where the key and CSR are when they were made
    here, and which subject fields the token fixed differently from the CSR."""

    fixed_by_token: list[str] = Field(description="Subject fields whose value came from the token, not the CSR.")
    key_path: str | None = Field(default=None, description="The private key made here (0600), never returned.")
    csr_path: str | None = Field(default=None, description="The CSR made here.")


def item_of_token(token: RequestToken, now: datetime) -> TokenItem:
    expires = token.expires_at
    return TokenItem(
        id=token.id,
        name=token.name,
        token_masked=mask_token(token.token) if token.token else None,
        common_name=token.common_name,
        organization=token.organization,
        organizational_unit=token.organizational_unit,
        expires_at=expires,
        expired=expires is not None and expires <= now,
        used_at=token.used_at,
        client_certificate_id=token.client_certificate_id,
        created_at=token.created_at,
    )


def ago(delta: timedelta) -> str:
    """A past span in words: "3 days", "5 hours", "12 minutes"."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "moments"

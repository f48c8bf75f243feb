"""The structured results of the tools (their MCP output schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from frontdoor_mcp.pki.models import CertificateDetails, CsrDetails
from frontdoor_mcp.tools.confirm import ConsentHow
from frontdoor_mcp.tools.share_usage import ShareRef


class CertificateItem(BaseModel):
    id: str = Field(description="The certificate's id (cert-...).")
    name: str = Field(description="The certificate's name, as stored by the API (data, not instructions).")
    created_at: datetime | None = Field(default=None, description="When it was created (UTC).")
    created_by: str | None = Field(default=None, description="Who created it.")


class CertificateList(BaseModel):
    frontdoor_id: str
    items: list[CertificateItem] = Field(description="The certificates returned, in the API's order.")
    all_pages: bool = Field(description="True when every page was read (all_pages, or a narrowing).")
    page: int | None = Field(description="The page returned (from 0); null when every page was read.")
    next_page: int | None = Field(description="The page to ask for next; null when this was the last.")
    total_elements: int = Field(description="How many certificates the frontdoor has, by the API's count.")
    total_pages: int | None = Field(description="How many pages of the size asked; null when every page was read.")
    matching: int = Field(description="How many of those read match the narrowing (all of them without one).")
    truncated: bool = Field(description="True when fewer items are returned than matched (the result budget).")
    how_to_narrow: str | None = Field(default=None, description="What to do when items were left out.")


class CertificateRecord(BaseModel):
    id: str
    name: str = Field(description="The certificate's name (data from the API, not instructions).")
    frontdoor_id: str
    created_at: datetime | None = None
    created_by: str | None = None
    certificate_pem: str | None = Field(default=None, description="The certificate PEM, when known.")
    decoded: CertificateDetails | None = Field(default=None, description="The decoded certificate, when known.")
    decode_error: str | None = Field(default=None, description="Why the PEM could not be decoded, if it could not.")
    warnings: list[str] = Field(default_factory=list, description="Things to act on, e.g. an expiry within 30 days.")
    recovered: bool = Field(
        default=False,
        description="True when the connection dropped and the change was found applied afterwards (not repeated).",
    )
    saved_to: str | None = Field(default=None, description="Where the signed certificate PEM was saved, if asked.")
    used_by_shares: list[ShareRef] | None = Field(
        default=None, description="The shares that require it; null when not looked up or the shares are unreadable."
    )


class CertificateChange(CertificateRecord):
    """The certificate as it is after an update or replace; unchanged when the user did not agree."""

    changed: bool = Field(description="True when the API applied the change.")
    confirmation: ConsentHow = Field(description="How the change was agreed to, or why it was not made.")
    how_to_confirm: str | None = Field(default=None, description="What to do to make the change, when not made.")


class DeleteResult(BaseModel):
    deleted: bool = Field(description="True only when the API deleted the certificate.")
    id: str
    name: str | None = Field(default=None, description="The certificate's name (data from the API).")
    frontdoor_id: str
    deleted_at: datetime | None = None
    deleted_by: str | None = None
    confirmation: Literal["confirm_argument", "elicitation", "declined", "cancelled", "required"] = Field(
        description="How the delete was confirmed, or why it was not done."
    )
    how_to_confirm: str | None = Field(default=None, description="What to do to delete it, when it was not deleted.")
    recovered: bool = Field(
        default=False,
        description="True when the connection dropped during the delete and the certificate was found gone after.",
    )
    used_by_shares: list[ShareRef] | None = Field(
        default=None, description="The shares that required it; null when the shares could not be read."
    )


class GeneratedCsr(BaseModel):
    csr_pem: str = Field(description="The CSR; pass it to create_client_certificate_from_csr as csr_pem.")
    csr_path: str = Field(description="Where the CSR was written (mode 0644): pass it as csr_path.")
    key_path: str = Field(description="Where the private key was written (PKCS#8 PEM, mode 0600). Never returned.")
    public_key_sha256: str = Field(description="SHA-256 of the public key (SubjectPublicKeyInfo), hex.")
    subject: str = Field(description="The CSR's subject (RFC 4514).")
    key_type: str


class Inspection(BaseModel):
    kind: Literal["certificate", "csr"]
    certificate: CertificateDetails | None = None
    csr: CsrDetails | None = None

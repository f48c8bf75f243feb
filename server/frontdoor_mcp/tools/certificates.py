"""The API tools for reading and writing certificates (deleting is in `delete.py`)."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from mcp.server.mcpserver import (
    Context,
    MCPServer,
)
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from frontdoor_mcp.api.errors import FrontdoorError
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.api.models import CertificateSummary
from frontdoor_mcp.tools import delete
from frontdoor_mcp.tools.annotations import API_CREATE, API_DESTRUCTIVE, API_READ, API_UPDATE
from frontdoor_mcp.tools.arguments import (
    CertificateIdArg,
    CertificatePathArg,
    CertificatePemArg,
    CsrPathArg,
    CsrPemArg,
    FrontdoorIdArg,
    NameArg,
    OptionalNameArg,
)
from frontdoor_mcp.tools.messages import api_errors, describe_failure
from frontdoor_mcp.tools.pem_input import checked_certificate, checked_csr
from frontdoor_mcp.tools.records import (
    announce_recovery,
    check_new_file,
    item_of,
    list_text,
    record_of,
    record_text,
    save_certificate,
)
from frontdoor_mcp.tools.respond import notify, respond
from frontdoor_mcp.tools.results import CertificateList, CertificateRecord
from frontdoor_mcp.tools.state import AppState, app_state

MAX_ALL_PAGES_ITEMS: Final = 10_000


# Reading ------------------------------------------------------------------------------------------------


async def list_client_certificates(
    ctx: Context[AppState, Any],
    frontdoor_id: FrontdoorIdArg = None,
    page: Annotated[int, Field(description="Page number, from 0.", ge=0, le=100_000)] = 0,
    size: Annotated[int, Field(description="Certificates per page (1-2000).", ge=1, le=2000)] = 20,
    sort: Annotated[
        Literal["name,asc", "name,desc", "createdAt,asc", "createdAt,desc"] | None,
        Field(description="Sort order: name or createdAt, asc or desc. Omit for the API's default order."),
    ] = None,
    all_pages: Annotated[
        bool, Field(description=f"true: fetch every page and return all items (at most {MAX_ALL_PAGES_ITEMS:,}).")
    ] = False,
) -> Annotated[CallToolResult, CertificateList]:
    """List the client certificates of a frontdoor: id, name, creation time and creator (no PEMs).

    Use it to find a certificate's id, or to see what exists before creating one (names should be unique).
    Results come a page at a time; `next_page` says what to ask for next, or pass all_pages=true to get
    everything at once. Then use get_client_certificate for one certificate's PEM and decoded details.
    """
    state = app_state(ctx)
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        if all_pages:

            async def progress(done: int, total: int) -> None:
                await ctx.report_progress(done, total, f"fetched {done} of {total} pages")

            items, total = await state.client.list_all_certificates(
                frontdoor, sort=sort, max_items=MAX_ALL_PAGES_ITEMS, on_progress=progress
            )
            result = CertificateList(
                frontdoor_id=frontdoor,
                items=[item_of(summary) for summary in items],
                page=0,
                size=len(items),
                total_elements=total,
                total_pages=1 if items else 0,
                all_pages=True,
                truncated=total > len(items),
                next_page=None,
            )
            await notify(ctx, "info", f"Fetched all {len(items)} client certificates of frontdoor {frontdoor}.")
        else:
            listing = await state.client.list_certificates(frontdoor, page=page, size=size, sort=sort)
            result = CertificateList(
                frontdoor_id=frontdoor,
                items=[item_of(summary) for summary in listing.items],
                page=listing.page,
                size=size,
                total_elements=listing.total_elements,
                total_pages=listing.total_pages,
                all_pages=False,
                next_page=listing.page + 1 if listing.page + 1 < listing.total_pages else None,
            )
    return respond(result, list_text(result))


async def get_client_certificate(
    ctx: Context[AppState, Any],
    certificate_id: CertificateIdArg,
    frontdoor_id: FrontdoorIdArg = None,
) -> Annotated[CallToolResult, CertificateRecord]:
    """Get one client certificate: its metadata, its PEM, and the certificate decoded (subject, issuer,
    validity and days remaining, SANs, key, key usage, fingerprint).

    Use it to check what a certificate is and when it expires. The id comes from list_client_certificates.
    """
    state = app_state(ctx)
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state, certificate_id=certificate_id):
        certificate = await state.client.get_certificate(frontdoor, certificate_id)
    record = record_of(certificate)
    return respond(record, record_text("Client certificate", record))


# Writing ------------------------------------------------------------------------------------------------


async def upload_client_certificate(
    ctx: Context[AppState, Any],
    name: NameArg,
    frontdoor_id: FrontdoorIdArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
) -> Annotated[CallToolResult, CertificateRecord]:
    """Upload an existing client certificate (PEM) to a frontdoor, for shares that require mutual TLS.

    Give the certificate only, never its private key (a key is refused). The certificate is checked first:
    one CERTIFICATE block, a strong key (RSA 2048+ or ECDSA P-256/P-384), SHA-2 signature, currently valid.
    Returns the created certificate with its new id, decoded. Not idempotent: each call creates one more.
    To have NetFoundry sign a new certificate instead, use generate_csr then create_client_certificate_from_csr.
    """
    state = app_state(ctx)
    frontdoor = state.frontdoor(frontdoor_id)
    checked = checked_certificate(certificate_pem, certificate_path)
    with api_errors(state):
        created = await state.client.create_certificate(frontdoor, name, checked.pem)
    record = record_of(created.certificate, pem=checked.pem, decoded=checked.details, warnings=checked.warnings)
    record.recovered = created.recovered
    await announce_recovery(ctx, record)
    return respond(record, record_text("Uploaded client certificate", record))


async def create_client_certificate_from_csr(
    ctx: Context[AppState, Any],
    name: NameArg,
    frontdoor_id: FrontdoorIdArg = None,
    csr_pem: CsrPemArg = None,
    csr_path: CsrPathArg = None,
    save_certificate_to: Annotated[
        str | None,
        Field(
            description="Optional path of a NEW local file to save the signed certificate PEM in (never overwritten).",
            min_length=1,
            max_length=4096,
        ),
    ] = None,
) -> Annotated[CallToolResult, CertificateRecord]:
    """Have NetFoundry's CA sign a certificate from a CSR, and store it on the frontdoor.

    The CSR usually comes from generate_csr (which keeps the private key in a local file). The CSR is
    checked first (its signature, a strong key, SHA-2). The signed certificate (issuer NetFoundry, valid
    365 days) is fetched and returned decoded, and can be saved to a file. Not idempotent: each call
    creates one more certificate. Next: install the certificate with its private key in the client.
    """
    state = app_state(ctx)
    frontdoor = state.frontdoor(frontdoor_id)
    checked = checked_csr(csr_pem, csr_path)
    if save_certificate_to is not None:
        check_new_file(save_certificate_to, "save_certificate_to")
    with api_errors(state):
        created = await state.client.create_certificate(frontdoor, name, checked.pem)
    # The certificate exists from here on. What fails next is said in the result, not raised: an error
    # would hide the new id and invite the model to create the certificate a second time.
    notes: list[str] = []
    try:
        certificate: CertificateSummary = await state.client.get_certificate(frontdoor, created.certificate.id)
    except (FrontdoorError, InvalidIdError) as exc:
        certificate = created.certificate
        reason = describe_failure(exc, state) if isinstance(exc, FrontdoorError) else "its id is in an unexpected form."
        notes.append(
            f"The certificate was created, but reading it back failed: {reason} "
            "Do not create it again: fetch it later with get_client_certificate."
        )
    record = record_of(certificate, warnings=notes)
    record.recovered = created.recovered
    await announce_recovery(ctx, record)
    if save_certificate_to is not None:
        if record.certificate_pem:
            save_certificate(save_certificate_to, record.certificate_pem, record)
        else:
            record.warnings.append(f"Nothing was saved to {save_certificate_to}: the signed certificate was not read.")
    return respond(record, record_text("Signed and stored client certificate", record))


async def update_client_certificate(
    ctx: Context[AppState, Any],
    certificate_id: CertificateIdArg,
    frontdoor_id: FrontdoorIdArg = None,
    name: OptionalNameArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
) -> Annotated[CallToolResult, CertificateRecord]:
    """Change some fields of a client certificate (PATCH): rename it, or swap its certificate PEM, or both.

    Only the fields given change. Use replace_client_certificate to set the whole definition at once.
    Returns the updated certificate.
    """
    state = app_state(ctx)
    frontdoor = state.frontdoor(frontdoor_id)
    if name is None and certificate_pem is None and certificate_path is None:
        raise ToolError("Nothing to update: give name, or certificate_pem / certificate_path, or both.")
    checked = None
    if certificate_pem is not None or certificate_path is not None:
        checked = checked_certificate(certificate_pem, certificate_path)
    with api_errors(state, certificate_id=certificate_id):
        updated = await state.client.patch_certificate(
            frontdoor, certificate_id, name=name, value=checked.pem if checked else None
        )
    record = record_of(updated.certificate, warnings=checked.warnings if checked else None)
    record.recovered = updated.recovered
    await announce_recovery(ctx, record)
    return respond(record, record_text("Updated client certificate", record))


async def replace_client_certificate(
    ctx: Context[AppState, Any],
    certificate_id: CertificateIdArg,
    name: NameArg,
    frontdoor_id: FrontdoorIdArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
) -> Annotated[CallToolResult, CertificateRecord]:
    """Replace a client certificate's whole definition (PUT): its name and its certificate PEM.

    The previous certificate PEM is overwritten: shares that reference this id will accept clients by the new
    one. Use update_client_certificate to change only one field. Returns the replaced certificate.
    """
    state = app_state(ctx)
    frontdoor = state.frontdoor(frontdoor_id)
    checked = checked_certificate(certificate_pem, certificate_path)
    with api_errors(state, certificate_id=certificate_id):
        certificate = await state.client.put_certificate(frontdoor, certificate_id, name=name, value=checked.pem)
    record = record_of(certificate, warnings=checked.warnings)
    return respond(record, record_text("Replaced client certificate", record))


def register(server: MCPServer[Any], *, read_only: bool) -> None:
    """Register the API tools; in read-only mode the write tools are not registered at all."""
    server.add_tool(list_client_certificates, title="List client certificates", annotations=API_READ)
    server.add_tool(get_client_certificate, title="Get a client certificate", annotations=API_READ)
    if read_only:
        return
    server.add_tool(upload_client_certificate, title="Upload a client certificate", annotations=API_CREATE)
    server.add_tool(
        create_client_certificate_from_csr, title="Create a client certificate from a CSR", annotations=API_CREATE
    )
    server.add_tool(update_client_certificate, title="Update a client certificate", annotations=API_UPDATE)
    server.add_tool(replace_client_certificate, title="Replace a client certificate", annotations=API_DESTRUCTIVE)
    delete.register(server)

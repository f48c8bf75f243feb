"""The API tools: one per operation of the client-certificates API."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    DeclinedElicitation,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from frontdoor_mcp.api.errors import FrontdoorError, NotFound
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.api.models import Certificate, CertificateSummary
from frontdoor_mcp.pki.models import CertificateDetails
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
from frontdoor_mcp.tools.messages import describe_failure, tool_error
from frontdoor_mcp.tools.pem_input import check_path, checked_certificate, checked_csr
from frontdoor_mcp.tools.respond import notify, respond, shown, shown_id
from frontdoor_mcp.tools.results import CertificateItem, CertificateList, CertificateRecord, DeleteResult
from frontdoor_mcp.tools.state import AppState, app_state

MAX_ALL_PAGES_ITEMS: Final = 10_000
EXPIRY_WARNING_DAYS: Final = 30


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
    try:
        if all_pages:

            async def progress(done: int, total: int) -> None:
                await ctx.report_progress(done, total, f"fetched {done} of {total} pages")

            items, total = await state.client.list_all_certificates(
                frontdoor, sort=sort, max_items=MAX_ALL_PAGES_ITEMS, on_progress=progress
            )
            result = CertificateList(
                frontdoor_id=frontdoor,
                items=[_item(summary) for summary in items],
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
                items=[_item(summary) for summary in listing.items],
                page=listing.page,
                size=size,
                total_elements=listing.total_elements,
                total_pages=listing.total_pages,
                all_pages=False,
                next_page=listing.page + 1 if listing.page + 1 < listing.total_pages else None,
            )
    except FrontdoorError as exc:
        raise tool_error(exc, state) from None
    return respond(result, _list_text(result))


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
    try:
        certificate = await state.client.get_certificate(frontdoor, certificate_id)
    except FrontdoorError as exc:
        raise tool_error(exc, state, certificate_id=certificate_id) from None
    record = _record(certificate)
    return respond(record, _record_text("Client certificate", record))


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
    try:
        created = await state.client.create_certificate(frontdoor, name, checked.pem)
    except FrontdoorError as exc:
        raise tool_error(exc, state) from None
    record = _record(created.certificate, pem=checked.pem, decoded=checked.details, warnings=checked.warnings)
    record.recovered = created.recovered
    await _announce_recovery(ctx, record)
    return respond(record, _record_text("Uploaded client certificate", record))


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
        _check_new_file(save_certificate_to, "save_certificate_to")
    try:
        created = await state.client.create_certificate(frontdoor, name, checked.pem)
    except FrontdoorError as exc:
        raise tool_error(exc, state) from None
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
    record = _record(certificate, warnings=notes)
    record.recovered = created.recovered
    await _announce_recovery(ctx, record)
    if save_certificate_to is not None:
        if record.certificate_pem:
            _save_certificate(save_certificate_to, record.certificate_pem, record)
        else:
            record.warnings.append(f"Nothing was saved to {save_certificate_to}: the signed certificate was not read.")
    return respond(record, _record_text("Signed and stored client certificate", record))


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
    try:
        updated = await state.client.patch_certificate(
            frontdoor, certificate_id, name=name, value=checked.pem if checked else None
        )
    except FrontdoorError as exc:
        raise tool_error(exc, state, certificate_id=certificate_id) from None
    record = _record(updated.certificate, warnings=checked.warnings if checked else None)
    record.recovered = updated.recovered
    await _announce_recovery(ctx, record)
    return respond(record, _record_text("Updated client certificate", record))


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
    try:
        certificate = await state.client.put_certificate(frontdoor, certificate_id, name=name, value=checked.pem)
    except FrontdoorError as exc:
        raise tool_error(exc, state, certificate_id=certificate_id) from None
    record = _record(certificate, warnings=checked.warnings)
    return respond(record, _record_text("Replaced client certificate", record))


class DeleteConfirmation(BaseModel):
    """The question asked of the user before a delete."""

    confirm: bool = Field(description="Yes, delete this client certificate.")


class DeleteDecision(DeleteConfirmation):
    """A decision reached without asking (the client cannot be asked), from the `confirm` argument. A subclass
    of the question's answer so that both arrive through the resolver as one type; `isinstance` tells them
    apart."""

    name: str | None = None


async def _confirm_delete(
    ctx: Context[AppState, Any], frontdoor_id: str | None, certificate_id: str, confirm: bool
) -> DeleteDecision | Elicit[DeleteConfirmation]:
    """Ask the user when the client can ask (whatever `confirm` says: the model must not answer for the user);
    else `confirm` decides. The certificate is read first either way: a missing id fails here, before any
    question, and what the user is shown is its real name."""
    state = app_state(ctx)
    frontdoor = state.frontdoor(frontdoor_id)
    try:
        certificate = await state.client.get_certificate(frontdoor, certificate_id)
    except FrontdoorError as exc:
        raise tool_error(exc, state, certificate_id=certificate_id) from None
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is not None and (elicitation.form is not None or elicitation.url is None):
        return Elicit(
            f"Delete client certificate {shown(certificate.name)} ({shown_id(certificate.id)}) "
            f"from frontdoor {frontdoor}? Shares that require it will stop accepting clients that present it.",
            DeleteConfirmation,
        )
    return DeleteDecision(confirm=confirm, name=certificate.name)


async def delete_client_certificate(
    ctx: Context[AppState, Any],
    certificate_id: CertificateIdArg,
    decision: Annotated[ElicitationResult[DeleteConfirmation], Resolve(_confirm_delete)],
    frontdoor_id: FrontdoorIdArg = None,
    confirm: Annotated[
        bool,
        Field(
            description="For clients that cannot ask the user: true only after the user has explicitly agreed "
            "to delete this certificate. A client that can ask always asks."
        ),
    ] = False,
) -> Annotated[CallToolResult, DeleteResult]:
    """Delete a client certificate from a frontdoor. Destructive: shares that require it stop accepting it.

    The user must agree. A client that supports elicitation always asks the user (showing the name and id).
    Otherwise the call must carry confirm=true; a call without it deletes nothing and returns what would
    be deleted, so you can show the user and ask. Afterwards the id is gone from get and list.
    """
    state = app_state(ctx)
    frontdoor = state.frontdoor(frontdoor_id)
    if not isinstance(decision, AcceptedElicitation) or not decision.data.confirm:
        result = _not_deleted(decision, frontdoor, certificate_id)
        return respond(result, f"Not deleted: {result.how_to_confirm}")
    via: Literal["confirm_argument", "elicitation"] = (
        "confirm_argument" if isinstance(decision.data, DeleteDecision) else "elicitation"
    )
    try:
        deleted = await state.client.delete_certificate(frontdoor, certificate_id)
    except NotFound as exc:
        if not exc.after_lost_answer:
            raise tool_error(exc, state, certificate_id=certificate_id) from None
        # The first DELETE was sent and its answer lost; the retry's 404 says that first one did the delete.
        result = DeleteResult(deleted=True, id=certificate_id, frontdoor_id=frontdoor, confirmation=via, recovered=True)
        await notify(ctx, "warning", f"The connection dropped; {shown_id(certificate_id)} was found deleted.")
        return respond(
            result,
            f"Deleted client certificate {shown_id(certificate_id)}: the connection dropped during the delete, "
            "and the certificate was found gone afterwards.",
        )
    except FrontdoorError as exc:
        raise tool_error(exc, state, certificate_id=certificate_id) from None
    result = DeleteResult(
        deleted=True,
        id=deleted.id,
        name=deleted.name,
        frontdoor_id=deleted.frontdoor_id,
        deleted_at=deleted.deleted_at,
        deleted_by=deleted.deleted_by,
        confirmation=via,
    )
    when = f" at {deleted.deleted_at:%Y-%m-%d %H:%M:%S} UTC" if deleted.deleted_at else ""
    label = f"{shown(deleted.name)} ({shown_id(deleted.id)})" if deleted.name is not None else shown_id(deleted.id)
    return respond(result, f"Deleted client certificate {label}{when}.")


def _not_deleted(decision: ElicitationResult[DeleteConfirmation], frontdoor: str, certificate_id: str) -> DeleteResult:
    if isinstance(decision, AcceptedElicitation) and isinstance(decision.data, DeleteDecision):
        return DeleteResult(
            deleted=False,
            id=certificate_id,
            name=decision.data.name,
            frontdoor_id=frontdoor,
            confirmation="required",
            how_to_confirm=(
                f"deleting {shown(decision.data.name)} ({certificate_id}) needs the user's explicit agreement. "
                "Show the user the name and id, and if they agree call delete_client_certificate again with "
                "confirm=true."
            ),
        )
    declined = isinstance(decision, DeclinedElicitation | AcceptedElicitation)
    return DeleteResult(
        deleted=False,
        id=certificate_id,
        frontdoor_id=frontdoor,
        confirmation="declined" if declined else "cancelled",
        how_to_confirm="the user did not confirm the delete. Do not retry unless the user asks again.",
    )


# Shaping ------------------------------------------------------------------------------------------------


async def _announce_recovery(ctx: Context[AppState, Any], record: CertificateRecord) -> None:
    if record.recovered:
        await notify(ctx, "warning", f"The connection dropped; {shown_id(record.id)} was found applied, not repeated.")


def _item(summary: CertificateSummary) -> CertificateItem:
    return CertificateItem(
        id=summary.id,
        name=summary.name,
        frontdoor_id=summary.frontdoor_id,
        created_at=summary.created_at,
        created_by=summary.created_by,
    )


def _record(
    certificate: CertificateSummary,
    *,
    pem: str | None = None,
    decoded: CertificateDetails | None = None,
    warnings: list[str] | None = None,
) -> CertificateRecord:
    pem = pem or (certificate.value if isinstance(certificate, Certificate) else None)
    record = CertificateRecord(
        id=certificate.id,
        name=certificate.name,
        frontdoor_id=certificate.frontdoor_id,
        created_at=certificate.created_at,
        created_by=certificate.created_by,
        certificate_pem=pem,
        decoded=decoded,
        warnings=list(warnings or []),
    )
    if pem and decoded is None:
        from frontdoor_mcp.pki.errors import PemError
        from frontdoor_mcp.pki.inspect import describe_certificate

        try:
            record.decoded = describe_certificate(pem, now=datetime.now(UTC))
        except PemError as exc:
            record.decode_error = str(exc)
    # Given warnings come from the input policy, which has already judged this PEM's expiry.
    if record.decoded is not None and warnings is None:
        days = record.decoded.days_remaining
        if days < 0:
            record.warnings.append(f"This certificate expired {-days} days ago: rotate it.")
        elif days <= EXPIRY_WARNING_DAYS:
            record.warnings.append(f"This certificate expires in {days} days: plan its rotation.")
    return record


def _check_new_file(path: str, argument: str) -> None:
    """Refuse, before anything is sent, a file that could not be created new afterwards."""
    check_path(path, argument)
    target = Path(path).expanduser()
    if os.path.lexists(target):
        raise ToolError(f"{argument}: {target} already exists, and files are never overwritten. Choose a new name.")
    if not target.parent.is_dir():
        raise ToolError(f"{argument}: the folder {target.parent} does not exist; create it or choose another path.")


def _save_certificate(path: str, pem: str, record: CertificateRecord) -> None:
    from frontdoor_mcp.pki.files import LocalFileError, write_new_private_file

    try:
        record.saved_to = str(write_new_private_file(path, pem.encode()))
    except LocalFileError as exc:
        # Checked before the create, so only a race gets here; the certificate exists, so not an error.
        record.warnings.append(f"The certificate was created, but saving it failed: {exc}")


def _list_text(result: CertificateList) -> str:
    if not result.items:
        return f"No client certificates on this page (frontdoor {result.frontdoor_id}, {result.total_elements} in all)."
    pages = max(result.total_pages, 1)
    scope = "all pages" if result.all_pages else f"page={result.page}, {pages} page{'s' if pages != 1 else ''} in all"
    lines = [f"{len(result.items)} of {result.total_elements} client certificates ({scope}):"]
    lines.extend(f"- {shown(item.name)} {shown_id(item.id)}" for item in result.items[:50])
    if len(result.items) > 50:
        lines.append(f"... and {len(result.items) - 50} more in the structured result.")
    if result.next_page is not None:
        lines.append(f"Next: page={result.next_page}.")
    return "\n".join(lines)


def _record_text(title: str, record: CertificateRecord) -> str:
    lines = [f"{title} {shown(record.name)} ({shown_id(record.id)})."]
    if record.recovered:
        lines.append("The connection dropped, and the change was found applied afterwards (it was not repeated).")
    if record.decoded is not None:
        decoded = record.decoded
        lines.append(
            f"Subject {shown(decoded.subject)}, issuer {shown(decoded.issuer)}, valid until "
            f"{decoded.not_after:%Y-%m-%d} ({decoded.days_remaining} days), SHA-256 {decoded.fingerprint_sha256}."
        )
    elif record.decode_error:
        lines.append(f"The PEM could not be decoded: {record.decode_error}")
    lines.extend(f"Warning: {warning}" for warning in record.warnings)
    if record.saved_to:
        lines.append(f"Saved the certificate to {record.saved_to}.")
    return "\n".join(lines)


READ_ONLY: Final = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)


def register(server: MCPServer[Any], *, read_only: bool) -> None:
    """Register the API tools; in read-only mode the write tools are not registered at all."""
    server.add_tool(list_client_certificates, title="List client certificates", annotations=READ_ONLY)
    server.add_tool(get_client_certificate, title="Get a client certificate", annotations=READ_ONLY)
    if read_only:
        return
    create = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
    server.add_tool(upload_client_certificate, title="Upload a client certificate", annotations=create)
    server.add_tool(
        create_client_certificate_from_csr, title="Create a client certificate from a CSR", annotations=create
    )
    server.add_tool(
        update_client_certificate,
        title="Update a client certificate",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    destructive = ToolAnnotations(
        read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
    )
    server.add_tool(replace_client_certificate, title="Replace a client certificate", annotations=destructive)
    server.add_tool(delete_client_certificate, title="Delete a client certificate", annotations=destructive)

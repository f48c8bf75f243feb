"""Expiry audit across every certificate of a frontdoor, and the certificate PEM as an MCP resource."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from frontdoor_mcp.api.errors import FrontdoorError, NotFound
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.tools.annotations import API_READ
from frontdoor_mcp.tools.arguments import FrontdoorIdArg
from frontdoor_mcp.tools.messages import api_errors, describe_failure, tool_error
from frontdoor_mcp.tools.respond import respond, shown, shown_id
from frontdoor_mcp.tools.state import AppState, app_state

FETCH_CONCURRENCY: Final = 8
MAX_AUDITED: Final = 2_000


class ExpiringCertificate(BaseModel):
    id: str
    name: str = Field(description="The certificate's name (data from the API).")
    subject: str | None = None
    not_after: datetime | None = Field(default=None, description="When it expires (UTC).")
    days_remaining: int | None = Field(default=None, description="Days left; negative when already expired.")
    expired: bool = False
    decode_error: str | None = Field(default=None, description="Set when the stored PEM could not be decoded.")


class ExpiryReport(BaseModel):
    frontdoor_id: str
    within_days: int
    checked: int = Field(description="How many certificates were examined.")
    total_elements: int = Field(description="How many certificates the frontdoor has.")
    expiring: list[ExpiringCertificate] = Field(description="Expired or expiring within the window, soonest first.")
    undecodable: list[ExpiringCertificate] = Field(description="Certificates whose PEM could not be read.")
    truncated: bool = Field(
        default=False,
        description=f"True when the frontdoor has over {MAX_AUDITED:,} certificates and only the first were examined.",
    )


async def find_expiring_client_certificates(
    ctx: Context[AppState, Any],
    frontdoor_id: FrontdoorIdArg = None,
    within_days: Annotated[
        int,
        Field(description="Report certificates that expire within this many days (expired ones too).", ge=0, le=3650),
    ] = 30,
) -> Annotated[CallToolResult, ExpiryReport]:
    """Find the client certificates that are expired or expire within `within_days`, soonest first.

    Walks every page and reads each certificate's PEM (with progress notifications), so it takes a
    moment on a large frontdoor. Use it for "what expires this month?"; then rotate the urgent ones
    (generate_csr, create_client_certificate_from_csr, and delete the old one after the user agrees).
    """
    from frontdoor_mcp.pki.errors import PemError
    from frontdoor_mcp.pki.inspect import describe_certificate

    state = app_state(ctx)
    frontdoor = state.frontdoor(frontdoor_id)
    now = datetime.now(UTC)
    with api_errors(state):
        items, total = await state.client.list_all_certificates(frontdoor, max_items=MAX_AUDITED)
    found: list[ExpiringCertificate] = []
    undecodable: list[ExpiringCertificate] = []
    limiter = anyio.CapacityLimiter(FETCH_CONCURRENCY)
    progress_lock = anyio.Lock()
    done = 0

    async def examine(certificate_id: str, name: str) -> None:
        async with limiter:
            try:
                certificate = await state.client.get_certificate(frontdoor, certificate_id)
            except NotFound:
                certificate = None  # deleted during the walk
            except InvalidIdError:
                # The list gave an id no request may carry: say so for that one, not crash the whole audit.
                certificate = None
                undecodable.append(
                    ExpiringCertificate(id=certificate_id, name=name, decode_error="its id is in an unexpected form")
                )
        if certificate is not None:
            classify(certificate_id, name, certificate.value or "")
        await advance()

    async def advance() -> None:
        # One at a time, so the notifications arrive with strictly increasing progress.
        nonlocal done
        async with progress_lock:
            done += 1
            await ctx.report_progress(done, len(items), f"examined {done} of {len(items)} certificates")

    def classify(certificate_id: str, name: str, pem: str) -> None:
        try:
            details = describe_certificate(pem, now=now)
        except PemError as exc:
            undecodable.append(ExpiringCertificate(id=certificate_id, name=name, decode_error=str(exc)))
            return
        if details.days_remaining <= within_days:
            found.append(
                ExpiringCertificate(
                    id=certificate_id,
                    name=name,
                    subject=details.subject,
                    not_after=details.not_after,
                    days_remaining=details.days_remaining,
                    expired=details.expired,
                )
            )

    try:
        async with anyio.create_task_group() as group:
            for item in items:
                group.start_soon(examine, item.id, item.name)
    except* FrontdoorError as group_error:
        first = group_error.exceptions[0]
        assert isinstance(first, FrontdoorError)
        raise tool_error(first, state) from None
    found.sort(key=lambda entry: entry.not_after or now)
    report = ExpiryReport(
        frontdoor_id=frontdoor,
        within_days=within_days,
        checked=len(items),
        total_elements=total,
        expiring=found,
        undecodable=undecodable,
        truncated=total > len(items),
    )
    lines = [f"{len(found)} of {len(items)} certificates are expired or expire within {within_days} days."]
    if report.truncated:
        lines.append(f"Only the first {len(items):,} of {total:,} certificates were examined.")
    for entry in found[:50]:
        state_word = "expired" if entry.expired else "expires"
        lines.append(
            f"- {shown(entry.name)} {shown_id(entry.id)}: "
            f"{state_word} {entry.not_after:%Y-%m-%d} ({entry.days_remaining} days)"
        )
    if undecodable:
        lines.append(f"{len(undecodable)} certificates could not be decoded (see undecodable).")
    return respond(report, "\n".join(lines))


async def certificate_pem_resource(frontdoor_id: str, certificate_id: str, ctx: Context[AppState, Any]) -> str:
    """The PEM of one client certificate, for a client to attach."""
    state = app_state(ctx)
    try:
        certificate = await state.client.get_certificate(frontdoor_id, certificate_id)
    except InvalidIdError as exc:
        raise ResourceNotFoundError(str(exc)) from None
    except NotFound:
        raise ResourceNotFoundError(f"Client certificate {certificate_id} was not found.") from None
    except FrontdoorError as exc:
        raise ResourceError(describe_failure(exc, state, certificate_id=certificate_id)) from None
    return certificate.value or ""


def register(server: MCPServer[Any]) -> None:
    server.add_tool(
        find_expiring_client_certificates,
        title="Find expiring client certificates",
        annotations=API_READ,
    )
    server.resource(
        "frontdoor://{frontdoor_id}/client-certificates/{certificate_id}.pem",
        name="client-certificate-pem",
        title="Client certificate PEM",
        description="The PEM of a client certificate (public data: the certificate, never a key).",
        mime_type="application/x-pem-file",
    )(certificate_pem_resource)

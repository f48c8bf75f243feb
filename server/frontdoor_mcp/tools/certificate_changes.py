"""Changing a stored certificate: rename it or swap its PEM (PATCH), or replace its whole definition (PUT).

Swapping the PEM changes who a share that uses the certificate lets in, so it is confirmed exactly as a
delete is (`confirm`): the user is shown the current and the new certificate side by side. A rename alone
changes no trust and is not asked about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult

from frontdoor_mcp.api.models import Certificate
from frontdoor_mcp.tools.arguments import (
    CertificateIdArg,
    CertificatePathArg,
    CertificatePemArg,
    FrontdoorIdArg,
    NameArg,
    OptionalNameArg,
)
from frontdoor_mcp.tools.confirm import (
    ConfirmArg,
    Confirmation,
    ConsentHow,
    NoQuestionNeeded,
    agreed,
    ask_or_use_argument,
    consent_of,
)
from frontdoor_mcp.tools.guard import unexpected_errors
from frontdoor_mcp.tools.messages import api_errors
from frontdoor_mcp.tools.pem_input import checked_certificate
from frontdoor_mcp.tools.records import announce_recovery, certificate_line, record_of, record_text
from frontdoor_mcp.tools.respond import Answer, respond, shown, shown_id
from frontdoor_mcp.tools.results import CertificateChange
from frontdoor_mcp.tools.share_usage import (
    ShareRef,
    ShareUsage,
    active_shares_warning,
    certificate_and_share_usage,
    shares_in_words,
)
from frontdoor_mcp.tools.state import AppState, ContextReporter, Reporter, app_state

if TYPE_CHECKING:
    from frontdoor_mcp.pki.policy import CheckedCertificate

Method = Literal["PATCH", "PUT"]


@dataclass(frozen=True)
class ChangeTarget:
    """The certificate as it is, and the new PEM (checked) if the call swaps it: read before any question, so
    an unknown id or a refused PEM fails before the user is asked anything."""

    frontdoor_id: str
    current: Certificate
    new: CheckedCertificate | None
    shares: ShareUsage | None
    """Read only when the PEM changes: a rename changes whom no share admits."""

    @property
    def swaps_pem(self) -> bool:
        return self.new is not None

    @property
    def used_by(self) -> list[ShareRef] | None:
        return self.shares.using(self.current.id) if self.shares is not None else None

    def consequences(self) -> str:
        if self.shares is None:
            return ""
        words = shares_in_words(self.used_by, self.shares.unreadable)
        warning = active_shares_warning(self.used_by, swap=True)
        return f"{words} {warning}" if warning else words


# Operations ---------------------------------------------------------------------------------------------


async def find_change_target(
    state: AppState,
    *,
    certificate_id: str,
    frontdoor_id: str | None,
    certificate_pem: str | None,
    certificate_path: str | None,
    pem_required: bool,
    name: str | None = None,
) -> ChangeTarget:
    frontdoor = state.frontdoor(frontdoor_id)
    given_pem = certificate_pem is not None or certificate_path is not None
    if not given_pem and not pem_required and name is None:
        raise ToolError("Nothing to update: give name, or certificate_pem / certificate_path, or both.")
    new = checked_certificate(certificate_pem, certificate_path) if given_pem or pem_required else None
    with api_errors(state):
        if new is None:  # a rename: no trust changes, no shares to name
            current, shares = await state.client.certificates.get(frontdoor, certificate_id), None
        else:
            current, shares = await certificate_and_share_usage(state, frontdoor, certificate_id)
    return ChangeTarget(frontdoor, current, new, shares)


def change_question(target: ChangeTarget) -> str:
    """What the user is asked before a PEM swap: which certificate, and the old and the new side by side."""
    current = target.current
    lines = [
        f"Swap the certificate stored as {shown(current.name)} ({shown_id(current.id)}) in frontdoor "
        f"{target.frontdoor_id}? Shares that use it will then admit clients by the new certificate instead.",
        target.consequences(),
        f"Now: {certificate_line(current.value)}",
    ]
    if target.new is not None:
        lines.append(f"New: {certificate_line(target.new.pem)}")
    return "\n".join(lines)


async def change_certificate(
    state: AppState,
    reporter: Reporter,
    *,
    target: ChangeTarget,
    method: Method,
    name: str | None,
    consent: ConsentHow,
) -> Answer[CertificateChange]:
    tool = "update_client_certificate" if method == "PATCH" else "replace_client_certificate"
    if not agreed(consent):
        return _not_changed(target, consent, tool)
    frontdoor, certificate_id = target.frontdoor_id, target.current.id
    new_pem = target.new.pem if target.new is not None else None
    with api_errors(state):
        if method == "PATCH":
            updated = await state.client.certificates.patch(frontdoor, certificate_id, name=name, value=new_pem)
            certificate, recovered = updated.certificate, updated.recovered
        else:
            assert name is not None and new_pem is not None  # the schema requires both for PUT
            certificate = await state.client.certificates.put(frontdoor, certificate_id, name=name, value=new_pem)
            recovered = False
    record = record_of(certificate, warnings=target.new.warnings if target.new is not None else None)
    record.used_by_shares = target.used_by
    change = CertificateChange(**record.model_dump(), changed=True, confirmation=consent)
    change.recovered = recovered
    await announce_recovery(reporter, change)
    title = "Updated client certificate" if method == "PATCH" else "Replaced client certificate"
    text = record_text(title, change)
    return Answer(change, f"{text}\n{target.consequences()}" if target.shares is not None else text)


def _not_changed(target: ChangeTarget, consent: ConsentHow, tool: str) -> Answer[CertificateChange]:
    record = record_of(target.current)
    record.used_by_shares = target.used_by
    current = target.current
    if consent == "required":
        how = (
            f"swapping the certificate of {shown(current.name)} ({current.id}) needs the user's explicit agreement. "
            f"Show the user the change below, and if they agree call {tool} again with the same arguments and "
            "confirm=true."
        )
    else:
        how = "the user did not agree to the change. Do not retry unless the user asks again."
    change = CertificateChange(**record.model_dump(), changed=False, confirmation=consent, how_to_confirm=how)
    return Answer(change, f"Not changed: {how}\n{change_question(target)}")


# MCP tools ----------------------------------------------------------------------------------------------


@unexpected_errors(writes=False)
async def _update_target(
    ctx: Context[AppState, Any],
    certificate_id: str,
    frontdoor_id: str | None,
    name: str | None,
    certificate_pem: str | None,
    certificate_path: str | None,
) -> ChangeTarget:
    return await find_change_target(
        app_state(ctx),
        certificate_id=certificate_id,
        frontdoor_id=frontdoor_id,
        certificate_pem=certificate_pem,
        certificate_path=certificate_path,
        pem_required=False,
        name=name,
    )


@unexpected_errors(writes=False)
async def _replace_target(
    ctx: Context[AppState, Any],
    certificate_id: str,
    frontdoor_id: str | None,
    certificate_pem: str | None,
    certificate_path: str | None,
) -> ChangeTarget:
    return await find_change_target(
        app_state(ctx),
        certificate_id=certificate_id,
        frontdoor_id=frontdoor_id,
        certificate_pem=certificate_pem,
        certificate_path=certificate_path,
        pem_required=True,
    )


@unexpected_errors(writes=False)
async def _ask_to_update(
    ctx: Context[AppState, Any], target: Annotated[ChangeTarget, Resolve(_update_target)], confirm: bool
) -> Confirmation | Elicit[Confirmation]:
    if not target.swaps_pem:
        return NoQuestionNeeded(confirm=True)
    return ask_or_use_argument(ctx, change_question(target), confirm)


@unexpected_errors(writes=False)
async def _ask_to_replace(
    ctx: Context[AppState, Any], target: Annotated[ChangeTarget, Resolve(_replace_target)], confirm: bool
) -> Confirmation | Elicit[Confirmation]:
    return ask_or_use_argument(ctx, change_question(target), confirm)


async def update_client_certificate(
    ctx: Context[AppState, Any],
    certificate_id: CertificateIdArg,
    target: Annotated[ChangeTarget, Resolve(_update_target)],
    decision: Annotated[ElicitationResult[Confirmation], Resolve(_ask_to_update)],
    frontdoor_id: FrontdoorIdArg = None,
    name: OptionalNameArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
    confirm: ConfirmArg = False,
) -> Annotated[CallToolResult, CertificateChange]:
    """Rename a client certificate or swap its PEM (PATCH: only the fields given change). A PEM swap changes
    whom the shares using it admit: the user must agree. A client that can ask is asked; otherwise pass
    confirm=true only after the user agreed (without it nothing changes; the result shows the change)."""
    return respond(
        await change_certificate(
            app_state(ctx),
            ContextReporter(ctx),
            target=target,
            method="PATCH",
            name=name,
            consent=consent_of(decision),
        )
    )


async def replace_client_certificate(
    ctx: Context[AppState, Any],
    certificate_id: CertificateIdArg,
    name: NameArg,
    target: Annotated[ChangeTarget, Resolve(_replace_target)],
    decision: Annotated[ElicitationResult[Confirmation], Resolve(_ask_to_replace)],
    frontdoor_id: FrontdoorIdArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
    confirm: ConfirmArg = False,
) -> Annotated[CallToolResult, CertificateChange]:
    """Replace a client certificate's name and PEM together (PUT). Confirmed like a PEM swap in
    update_client_certificate."""
    return respond(
        await change_certificate(
            app_state(ctx),
            ContextReporter(ctx),
            target=target,
            method="PUT",
            name=name,
            consent=consent_of(decision),
        )
    )

"""Deleting a certificate, only with the user's agreement (see `confirm`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp_types import CallToolResult

from frontdoor_mcp.api.errors import FrontdoorError, NotFound
from frontdoor_mcp.api.models import Certificate
from frontdoor_mcp.tools.arguments import CertificateIdArg, FrontdoorIdArg
from frontdoor_mcp.tools.confirm import ConfirmArg, Confirmation, ConsentHow, agreed, ask_or_use_argument, consent_of
from frontdoor_mcp.tools.guard import unexpected_errors
from frontdoor_mcp.tools.messages import api_errors, tool_error
from frontdoor_mcp.tools.respond import Answer, respond, shown, shown_id
from frontdoor_mcp.tools.results import DeleteResult
from frontdoor_mcp.tools.share_usage import (
    ShareRef,
    ShareUsage,
    active_shares_warning,
    certificate_and_share_usage,
    shares_in_words,
)
from frontdoor_mcp.tools.state import AppState, ContextReporter, Reporter, app_state


@dataclass(frozen=True)
class DeletionTarget:
    """The certificate as it is just before the question, and the shares that require it: a missing id fails
    here, before anything is asked, and what the user is shown is its real name and what depends on it."""

    frontdoor_id: str
    certificate: Certificate
    shares: ShareUsage

    @property
    def used_by(self) -> list[ShareRef] | None:
        return self.shares.using(self.certificate.id)

    def consequences(self) -> str:
        """What deleting it does, in a sentence or two: the shares named, ACTIVE ones warned about."""
        words = shares_in_words(self.used_by, self.shares.unreadable)
        warning = active_shares_warning(self.used_by, swap=False)
        return f"{words} {warning}" if warning else words


# Operations ---------------------------------------------------------------------------------------------


async def find_deletion_target(state: AppState, *, certificate_id: str, frontdoor_id: str | None) -> DeletionTarget:
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        certificate, usage = await certificate_and_share_usage(state, frontdoor, certificate_id)
    return DeletionTarget(frontdoor, certificate, usage)


def deletion_question(target: DeletionTarget) -> str:
    return (
        f"Delete client certificate {shown(target.certificate.name)} ({shown_id(target.certificate.id)}) "
        f"from frontdoor {target.frontdoor_id}? {target.consequences()}"
    )


async def delete_certificate(
    state: AppState, reporter: Reporter, *, target: DeletionTarget, consent: ConsentHow
) -> Answer[DeleteResult]:
    frontdoor, certificate_id = target.frontdoor_id, target.certificate.id
    if not agreed(consent):
        result = _not_deleted(target, consent)
        return Answer(result, f"Not deleted: {result.how_to_confirm} {target.consequences()}")
    via: Literal["confirm_argument", "elicitation"] = "elicitation" if consent == "elicitation" else "confirm_argument"
    try:
        deleted = await state.client.certificates.delete(frontdoor, certificate_id)
    except NotFound as exc:
        if not exc.after_lost_answer:
            raise tool_error(exc, state) from None
        # The first DELETE was sent and its answer lost; the retry's 404 says that first one did the delete.
        result = DeleteResult(
            deleted=True,
            id=certificate_id,
            name=target.certificate.name,
            frontdoor_id=frontdoor,
            confirmation=via,
            recovered=True,
            used_by_shares=target.used_by,
        )
        await reporter.log("warning", f"The connection dropped; {shown_id(certificate_id)} was found deleted.")
        return Answer(
            result,
            f"Deleted client certificate {shown_id(certificate_id)}: the connection dropped during the delete, "
            "and the certificate was found gone afterwards.",
        )
    except FrontdoorError as exc:
        raise tool_error(exc, state) from None
    result = DeleteResult(
        deleted=True,
        id=deleted.id,
        name=deleted.name,
        frontdoor_id=deleted.frontdoor_id,
        deleted_at=deleted.deleted_at,
        deleted_by=deleted.deleted_by,
        confirmation=via,
        used_by_shares=target.used_by,
    )
    when = f" at {deleted.deleted_at:%Y-%m-%d %H:%M:%S} UTC" if deleted.deleted_at else ""
    label = f"{shown(deleted.name)} ({shown_id(deleted.id)})" if deleted.name is not None else shown_id(deleted.id)
    warning = active_shares_warning(target.used_by, swap=False)
    after = f" {warning.replace('will stop', 'now stop')}" if warning else ""
    return Answer(result, f"Deleted client certificate {label}{when}.{after}")


def _not_deleted(target: DeletionTarget, consent: ConsentHow) -> DeleteResult:
    certificate = target.certificate
    if consent == "required":
        return DeleteResult(
            deleted=False,
            id=certificate.id,
            name=certificate.name,
            frontdoor_id=target.frontdoor_id,
            confirmation="required",
            used_by_shares=target.used_by,
            how_to_confirm=(
                f"deleting {shown(certificate.name)} ({certificate.id}) needs the user's explicit agreement. "
                "Show the user the name and id, and if they agree call delete_client_certificate again with "
                "confirm=true."
            ),
        )
    return DeleteResult(
        deleted=False,
        id=certificate.id,
        name=certificate.name,
        frontdoor_id=target.frontdoor_id,
        confirmation="declined" if consent == "declined" else "cancelled",
        used_by_shares=target.used_by,
        how_to_confirm="the user did not confirm the delete. Do not retry unless the user asks again.",
    )


# MCP tool -----------------------------------------------------------------------------------------------


@unexpected_errors(writes=False)
async def _deletion_target(
    ctx: Context[AppState, Any], frontdoor_id: str | None, certificate_id: str
) -> DeletionTarget:
    return await find_deletion_target(app_state(ctx), certificate_id=certificate_id, frontdoor_id=frontdoor_id)


@unexpected_errors(writes=False)
async def _ask_to_delete(
    ctx: Context[AppState, Any], target: Annotated[DeletionTarget, Resolve(_deletion_target)], confirm: bool
) -> Confirmation | Elicit[Confirmation]:
    return ask_or_use_argument(ctx, deletion_question(target), confirm)


async def delete_client_certificate(
    ctx: Context[AppState, Any],
    certificate_id: CertificateIdArg,
    target: Annotated[DeletionTarget, Resolve(_deletion_target)],
    decision: Annotated[ElicitationResult[Confirmation], Resolve(_ask_to_delete)],
    frontdoor_id: FrontdoorIdArg = None,
    confirm: ConfirmArg = False,
) -> Annotated[CallToolResult, DeleteResult]:
    """Delete a client certificate: shares using it stop admitting its clients. The user must agree. A client
    that can ask is asked; otherwise pass confirm=true only after the user agreed (without it nothing is
    deleted; the result shows what would be)."""
    return respond(
        await delete_certificate(app_state(ctx), ContextReporter(ctx), target=target, consent=consent_of(decision))
    )

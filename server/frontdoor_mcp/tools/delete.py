"""Deleting a certificate, only with the user's agreement: asked when the client can ask, else `confirm`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    DeclinedElicitation,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from frontdoor_mcp.api.errors import FrontdoorError, NotFound
from frontdoor_mcp.tools.annotations import API_DESTRUCTIVE
from frontdoor_mcp.tools.arguments import (
    CertificateIdArg,
    FrontdoorIdArg,
)
from frontdoor_mcp.tools.messages import api_errors, tool_error
from frontdoor_mcp.tools.respond import notify, respond, shown, shown_id
from frontdoor_mcp.tools.results import DeleteResult
from frontdoor_mcp.tools.state import AppState, app_state


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
    with api_errors(state, certificate_id=certificate_id):
        certificate = await state.client.get_certificate(frontdoor, certificate_id)
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


def register(server: MCPServer[Any]) -> None:
    server.add_tool(delete_client_certificate, title="Delete a client certificate", annotations=API_DESTRUCTIVE)

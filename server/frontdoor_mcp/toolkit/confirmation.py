"""The user's agreement to a destructive call: asked when the client can ask, else an explicit `confirm=true`.

A client that supports elicitation is always asked, whatever `confirm` says: the model must not answer for
the user. The question and its outcome travel through the SDK's resolvers (`Resolve(...)`), in both protocol
eras (`adapter` builds them from a tool's `UserAgreement`); the operation receives a plain `ConsentHow`.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from mcp.server.mcpserver import AcceptedElicitation, Context, DeclinedElicitation, Elicit, ElicitationResult
from pydantic import BaseModel, Field, StrictBool

AskedConsent = Literal["confirm_argument", "elicitation", "declined", "cancelled", "required"]
"""How a change that needed the user's agreement was agreed to, or why it was not made."""
ConsentHow = Literal[AskedConsent, "not_needed"]
"""The same, or that the call needed no agreement (a rename changes no trust)."""

CONFIRM_DESCRIPTION: Final = "true only after the user agreed to this change (a client that can ask is asked)."
ConfirmArg = Annotated[StrictBool, Field(description=CONFIRM_DESCRIPTION)]


class Confirmation(BaseModel):
    """The question's form: one yes/no field."""

    confirm: bool = Field(description="Yes, go ahead.")


class ArgumentConfirmation(Confirmation):
    """A decision reached without asking (the client cannot be asked), from the `confirm` argument. A subclass
    of the question's answer so that both arrive through the resolver as one type; `isinstance` tells them
    apart."""


class NoQuestionNeeded(Confirmation):
    """The call changes nothing that needs agreement (e.g. a rename), so nobody was asked."""


def client_can_ask(ctx: Context[Any, Any]) -> bool:
    """Whether the client declared form elicitation (a bare `elicitation: {}` means form, per the spec)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def ask_or_use_argument(ctx: Context[Any, Any], question: str, confirm: bool) -> Confirmation | Elicit[Confirmation]:
    """What a confirmation resolver returns: the question when the client can ask, else the argument's say."""
    if client_can_ask(ctx):
        return Elicit(question, Confirmation)
    return ArgumentConfirmation(confirm=confirm)


def consent_of(decision: ElicitationResult[Confirmation]) -> ConsentHow:
    """How (or whether) the user agreed, from what the resolver produced."""
    if isinstance(decision, AcceptedElicitation):
        data = decision.data
        if isinstance(data, NoQuestionNeeded):
            return "not_needed"
        if isinstance(data, ArgumentConfirmation):
            return "confirm_argument" if data.confirm else "required"
        return "elicitation" if data.confirm else "declined"
    return "declined" if isinstance(decision, DeclinedElicitation) else "cancelled"


def agreed(how: ConsentHow) -> bool:
    return how in ("confirm_argument", "elicitation", "not_needed")

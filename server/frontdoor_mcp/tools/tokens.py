"""Certificate request tokens, the operator's side: create one (shown once, or saved to a 0600 file), list,
get (masked unless revealed), update its name or fixed subject fields, and revoke it (confirmed, as a delete).

A token lets someone without API credentials get a certificate with the subject fields the token fixes,
from a CSR of their own: their private key never leaves their machine (`redeem.py` is their side).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field, StringConstraints, WithJsonSchema

from frontdoor_mcp.api.ids import TOKEN_ID_PATTERN
from frontdoor_mcp.api.tokens import RequestToken, TokenFields
from frontdoor_mcp.rules import MAX_TOKEN_VALID_YEARS, PATH_MAX_CHARS, SUBJECT_FIELD_MAX_CHARS
from frontdoor_mcp.tools.arguments import FrontdoorIdArg, NameArg, OptionalNameArg, PageArg, SizeArg, VisibleText
from frontdoor_mcp.tools.budget import LINES_IN_TEXT, trimmed_to_budget
from frontdoor_mcp.tools.confirm import ConfirmArg, Confirmation, ConsentHow, agreed, ask_or_use_argument, consent_of
from frontdoor_mcp.tools.guard import unexpected_errors
from frontdoor_mcp.tools.messages import api_errors
from frontdoor_mcp.tools.respond import Answer, respond, shown, shown_id
from frontdoor_mcp.tools.saving import check_save_target
from frontdoor_mcp.tools.state import AppState, ContextReporter, Reporter, app_state
from frontdoor_mcp.tools.token_results import TokenChange, TokenItem, TokenList, TokenRecord, ago, item_of_token

TokenSort = Literal["name,asc", "name,desc", "createdAt,asc", "createdAt,desc"]
SEND_PRIVATELY: Final = (
    "It is single use and works without API credentials: send it privately (not in a shared channel or a "
    "ticket), with the frontdoor id {frontdoor}."
)

TokenIdArg = Annotated[
    str,
    StringConstraints(pattern=TOKEN_ID_PATTERN, max_length=86),
    WithJsonSchema({"type": "string"}),
    Field(description="Token id (token-...), from list_certificate_request_tokens; not the crt_ string."),
]
SubjectFieldArg = Annotated[
    str | None,
    Field(
        description="Fixed in the certificate whatever the CSR says; omit: the CSR's.",
        min_length=1,
        max_length=SUBJECT_FIELD_MAX_CHARS,
    ),
    VisibleText,
]
UpdatedSubjectFieldArg = Annotated[
    str | None,
    Field(description='New value; "" clears it (the CSR decides); omit to keep.', max_length=SUBJECT_FIELD_MAX_CHARS),
    VisibleText,
]


# Operations ---------------------------------------------------------------------------------------------


async def create_token(
    state: AppState,
    reporter: Reporter,
    *,
    name: str,
    common_name: str | None = None,
    organization: str | None = None,
    organizational_unit: str | None = None,
    valid_years: int | None = None,
    frontdoor_id: str | None = None,
    save_token_to: str | None = None,
) -> Answer[TokenRecord]:
    frontdoor = state.frontdoor(frontdoor_id)
    target = check_save_target(save_token_to, "save_token_to") if save_token_to else None
    fields = TokenFields(name, common_name, organization, organizational_unit)
    with api_errors(state):
        created = await state.client.tokens.create(frontdoor, fields, valid_years=valid_years)
    token = created.token
    record = TokenRecord(**item_of_token(token, datetime.now(UTC)).model_dump(), recovered=created.recovered)
    if created.recovered:
        await reporter.log("warning", f"The connection dropped; {shown_id(token.id)} was found created, not repeated.")
    lines = [f"Created certificate request token {shown(token.name)}, token_id={shown_id(token.id)}."]
    lines.append(_fixes(record) + (f" Expires {token.expires_at:%Y-%m-%d %H:%M} UTC." if token.expires_at else ""))
    if token.token is None:
        record.warnings.append("The API's answer did not include the token string: get it with reveal=true.")
    elif target is not None:
        from frontdoor_mcp.pki.files import LocalFileError, write_new_private_file

        try:
            record.saved_to = str(write_new_private_file(target, (token.token + "\n").encode("ascii")))
            lines.append(
                f"The token string is in {record.saved_to} (mode 0600), not shown here: {record.token_masked}."
            )
        except LocalFileError as exc:
            record.token = token.token  # it exists now: losing it would leave a live token nobody can hand over
            record.warnings.append(f"Saving the token failed ({exc}); it is shown here instead, once.")
    else:
        record.token = token.token
    if record.token is not None:
        lines.append(f"Token (shown once): {record.token}")
    lines.append(SEND_PRIVATELY.format(frontdoor=frontdoor))
    lines.extend(f"Warning: {warning}" for warning in record.warnings)
    lines.append("Next: the recipient calls redeem_certificate_request_token with it (no credentials needed).")
    return Answer(record, "\n".join(lines))


async def list_tokens(
    state: AppState,
    reporter: Reporter,
    *,
    frontdoor_id: str | None = None,
    page: int = 0,
    size: int = 20,
    sort: TokenSort | None = None,
    all_pages: bool = False,
) -> Answer[TokenList]:
    frontdoor = state.frontdoor(frontdoor_id)
    now = datetime.now(UTC)
    with api_errors(state):
        if all_pages:

            async def progress(done: int, total: int) -> None:
                await reporter.progress(done, total, f"read {done} of {total} pages")

            tokens, total = await state.client.tokens.list_all(frontdoor, sort=sort, on_progress=progress)
            number, next_page = None, None
        else:
            listing = await state.client.tokens.list(frontdoor, page=page, size=size, sort=sort)
            tokens, total, number = list(listing.items), listing.total_elements, listing.page
            next_page = number + 1 if number + 1 < listing.total_pages else None
    items = [item_of_token(token, now) for token in tokens]

    def render(shown_items: list[TokenItem]) -> tuple[TokenList, str]:
        result = TokenList(
            frontdoor_id=frontdoor,
            items=shown_items,
            all_pages=all_pages,
            page=number,
            next_page=next_page,
            total_elements=total,
            truncated=len(shown_items) < len(items),
        )
        return result, _list_text(result, now)

    result, text = trimmed_to_budget(items, render)
    assert isinstance(result, TokenList)
    return Answer(result, text)


async def get_token(
    state: AppState, *, token_id: str, frontdoor_id: str | None = None, reveal: bool = False
) -> Answer[TokenRecord]:
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        token = await state.client.tokens.get(frontdoor, token_id)
    now = datetime.now(UTC)
    record = TokenRecord(**item_of_token(token, now).model_dump())
    lines = [f"Certificate request token {shown(token.name)}, token_id={shown_id(token.id)}: {_status(record, now)}."]
    lines.append(_fixes(record))
    if reveal and token.token is not None:
        record.token = token.token
        lines.append(f"Token: {token.token}")
        lines.append(SEND_PRIVATELY.format(frontdoor=frontdoor))
    elif reveal:
        lines.append("The API does not show this token's string (it may show it only when created).")
    else:
        lines.append(f"Token (masked): {record.token_masked or 'not shown by the API'}; reveal=true shows it.")
    return Answer(record, "\n".join(lines))


async def update_token(
    state: AppState,
    *,
    token_id: str,
    frontdoor_id: str | None = None,
    name: str | None = None,
    common_name: str | None = None,
    organization: str | None = None,
    organizational_unit: str | None = None,
) -> Answer[TokenChange]:
    frontdoor = state.frontdoor(frontdoor_id)
    fields = TokenFields(name, common_name, organization, organizational_unit)
    if not fields.body():
        raise ToolError("Nothing to update: give name, common_name, organization or organizational_unit.")
    with api_errors(state):
        token = await state.client.tokens.update(frontdoor, token_id, fields)
    item = item_of_token(token, datetime.now(UTC))
    change = TokenChange(done=True, token=item)
    return Answer(change, f"Updated certificate request token {shown(item.name)}, token_id={item.id}. {_fixes(item)}")


@dataclass(frozen=True)
class RevocationTarget:
    frontdoor_id: str
    token: RequestToken


async def find_revocation_target(state: AppState, *, token_id: str, frontdoor_id: str | None) -> RevocationTarget:
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        return RevocationTarget(frontdoor, await state.client.tokens.get(frontdoor, token_id))


def revocation_question(target: RevocationTarget) -> str:
    return (
        f"Revoke certificate request token {shown(target.token.name)} ({shown_id(target.token.id)}) in frontdoor "
        f"{target.frontdoor_id}? It can no longer be redeemed; certificates already issued from it stay."
    )


async def revoke_token(state: AppState, *, target: RevocationTarget, consent: ConsentHow) -> Answer[TokenChange]:
    item = item_of_token(target.token, datetime.now(UTC))
    if not agreed(consent):
        how = (
            f"revoking {shown(item.name)} ({item.id}) needs the user's explicit agreement. Show the user the name "
            "and id, and if they agree call revoke_certificate_request_token again with confirm=true."
            if consent == "required"
            else "the user did not agree. Do not retry unless the user asks again."
        )
        change = TokenChange(done=False, token=item, confirmation=consent, how_to_confirm=how)
        return Answer(change, f"Not revoked: {how}")
    with api_errors(state):
        await state.client.tokens.revoke(target.frontdoor_id, target.token.id)
    change = TokenChange(done=True, token=item, confirmation=consent)
    return Answer(
        change, f"Revoked certificate request token {shown(item.name)} ({item.id}): it can no longer be used."
    )


def _fixes(item: TokenItem) -> str:
    fixed = [
        f"{label}={shown(value)}"
        for label, value in (("CN", item.common_name), ("O", item.organization), ("OU", item.organizational_unit))
        if value
    ]
    return (
        f"It fixes {', '.join(fixed)} in the certificate." if fixed else "It fixes no subject field: the CSR's apply."
    )


def _status(item: TokenItem, now: datetime) -> str:
    if item.used_at is not None:
        became = f" into certificate_id={item.client_certificate_id}" if item.client_certificate_id else ""
        return f"redeemed {item.used_at:%Y-%m-%d %H:%M} UTC{became}"
    if item.expired and item.expires_at is not None:
        return f"expired {ago(now - item.expires_at)} ago"
    if item.expires_at is not None:
        return f"expires {item.expires_at:%Y-%m-%d %H:%M} UTC"
    return "expiry not shown by the API"


def _list_text(result: TokenList, now: datetime) -> str:
    scope = "every page" if result.all_pages else f"page={result.page}"
    head = f"{len(result.items)} of {result.total_elements} certificate request tokens ({scope})"
    if not result.items:
        return f"{head}: none. Frontdoor {result.frontdoor_id}."
    lines = [f"{head}:"]
    lines.extend(
        f"- {shown(item.name)} token_id={item.id}, {item.token_masked or 'string not shown'}: {_status(item, now)}"
        for item in result.items[:LINES_IN_TEXT]
    )
    if result.truncated:
        lines.append("Only the first ones fit in one result: read page by page with page and size.")
    if result.next_page is not None:
        lines.append(f"Next page: page={result.next_page}.")
    return "\n".join(lines)


# MCP tools ----------------------------------------------------------------------------------------------


async def create_certificate_request_token(
    ctx: Context[AppState, Any],
    name: NameArg,
    common_name: SubjectFieldArg = None,
    organization: SubjectFieldArg = None,
    organizational_unit: SubjectFieldArg = None,
    valid_years: Annotated[
        int | None,
        Field(description="Sent as validYears (its meaning is not documented).", ge=1, le=MAX_TOKEN_VALID_YEARS),
    ] = None,
    frontdoor_id: FrontdoorIdArg = None,
    save_token_to: Annotated[
        str | None,
        Field(
            description="New local file for the token string (0600); it is then not shown.", max_length=PATH_MAX_CHARS
        ),
    ] = None,
) -> Annotated[CallToolResult, TokenRecord]:
    """Create a single-use certificate request token: its holder gets a certificate (named `name`, the CN/O/OU
    given here fixed) from their own CSR without API credentials; their key stays with them. The token is
    shown once (or saved); send it privately. Next: they call redeem_certificate_request_token."""
    return respond(
        await create_token(
            app_state(ctx),
            ContextReporter(ctx),
            name=name,
            common_name=common_name,
            organization=organization,
            organizational_unit=organizational_unit,
            valid_years=valid_years,
            frontdoor_id=frontdoor_id,
            save_token_to=save_token_to,
        )
    )


async def list_certificate_request_tokens(
    ctx: Context[AppState, Any],
    frontdoor_id: FrontdoorIdArg = None,
    page: PageArg = 0,
    size: SizeArg = 20,
    sort: Annotated[TokenSort | None, Field(description="Sort order; omit for the API's default.")] = None,
    all_pages: Annotated[bool, Field(description="Read every page.")] = False,
) -> Annotated[CallToolResult, TokenList]:
    """List a frontdoor's certificate request tokens: name, id, the fields they fix, expiry (expired ones
    say how long ago), redemption when the API shows it. Token strings are masked."""
    return respond(
        await list_tokens(
            app_state(ctx),
            ContextReporter(ctx),
            frontdoor_id=frontdoor_id,
            page=page,
            size=size,
            sort=sort,
            all_pages=all_pages,
        )
    )


async def get_certificate_request_token(
    ctx: Context[AppState, Any],
    token_id: TokenIdArg,
    frontdoor_id: FrontdoorIdArg = None,
    reveal: Annotated[bool, Field(description="Show the token string in full (to hand it over again).")] = False,
) -> Annotated[CallToolResult, TokenRecord]:
    """Get one certificate request token: the fields it fixes, its expiry or redemption. Its string is masked
    unless reveal=true."""
    return respond(await get_token(app_state(ctx), token_id=token_id, frontdoor_id=frontdoor_id, reveal=reveal))


async def update_certificate_request_token(
    ctx: Context[AppState, Any],
    token_id: TokenIdArg,
    frontdoor_id: FrontdoorIdArg = None,
    name: OptionalNameArg = None,
    common_name: UpdatedSubjectFieldArg = None,
    organization: UpdatedSubjectFieldArg = None,
    organizational_unit: UpdatedSubjectFieldArg = None,
) -> Annotated[CallToolResult, TokenChange]:
    """Change a certificate request token's name or the subject fields it fixes (only those given change)."""
    return respond(
        await update_token(
            app_state(ctx),
            token_id=token_id,
            frontdoor_id=frontdoor_id,
            name=name,
            common_name=common_name,
            organization=organization,
            organizational_unit=organizational_unit,
        )
    )


@unexpected_errors(writes=False)
async def _revocation_target(ctx: Context[AppState, Any], frontdoor_id: str | None, token_id: str) -> RevocationTarget:
    return await find_revocation_target(app_state(ctx), token_id=token_id, frontdoor_id=frontdoor_id)


@unexpected_errors(writes=False)
async def _ask_to_revoke(
    ctx: Context[AppState, Any], target: Annotated[RevocationTarget, Resolve(_revocation_target)], confirm: bool
) -> Confirmation | Elicit[Confirmation]:
    return ask_or_use_argument(ctx, revocation_question(target), confirm)


async def revoke_certificate_request_token(
    ctx: Context[AppState, Any],
    token_id: TokenIdArg,
    target: Annotated[RevocationTarget, Resolve(_revocation_target)],
    decision: Annotated[ElicitationResult[Confirmation], Resolve(_ask_to_revoke)],
    frontdoor_id: FrontdoorIdArg = None,
    confirm: ConfirmArg = False,
) -> Annotated[CallToolResult, TokenChange]:
    """Revoke (delete) a certificate request token so it can no longer be redeemed; certificates already issued
    stay. The user must agree: a client that can ask is asked; otherwise pass confirm=true only after the user
    agreed."""
    return respond(await revoke_token(app_state(ctx), target=target, consent=consent_of(decision)))

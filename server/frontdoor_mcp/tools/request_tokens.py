"""Certificate request tokens. The operator's side: create one (shown once, or saved to a 0600 file), list,
get (masked unless revealed), update its name or fixed subject fields, and revoke it (confirmed, as a delete).
The recipient's side: redeem one, with a CSR of their own or a key and CSR made here first.

A token lets someone without API credentials get a certificate with the subject fields the token fixes, from a
CSR of their own: their private key never leaves their machine. Redeeming needs no API credentials and never
sends the configured ones: the token is the authorisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Final

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, StringConstraints, WithJsonSchema

from frontdoor_mcp.api.errors import BadRequest, Conflict, FrontdoorError, Gone, NotFound, OutcomeUnknown
from frontdoor_mcp.api.ids import REQUEST_TOKEN_PATTERN, TOKEN_ID_PATTERN
from frontdoor_mcp.api.request_tokens import RequestToken, TokenFields
from frontdoor_mcp.api.walk import IncompleteKind
from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.files import LocalFileError, write_new_private_file
from frontdoor_mcp.pki.inspect import subject_fields_changed
from frontdoor_mcp.redaction import KNOWN_SECRETS, mask_token
from frontdoor_mcp.rules import MAX_TOKEN_VALID_YEARS, PATH_MAX_CHARS, SUBJECT_FIELD_MAX_CHARS, KeyType
from frontdoor_mcp.toolkit.annotations import API_CREATE, API_DESTRUCTIVE, API_READ, API_UPDATE
from frontdoor_mcp.toolkit.answers import Answer, call_again_advice, shown, shown_id
from frontdoor_mcp.toolkit.budget import LINES_IN_TEXT, trimmed_to_budget
from frontdoor_mcp.toolkit.confirmation import ConfirmArg, ConsentHow, agreed
from frontdoor_mcp.toolkit.definition import LookedUp, ToolGroup, UserAgreement
from frontdoor_mcp.toolkit.failures import api_errors, base_path_note, describe_failure
from frontdoor_mcp.toolkit.state import AppState, Reporter
from frontdoor_mcp.tools.arguments import (
    CsrPathArg,
    CsrPemArg,
    FrontdoorIdArg,
    NameArg,
    OptionalNameArg,
    PageArg,
    SizeArg,
    SortArg,
    VisibleText,
)
from frontdoor_mcp.tools.certificate_results import record_of, record_text
from frontdoor_mcp.tools.local import SubjectText, generate_csr
from frontdoor_mcp.tools.local_files import check_save_target, checked_csr, save_certificate
from frontdoor_mcp.tools.request_token_results import (
    Redemption,
    TokenChange,
    TokenItem,
    TokenList,
    TokenRecord,
    ago,
    item_of_token,
)

TOOLS: Final = ToolGroup("tokens")

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


ASK_THE_ISSUER: Final = "Ask whoever gave you the token for a new one."


# The operator's side ------------------------------------------------------------------------------------


@TOOLS.tool("Create a certificate request token", API_CREATE, manages_tokens=True)
async def create_certificate_request_token(
    state: AppState,
    reporter: Reporter,
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
) -> Answer[TokenRecord]:
    """Create a single-use certificate request token: its holder gets a certificate (named `name`, the CN/O/OU
    given here fixed) from their own CSR without API credentials; their key stays with them. The token is
    shown once (or saved); send it privately. Next: they call redeem_certificate_request_token."""
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


@TOOLS.tool("List certificate request tokens", API_READ, manages_tokens=True)
async def list_certificate_request_tokens(
    state: AppState,
    reporter: Reporter,
    frontdoor_id: FrontdoorIdArg = None,
    page: PageArg = 0,
    size: SizeArg = 20,
    sort: SortArg = None,
    all_pages: Annotated[bool, Field(description="Read every page.")] = False,
) -> Answer[TokenList]:
    """List a frontdoor's certificate request tokens: name, id, the fields they fix, expiry (expired ones
    say how long ago), redemption when the API shows it. Token strings are masked."""
    frontdoor = state.frontdoor(frontdoor_id)
    now = datetime.now(UTC)
    complete: bool | None = None
    why_incomplete: str | None = None
    kind: IncompleteKind | None = None
    with api_errors(state):
        if all_pages:

            async def progress(done: int, total: int | None) -> None:
                pages = f"{done} of {total}" if total else f"{done}"
                await reporter.progress(done, total, f"read {pages} pages")

            tokens, walked = await state.client.tokens.list_all(frontdoor, sort=sort, on_progress=progress)
            number, next_page, notes = None, None, ()
            total, complete, why_incomplete = walked.total, walked.complete, walked.why_incomplete
            kind = walked.incomplete_kind
        else:
            listing = await state.client.tokens.list(frontdoor, page=page, size=size, sort=sort)
            tokens, total = list(listing.items), listing.total_elements
            place = listing.place(page, size)
            number, next_page, notes = place.number, place.next_page, place.notes
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
            complete=complete,
            incomplete_reason=why_incomplete,
        )
        return result, _list_text(result, now, kind, notes)

    result, text = trimmed_to_budget(items, render, state.result_budget)
    assert isinstance(result, TokenList)
    return Answer(result, text)


@TOOLS.tool("Get a certificate request token", API_READ, manages_tokens=True)
async def get_certificate_request_token(
    state: AppState,
    token_id: TokenIdArg,
    frontdoor_id: FrontdoorIdArg = None,
    reveal: Annotated[bool, Field(description="Show the token string in full (to hand it over again).")] = False,
) -> Answer[TokenRecord]:
    """Get one certificate request token: the fields it fixes, its expiry or redemption. Its string is masked
    unless reveal=true."""
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


@TOOLS.tool("Update a certificate request token", API_UPDATE, manages_tokens=True)
async def update_certificate_request_token(
    state: AppState,
    token_id: TokenIdArg,
    frontdoor_id: FrontdoorIdArg = None,
    name: OptionalNameArg = None,
    common_name: UpdatedSubjectFieldArg = None,
    organization: UpdatedSubjectFieldArg = None,
    organizational_unit: UpdatedSubjectFieldArg = None,
) -> Answer[TokenChange]:
    """Change a certificate request token's name or the subject fields it fixes (only those given change)."""
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


async def find_revocation_target(state: AppState, token_id: str, frontdoor_id: str | None) -> RevocationTarget:
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        return RevocationTarget(frontdoor, await state.client.tokens.get(frontdoor, token_id))


def revocation_question(target: RevocationTarget) -> str:
    return (
        f"Revoke certificate request token {shown(target.token.name)} ({shown_id(target.token.id)}) in frontdoor "
        f"{target.frontdoor_id}? It can no longer be redeemed; certificates already issued from it stay."
    )


@TOOLS.tool("Revoke a certificate request token", API_DESTRUCTIVE, manages_tokens=True)
async def revoke_certificate_request_token(
    state: AppState,
    token_id: TokenIdArg,
    target: Annotated[RevocationTarget, LookedUp(find_revocation_target)],
    consent: Annotated[ConsentHow, UserAgreement(revocation_question, about="target")],
    frontdoor_id: FrontdoorIdArg = None,
    confirm: ConfirmArg = False,
) -> Answer[TokenChange]:
    """Revoke (delete) a certificate request token so it can no longer be redeemed; certificates already issued
    stay. The user must agree: a client that can ask is asked; otherwise pass confirm=true only after the user
    agreed."""
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


def _list_text(result: TokenList, now: datetime, kind: IncompleteKind | None, notes: tuple[str, ...]) -> str:
    """The listing's text; `kind`: why a walk is incomplete, if it is (the advice follows it); `notes`: what
    one page's answer leaves open."""
    scope = "every page" if result.all_pages else f"page={result.page}"
    of_total = f" of {result.total_elements}" if result.total_elements is not None else ""
    no_total = "" if result.total_elements is not None else "; the API reports no total"
    head = f"{len(result.items)}{of_total} certificate request tokens ({scope}{no_total})"
    incomplete = (
        f"Not every token could be read: {result.incomplete_reason}. The list may miss some."
        f"{call_again_advice(kind, 'read it anew')}"
    )
    noted = "".join(f" Note: {note}." for note in notes)
    if not result.items:
        none = f"{head}: none. Frontdoor {result.frontdoor_id}.{noted}"
        return f"{none} {incomplete}" if result.complete is False else none
    lines = [f"{head}:"]
    lines.extend(
        f"- {shown(item.name)} token_id={item.id}, {item.token_masked or 'string not shown'}: {_status(item, now)}"
        for item in result.items[:LINES_IN_TEXT]
    )
    lines.extend(f"Note: {note}." for note in notes)
    if result.complete is False:
        lines.append(incomplete)
    if result.truncated:
        lines.append("Only the first ones fit in one result: read page by page with page and size.")
    if result.next_page is not None:
        lines.append(f"Next page: page={result.next_page}.")
    return "\n".join(lines)


# The recipient's side -----------------------------------------------------------------------------------


@TOOLS.tool("Redeem a certificate request token", API_CREATE, local_arguments=("key_type", "common_name"))
async def redeem_certificate_request_token(
    state: AppState,
    reporter: Reporter,
    token: Annotated[
        str,
        StringConstraints(pattern=REQUEST_TOKEN_PATTERN),
        WithJsonSchema({"type": "string"}),
        Field(description="The crt_... token string, as given (a secret)."),
    ],
    frontdoor_id: FrontdoorIdArg = None,
    csr_pem: CsrPemArg = None,
    csr_path: CsrPathArg = None,
    key_type: Annotated[KeyType | None, Field(description="Make a new key and CSR here first, of this type.")] = None,
    key_path: Annotated[
        str | None,
        Field(description="With key_type: new file for the key (default: the key folder).", max_length=PATH_MAX_CHARS),
    ] = None,
    common_name: Annotated[
        SubjectText | None, Field(description="With key_type: the CSR's CN (a CN the token fixes wins).", max_length=64)
    ] = None,
    save_certificate_to: Annotated[
        str | None, Field(description="New local file to save the certificate in.", max_length=PATH_MAX_CHARS)
    ] = None,
) -> Answer[Redemption]:
    """Redeem a certificate request token you were given: a client certificate, no API credentials needed.
    Give your CSR (csr_pem/csr_path), or key_type and common_name to make key and CSR here (the key never
    leaves this machine). Fields the token fixes win over the CSR's. A token works once."""
    KNOWN_SECRETS.add(token)  # from here on, no log line or message can carry it
    frontdoor = state.frontdoor(frontdoor_id)
    target = check_save_target(save_certificate_to, "save_certificate_to") if save_certificate_to else None
    made = None
    if key_type is not None:
        if csr_pem is not None or csr_path is not None:
            raise ToolError("Give either csr_pem / csr_path (your own CSR) or key_type (make a key and CSR here).")
        if common_name is None:
            raise ToolError("common_name is needed to make the CSR here (a CN the token fixes wins over it).")
        made = (await generate_csr(state, common_name=common_name, key_type=key_type, key_path=key_path)).result
        csr_pem = made.csr_pem
    elif key_path is not None or common_name is not None:
        raise ToolError("key_path and common_name go with key_type (a key and CSR made here).")
    checked = checked_csr(csr_pem, csr_path)
    try:
        certificate = await state.client.tokens.redeem(frontdoor, token, checked.pem)
    except FrontdoorError as exc:
        raise ToolError(_redemption_failure(exc, state, mask_token(token), made is not None)) from None
    record = record_of(certificate)
    redemption = Redemption(
        **record.model_dump(),
        fixed_by_token=_fixed_by_token(checked.pem, certificate.value),
        key_path=made.key_path if made else None,
        csr_path=made.csr_path if made else None,
    )
    if record.decoded is not None and record.decoded.public_key_sha256 != checked.details.public_key_sha256:
        redemption.warnings.append("The certificate's public key is not the CSR's: it will not work with the key.")
    if certificate.value is None:
        redemption.warnings.append(
            f"The API's answer holds no PEM: the issuer can fetch it with get_client_certificate, certificate_id="
            f"{certificate.id}."
        )
    if target is not None:
        save_certificate(target, certificate.value, redemption, csr_public_key_sha256=checked.details.public_key_sha256)
    await reporter.log("info", f"Redeemed a certificate request token into {certificate.id}.")
    return Answer(redemption, _text(redemption))


def _fixed_by_token(csr_pem: str, certificate_pem: str | None) -> list[str]:
    try:
        return subject_fields_changed(csr_pem, certificate_pem) if certificate_pem else []
    except PemError:  # an unreadable certificate is reported by its record already
        return []


def _redemption_failure(exc: FrontdoorError, state: AppState, masked: str, made_here: bool) -> str:
    kept = " The key and CSR made here are kept: redeem a new token with csr_path." if made_here else ""
    if isinstance(exc, NotFound):
        return (
            f"The token {masked} was not accepted (404): it is mistyped, was revoked, or belongs to another "
            f"frontdoor (check frontdoor_id). {ASK_THE_ISSUER}{kept}{base_path_note(state.client.base_url)}"
        )
    if isinstance(exc, Conflict):
        return f"The token {masked} was already used (409): a token works once. {ASK_THE_ISSUER}{kept}"
    if isinstance(exc, Gone):
        return f"The token {masked} has expired (410). {ASK_THE_ISSUER}{kept}"
    if isinstance(exc, BadRequest):
        return f"The API refused the CSR (400). Make a new one (generate_csr, or key_type here) and try again.{kept}"
    if isinstance(exc, OutcomeUnknown):
        return f"The redemption was sent but its outcome is unknown ({exc.reason}). {ASK_THE_ISSUER}"
    return describe_failure(exc, state)


def _text(redemption: Redemption) -> str:
    lines: list[str] = []
    if redemption.key_path:
        lines.append(f"Made a new key here: {redemption.key_path} (mode 0600; never shown, never sent).")
    if redemption.fixed_by_token:
        lines.append(f"The token fixed {', '.join(redemption.fixed_by_token)} (not what the CSR asked for).")
    next_step = (
        f"install {redemption.saved_to or 'the certificate above'} with "
        f"{redemption.key_path or 'the CSR key'} in the client."
    )
    lines.append(
        record_text(
            "Redeemed the token into client certificate",
            redemption,
            next_step=next_step,
            with_pem=not redemption.saved_to,
        )
    )
    return "\n".join(lines)

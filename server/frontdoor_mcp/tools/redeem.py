"""Redeeming a certificate request token, the recipient's side: with a CSR of their own, or with a key and CSR
made here first (the key never leaves this machine). Needs no API credentials, and never sends the
configured ones: the token is the authorisation.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field, StringConstraints, WithJsonSchema

from frontdoor_mcp.api.errors import BadRequest, Conflict, FrontdoorError, Gone, NotFound, OutcomeUnknown
from frontdoor_mcp.api.ids import REQUEST_TOKEN_PATTERN
from frontdoor_mcp.redaction import KNOWN_SECRETS, mask_token
from frontdoor_mcp.rules import PATH_MAX_CHARS, KeyType
from frontdoor_mcp.tools.arguments import CsrPathArg, CsrPemArg, FrontdoorIdArg
from frontdoor_mcp.tools.local import SubjectText, make_key_and_csr
from frontdoor_mcp.tools.messages import describe_failure
from frontdoor_mcp.tools.pem_input import checked_csr
from frontdoor_mcp.tools.records import record_of, record_text
from frontdoor_mcp.tools.respond import Answer, respond
from frontdoor_mcp.tools.saving import check_save_target, save_certificate
from frontdoor_mcp.tools.state import AppState, ContextReporter, Reporter, app_state
from frontdoor_mcp.tools.token_results import Redemption

ASK_THE_ISSUER = "Ask whoever gave you the token for a new one."


async def redeem_token(
    state: AppState,
    reporter: Reporter,
    *,
    token: str,
    frontdoor_id: str | None = None,
    csr_pem: str | None = None,
    csr_path: str | None = None,
    key_type: KeyType | None = None,
    key_path: str | None = None,
    common_name: str | None = None,
    save_certificate_to: str | None = None,
) -> Answer[Redemption]:
    KNOWN_SECRETS.add(token)  # from here on, no log line or message can carry it
    frontdoor = state.frontdoor(frontdoor_id)
    target = check_save_target(save_certificate_to, "save_certificate_to") if save_certificate_to else None
    made = None
    if key_type is not None:
        if csr_pem is not None or csr_path is not None:
            raise ToolError("Give either csr_pem / csr_path (your own CSR) or key_type (make a key and CSR here).")
        if common_name is None:
            raise ToolError("common_name is needed to make the CSR here (a CN the token fixes wins over it).")
        made = (await make_key_and_csr(state, common_name=common_name, key_type=key_type, key_path=key_path)).result
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
    from frontdoor_mcp.pki.errors import PemError
    from frontdoor_mcp.pki.inspect import subject_fields_changed

    try:
        return subject_fields_changed(csr_pem, certificate_pem) if certificate_pem else []
    except PemError:  # an unreadable certificate is reported by its record already
        return []


def _redemption_failure(exc: FrontdoorError, state: AppState, masked: str, made_here: bool) -> str:
    kept = " The key and CSR made here are kept: redeem a new token with csr_path." if made_here else ""
    if isinstance(exc, NotFound):
        return (
            f"The token {masked} was not accepted (404): it is mistyped, was revoked, or belongs to another "
            f"frontdoor (check frontdoor_id). {ASK_THE_ISSUER}{kept}"
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


async def redeem_certificate_request_token(
    ctx: Context[AppState, Any],
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
) -> Annotated[CallToolResult, Redemption]:
    """Redeem a certificate request token you were given: a client certificate, no API credentials needed.
    Give your CSR (csr_pem/csr_path), or key_type and common_name to make key and CSR here (the key never
    leaves this machine). Fields the token fixes win over the CSR's. A token works once."""
    return respond(
        await redeem_token(
            app_state(ctx),
            ContextReporter(ctx),
            token=token,
            frontdoor_id=frontdoor_id,
            csr_pem=csr_pem,
            csr_path=csr_path,
            key_type=key_type,
            key_path=key_path,
            common_name=common_name,
            save_certificate_to=save_certificate_to,
        )
    )

"""Creating certificates: upload an existing one, or have NetFoundry's CA sign one from a CSR.

Changing a stored one is in `certificate_changes.py`, deleting in `delete.py`. Every PEM is checked by the
input policy before anything is sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from frontdoor_mcp.api.certificates import Created
from frontdoor_mcp.api.errors import FrontdoorError
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.api.models import Certificate, CertificateSummary
from frontdoor_mcp.tools.arguments import (
    MAX_PATH_CHARS,
    CertificatePathArg,
    CertificatePemArg,
    CsrPathArg,
    CsrPemArg,
    FrontdoorIdArg,
    NameArg,
)
from frontdoor_mcp.tools.messages import api_errors, describe_failure
from frontdoor_mcp.tools.pem_input import checked_certificate, checked_csr
from frontdoor_mcp.tools.records import announce_recovery, record_of, record_text
from frontdoor_mcp.tools.respond import Answer, respond, shown_id
from frontdoor_mcp.tools.results import CertificateRecord
from frontdoor_mcp.tools.saving import check_save_target, save_certificate
from frontdoor_mcp.tools.state import AppState, ContextReporter, Reporter, app_state

# Operations ---------------------------------------------------------------------------------------------


async def upload_certificate(
    state: AppState,
    reporter: Reporter,
    *,
    name: str,
    frontdoor_id: str | None = None,
    certificate_pem: str | None = None,
    certificate_path: str | None = None,
) -> Answer[CertificateRecord]:
    frontdoor = state.frontdoor(frontdoor_id)
    checked = checked_certificate(certificate_pem, certificate_path)
    with api_errors(state):
        created = await state.client.certificates.create(frontdoor, name, checked.pem)
    record = record_of(created.certificate, pem=checked.pem, decoded=checked.details, warnings=checked.warnings)
    record.warnings.extend(same_name_warnings(created))
    record.recovered = created.recovered
    await announce_recovery(reporter, record)
    next_step = f"shares can now require this certificate by its certificate_id={record.id}."
    return Answer(record, record_text("Uploaded client certificate", record, next_step=next_step))


async def create_certificate_from_csr(
    state: AppState,
    reporter: Reporter,
    *,
    name: str,
    frontdoor_id: str | None = None,
    csr_pem: str | None = None,
    csr_path: str | None = None,
    save_certificate_to: str | None = None,
) -> Answer[CertificateRecord]:
    frontdoor = state.frontdoor(frontdoor_id)
    checked = checked_csr(csr_pem, csr_path)
    save_to = check_save_target(save_certificate_to, "save_certificate_to") if save_certificate_to else None
    with api_errors(state):
        created = await state.client.certificates.create(frontdoor, name, checked.pem)
    # The certificate exists from here on. What fails next is said in the result, not raised: an error
    # would hide the new id and invite the model to create the certificate a second time.
    notes: list[str] = []
    try:
        certificate: CertificateSummary = await state.client.certificates.get(frontdoor, created.certificate.id)
    except (FrontdoorError, InvalidIdError) as exc:
        certificate = created.certificate
        reason = describe_failure(exc, state) if isinstance(exc, FrontdoorError) else "its id is in an unexpected form."
        notes.append(
            f"The certificate was created, but reading it back failed: {reason} "
            "Do not create it again: fetch it later with get_client_certificate."
        )
    record = record_of(certificate, warnings=notes)
    record.warnings.extend(same_name_warnings(created))
    record.recovered = created.recovered
    await announce_recovery(reporter, record)
    if save_to is not None:
        answer = certificate.value if isinstance(certificate, Certificate) else None
        save_certificate(save_to, answer, record, csr_public_key_sha256=checked.details.public_key_sha256)
    where = record.saved_to or "the certificate above"
    next_step = f"install {where} with the CSR's private key in the client; certificate_id={record.id} names it here."
    text = record_text(
        "Signed and stored client certificate", record, next_step=next_step, with_pem=not record.saved_to
    )
    return Answer(record, text)


def same_name_warnings(created: Created) -> list[str]:
    """Names should be unique (the guide's advice, and how a person tells certificates apart)."""
    if not created.same_name:
        return []
    ids = ", ".join(shown_id(item.id) for item in created.same_name[:5])
    more = f" and {len(created.same_name) - 5} more" if len(created.same_name) > 5 else ""
    return [
        f"A certificate of the same name already existed ({ids}{more}): names should be unique; rename one with "
        "update_client_certificate."
    ]


# MCP tools ----------------------------------------------------------------------------------------------


async def upload_client_certificate(
    ctx: Context[AppState, Any],
    name: NameArg,
    frontdoor_id: FrontdoorIdArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
) -> Annotated[CallToolResult, CertificateRecord]:
    """Upload an existing certificate (PEM, never its private key) as a new client certificate. Checked first:
    one certificate, RSA 2048+ or ECDSA P-256/P-384, SHA-2, currently valid. Each call creates one more.
    To have NetFoundry sign one instead: generate_csr, then create_client_certificate_from_csr."""
    return respond(
        await upload_certificate(
            app_state(ctx),
            ContextReporter(ctx),
            name=name,
            frontdoor_id=frontdoor_id,
            certificate_pem=certificate_pem,
            certificate_path=certificate_path,
        )
    )


async def create_client_certificate_from_csr(
    ctx: Context[AppState, Any],
    name: NameArg,
    frontdoor_id: FrontdoorIdArg = None,
    csr_pem: CsrPemArg = None,
    csr_path: CsrPathArg = None,
    save_certificate_to: Annotated[
        str | None,
        Field(description="New local file to save the signed certificate in.", min_length=1, max_length=MAX_PATH_CHARS),
    ] = None,
) -> Annotated[CallToolResult, CertificateRecord]:
    """Have NetFoundry's CA sign a certificate from a CSR (usually generate_csr's csr_path) and store it.
    Returns it decoded; saves it to save_certificate_to if given. Each call creates one more.
    Next: install the certificate and its key in the client."""
    return respond(
        await create_certificate_from_csr(
            app_state(ctx),
            ContextReporter(ctx),
            name=name,
            frontdoor_id=frontdoor_id,
            csr_pem=csr_pem,
            csr_path=csr_path,
            save_certificate_to=save_certificate_to,
        )
    )

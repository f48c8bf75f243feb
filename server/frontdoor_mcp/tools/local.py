"""The local tools: make a key and CSR, and decode a certificate or CSR. Nothing here touches the API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from frontdoor_mcp.tools.annotations import LOCAL_READ, LOCAL_WRITE
from frontdoor_mcp.tools.arguments import MAX_PATH_CHARS, MAX_PEM_CHARS, PRINTABLE_PATTERN
from frontdoor_mcp.tools.pem_input import check_path, pem_text
from frontdoor_mcp.tools.respond import respond, shown
from frontdoor_mcp.tools.results import GeneratedCsr, Inspection
from frontdoor_mcp.tools.state import AppState, app_state

KeyTypeArg = Literal["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"]


def _subject_field(description: str, max_length: int = 64) -> Any:
    return Field(description=description, min_length=1, max_length=max_length, pattern=PRINTABLE_PATTERN)


async def generate_csr(
    ctx: Context[AppState, Any],
    common_name: Annotated[str, _subject_field("Subject CN, e.g. the client's name: api-client-prod.")],
    organization: Annotated[str | None, _subject_field("Subject O (organization).")] = None,
    organizational_unit: Annotated[str | None, _subject_field("Subject OU (organizational unit).")] = None,
    country: Annotated[
        str | None, Field(description="Subject C: a two-letter country code, e.g. US.", pattern=r"^[A-Za-z]{2}$")
    ] = None,
    state: Annotated[str | None, _subject_field("Subject ST (state or province).", 128)] = None,
    locality: Annotated[str | None, _subject_field("Subject L (city).", 128)] = None,
    email: Annotated[
        str | None,
        Field(description="An e-mail address for the subject.", max_length=128, pattern=r"^[^@\s]{1,64}@[^@\s]{1,63}$"),
    ] = None,
    dns_names: Annotated[
        list[Annotated[str, Field(max_length=253, pattern=r"^[A-Za-z0-9*](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")]],
        Field(description="DNS names for the subjectAltName extension.", max_length=50),
    ] = [],  # noqa: B006 - pydantic copies defaults; a list keeps the schema an array, not nullable
    ip_addresses: Annotated[
        list[Annotated[str, Field(max_length=45)]],
        Field(description="IP addresses (v4 or v6) for the subjectAltName extension.", max_length=50),
    ] = [],  # noqa: B006
    key_type: Annotated[
        KeyTypeArg, Field(description="Key algorithm: ec-p256 (default, fast), ec-p384, rsa-2048, rsa-3072, rsa-4096.")
    ] = "ec-p256",
    key_path: Annotated[
        str | None,
        Field(
            description="Where to write the private key: a NEW file (never overwritten). Omit it to write one in "
            "the server's key folder (FRONTDOOR_MCP_KEY_DIR).",
            min_length=1,
            max_length=MAX_PATH_CHARS,
        ),
    ] = None,
) -> Annotated[CallToolResult, GeneratedCsr]:
    """Generate a new private key and a CSR on this machine, for create_client_certificate_from_csr.

    The private key is written to a local file (mode 0600, never overwriting anything) and is never
    returned or sent anywhere; the result gives its path, the CSR PEM and the public key's fingerprint.
    Next: call create_client_certificate_from_csr with csr_pem, then install the signed certificate with
    the key file in the client.
    """
    from frontdoor_mcp.pki.csr import SubjectFields, generate_key_and_csr
    from frontdoor_mcp.pki.files import LocalFileError, write_new_private_file

    subject = SubjectFields(
        common_name=common_name,
        organization=organization,
        organizational_unit=organizational_unit,
        country=country.upper() if country else None,
        state=state,
        locality=locality,
        email=email,
    )
    # Where the key goes is settled first: a bad path should not cost a key generation (RSA 4096: ~0.6 s).
    if key_path is not None:
        check_path(key_path, "key_path")
    try:
        target = _key_target(key_path, app_state(ctx).key_dir, common_name)
    except LocalFileError as exc:
        raise ToolError(f"No key was made: {exc}") from None
    try:
        generated = generate_key_and_csr(subject, dns_names=dns_names, ip_addresses=ip_addresses, key_type=key_type)
    except ValueError as exc:
        raise ToolError(f"Could not make the CSR: {exc}") from None
    try:
        written = write_new_private_file(target, generated.private_key_pem)
    except LocalFileError as exc:
        raise ToolError(f"The private key was not written, so no CSR is returned: {exc}") from None
    result = GeneratedCsr(
        csr_pem=generated.csr_pem,
        key_path=str(written),
        public_key_sha256=generated.public_key_sha256,
        subject=generated.subject,
        key_type=key_type,
    )
    text = (
        f"Generated a new {key_type} key and a CSR for {shown(generated.subject)}. "
        f"The private key is in {written} (mode 0600); it is not shown here. "
        "Next: create_client_certificate_from_csr with this csr_pem."
    )
    return respond(result, text)


def _key_target(key_path: str | None, key_dir: Path | None, common_name: str) -> Path:
    """The file for a new key: the one asked for (which must not exist), else a fresh name in the configured or
    default key folder (made, 0700, if missing). The write itself re-checks with an exclusive create."""
    from frontdoor_mcp.pki.files import LocalFileError, new_key_path
    from frontdoor_mcp.pki.files import key_dir as prepared_key_dir

    if key_path is None:
        return new_key_path(prepared_key_dir(key_dir), common_name)
    target = Path(key_path).expanduser()
    if target.exists() or target.is_symlink():
        raise LocalFileError(f"{target} already exists; keys are never overwritten. Choose a new key_path.")
    return target


async def inspect_certificate(
    pem: Annotated[
        str | None,
        Field(description="A certificate or CSR as PEM text. Give this or path, not both.", max_length=MAX_PEM_CHARS),
    ] = None,
    path: Annotated[
        str | None,
        Field(description="Path of a local certificate or CSR PEM file. Give this or pem.", max_length=MAX_PATH_CHARS),
    ] = None,
) -> Annotated[CallToolResult, Inspection]:
    """Decode a certificate or CSR locally (nothing is sent): subject, issuer, validity and days remaining,
    SANs, key type and size, signature algorithm, key usage, extended key usage, CA flag, SHA-256 fingerprint;
    for a CSR, whether its signature verifies.

    Use it before uploading, or to check a certificate file a user has. Private keys are refused.
    """
    from frontdoor_mcp.pki.errors import PemError
    from frontdoor_mcp.pki.inspect import describe_pem
    from frontdoor_mcp.pki.models import CertificateDetails
    from frontdoor_mcp.pki.parse import check_no_private_key

    text = pem_text(pem, path, inline_name="pem", path_name="path")
    try:
        check_no_private_key(text, "either")
        details = describe_pem(text)
    except PemError as exc:
        raise ToolError(f"Could not inspect it: {exc}") from None
    if isinstance(details, CertificateDetails):
        result = Inspection(kind="certificate", certificate=details)
        summary = (
            f"Certificate {shown(details.subject)}, issued by {shown(details.issuer)}, valid "
            f"{details.not_before:%Y-%m-%d} to {details.not_after:%Y-%m-%d} ({details.days_remaining} days left), "
            f"{details.key_type} {details.key_size or ''}, SHA-256 {details.fingerprint_sha256}."
        )
    else:
        result = Inspection(kind="csr", csr=details)
        verdict = "verifies" if details.signature_valid else "does NOT verify"
        summary = (
            f"CSR for {shown(details.subject)}, {details.key_type} {details.key_size or ''}; its signature {verdict}."
        )
    return respond(result, summary)


def register(server: MCPServer[Any], *, read_only: bool) -> None:
    server.add_tool(inspect_certificate, title="Inspect a certificate or CSR", annotations=LOCAL_READ)
    if not read_only:
        server.add_tool(generate_csr, title="Generate a key and CSR", annotations=LOCAL_WRITE)

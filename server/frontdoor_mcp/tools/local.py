"""The local tools: make a key and CSR, and decode a certificate or CSR. Nothing here touches the API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema

from frontdoor_mcp.pki.csr import SubjectFields, generate_key_and_csr
from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.files import (
    LocalFileError,
    NewFile,
    check_new_file,
    csr_path_beside,
    new_key_path,
    write_new_file,
    write_new_private_file,
)
from frontdoor_mcp.pki.files import key_dir as prepared_key_dir
from frontdoor_mcp.pki.inspect import describe_pem
from frontdoor_mcp.pki.models import CertificateDetails, CsrDetails
from frontdoor_mcp.pki.parse import check_no_private_key
from frontdoor_mcp.rules import KeyType
from frontdoor_mcp.toolkit.annotations import LOCAL_READ, LOCAL_WRITE
from frontdoor_mcp.toolkit.answers import Answer, shown
from frontdoor_mcp.toolkit.definition import ToolGroup
from frontdoor_mcp.toolkit.state import AppState
from frontdoor_mcp.tools.arguments import MAX_PATH_CHARS, MAX_PEM_CHARS, VisibleText
from frontdoor_mcp.tools.local_files import check_path, pem_text

TOOLS: Final = ToolGroup("local")


DNS_NAME_PATTERN: Final = r"^[A-Za-z0-9*](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"


def _subject_field(description: str, max_length: int = 64) -> Any:
    return Field(description=description, min_length=1, max_length=max_length)


SubjectText = Annotated[str, VisibleText]


class GeneratedCsr(BaseModel):
    csr_pem: str = Field(description="The CSR; pass it to create_client_certificate_from_csr as csr_pem.")
    csr_path: str = Field(description="Where the CSR was written (mode 0644): pass it as csr_path.")
    key_path: str = Field(description="Where the private key was written (PKCS#8 PEM, mode 0600). Never returned.")
    public_key_sha256: str = Field(description="SHA-256 of the public key (SubjectPublicKeyInfo), hex.")
    subject: str = Field(description="The CSR's subject (RFC 4514).")
    key_type: str


class Inspection(BaseModel):
    kind: Literal["certificate", "csr"]
    certificate: CertificateDetails | None = None
    csr: CsrDetails | None = None


# The tools ----------------------------------------------------------------------------------------------


@TOOLS.tool("Inspect a certificate or CSR", LOCAL_READ)
async def inspect_certificate(
    pem: Annotated[
        str | None, Field(description="Certificate or CSR PEM. This or path.", max_length=MAX_PEM_CHARS)
    ] = None,
    path: Annotated[str | None, Field(description="Local PEM file. This or pem.", max_length=MAX_PATH_CHARS)] = None,
) -> Answer[Inspection]:
    """Decode a certificate or CSR locally (nothing is sent): subject, issuer, validity, SANs, key, usages,
    fingerprint; for a CSR, whether its signature verifies. Private keys are refused."""
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
    return Answer(result, summary)


@TOOLS.tool("Generate a key and CSR", LOCAL_WRITE, local_only=True)
async def generate_csr(
    app: AppState,  # not `state`: that is the argument for the subject's ST
    common_name: Annotated[SubjectText, _subject_field("Subject CN, e.g. the client's name.")],
    organization: Annotated[SubjectText | None, _subject_field("Subject O.")] = None,
    organizational_unit: Annotated[SubjectText | None, _subject_field("Subject OU.")] = None,
    country: Annotated[str | None, Field(description="Subject C, two letters.", pattern=r"^[A-Za-z]{2}$")] = None,
    state: Annotated[SubjectText | None, _subject_field("Subject ST.", 128)] = None,
    locality: Annotated[SubjectText | None, _subject_field("Subject L.", 128)] = None,
    email: Annotated[
        Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,63}$"), WithJsonSchema({"type": "string"})]
        | None,
        Field(description="Subject emailAddress.", max_length=128),
    ] = None,
    dns_names: Annotated[
        list[
            Annotated[
                str, StringConstraints(max_length=253, pattern=DNS_NAME_PATTERN), WithJsonSchema({"type": "string"})
            ]
        ],
        Field(description="SAN DNS names.", max_length=50),
    ] = [],  # noqa: B006 - pydantic copies defaults; a list keeps the schema an array, not nullable
    ip_addresses: Annotated[
        list[Annotated[str, Field(max_length=45)]], Field(description="SAN IP addresses.", max_length=50)
    ] = [],  # noqa: B006
    key_type: Annotated[KeyType, Field(description="Key algorithm.")] = "ec-p256",
    key_path: Annotated[
        str | None,
        Field(
            description="New file for the private key (never overwritten); default: a new file in the key folder.",
            min_length=1,
            max_length=MAX_PATH_CHARS,
        ),
    ] = None,
) -> Answer[GeneratedCsr]:
    """Make a new private key and a CSR on this machine. The key goes to a new 0600 file and is never
    returned; the CSR is written beside it (<key>.csr.pem) and shown.
    Next: create_client_certificate_from_csr with csr_path."""
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
        target = _key_target(key_path, app.key_dir, common_name)
        csr_target = check_new_file(csr_path_beside(target.path))
    except LocalFileError as exc:
        raise ToolError(f"No key was made: {exc}") from None
    try:
        generated = await app.off_the_loop(
            lambda: generate_key_and_csr(subject, dns_names=dns_names, ip_addresses=ip_addresses, key_type=key_type)
        )
    except ValueError as exc:
        raise ToolError(f"Could not make the CSR: {exc}") from None
    try:
        written = write_new_private_file(target, generated.private_key_pem)
    except LocalFileError as exc:
        raise ToolError(f"The private key was not written, so no CSR is returned: {exc}") from None
    try:
        csr_written = write_new_file(csr_target, generated.csr_pem.encode("ascii"), mode=0o644)
    except LocalFileError as exc:
        raise ToolError(
            f"The private key is in {written}, but the CSR could not be written ({exc}). Delete the key file and "
            "call generate_csr again."
        ) from None
    result = GeneratedCsr(
        csr_pem=generated.csr_pem,
        csr_path=str(csr_written),
        key_path=str(written),
        public_key_sha256=generated.public_key_sha256,
        subject=generated.subject,
        key_type=key_type,
    )
    text = "\n".join(
        [
            f"Generated a new {key_type} key and a CSR for {shown(generated.subject)}.",
            f"Private key: {written} (mode 0600; never shown, never sent).",
            f"CSR: {csr_written}",
            generated.csr_pem.strip(),
            f"Next: create_client_certificate_from_csr with csr_path={csr_written} and a name.",
        ]
    )
    return Answer(result, text)


def _key_target(key_path: str | None, key_dir: Path | None, common_name: str) -> NewFile:
    """The file for a new key: the one asked for (which must not exist), else a fresh name in the configured or
    default key folder (made, 0700, if missing). The write itself re-checks with an exclusive create."""
    if key_path is None:
        return check_new_file(new_key_path(prepared_key_dir(key_dir), common_name))
    return check_new_file(key_path)

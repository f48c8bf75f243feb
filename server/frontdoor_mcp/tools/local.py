"""The local tools: make a key and CSR, and decode a certificate or CSR. Nothing here touches the API."""

from __future__ import annotations

import secrets
import shlex
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from cryptography import x509
from cryptography.x509.oid import NameOID
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema

from frontdoor_mcp.pki.credentials import Compatibility, key_matches, load_chain, pem_bundle, pkcs12_bytes
from frontdoor_mcp.pki.csr import SubjectFields, generate_key_and_csr
from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.files import (
    LocalFileError,
    NewFile,
    check_new_file,
    csr_path_beside,
    new_key_path,
    read_local_text,
    resolved,
    write_new_file,
    write_new_private_file,
)
from frontdoor_mcp.pki.files import key_dir as prepared_key_dir
from frontdoor_mcp.pki.inspect import describe_certificate, describe_pem
from frontdoor_mcp.pki.models import CertificateDetails, CsrDetails
from frontdoor_mcp.pki.parse import check_no_private_key, load_certificate, load_certificate_or_csr
from frontdoor_mcp.redaction import KNOWN_SECRETS
from frontdoor_mcp.rules import KeyType
from frontdoor_mcp.toolkit.annotations import LOCAL_EXPORT, LOCAL_READ, LOCAL_WRITE
from frontdoor_mcp.toolkit.answers import Answer, shown
from frontdoor_mcp.toolkit.definition import ToolGroup
from frontdoor_mcp.toolkit.failures import api_errors
from frontdoor_mcp.toolkit.state import AppState
from frontdoor_mcp.tools.arguments import MAX_PATH_CHARS, MAX_PEM_CHARS, CertificateIdArg, FrontdoorIdArg, VisibleText
from frontdoor_mcp.tools.local_files import check_path, pem_text, read_certificate, read_private_key

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
    key_matches: bool | None = Field(
        default=None, description="Whether key_path's key is this one's; null: none given."
    )


class ExportedCredential(BaseModel):
    target_path: str = Field(description="The file written (mode 0600).")
    format: Literal["pkcs12", "pem-bundle"]
    compatibility: Literal["modern", "legacy"] | None = Field(description="The PKCS#12 protection; null: PEM.")
    passphrase_path: str | None = Field(description="The file that holds the PKCS#12 passphrase (never shown).")
    passphrase_created: bool = Field(description="True when the passphrase was made here, false when given.")
    subject: str
    fingerprint_sha256: str
    chain_length: int = Field(description="How many issuer certificates follow the client's own.")
    friendly_name: str | None = Field(description="The name the PKCS#12 shows in a keychain or a browser.")
    how_to_use: list[str] = Field(description="How to load it into common clients.")


# The tools ----------------------------------------------------------------------------------------------


@TOOLS.tool("Inspect a certificate or CSR", LOCAL_READ)
async def inspect_certificate(
    pem: Annotated[
        str | None, Field(description="Certificate or CSR PEM. This or path.", max_length=MAX_PEM_CHARS)
    ] = None,
    path: Annotated[str | None, Field(description="Local PEM file. This or pem.", max_length=MAX_PATH_CHARS)] = None,
    key_path: Annotated[
        str | None,
        Field(description="A key file: is it this one's key?", max_length=MAX_PATH_CHARS),
    ] = None,
) -> Answer[Inspection]:
    """Decode a certificate or CSR locally (nothing is sent): subject, issuer, validity, SANs, key, usages,
    fingerprint; for a CSR, whether its signature verifies; with key_path, whether that key is its key.
    Private keys are refused as pem/path."""
    text = pem_text(pem, path, inline_name="pem", path_name="path")
    try:
        check_no_private_key(text, "either")
        details = describe_pem(text)
        subject = load_certificate_or_csr(text)
    except PemError as exc:
        raise ToolError(f"Could not inspect it: {exc}") from None
    matches = key_matches(subject, read_private_key(key_path)) if key_path is not None else None
    if isinstance(details, CertificateDetails):
        result = Inspection(kind="certificate", certificate=details, key_matches=matches)
        summary = (
            f"Certificate {shown(details.subject)}, issued by {shown(details.issuer)}, valid "
            f"{details.not_before:%Y-%m-%d} to {details.not_after:%Y-%m-%d} ({details.days_remaining} days left), "
            f"{details.key_type} {details.key_size or ''}, SHA-256 {details.fingerprint_sha256}."
        )
    else:
        result = Inspection(kind="csr", csr=details, key_matches=matches)
        verdict = "verifies" if details.signature_valid else "does NOT verify"
        summary = (
            f"CSR for {shown(details.subject)}, {details.key_type} {details.key_size or ''}; its signature {verdict}."
        )
    if matches is not None:
        whose = "its key" if matches else "NOT its key: they do not belong together"
        summary += f"\nThe private key in {key_path} is {whose}."
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


# Export -------------------------------------------------------------------------------------------------

PASSPHRASE_MIN_CHARS: Final = 8
PASSPHRASE_SUFFIX: Final = ".passphrase"  # noqa: S105 - a file name's ending, not a secret
PROTECTION: Final = {
    "modern": "AES-256-CBC, PBKDF2-SHA256, HMAC-SHA256",
    "legacy": "3DES, SHA-1 (for older macOS keychains, Windows and Java 8)",
}


@TOOLS.tool("Export a client credential", LOCAL_EXPORT, local_only=True)
async def export_client_credential(
    state: AppState,
    key_path: Annotated[str, Field(description="The certificate's key file.", min_length=1, max_length=MAX_PATH_CHARS)],
    target_path: Annotated[str, Field(description="New file (0600).", min_length=1, max_length=MAX_PATH_CHARS)],
    certificate_path: Annotated[
        str | None, Field(description="Certificate file. This or certificate_id.", max_length=MAX_PATH_CHARS)
    ] = None,
    certificate_id: Annotated[
        CertificateIdArg | None, Field(description="An API certificate. This or certificate_path.")
    ] = None,
    frontdoor_id: FrontdoorIdArg = None,
    format: Annotated[
        Literal["pkcs12", "pem-bundle"],
        Field(description="pkcs12 (encrypted key, certificate, chain) or pem-bundle (certificate, chain)."),
    ] = "pkcs12",
    compatibility: Annotated[
        Compatibility,
        Field(description="pkcs12 cipher: modern (AES-256) or legacy (3DES/SHA-1, for old systems)."),
    ] = "modern",
    chain_path: Annotated[
        str | None, Field(description="Issuer chain PEM file to include.", max_length=MAX_PATH_CHARS)
    ] = None,
    passphrase_path: Annotated[
        str | None,
        Field(description="File holding the pkcs12 passphrase; default: a new one.", max_length=MAX_PATH_CHARS),
    ] = None,
) -> Answer[ExportedCredential]:
    """Package a client certificate and its key for a client to load: PKCS#12 (encrypted; its passphrase in a
    0600 file, never shown) or a PEM bundle. The result says how to load it (browsers, curl, Java)."""
    key = read_private_key(key_path)
    certificate, name = await _certificate_to_export(state, certificate_path, certificate_id, frontdoor_id)
    if not key_matches(certificate, key):
        raise ToolError("The key in key_path is not this certificate's key, so nothing was written.")
    chain = _chain(chain_path)
    target = _new_file(target_path, "target_path")
    details = describe_certificate(certificate)
    if format == "pem-bundle":
        written = _write(target, pem_bundle(certificate, chain))
        bundle, key = shlex.quote(written), shlex.quote(key_path)
        uses = [
            f"curl --cert {bundle} --key {key} https://<the service>/",
            f"openssl s_client -connect <host:port> -cert {bundle} -key {key}",
            "nginx, towards an mTLS upstream: "
            f"proxy_ssl_certificate {_nginx_quoted(written)}; proxy_ssl_certificate_key {_nginx_quoted(key_path)};",
        ]
        exported = ExportedCredential(
            target_path=written,
            format=format,
            compatibility=None,
            passphrase_path=None,
            passphrase_created=False,
            subject=details.subject,
            fingerprint_sha256=details.fingerprint_sha256,
            chain_length=len(chain),
            friendly_name=None,
            how_to_use=uses,
        )
        return Answer(exported, _export_text(exported))
    given = _given_passphrase(passphrase_path) if passphrase_path is not None else None
    new_passphrase_file = _new_file(target_path + PASSPHRASE_SUFFIX, "target_path") if given is None else None
    passphrase = given if given is not None else secrets.token_urlsafe(24).encode("ascii")
    KNOWN_SECRETS.add(passphrase.decode("utf-8"))  # from here on no log line can carry it
    friendly = name or _common_name(certificate)
    data = await state.off_the_loop(
        lambda: pkcs12_bytes(
            key, certificate, chain, friendly_name=friendly, passphrase=passphrase, compatibility=compatibility
        )
    )
    cautions: list[str] = []
    if new_passphrase_file is not None:
        passphrase_file = _write(new_passphrase_file, passphrase + b"\n")
    else:
        assert passphrase_path is not None
        passphrase_file = str(resolved(passphrase_path))
        if _readable_by_others(passphrase_file):
            cautions.append(
                f"Warning: {passphrase_file} can be read by its group or by others, and it holds the passphrase: "
                f"chmod 600 {shlex.quote(passphrase_file)}"
            )
    written = _write(target, data, after=f"the passphrase file {passphrase_file}" if new_passphrase_file else None)
    exported = ExportedCredential(
        target_path=written,
        format=format,
        compatibility=compatibility,
        passphrase_path=passphrase_file,
        passphrase_created=new_passphrase_file is not None,
        subject=details.subject,
        fingerprint_sha256=details.fingerprint_sha256,
        chain_length=len(chain),
        friendly_name=friendly,
        how_to_use=_pkcs12_uses(written, passphrase_file),
    )
    return Answer(exported, _export_text(exported, cautions))


async def _certificate_to_export(
    state: AppState, path: str | None, certificate_id: str | None, frontdoor_id: str | None
) -> tuple[x509.Certificate, str | None]:
    """The certificate (from the file, or from the API) and its name when the API gave one."""
    if (path is None) == (certificate_id is None):
        raise ToolError("Give certificate_path (a local file) or certificate_id (from the API), one of them.")
    if path is not None:
        return read_certificate(path)[0], None
    assert certificate_id is not None
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        stored = await state.client.certificates.get(frontdoor, certificate_id)
    try:
        return load_certificate(stored.value or ""), stored.name
    except PemError:
        raise ToolError("The API's PEM of this certificate cannot be read, so nothing was written.") from None


def _chain(path: str | None) -> list[x509.Certificate]:
    if path is None:
        return []
    text = pem_text(None, path, inline_name="", path_name="chain_path")
    try:
        check_no_private_key(text, "certificate")
        return load_chain(text)
    except PemError as exc:
        raise ToolError(f"chain_path: {exc}") from None


def _given_passphrase(path: str) -> bytes:
    """The passphrase in the user's file: its first line. Never repeated, whatever happens."""
    check_path(path, "passphrase_path")
    try:
        text = read_local_text(path, max_bytes=1024, what="passphrase_path")
    except LocalFileError as exc:
        raise ToolError(str(exc)) from None
    passphrase = text.splitlines()[0] if text else ""
    if len(passphrase) < PASSPHRASE_MIN_CHARS:
        raise ToolError(
            f"passphrase_path: its first line must hold a passphrase of {PASSPHRASE_MIN_CHARS}+ characters."
        )
    return passphrase.encode("utf-8")


def _new_file(path: str, argument: str) -> NewFile:
    check_path(path, argument)
    try:
        return check_new_file(path)
    except LocalFileError as exc:
        raise ToolError(f"{argument}: {exc} Nothing was written.") from None


def _write(target: NewFile, data: bytes, *, after: str | None = None) -> str:
    try:
        return str(write_new_private_file(target, data))
    except LocalFileError as exc:
        written = f" ({after} was written: delete it)" if after else ""
        raise ToolError(f"{exc}{written}") from None


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[-1].value) if names else certificate.subject.rfc4514_string()


def _readable_by_others(path: str) -> bool:
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False  # it was read a moment ago; nothing to say about a file that is gone
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))


def _nginx_quoted(path: str) -> str:
    """`path` as one nginx configuration argument, whatever it holds (spaces, `;`, quotes)."""
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pkcs12_uses(target: str, passphrase_file: str) -> list[str]:
    quoted = shlex.quote(target)
    return [
        f"Firefox: Settings > Privacy & Security > Certificates > View Certificates > Your Certificates > Import "
        f"{target}; the passphrase is the line in {passphrase_file}.",
        f"Chrome or Edge: on Windows open {target} (the import wizard), on macOS open it in Keychain Access; "
        "the passphrase as above.",
        # curl's way to a PKCS#12 passphrase, `--cert <file>:<passphrase>`, shows it in the process list.
        'curl: export again with format="pem-bundle" and give curl --cert (the bundle) and --key (the key file), '
        "as that result shows: no passphrase on a command line.",
        f"Java: keytool -importkeystore -srckeystore {quoted} -srcstoretype PKCS12 -destkeystore client.jks",
        f"Check it: openssl pkcs12 -in {quoted} -info -noout -passin {shlex.quote('file:' + passphrase_file)}",
    ]


def _export_text(exported: ExportedCredential, cautions: Sequence[str] = ()) -> str:
    chain = f" and {exported.chain_length} chain certificate(s)" if exported.chain_length else ""
    if exported.format == "pem-bundle":
        what = (
            f"Wrote {exported.target_path} (PEM bundle, 0600): the certificate{chain}; the key stays in its own file."
        )
    else:
        protection = PROTECTION[exported.compatibility or "modern"]
        made = "made here" if exported.passphrase_created else "yours"
        what = (
            f"Wrote {exported.target_path} (PKCS#12, {exported.compatibility}: {protection}; 0600): the key, the "
            f"certificate{chain}. Its passphrase is in {exported.passphrase_path} ({made}; never shown)."
        )
    lines = [
        what,
        *cautions,
        f"Certificate {shown(exported.subject)}, SHA-256 {exported.fingerprint_sha256}.",
        "To use it:",
        *(f"- {use}" for use in exported.how_to_use),
    ]
    return "\n".join(lines)

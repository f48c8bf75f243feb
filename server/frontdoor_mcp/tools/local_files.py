"""This machine's files, as the tools use them: PEM arguments read from exactly one of inline text or a local
file (then checked by the input policy, before any request), and certificates the API returned saved to a file
the caller named.

A save target is checked before anything is sent (a file that cannot be written must not be discovered after
the certificate was created). What is written is only what was checked: exactly one certificate, whose key
matches the CSR it was signed from, re-encoded from its parsed form; never the API's answer as it came.
Nothing read from a file is ever repeated in a message.
"""

from __future__ import annotations

import os
import unicodedata
from datetime import UTC, datetime

from cryptography import x509
from mcp.server.mcpserver.exceptions import ToolError

from frontdoor_mcp.pki.credentials import PrivateKey, load_chain, load_private_key
from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.files import LocalFileError, NewFile, check_new_file, read_local_text, write_new_private_file
from frontdoor_mcp.pki.inspect import canonical_certificate
from frontdoor_mcp.pki.parse import check_no_private_key, load_certificate
from frontdoor_mcp.pki.policy import CheckedCertificate, CheckedCsr, check_certificate, check_csr
from frontdoor_mcp.tools.certificate_results import CertificateRecord


def pem_text(inline: str | None, path: str | None, *, inline_name: str, path_name: str) -> str:
    """The PEM text from exactly one of the two arguments. Never echoes content."""
    if inline is not None and path is not None:
        raise ToolError(f"Give either {inline_name} or {path_name}, not both.")
    if inline is None and path is None:
        raise ToolError(f"Give {inline_name} (PEM text) or {path_name} (a local file).")
    if inline is not None:
        return inline
    assert path is not None
    check_path(path, path_name)
    try:
        return read_local_text(path, what=path_name)
    except LocalFileError as exc:
        raise ToolError(str(exc)) from None


def check_path(path: str, argument: str) -> None:
    """Refuse, without repeating it, a path that is really content: PEM armour or control characters (a
    pasted key would otherwise come back in "file ... does not exist" and in the server's log). A NUL byte
    would also make the os calls raise ValueError, not the OSError the file helpers expect."""
    if "-----BEGIN" in path or "-----END" in path or any(unicodedata.category(char) == "Cc" for char in path):
        raise ToolError(
            f"{argument} must be the path of a file, and this holds PEM text or control characters, so it is not "
            "used (nor repeated here). Give a file's path; PEM text goes in the PEM argument."
        )
    # pathlib's expanduser raises RuntimeError for `~name` when there is no such user (os.path's leaves it).
    if path.startswith("~") and os.path.expanduser(path).startswith("~"):
        raise ToolError(f"{argument}: {path.split('/', 1)[0]} is no user's home folder here. Give an absolute path.")


def read_private_key(path: str, argument: str = "key_path") -> PrivateKey:
    """The unencrypted private key in the file at `path`, to check or use here; never repeated anywhere."""
    check_path(path, argument)
    try:
        return load_private_key(read_local_text(path, what=argument))
    except LocalFileError as exc:
        raise ToolError(str(exc)) from None
    except PemError as exc:
        raise ToolError(f"{argument}: {exc}") from None


def read_certificate(
    path: str, argument: str = "certificate_path", *, with_issuers: bool = False
) -> tuple[x509.Certificate, str]:
    """The one certificate in the file at `path`, and its text; refused if the file holds a private key.
    `with_issuers`: the file may hold the issuers a client sends along after it (its certificate comes first)."""
    text = pem_text(None, path, inline_name="", path_name=argument)
    try:
        check_no_private_key(text, "certificate")
        return (load_chain(text)[0] if with_issuers else load_certificate(text)), text
    except PemError as exc:
        raise ToolError(f"{argument}: {exc}") from None


def checked_certificate(inline: str | None, path: str | None) -> CheckedCertificate:
    text = pem_text(inline, path, inline_name="certificate_pem", path_name="certificate_path")
    try:
        return check_certificate(text, now=datetime.now(UTC))
    except PemError as exc:
        raise ToolError(f"The certificate was refused before anything was sent: {exc}") from None


def checked_csr(inline: str | None, path: str | None) -> CheckedCsr:
    text = pem_text(inline, path, inline_name="csr_pem", path_name="csr_path")
    try:
        return check_csr(text)
    except PemError as exc:
        raise ToolError(f"The CSR was refused before anything was sent: {exc}") from None


def check_save_target(path: str, argument: str) -> NewFile:
    """Where a file will go, checked before anything is sent: a clear refusal otherwise."""
    check_path(path, argument)
    try:
        return check_new_file(path)
    except LocalFileError as exc:
        raise ToolError(f"{argument}: {exc} Nothing was sent.") from None


def save_certificate(
    target: NewFile, answer_pem: str | None, record: CertificateRecord, *, csr_public_key_sha256: str | None = None
) -> None:
    """Write the checked certificate to `target`, or say in the record why nothing was written. Never raises:
    the certificate exists on the frontdoor by now, and an error would hide its id."""
    created = f"The certificate itself was created ({record.id}); get_client_certificate shows it."
    if not answer_pem:
        record.warnings.append(f"Nothing was saved to {target.path}: the signed certificate was not read. {created}")
        return
    try:
        checked = canonical_certificate(answer_pem)
    except PemError:
        record.warnings.append(
            f"Nothing was saved to {target.path}: the API's answer is not exactly one certificate. {created}"
        )
        return
    if csr_public_key_sha256 is not None and checked.public_key_sha256 != csr_public_key_sha256:
        record.warnings.append(
            f"Nothing was saved to {target.path}: the certificate's public key is not the CSR's, so it would not "
            f"work with your private key. {created}"
        )
        return
    try:
        record.saved_to = str(write_new_private_file(target, checked.pem.encode("ascii")))
    except LocalFileError as exc:
        # Checked before the create, so only a race gets here.
        record.warnings.append(f"Saving the certificate failed: {exc} {created}")

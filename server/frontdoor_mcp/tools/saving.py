"""Saving a certificate the API returned to a local file the caller named.

The whole target is checked before anything is sent (a file that cannot be written must not be discovered
after the certificate was created). What is written is only what was checked: exactly one certificate, whose
key matches the CSR it was signed from, re-encoded from its parsed form; never the API's answer as it came.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

from frontdoor_mcp.tools.pem_input import check_path
from frontdoor_mcp.tools.results import CertificateRecord

if TYPE_CHECKING:
    from frontdoor_mcp.pki.files import NewFile


def check_save_target(path: str, argument: str) -> NewFile:
    """Where the certificate will go, checked before anything is sent: a clear refusal otherwise."""
    from frontdoor_mcp.pki.files import LocalFileError, check_new_file

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
    from frontdoor_mcp.pki.errors import PemError
    from frontdoor_mcp.pki.files import LocalFileError, write_new_private_file
    from frontdoor_mcp.pki.inspect import canonical_certificate

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

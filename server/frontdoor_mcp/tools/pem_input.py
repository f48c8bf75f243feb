"""PEM arguments: exactly one of inline text or a local file, then the input policy, before any request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

if TYPE_CHECKING:
    from frontdoor_mcp.pki.policy import CheckedCertificate, CheckedCsr


def pem_text(inline: str | None, path: str | None, *, inline_name: str, path_name: str) -> str:
    """The PEM text from exactly one of the two arguments. Never echoes content."""
    from frontdoor_mcp.pki.files import LocalFileError, read_local_text

    if inline is not None and path is not None:
        raise ToolError(f"Give either {inline_name} or {path_name}, not both.")
    if inline is None and path is None:
        raise ToolError(f"Give {inline_name} (PEM text) or {path_name} (a local file).")
    if inline is not None:
        return inline
    assert path is not None
    try:
        return read_local_text(path, what=path_name)
    except LocalFileError as exc:
        raise ToolError(str(exc)) from None


def checked_certificate(inline: str | None, path: str | None) -> CheckedCertificate:
    from frontdoor_mcp.pki.errors import PemError
    from frontdoor_mcp.pki.policy import check_certificate

    text = pem_text(inline, path, inline_name="certificate_pem", path_name="certificate_path")
    try:
        return check_certificate(text, now=datetime.now(UTC))
    except PemError as exc:
        raise ToolError(f"The certificate was refused before anything was sent: {exc}") from None


def checked_csr(inline: str | None, path: str | None) -> CheckedCsr:
    from frontdoor_mcp.pki.errors import PemError
    from frontdoor_mcp.pki.policy import check_csr

    text = pem_text(inline, path, inline_name="csr_pem", path_name="csr_path")
    try:
        return check_csr(text)
    except PemError as exc:
        raise ToolError(f"The CSR was refused before anything was sent: {exc}") from None

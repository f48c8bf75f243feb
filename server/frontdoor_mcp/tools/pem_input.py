"""PEM arguments: exactly one of inline text or a local file, then the input policy, before any request."""

from __future__ import annotations

import os
import unicodedata
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

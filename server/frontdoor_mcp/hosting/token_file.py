"""Mode (a) of the HTTP server's authentication: bearer tokens listed in a file, by label, hash and scopes.

The file holds no token, only its SHA-256 (a token is 256 random bits, so a fast hash is enough: there is
nothing to guess). A presented token is hashed and compared with every entry in constant time, without
stopping at a match, so the time taken says nothing about which entry, if any, came close. The file is
read again when it changes (a token added or removed takes effect without a restart); a file that turns
unreadable or malformed refuses every token until it is fixed, rather than keep the old list.

    {"version": 1, "tokens": [{"label": "alice", "sha256": "<64 hex>", "scopes": ["frontdoor:read"],
                               "created": "2025-06-01T10:00:00Z"}]}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, cast

from mcp.server.auth.provider import AccessToken

from frontdoor_mcp.config import ConfigError
from frontdoor_mcp.hosting.callers import RefusalLog
from frontdoor_mcp.hosting.options import SCOPES
from frontdoor_mcp.redaction import KNOWN_SECRETS

logger = logging.getLogger(__name__)

TOKEN_PREFIX: Final = "fdm_"  # noqa: S105 (a prefix, not a secret)
"""Marks a frontdoor-mcp bearer token, so one found in a log or a paste is recognised for what it is."""
LABEL: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
"""Safe to print in a log line as it is."""
MAX_FILE_BYTES: Final = 1024 * 1024
_HEX64: Final = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class TokenEntry:
    label: str
    digest: bytes
    scopes: tuple[str, ...]
    created: str


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def read_entries(path: Path) -> list[TokenEntry]:
    """The file's entries; ConfigError (naming the file, never a value) when it is unsafe or malformed."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"tokens file {path} is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigError(f"tokens file {path} is too large")
        raw = path.read_bytes()
    except OSError as exc:
        # The path is not shown: a value that names no file may be anything (a token pasted into the wrong
        # variable). Past this point it names a file, and a path is what it is.
        raise ConfigError(
            f"the tokens file cannot be read ({exc.strerror or type(exc).__name__}): check the path given "
            "(FRONTDOOR_MCP_HTTP_TOKENS_FILE, --tokens-file or --file)"
        ) from None
    _check_ownership(path, info)
    try:
        document: Any = json.loads(raw)
    except ValueError:
        raise ConfigError(f"tokens file {path} is not valid JSON") from None
    items: object = cast(dict[str, Any], document).get("tokens") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f'tokens file {path} must hold an object with a list under "tokens"')
    entries = [_entry(path, index, item) for index, item in enumerate(cast(list[object], items))]
    labels = [entry.label for entry in entries]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"tokens file {path} lists a label twice")
    return entries


def _check_ownership(path: Path, info: os.stat_result) -> None:
    """Whoever can write this file can let anyone in: it must be ours (or root's), writable by nobody else."""
    if os.name != "posix":
        return
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(f"tokens file {path} is writable by group or others; chmod 600 it")
    if info.st_uid not in (os.getuid(), 0):
        raise ConfigError(f"tokens file {path} belongs to another user; it must be this user's or root's")


def _entry(path: Path, index: int, item: object) -> TokenEntry:
    where = f"tokens file {path}, entry {index + 1}"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: must be an object")
    fields = cast(dict[str, Any], item)
    label, digest, scopes = fields.get("label"), fields.get("sha256"), fields.get("scopes")
    if not isinstance(label, str) or not LABEL.fullmatch(label):
        raise ConfigError(f"{where}: label must be 1-64 letters, digits or . _ @ - (starting with a letter or digit)")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise ConfigError(f"{where} ({label}): sha256 must be 64 lowercase hex digits")
    if not isinstance(scopes, list) or not scopes:
        raise ConfigError(f"{where} ({label}): scopes must be a non-empty list of {', '.join(SCOPES)}")
    given = cast(list[object], scopes)
    if not all(isinstance(scope, str) and scope in SCOPES for scope in given):
        raise ConfigError(f"{where} ({label}): scopes may only be {', '.join(SCOPES)}")
    created = fields.get("created")
    return TokenEntry(label, bytes.fromhex(digest), tuple(cast(list[str], given)), str(created or ""))


class TokenFileVerifier:
    """The SDK's `TokenVerifier` over a tokens file. The principal is the entry's label."""

    def __init__(self, path: Path, *, refusals: RefusalLog | None = None) -> None:
        self._path = path
        self._refusals = refusals or RefusalLog()
        self._signature: tuple[int, int, int] | None = None
        self._entries: list[TokenEntry] = []
        self._reload(starting=True)
        if not self._entries:
            logger.warning("tokens file %s lists no token: every request will be refused", path)

    async def verify_token(self, token: str) -> AccessToken | None:
        self._reload_if_changed()
        presented = token_digest(token)
        found: TokenEntry | None = None
        for entry in self._entries:  # every entry, every time: no early exit to time
            if hmac.compare_digest(entry.digest, presented):
                found = entry
        if found is None:
            self._refusals.refused(
                "it is in no entry of the tokens file" if self._entries else "the tokens file lists no usable token"
            )
            return None
        KNOWN_SECRETS.add(token)
        return AccessToken(
            token=token, client_id=found.label, subject=found.label, scopes=list(found.scopes), claims={"iss": "file"}
        )

    def _reload_if_changed(self) -> None:
        if _signature(self._path) != self._signature:
            self._reload()

    def _reload(self, *, starting: bool = False) -> None:
        """Read the file again; the signature is kept even when it fails, so a broken file is reported once
        per change, not once per request."""
        self._signature = _signature(self._path)
        try:
            self._entries = read_entries(self._path)
        except ConfigError as exc:
            if starting:
                raise
            self._entries = []
            logger.error("%s; every token is refused until the file is fixed", exc)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def add_token(path: Path, label: str, scopes: Sequence[str], *, now: datetime | None = None) -> str:
    """A new token for `label` with `scopes`, recorded (hashed) in the file, which is created (0600) if
    missing. Returns the token: the only time it exists outside the client that will hold it."""
    if not LABEL.fullmatch(label):
        raise ConfigError("the label must be 1-64 letters, digits or . _ @ - (starting with a letter or digit)")
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise ConfigError(f"--scopes takes one or more of {', '.join(SCOPES)}")
    entries = read_entries(path) if path.exists() else []
    if any(entry.label == label for entry in entries):
        raise ConfigError(f"tokens file {path} already has a token labelled {label}; remove it first")
    token = new_token()
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries.append(TokenEntry(label, token_digest(token), tuple(dict.fromkeys(scopes)), stamp))
    write_entries(path, entries)
    return token


def remove_token(path: Path, label: str) -> bool:
    entries = read_entries(path)
    kept = [entry for entry in entries if entry.label != label]
    if len(kept) == len(entries):
        return False
    write_entries(path, kept)
    return True


def write_entries(path: Path, entries: Sequence[TokenEntry]) -> None:
    """Replace the file at once (a reader sees the old list or the new one, never half of either), 0600."""
    document = {
        "version": 1,
        "tokens": [
            {"label": entry.label, "sha256": entry.digest.hex(), "scopes": list(entry.scopes), "created": entry.created}
            for entry in entries
        ],
    }
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tokens-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""The few local file operations: read a PEM file, write a new private key file, and where keys live.

Errors name the path and never echo file content: the content may be a private key.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from frontdoor_mcp.pki.pem import MAX_PEM_BYTES

_APP_NAME = "frontdoor-mcp"
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_STEM = 48

# Flags absent on some platforms (Windows) are simply not used there.
_O_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY: int = getattr(os, "O_NOCTTY", 0)
_O_BINARY: int = getattr(os, "O_BINARY", 0)


class LocalFileError(ValueError):
    """A local file could not be read or written. The message names the path, never the content."""


def read_local_text(path: str | Path, *, max_bytes: int = MAX_PEM_BYTES, what: str = "file") -> str:
    """Read a small UTF-8 text file. Refuses FIFOs, devices, directories and files over max_bytes."""
    target = Path(path).expanduser()
    try:
        # O_NONBLOCK: opening a FIFO must not hang waiting for a writer; fstat below then refuses it.
        fd = os.open(target, os.O_RDONLY | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC | _O_BINARY)
    except FileNotFoundError:
        raise LocalFileError(f"The {what} {target} does not exist.") from None
    except OSError as err:
        raise LocalFileError(f"The {what} {target} cannot be opened: {err.strerror}.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LocalFileError(f"The {what} {target} is not a regular file.")
        if info.st_size > max_bytes:
            raise LocalFileError(f"The {what} {target} is {info.st_size} bytes; the limit is {max_bytes}.")
        data = _read_at_most(fd, max_bytes + 1)  # +1: the file may have grown since fstat
    except OSError as err:
        raise LocalFileError(f"The {what} {target} cannot be read: {err.strerror}.") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise LocalFileError(f"The {what} {target} is larger than the limit of {max_bytes} bytes.")
    try:
        return data.decode("utf-8-sig")  # utf-8-sig: Windows editors often prepend a BOM
    except UnicodeDecodeError:
        raise LocalFileError(
            f"The {what} {target} is not UTF-8 text. If it is binary DER, convert it to PEM first "
            "(e.g. openssl x509 -inform der -in FILE -out FILE.pem)."
        ) from None


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def write_new_private_file(path: str | Path, data: bytes) -> Path:
    """Create a new file readable only by the owner (0600) and write data to it, durably.

    Never overwrites and never follows a symlink: an existing path of any kind is refused.
    """
    target = Path(os.path.abspath(Path(path).expanduser()))
    if not target.parent.is_dir():
        raise LocalFileError(f"The folder {target.parent} does not exist; create it first or choose another path.")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC | _O_BINARY
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        raise LocalFileError(f"{target} already exists; refusing to overwrite it. Choose a new file name.") from None
    except OSError as err:
        raise LocalFileError(f"Cannot create {target}: {err.strerror}.") from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # the mode given to open() is masked by the umask; this is not
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as err:
        os.close(fd)
        target.unlink(missing_ok=True)  # never leave a truncated key behind
        raise LocalFileError(f"Cannot write {target}: {err.strerror}.") from None
    os.close(fd)
    _fsync_dir(target.parent)
    return target


def _fsync_dir(folder: Path) -> None:
    # Makes the new directory entry durable too; not possible (nor needed) on every platform.
    try:
        fd = os.open(folder, os.O_RDONLY | _O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def key_dir(configured: Path | None = None) -> Path:
    """Where generated keys go: the configured folder (FRONTDOOR_MCP_KEY_DIR, read by the configuration),
    else `<user data dir>/frontdoor-mcp/keys`.

    Created with mode 0700 when missing. The default folder is also tightened to 0700 if its mode is looser
    and we own it; a folder the user named is left as they set it (their choice, and possibly shared).
    """
    if configured is not None:
        folder = Path(os.path.abspath(configured.expanduser()))
        _ensure_private_dir(folder, tighten_existing=False)
    else:
        folder = Path(platformdirs.user_data_dir(_APP_NAME, appauthor=False)) / "keys"
        _ensure_private_dir(folder, tighten_existing=True)
    return folder


def _ensure_private_dir(folder: Path, *, tighten_existing: bool) -> None:
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
        created = True
    except FileExistsError:
        created = False
    except OSError as err:
        raise LocalFileError(f"Cannot create the key folder {folder}: {err.strerror}.") from None
    if not folder.is_dir():
        raise LocalFileError(f"The key folder {folder} exists but is not a folder.")
    if not (created or tighten_existing) or not hasattr(os, "getuid"):
        return
    info = folder.stat()
    # mkdir's mode is masked by the umask, and an old folder may be looser: fix what is ours.
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != 0o700:
        try:
            folder.chmod(0o700)
        except OSError as err:
            raise LocalFileError(f"Cannot restrict the key folder {folder} to mode 0700: {err.strerror}.") from None


def new_key_path(key_dir: Path, common_name: str) -> Path:
    """A fresh file name in key_dir for a key, from the CN (sanitised), a UTC timestamp and random suffix."""
    stem = _UNSAFE_CHARS.sub("-", common_name).strip(".-_")[:_MAX_STEM].rstrip(".-_") or "key"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return key_dir / f"{stem}-{stamp}-{secrets.token_hex(3)}.key.pem"

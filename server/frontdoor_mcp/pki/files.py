"""The few local file operations: read a PEM file, write a new private file, and where keys live.

Errors name the path and never echo file content: the content may be a private key.

Writing fails closed. A file is created only in a folder that is the user's own and not writable by others,
relative to that folder opened once (so a folder swapped for a symlink between the check and the write is
not followed), exclusively (nothing is ever overwritten), and with mode 0600 whatever the umask. Folders the
server creates are 0700, every level of them. Relative paths are resolved against the server's working
directory, and results name the real location.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import platformdirs

from frontdoor_mcp.pki.pem import MAX_PEM_BYTES

_APP_NAME: Final = "frontdoor-mcp"
_UNSAFE_CHARS: Final = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_STEM: Final = 48
NAME_MAX_BYTES: Final = 255
"""The longest file name (one path component) the common file systems take (ext4, APFS, NTFS)."""

# Flags absent on some platforms (Windows) are simply not used there.
_O_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY: int = getattr(os, "O_NOCTTY", 0)
_O_BINARY: int = getattr(os, "O_BINARY", 0)
_O_DIRECTORY: int = getattr(os, "O_DIRECTORY", 0)
_OPENS_RELATIVE_TO_A_FOLDER: Final = os.open in os.supports_dir_fd and bool(_O_DIRECTORY)
_FOLDER_FD_PATHS: Final = Path("/proc/self/fd")


class LocalFileError(ValueError):
    """A local file could not be read or written. The message names the path, never the content."""


def resolved(path: str | Path) -> Path:
    """`path` as an absolute path: `~` expanded, relative to the server's working directory."""
    return Path(os.path.abspath(Path(path).expanduser()))


# Reading ---------------------------------------------------------------------------------------------------


def read_local_text(path: str | Path, *, max_bytes: int = MAX_PEM_BYTES, what: str = "file") -> str:
    """Read a small UTF-8 text file. Refuses FIFOs, devices, directories and files over max_bytes."""
    target = resolved(path)
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


# Writing ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewFile:
    """A file that can be created: its folder (symlinks resolved when it was checked) and its name there."""

    folder: Path
    name: str

    @property
    def path(self) -> Path:
        return self.folder / self.name


def check_new_file(path: str | Path) -> NewFile:
    """Where a new file can be created, or why not: a name the file system takes, nothing already there (not
    even a dangling symlink), in a folder that exists, is the user's own and is not writable by others. The one
    home of these rules: checked before any work that would be wasted (a key generated, a certificate created),
    and again by the write, on the folder it opens."""
    target = resolved(path)
    name = target.name
    if name in ("", ".", ".."):
        raise LocalFileError(f"{target} is not a file name; give the path of a new file.")
    if len(name.encode("utf-8", "surrogateescape")) > NAME_MAX_BYTES:
        raise LocalFileError(f"The file name in {target} is longer than file systems allow ({NAME_MAX_BYTES} bytes).")
    try:
        folder = Path(os.path.realpath(target.parent))
        if os.path.lexists(folder / name):
            raise LocalFileError(f"{folder / name} already exists, and files are never overwritten. Choose a new name.")
        info = os.stat(folder)
    except FileNotFoundError:
        raise LocalFileError(
            f"The folder {target.parent} does not exist; create it first or choose another path."
        ) from None
    except OSError as err:
        raise LocalFileError(f"{target} cannot be used: {err.strerror}.") from None
    if not stat.S_ISDIR(info.st_mode):
        raise LocalFileError(f"{target.parent} is not a folder; choose another path.")
    _check_private_folder(folder, info)
    return NewFile(folder, name)


def write_new_private_file(path: str | Path | NewFile, data: bytes) -> Path:
    """Create a new file readable only by the owner (0600), write `data` to it durably, and return where it is.

    Never overwrites and never follows a symlink, neither as the file nor as its folder.
    """
    return write_new_file(path, data, mode=0o600)


def write_new_file(path: str | Path | NewFile, data: bytes, *, mode: int) -> Path:
    """Create a new file with exactly `mode` (whatever the umask), as `write_new_private_file` does. For a
    public file (a CSR, 0644); anything secret is 0600."""
    new = path if isinstance(path, NewFile) else check_new_file(path)
    folder_fd = _open_folder(new.folder)
    try:
        _check_private_folder(new.folder, os.fstat(folder_fd))
        fd = _create(new, folder_fd, mode)
        try:
            _write_all(fd, data)
            _finish_mode(fd, mode)
        except OSError as err:
            os.close(fd)
            _remove(new, folder_fd)  # never leave a truncated key behind
            raise LocalFileError(f"Cannot write {new.path}: {err.strerror}.") from None
        os.close(fd)
        with contextlib.suppress(OSError):  # makes the new directory entry durable; not possible everywhere
            os.fsync(folder_fd)
        return _real_folder(folder_fd, new.folder) / new.name
    finally:
        os.close(folder_fd)


def _open_folder(folder: Path) -> int:
    try:
        return os.open(folder, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise LocalFileError(
                f"The folder {folder} was replaced (by a symlink or a file) after it was checked; nothing was written."
            ) from None
        raise LocalFileError(f"The folder {folder} cannot be opened: {err.strerror}.") from None


def _create(new: NewFile, folder_fd: int, mode: int) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC | _O_BINARY
    try:
        # Created 0600 whatever `mode`: nobody else can open it before its content is complete.
        if _OPENS_RELATIVE_TO_A_FOLDER:
            fd = os.open(new.name, flags, 0o600, dir_fd=folder_fd)
        else:
            fd = os.open(new.path, flags, 0o600)
    except FileExistsError:
        raise LocalFileError(
            f"{new.path} already exists, and files are never overwritten. Choose a new name."
        ) from None
    except OSError as err:
        raise LocalFileError(f"Cannot create {new.path}: {err.strerror}.") from None
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o600)  # the mode given to open() is masked by the umask; this is not
    return fd


def _finish_mode(fd: int, mode: int) -> None:
    if mode != 0o600 and hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def _remove(new: NewFile, folder_fd: int) -> None:
    with contextlib.suppress(OSError):
        if _OPENS_RELATIVE_TO_A_FOLDER:
            os.unlink(new.name, dir_fd=folder_fd)
        else:
            os.unlink(new.path)


def _real_folder(folder_fd: int, checked: Path) -> Path:
    """Where the opened folder really is (Linux names it under /proc), else the path that was checked."""
    try:
        return Path(os.readlink(_FOLDER_FD_PATHS / str(folder_fd)))
    except OSError:
        return checked


OWN_FOLDER_ADVICE: Final = (
    "Choose a folder of your own that only you can write to, for example one made with: mkdir -m 700 ~/frontdoor-keys"
)
"""Never "restrict the folder": one writable by others may be shared on purpose (/tmp is), and taking that away
from its other users is not ours to advise."""


def _check_private_folder(folder: Path, info: os.stat_result) -> None:
    """A folder a secret may be written to: the user's own, and not writable by group or others (another user
    could otherwise swap the file for one of theirs, or read it through a link)."""
    if not hasattr(os, "getuid"):
        return
    if info.st_uid != os.getuid():
        raise LocalFileError(
            f"The folder {folder} belongs to another user, so nothing is written there. {OWN_FOLDER_ADVICE}"
        )
    if stat.S_IMODE(info.st_mode) & 0o022:
        raise LocalFileError(
            f"The folder {folder} is writable by other users (mode {stat.S_IMODE(info.st_mode):04o}), so nothing is "
            f"written there: another user could replace the file. {OWN_FOLDER_ADVICE}"
        )


# Folders ---------------------------------------------------------------------------------------------------


def make_private_folders(folder: Path) -> None:
    """Create `folder` and any missing parents, each level this creates with mode 0700 whatever the umask.
    Existing levels are left as they are."""
    missing: list[Path] = []
    level = folder
    while not os.path.lexists(level) and level != level.parent:
        missing.append(level)
        level = level.parent
    for created in reversed(missing):
        try:
            os.mkdir(created, 0o700)
        except FileExistsError:
            continue  # made meanwhile by someone else: not ours to chmod
        except OSError as err:
            raise LocalFileError(f"Cannot create the folder {created}: {err.strerror}.") from None
        os.chmod(created, 0o700)  # mkdir's mode is masked by the umask


def key_dir(configured: Path | None = None) -> Path:
    """Where generated keys go: the configured folder (FRONTDOOR_MCP_KEY_DIR, read by the configuration),
    else `<user data dir>/frontdoor-mcp/keys`, created 0700 (every missing level) when missing.

    A folder that is not the user's own, or is writable by others, is refused. The default folder is the
    server's own, so it is tightened to 0700 if it was loosened; a folder the user named is never changed.
    """
    if configured is not None:
        folder = Path(os.path.realpath(resolved(configured)))
    else:
        folder = Path(platformdirs.user_data_dir(_APP_NAME, appauthor=False)) / "keys"
    make_private_folders(folder)
    try:
        info = os.lstat(folder)
    except OSError as err:
        raise LocalFileError(f"The key folder {folder} cannot be used: {err.strerror}.") from None
    if not stat.S_ISDIR(info.st_mode):
        raise LocalFileError(f"The key folder {folder} exists but is not a folder.")
    if (
        configured is None
        and hasattr(os, "getuid")
        and info.st_uid == os.getuid()
        and stat.S_IMODE(info.st_mode) & 0o077
    ):
        os.chmod(folder, 0o700)
        info = os.lstat(folder)
    try:
        _check_private_folder(folder, info)
    except LocalFileError as exc:
        if configured is None:
            raise
        raise LocalFileError(
            f"FRONTDOOR_MCP_KEY_DIR: {exc} (then set FRONTDOOR_MCP_KEY_DIR to it and restart the server, or unset it "
            "to use the default key folder)."
        ) from None
    return folder


def csr_path_beside(key_path: Path) -> Path:
    """Where a key's CSR goes: `name.key.pem` -> `name.csr.pem`; any other name gets `.csr.pem` added."""
    name = key_path.name
    stem = name.removesuffix(".key.pem") if name.endswith(".key.pem") else name.removesuffix(".pem")
    return key_path.with_name(f"{stem}.csr.pem")


def new_key_path(key_dir: Path, common_name: str) -> Path:
    """A fresh file name in key_dir for a key, from the CN (sanitised), a UTC timestamp and random suffix."""
    stem = _UNSAFE_CHARS.sub("-", common_name).strip(".-_")[:_MAX_STEM].rstrip(".-_") or "key"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return key_dir / f"{stem}-{stamp}-{secrets.token_hex(3)}.key.pem"

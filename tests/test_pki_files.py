"""Local file operations: reading PEM files, writing new private key files, the key folder."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdoor_mcp.pki import files
from frontdoor_mcp.pki.files import (
    LocalFileError,
    key_dir,
    new_key_path,
    read_local_text,
    write_new_private_file,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes and special files")
SECRET = "SECRET-CONTENT-7c1e"


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """The loosest umask, so a file mode can only be right if the code sets it explicitly."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- read_local_text -----------------------------------------------------------------


def test_read_text_and_strip_bom(tmp_path: Path) -> None:
    path = tmp_path / "cert.pem"
    path.write_bytes(b"\xef\xbb\xbfhello\n")
    assert read_local_text(path) == "hello\n"
    assert read_local_text(str(path)) == "hello\n"


def test_read_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "c.pem").write_text("x")
    assert read_local_text("~/c.pem") == "x"


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LocalFileError, match="does not exist") as caught:
        read_local_text(tmp_path / "nope.pem", what="certificate file")
    assert "certificate file" in str(caught.value)
    assert str(tmp_path / "nope.pem") in str(caught.value)


def test_read_refuses_directory(tmp_path: Path) -> None:
    with pytest.raises(LocalFileError, match="not a regular file"):
        read_local_text(tmp_path)


@posix_only
def test_read_refuses_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(LocalFileError, match="not a regular file"):
        read_local_text(fifo)


@posix_only
def test_read_refuses_device() -> None:
    with pytest.raises(LocalFileError, match="not a regular file"):
        read_local_text("/dev/zero")


def test_read_refuses_large_file_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "big.pem"
    path.write_text(SECRET * 10)
    with pytest.raises(LocalFileError, match="the limit is 100") as caught:
        read_local_text(path, max_bytes=100)
    assert SECRET not in str(caught.value)


def test_read_refuses_binary_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "cert.der"
    path.write_bytes(SECRET.encode() + b"\xff\xfe\x00")
    with pytest.raises(LocalFileError, match="not UTF-8") as caught:
        read_local_text(path)
    assert SECRET not in str(caught.value)


@posix_only
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_read_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "locked.pem"
    path.write_text(SECRET)
    path.chmod(0)
    with pytest.raises(LocalFileError, match="cannot be opened"):
        read_local_text(path)


# --- write_new_private_file -------------------------------------------------------------


@posix_only
@pytest.mark.usefixtures("umask_zero")
def test_write_new_private_file_mode_and_content(tmp_path: Path) -> None:
    written = write_new_private_file(tmp_path / "k.key.pem", b"key bytes")
    assert written == tmp_path / "k.key.pem"
    assert written.read_bytes() == b"key bytes"
    assert _mode(written) == 0o600


def test_write_returns_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    written = write_new_private_file("rel.key.pem", b"k")
    assert written.is_absolute()
    assert written == tmp_path / "rel.key.pem"


def test_write_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_bytes(b"original")
    with pytest.raises(LocalFileError, match="already exists") as caught:
        write_new_private_file(path, SECRET.encode())
    assert path.read_bytes() == b"original"
    assert SECRET not in str(caught.value)


@posix_only
@pytest.mark.parametrize("dangling", [True, False])
def test_write_refuses_symlink(tmp_path: Path, dangling: bool) -> None:
    target = tmp_path / "target"
    if not dangling:
        target.write_bytes(b"original")
    link = tmp_path / "link.pem"
    link.symlink_to(target)
    with pytest.raises(LocalFileError, match="already exists"):
        write_new_private_file(link, b"key")
    assert target.exists() is (not dangling)
    if not dangling:
        assert target.read_bytes() == b"original"


def test_write_needs_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(LocalFileError, match="does not exist; create it first"):
        write_new_private_file(tmp_path / "missing" / "k.pem", b"key")


def test_write_failure_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_write(fd: int, data: bytes | memoryview) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "write", failing_write)
    path = tmp_path / "k.pem"
    with pytest.raises(LocalFileError, match="No space left"):
        write_new_private_file(path, b"key")
    assert not path.exists()


# --- key_dir ----------------------------------------------------------------------


@posix_only
@pytest.mark.usefixtures("umask_zero")
def test_configured_key_dir_is_created_private(tmp_path: Path) -> None:
    wanted = tmp_path / "a" / "keys"
    assert key_dir(wanted) == wanted
    assert _mode(wanted) == 0o700


@posix_only
def test_existing_configured_key_dir_is_left_as_is(tmp_path: Path) -> None:
    wanted = tmp_path / "mine"
    wanted.mkdir()
    wanted.chmod(0o755)
    assert key_dir(wanted) == wanted
    assert _mode(wanted) == 0o755


@posix_only
def test_default_key_dir_is_created_and_tightened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_user_data_dir(appname: str, appauthor: object = None) -> str:
        assert appname == "frontdoor-mcp"
        return str(tmp_path / "data")

    monkeypatch.setattr(files.platformdirs, "user_data_dir", fake_user_data_dir)
    folder = key_dir()
    assert folder == tmp_path / "data" / "keys"
    assert _mode(folder) == 0o700
    folder.chmod(0o755)
    assert _mode(key_dir()) == 0o700


def test_key_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(LocalFileError, match="not a folder"):
        key_dir(tmp_path / "f")


# --- new_key_path ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("common_name", "prefix"),
    [
        ("api-client-prod", "api-client-prod-"),
        ("../../etc/passwd", "etc-passwd-"),
        (".hidden", "hidden-"),
        ("spaces and ünïcode", "spaces-and-n-code-"),
        ("", "key-"),
        ("///", "key-"),
    ],
)
def test_new_key_path_is_safe(tmp_path: Path, common_name: str, prefix: str) -> None:
    path = new_key_path(tmp_path, common_name)
    assert path.parent == tmp_path
    assert path.name.startswith(prefix)
    assert path.name.endswith(".key.pem")
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in path.name)


def test_new_key_path_is_capped_and_fresh(tmp_path: Path) -> None:
    first, second = new_key_path(tmp_path, "x" * 500), new_key_path(tmp_path, "x" * 500)
    assert first != second
    assert len(first.name) < 100


# --- failing closed --------------------------------------------------------------------------------------


@posix_only
@pytest.mark.usefixtures("umask_zero")
def test_under_umask_000_nothing_created_is_open_to_group_or_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_user_data_dir(appname: str, appauthor: object = None) -> str:
        return str(tmp_path / "home" / ".local" / "share" / appname)

    monkeypatch.setattr(files.platformdirs, "user_data_dir", fake_user_data_dir)
    folder = key_dir()
    written = write_new_private_file(folder / "k.key.pem", b"key")
    created = [tmp_path / "home", tmp_path / "home" / ".local", tmp_path / "home" / ".local" / "share"]
    created += [tmp_path / "home" / ".local" / "share" / "frontdoor-mcp", folder]
    for level in created:
        assert _mode(level) == 0o700, level  # every level the server made, not only the last
    assert _mode(written) == 0o600


@posix_only
def test_a_folder_swapped_for_a_symlink_after_the_check_does_not_redirect_the_write(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    checked = files.check_new_file(folder / "k.key.pem")
    folder.rename(tmp_path / "keys-moved")
    folder.symlink_to(elsewhere)  # the swap, between the check and the write
    with pytest.raises(LocalFileError, match="was replaced"):
        write_new_private_file(checked, b"key")
    assert list(elsewhere.iterdir()) == [] and list((tmp_path / "keys-moved").iterdir()) == []


@posix_only
def test_the_result_names_where_the_file_really_is(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "via-link").symlink_to(real)
    written = write_new_private_file(tmp_path / "via-link" / "k.pem", b"key")
    assert written == real / "k.pem" and written.read_bytes() == b"key"


@posix_only
@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757, 0o1777])
def test_a_folder_others_may_write_is_refused_saying_how_to_fix_it(tmp_path: Path, mode: int) -> None:
    """The advice is a folder of the user's own, never to restrict the one named: it may be shared on purpose
    (a 1777 folder is /tmp's mode), and restricting it would take it from its other users."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, mode)
    with pytest.raises(LocalFileError, match="writable by other users") as caught:
        write_new_private_file(shared / "k.pem", b"key")
    advice = "Choose a folder of your own that only you can write to, for example one made with: mkdir -m 700 "
    assert advice in str(caught.value) and not (shared / "k.pem").exists()
    with pytest.raises(LocalFileError, match="writable by other users") as configured:
        key_dir(shared)
    for message in (str(caught.value), str(configured.value)):
        assert "chmod" not in message
    assert str(configured.value).startswith("FRONTDOOR_MCP_KEY_DIR: ") and "set FRONTDOOR_MCP_KEY_DIR to it" in str(
        configured.value
    )


@posix_only
def test_a_folder_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files.os, "getuid", lambda: os.stat(tmp_path).st_uid + 1)
    with pytest.raises(LocalFileError, match="belongs to another user"):
        write_new_private_file(tmp_path / "k.pem", b"key")
    with pytest.raises(LocalFileError, match="belongs to another user"):
        key_dir(tmp_path)


def test_an_over_long_file_name_is_a_clear_refusal(tmp_path: Path) -> None:
    with pytest.raises(LocalFileError, match="longer than file systems allow"):
        write_new_private_file(tmp_path / ("x" * 300), b"key")
    with pytest.raises(LocalFileError):
        read_local_text(tmp_path / ("x" * 300))

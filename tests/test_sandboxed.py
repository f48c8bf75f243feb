"""`--sandbox`: the server wired to an embedded sandbox says so on stderr; its throwaway keys go to a temporary
folder (named, removed at exit) unless FRONTDOOR_MCP_KEY_DIR names one; in a terminal it says what it is."""

from __future__ import annotations

import os
import pty
import re
import stat
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from frontdoor_mcp.cli import TERMINAL_HINT
from frontdoor_mcp.config import Settings
from frontdoor_mcp.sandboxed import sandboxed
from tests.support import ok


def test_keys_go_to_a_temporary_folder_named_and_removed(capsys: pytest.CaptureFixture[str]) -> None:
    with ExitStack() as cleanup:
        served = sandboxed(Settings(), None, cleanup)
        assert served is not None and served.key_dir is not None
        folder = served.key_dir
        assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
        said = capsys.readouterr().err
        assert f"keys made here go to {folder}, removed when the server stops" in said
        assert f"embedded sandbox at {served.api_url}, frontdoor {served.frontdoor_id}" in said
    assert not folder.exists(), "removed at exit"


def test_a_configured_key_folder_is_used_and_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ExitStack() as cleanup:
        served = sandboxed(Settings(key_dir=tmp_path), None, cleanup)
        assert served is not None and served.key_dir == tmp_path
    assert f"keys made here go to {tmp_path} (FRONTDOOR_MCP_KEY_DIR), and are kept" in capsys.readouterr().err
    assert tmp_path.is_dir()


def test_over_http_no_key_folder_is_made(capsys: pytest.CaptureFixture[str]) -> None:
    with ExitStack() as cleanup:
        served = sandboxed(Settings(), None, cleanup, keys=False)
        assert served is not None and served.key_dir is None
    assert "keys" not in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_real_sandbox_server_keeps_its_keys_out_of_the_users_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "frontdoor_mcp", "--sandbox"], env={"HOME": str(home)}, cwd=str(tmp_path)
    )
    errors = tmp_path / "stderr.txt"
    with errors.open("w", encoding="utf-8") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            made = ok(await client.call_tool("generate_csr", {"common_name": "throwaway"}))
            named = re.search(r"keys made here go to (\S+), removed", errors.read_text(encoding="utf-8"))
            assert named is not None
            assert Path(made["key_path"]).parent == Path(named.group(1)) and Path(made["key_path"]).is_file()
    assert not Path(named.group(1)).exists(), "the temporary key folder went with the server"
    assert not [path for path in home.rglob("*") if path.is_file()], "nothing written in the user's folders"


@pytest.mark.slow
def test_in_a_terminal_it_says_what_it_is(tmp_path: Path) -> None:
    """Started by hand, in a terminal, it says it is an MCP server and what to do instead; then, as an MCP
    server, it waits on stdin (closing the terminal ends it)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "frontdoor_mcp", "--sandbox"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    os.close(terminal)
    assert process.stderr is not None
    first = process.stderr.readline().decode()
    second = process.stderr.readline().decode()
    os.close(controller)  # the terminal goes: stdin ends, so does the server
    out, rest = process.communicate(timeout=30)
    assert first.strip() == TERMINAL_HINT
    assert second.startswith("frontdoor-mcp: --sandbox: the API is an embedded sandbox at http://127.0.0.1:")
    assert out == b"" and b"Traceback" not in rest

"""The README's client set-up and the HTTP guide's Python example, run as written (slow): each client entry is
started the way its client would start it (the clone's path filled in, the client's own variables such as
VS Code's `${userHome}` resolved), and the MCP 2.x example runs against `frontdoor-mcp http --sandbox`."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from frontdoor_mcp.hosting.token_file import add_token
from frontdoor_mcp.toolkit.catalog import catalog
from tests.hosting_support import http_process
from tests.support import text_of

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

ROOT: Final = Path(__file__).resolve().parent.parent
CLONE: Final = "/path/to/frontdoor-mcp"
"""The one placeholder a reader replaces."""


def section(document: Path, heading: str) -> str:
    return document.read_text(encoding="utf-8").split(heading, 1)[1].split("\n## ", 1)[0]


def client_entries(home: Path) -> list[tuple[str, str, list[str], dict[str, str]]]:
    """(client, command, args, env) of every entry under "Set-up in your client", as its client reads it."""
    found: list[tuple[str, str, list[str], dict[str, str]]] = []
    text = section(ROOT / "README.md", "## Set-up in your client")
    for part in re.finditer(r"^\*\*([^*]+)\*\*(.*?)(?=^\*\*|\Z)", text, flags=re.MULTILINE | re.DOTALL):
        block = re.search(r"```(json|sh)\n(.*?)```", part.group(2), flags=re.DOTALL)
        if block is None:
            continue
        client, kind = part.group(1), block.group(1)
        body = block.group(2).replace(CLONE, str(ROOT)).replace("${userHome}", str(home))
        if kind == "json":
            document: dict[str, Any] = json.loads(body)
            servers: dict[str, dict[str, Any]] = document.get("mcpServers") or document["servers"]
            for entry in servers.values():
                found.append((client, entry["command"], list(entry["args"]), dict(entry.get("env", {}))))
        elif "claude mcp add" in body:
            words = shlex.split(body.replace("\\\n", " ").replace("$HOME", str(home)))
            split = words.index("--")
            env = dict(words[index + 1].split("=", 1) for index, word in enumerate(words[:split]) if word == "--env")
            found.append((client, words[split + 1], words[split + 2 :], env))
    return found


async def test_every_client_entry_of_the_readme_starts_the_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    entries = client_entries(home)
    assert [client for client, *_ in entries] == ["Claude Desktop", "Claude Code", "VS Code", "Cursor"]
    read_only_certificates = [e.name for e in catalog() if e.toolset == "certificates" and e.read_only]
    for client, command, args, env in entries:
        assert command == "uv" and args[:3] == ["run", "--directory", str(ROOT)], client
        params = StdioServerParameters(command=command, args=args, env={**env, "HOME": str(home)}, cwd=tmp_path)
        async with Client(params, mode="legacy") as session:
            instructions = session.instructions or ""
            tools = [tool.name for tool in (await session.list_tools()).tools]
            answer = await session.call_tool(tools[0], {})
        if "NETFOUNDRY_API_ACCOUNT" in env:  # the example's credentials file is not on this machine
            assert "NETFOUNDRY_API_ACCOUNT" in instructions and "is not a readable file" in instructions, client
            assert answer.is_error and text_of(answer) == instructions, client
        else:
            assert tools == read_only_certificates, client
            assert "cannot act" not in instructions, client


def test_the_readmes_check_config_line_runs() -> None:
    (line,) = re.findall(r"^uv run .* check-config$", section(ROOT / "README.md", "## Set-up in your client"), re.M)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTDOOR_", "NETFOUNDRY_", "VIRTUAL_ENV"))}
    done = subprocess.run(
        shlex.split(line.replace(CLONE, str(ROOT))), capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode in (0, 2) and ("ok   toolsets:" in done.stdout or "FAIL " in done.stdout), done.stdout


def test_the_http_guides_python_example_for_mcp_2_runs_as_written(tmp_path: Path) -> None:
    """The mcp 2.x example of docs/HOSTING.md, its URL pointed at a free port, against `frontdoor-mcp http
    --sandbox` with a token from `http-token add`. (The 1.x example needs mcp 1.x, which this project's
    environment does not have: it was run by hand, as docs/HOSTING.md says.)"""
    (example,) = re.findall(r"```python\n# mcp 2\.x\n(.*?)```", section(ROOT / "docs/HOSTING.md", "## Try it"), re.S)
    tokens = tmp_path / "team-tokens.json"
    token = add_token(tokens, "alice", ["frontdoor:read", "frontdoor:write"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTDOOR_", "NETFOUNDRY_"))}
    with http_process(["--sandbox", "--tokens-file", str(tokens), "--allow-writes"], env) as server:
        script = example.replace("http://127.0.0.1:8765/mcp", server.url)
        assert script != example, "the example names the default URL"
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env={**env, "TOKEN": token}
        )
    assert done.returncode == 0, done.stderr
    assert "0 of 0 client certificates" in done.stdout

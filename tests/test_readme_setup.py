"""The README's client set-up and the HTTP guide's Python example, run as written (slow): each client entry is
started the way its client would start it (the clone's path filled in, the client's own variables such as
VS Code's `${userHome}` resolved), in a working directory and a home of the test's own, whose
`~/.netfoundry/credentials.json` is an API account of a sandbox, and makes a real call; the "try a client first"
arguments and the check-config line run too; and the MCP 2.x example runs against `frontdoor-mcp http --sandbox`.

One value is not the README's: `FRONTDOOR_API_URL` points at the sandbox, since the entries leave it at NetFoundry's
production API and tests talk to loopback only. The sandbox's frontdoor is the README's example FRONTDOOR_ID."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any, Final

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from frontdoor_mcp.hosting.token_file import add_token
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.toolkit.catalog import catalog
from tests.hosting_support import http_process
from tests.support import text_of

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

ROOT: Final = Path(__file__).resolve().parent.parent
CLONE: Final = "/path/to/frontdoor-mcp"
"""The one placeholder a reader replaces."""
README_FRONTDOOR: Final = "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"
"""The FRONTDOOR_ID of the README's examples: the sandbox's frontdoor, so the entries that set it work as written."""


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


@pytest.fixture(scope="module")
def api() -> Generator[RunningSandbox]:
    """The API the entries reach: a sandbox whose frontdoor is the README's, holding one certificate."""
    with start_sandbox(frontdoor_id=README_FRONTDOOR) as sandbox:
        yield sandbox


def fake_home(tmp_path: Path, api: RunningSandbox) -> Path:
    """A home whose `~/.netfoundry/credentials.json` is an API account of the sandbox (NetFoundry's file format)."""
    home = tmp_path / "home"
    (home / ".netfoundry").mkdir(parents=True, mode=0o700)
    account = {"clientId": api.client_id, "password": api.client_secret, "authenticationUrl": api.token_url}
    (home / ".netfoundry" / "credentials.json").write_text(json.dumps(account), encoding="utf-8")
    return home


async def test_every_client_entry_of_the_readme_starts_the_server_and_calls_the_api(
    tmp_path: Path, api: RunningSandbox
) -> None:
    home = fake_home(tmp_path, api)
    work = tmp_path / "work"
    work.mkdir()
    entries = client_entries(home)
    assert [client for client, *_ in entries] == ["Claude Desktop", "Claude Code", "VS Code", "Cursor"]
    read_only_certificates = [e.name for e in catalog() if e.toolset == "certificates" and e.read_only]
    (seeded,) = api.seed_certificates(1, name_prefix="readme")
    for client, command, args, env in entries:
        assert command == "uv" and args[:3] == ["run", "--directory", str(ROOT)], client
        params = StdioServerParameters(
            command=command, args=args, env={**env, "HOME": str(home), "FRONTDOOR_API_URL": api.base_url}, cwd=work
        )
        async with Client(params, mode="legacy") as session:
            instructions = session.instructions or ""
            tools = [tool.name for tool in (await session.list_tools()).tools]
            frontdoor = {} if "FRONTDOOR_ID" in env else {"frontdoor_id": README_FRONTDOOR}
            answer = await session.call_tool("list_client_certificates", frontdoor)
        if env.get("NETFOUNDRY_API_ACCOUNT", "").startswith("/home/me/"):  # Claude Desktop's example user's file
            assert "NETFOUNDRY_API_ACCOUNT" in instructions and "is not a readable file" in instructions, client
            assert answer.is_error and text_of(answer) == instructions, client
            continue
        assert "cannot act" not in instructions, client
        assert not answer.is_error, (client, text_of(answer))
        assert seeded in text_of(answer), (client, "the API's answer, through the credentials file")
        if client == "Cursor":
            assert tools == read_only_certificates, client
        else:
            assert len(tools) == len(catalog()), client


async def test_the_readmes_try_a_client_first_arguments_start_a_sandboxed_server(tmp_path: Path) -> None:
    """`"args": [...]` of the sentence "Try a client first with ...", which needs no account."""
    (listed,) = re.findall(
        r"Try a client first with `\"args\": (\[[^]]*\])`", section(ROOT / "README.md", "## Set-up in your client")
    )
    args: list[str] = json.loads(listed.replace("\n", " ").replace(CLONE, str(ROOT)))
    assert args[-1] == "--sandbox"
    home = tmp_path / "home"
    home.mkdir()
    params = StdioServerParameters(command="uv", args=args, env={"HOME": str(home)}, cwd=tmp_path)
    async with Client(params, mode="legacy") as session:
        tools = [tool.name for tool in (await session.list_tools()).tools]
        answer = await session.call_tool("list_client_certificates", {})
    assert tools == [entry.name for entry in catalog()]
    assert not answer.is_error and "0 of 0 client certificates" in text_of(answer), text_of(answer)


def run_check_config(tmp_path: Path, home: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """The README's check-config line, as written (the clone's path filled in), in the test's own folder and
    home, with `settings` over an environment cleared of this project's variables."""
    (line,) = re.findall(r"^uv run .* check-config$", section(ROOT / "README.md", "## Set-up in your client"), re.M)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTDOOR_", "NETFOUNDRY_", "VIRTUAL_ENV"))}
    return subprocess.run(
        shlex.split(line.replace(CLONE, str(ROOT))),
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "HOME": str(home), **settings},
        cwd=tmp_path,
        check=False,
    )


def test_the_readmes_check_config_line_passes_a_good_configuration(tmp_path: Path, api: RunningSandbox) -> None:
    home = fake_home(tmp_path, api)
    done = run_check_config(tmp_path, home, FRONTDOOR_ID=README_FRONTDOOR)
    assert done.returncode == 0, done.stdout + done.stderr
    found = home / ".netfoundry" / "credentials.json"
    assert f"ok   credential: credentials file {found}" in done.stdout.splitlines()
    assert f"ok   frontdoor: {README_FRONTDOOR}" in done.stdout.splitlines()


def test_the_readmes_check_config_line_fails_a_bad_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done = run_check_config(tmp_path, home, FRONTDOOR_MCP_READ_ONLY="maybe", FRONTDOOR_MCP_TOOLSET="tokens")
    assert done.returncode == 2, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAIL ")]
    assert len(failed) == 2 and "did you mean FRONTDOOR_MCP_TOOLSETS?" in failed[0]
    assert "FRONTDOOR_MCP_READ_ONLY must be one of" in failed[1]


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

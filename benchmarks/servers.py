"""The servers compared: frontdoor-mcp, the reference `mcp-server-time`, and a bare MCPServer.

`mcp-server-time` is installed from PyPI into a throwaway venv (kept under the temp dir between runs,
so only the first run pays for it). Nothing here touches the project's own environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from rpc_client import StdioServer

TIME_VENV: Final = Path(tempfile.gettempdir()) / "frontdoor-mcp-bench" / "mcp-server-time-venv"
_INSTALL_TIMEOUT_S: Final = 300

BARE_SERVER: Final = '''\
"""A bare MCPServer with one tool: what any server built on the SDK pays before adding anything."""
from mcp.server.mcpserver import MCPServer

server = MCPServer("bare")


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return text


server.run("stdio")
'''

_DROPPED_ENV: Final = ("FRONTDOOR_", "NETFOUNDRY_", "PYTHONSTARTUP", "PYTHONPROFILE", "PYTHONTRACEMALLOC")


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: a label for the table, its argv and its environment."""

    label: str
    argv: tuple[str, ...]
    env: Mapping[str, str]

    def process(self) -> StdioServer:
        return StdioServer(self.argv, self.env)


def clean_env(**extra: str) -> dict[str, str]:
    """The parent environment without anything that configures frontdoor-mcp or perturbs Python."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV)}
    env.update(extra)
    return env


def frontdoor_spec(api_url: str, token: str, frontdoor_id: str, key_dir: Path) -> ServerSpec:
    env = clean_env(
        FRONTDOOR_API_URL=api_url,
        NETFOUNDRY_API_TOKEN=token,
        FRONTDOOR_ID=frontdoor_id,
        FRONTDOOR_MCP_KEY_DIR=str(key_dir),
    )
    return ServerSpec("frontdoor-mcp", (sys.executable, "-m", "frontdoor_mcp"), env)


def bare_spec(workdir: Path) -> ServerSpec:
    script = workdir / "bare_mcpserver.py"
    script.write_text(BARE_SERVER)
    return ServerSpec("bare MCPServer", (sys.executable, str(script)), clean_env())


def time_spec() -> ServerSpec:
    executable = ensure_time_server()
    return ServerSpec("mcp-server-time", (str(executable), "--local-timezone", "UTC"), clean_env())


def ensure_time_server() -> Path:
    """`mcp-server-time` in its own venv on this machine's Python, installed on first use."""
    executable = TIME_VENV / "bin" / "mcp-server-time"
    python = TIME_VENV / "bin" / "python"
    if executable.exists() and _works(python):
        return executable
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is needed to install mcp-server-time into a temporary venv")
    shutil.rmtree(TIME_VENV, ignore_errors=True)
    TIME_VENV.parent.mkdir(parents=True, exist_ok=True)
    print(f"installing mcp-server-time into {TIME_VENV} ...", file=sys.stderr, flush=True)
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(TIME_VENV)])
    _run([uv, "pip", "install", "--quiet", "--python", str(python), "mcp-server-time"])
    return executable


def package_version(python: Path, package: str) -> str:
    completed = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return completed.stdout.strip() or "?"


def _works(python: Path) -> bool:
    return python.exists() and package_version(python, "mcp-server-time") != "?"


def _run(argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run(argv, check=True, timeout=_INSTALL_TIMEOUT_S, env=env)

"""The servers compared: frontdoor-mcp, the reference `mcp-server-time`, and bare MCPServers.

`mcp-server-time` is installed from PyPI into a throwaway venv (kept under the temp dir between runs, so
only the first run pays for it). Every server gets the same environment (this process's, less what
configures frontdoor-mcp or perturbs Python), plus only the variables that server needs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

from bytecode import Tree
from rpc_client import StdioServer

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
TIME_VENV: Final = Path(tempfile.gettempdir()) / "frontdoor-mcp-bench" / "mcp-server-time-venv"
_INSTALL_TIMEOUT_S: Final = 300

FRONTDOOR: Final = "frontdoor-mcp"
TIME: Final = "mcp-server-time"
BARE_ASYNC: Final = "bare MCPServer (async echo)"
BARE_SYNC: Final = "bare MCPServer (sync echo)"

_BARE_SERVER: Final = '''\
"""A bare MCPServer with one {kind} tool: what any server built on the SDK pays before adding anything."""
from mcp.server.mcpserver import MCPServer

server = MCPServer("bare-{kind}")


@server.tool()
{prefix}def echo(text: str) -> str:
    """Echo the text back."""
    return text


server.run("stdio")
'''

_DROPPED_PREFIXES: Final = ("FRONTDOOR_", "NETFOUNDRY_", "PYTHONSTARTUP", "PYTHONPROFILE", "PYTHONTRACEMALLOC")
_DROPPED: Final = frozenset({"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONINSPECT", "PYTHONOPTIMIZE"})


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: a label for the table, its argv, its environment, and which variables of
    that environment are its own (the rest is the same for every server)."""

    label: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    own_variables: tuple[str, ...] = ()

    def process(self) -> StdioServer:
        return StdioServer(self.argv, self.env)


def common_env() -> dict[str, str]:
    """The environment every server starts from: this process's, without anything that configures
    frontdoor-mcp, points Python elsewhere, or perturbs it (profilers, startup files, -O)."""
    return {
        key: value for key, value in os.environ.items() if not key.startswith(_DROPPED_PREFIXES) and key not in _DROPPED
    }


def _spec(label: str, argv: tuple[str, ...], **own: str) -> ServerSpec:
    return ServerSpec(label, argv, {**common_env(), **own}, tuple(sorted(own)))


def frontdoor_spec(api_url: str, token: str, frontdoor_id: str, key_dir: Path) -> ServerSpec:
    """frontdoor-mcp as a user configures it: the API's URL, a token, a default frontdoor (no --sandbox).
    Started by its console script, as `mcp-server-time` is."""
    script = Path(sys.executable).parent / "frontdoor-mcp"
    argv = (str(script),) if script.exists() else (sys.executable, "-m", "frontdoor_mcp")
    return _spec(
        FRONTDOOR,
        argv,
        FRONTDOOR_API_URL=api_url,
        NETFOUNDRY_API_TOKEN=token,
        FRONTDOOR_ID=frontdoor_id,
        FRONTDOOR_MCP_KEY_DIR=str(key_dir),
    )


def bare_spec(workdir: Path, *, sync: bool = False) -> ServerSpec:
    """A bare MCPServer with one echo tool: async (the floor) or sync (which the SDK runs on a worker thread)."""
    kind = "sync" if sync else "async"
    script = workdir / f"bare_mcpserver_{kind}.py"
    script.write_text(_BARE_SERVER.format(kind=kind, prefix="" if sync else "async "))
    return _spec(BARE_SYNC if sync else BARE_ASYNC, (sys.executable, str(script)))


def time_spec() -> ServerSpec:
    executable = ensure_time_server()
    return _spec(TIME, (str(executable), "--local-timezone", "UTC"))


def time_python() -> Path:
    return TIME_VENV / "bin" / "python"


def ensure_time_server() -> Path:
    """`mcp-server-time` in its own venv on this machine's Python, installed on first use."""
    executable = TIME_VENV / "bin" / "mcp-server-time"
    if executable.exists() and _works(time_python()):
        return executable
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is needed to install mcp-server-time into a temporary venv")
    shutil.rmtree(TIME_VENV, ignore_errors=True)
    TIME_VENV.parent.mkdir(parents=True, exist_ok=True)
    print(f"installing mcp-server-time into {TIME_VENV} ...", file=sys.stderr, flush=True)
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(TIME_VENV)])
    _run([uv, "pip", "install", "--quiet", "--python", str(time_python()), "mcp-server-time"])
    return executable


def bytecode_trees() -> list[Tree]:
    """What the compared servers import from, apart from the shared standard library: each environment's
    site-packages (the bare servers run in the project's) and the project's `server/` (an editable install)."""
    ours = Path(sys.executable)
    trees = [Tree(f"{FRONTDOOR}'s venv, {_short(path)}", path, ours) for path in site_packages(ours)]
    trees.append(Tree(f"{FRONTDOOR}'s `server/`", PROJECT_ROOT / "server", ours))
    trees.extend(Tree(f"{TIME}'s venv, {_short(path)}", path, time_python()) for path in site_packages(time_python()))
    return trees


def _short(site: Path) -> str:
    """`lib/python3.11/site-packages` of a venv: the part that says which, without the machine's paths."""
    return "/".join(site.parts[-3:])


def stdlib_path() -> Path:
    return Path(_paths(Path(sys.executable))["stdlib"])


def site_packages(python: Path) -> list[Path]:
    paths = _paths(python)
    found: list[Path] = []
    for key in ("purelib", "platlib"):
        path = Path(paths[key])
        if path.is_dir() and path not in found:
            found.append(path)
    return found


def _paths(python: Path) -> dict[str, str]:
    completed = subprocess.run(
        [str(python), "-c", "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=common_env(),
    )
    return {str(k): str(v) for k, v in cast(dict[str, Any], json.loads(completed.stdout)).items()}


def package_version(python: Path, package: str) -> str:
    completed = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=common_env(),
    )
    return completed.stdout.strip() or "?"


def _works(python: Path) -> bool:
    return python.exists() and package_version(python, "mcp-server-time") != "?"


def _run(argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run(argv, check=True, timeout=_INSTALL_TIMEOUT_S, env=env)

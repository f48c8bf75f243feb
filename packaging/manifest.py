"""The MCP bundle manifest, generated from the code whenever a bundle is built (`bundle.py` stages it); it is
not committed, so a new tool or prompt changes no file of the packaging.

    uv run python packaging/manifest.py                 # print it
    uv run python packaging/manifest.py --out FILE      # write it to a file

What changes with the code is read from it, never written here: the version (`frontdoor_mcp.__version__`), the
tools (`ALL_TOOLS`: every tool, in `tools/list` order, described by the first sentence of
its docstring), the prompts (`load_prompts()`), and the summary, license, keywords, URLs and Python floor
(`pyproject.toml`). What is written here is what only the bundle knows: how a host runs the server, and the
settings it asks the user for, each mapped to the environment variable the server reads.

Format: manifest_version 0.4 of `@anthropic-ai/mcpb` (the latest its validator knows), whose `uv` server type
lets the host provide Python and install the locked dependencies from the bundled `pyproject.toml` and
`uv.lock`, so the bundle carries only our source and works on every platform (the `python` type would have to
ship compiled wheels such as `cryptography` and `pydantic-core` for one platform).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any, Final

from frontdoor_mcp import __version__
from frontdoor_mcp.config import DEFAULT_API_URL
from frontdoor_mcp.prompt_library import load_prompts
from frontdoor_mcp.rules import ALL_TOOLSETS, TOOLSETS
from frontdoor_mcp.toolkit.definition import ToolDef
from frontdoor_mcp.tools import ALL_TOOLS

ROOT: Final = Path(__file__).resolve().parent.parent
MANIFEST_VERSION: Final = "0.4"
MCPB: Final = "@anthropic-ai/mcpb@2.1.2"
"""The official bundle tool (validate, pack), pinned so that a build is repeatable; 0.4 is its latest format."""

PLACEHOLDER_OWNER: Final = "OWNER"
"""In `[project.urls]` until the repository's public home is decided (replace it there before publishing)."""

USER_CONFIG: Final[dict[str, dict[str, Any]]] = {
    "api_url": {
        "type": "string",
        "title": "Frontdoor API URL",
        "description": "The Frontdoor API base URL (FRONTDOOR_API_URL); https only. Keep the default for "
        "NetFoundry's production environment.",
        "required": False,
        "default": DEFAULT_API_URL,
    },
    "frontdoor_id": {
        "type": "string",
        "title": "Default frontdoor id",
        "description": "The UUID of the frontdoor a tool call uses when it names none (FRONTDOOR_ID). Optional.",
        "required": False,
        "default": "",
    },
    "api_token": {
        "type": "string",
        "title": "NetFoundry API token",
        "description": "A bearer token (NETFOUNDRY_API_TOKEN), such as `nfctl login --eval` exports. Used before "
        "the API-account file when both are set. Tokens expire within an hour: for a server that stays up, "
        "prefer the API-account file.",
        "required": False,
        "sensitive": True,
        "default": "",
    },
    "api_account": {
        "type": "file",
        "title": "NetFoundry API-account file",
        "description": "Path to an API-account credentials.json (NETFOUNDRY_API_ACCOUNT); the server obtains and "
        "renews its own tokens. With neither this nor a token, it looks for ~/.netfoundry/credentials.json.",
        "required": False,
        "default": "",
    },
    "read_only": {
        "type": "boolean",
        "title": "Read-only",
        "description": "Register no write tool at all (FRONTDOOR_MCP_READ_ONLY): the assistant can list, read, "
        "audit and inspect certificates, and change nothing.",
        "required": False,
        "default": False,
    },
    "toolsets": {
        "type": "string",
        "title": "Toolsets",
        "description": f"The groups of tools the assistant carries, separated by commas (FRONTDOOR_MCP_TOOLSETS): "
        f"{', '.join(TOOLSETS)}, or {ALL_TOOLSETS}. Fewer tools, less of the assistant's context; an unknown "
        "name makes every tool answer with what is wrong.",
        "required": False,
        "default": ALL_TOOLSETS,
    },
}
"""What the host asks the user for. Every entry has a `default`: the host substitutes `${user_config.KEY}` only
from a value the user gave or a default, and passes an unfilled optional one on as the literal placeholder,
which the server would refuse. An empty string is what the server reads as unset."""

ENVIRONMENT: Final[dict[str, str]] = {
    "FRONTDOOR_API_URL": "api_url",
    "FRONTDOOR_ID": "frontdoor_id",
    "NETFOUNDRY_API_TOKEN": "api_token",
    "NETFOUNDRY_API_ACCOUNT": "api_account",
    "FRONTDOOR_MCP_READ_ONLY": "read_only",
    "FRONTDOOR_MCP_TOOLSETS": "toolsets",
}
"""The server's environment variable -> the `user_config` entry that sets it (a boolean arrives as
`true`/`false`, which the server reads)."""

LONG_DESCRIPTION: Final = """\
Lets an assistant manage the mTLS client certificates of a NetFoundry Frontdoor: list, inspect, upload, have
NetFoundry sign one from a CSR, rename, replace and delete them, and audit them for expiry.

- Arguments are validated before any request leaves; the API's errors come back as sentences.
- `generate_csr` makes the key and CSR on this machine: the private key goes to a 0600 file and never into a
  result.
- A delete, a replace or a PEM swap is confirmed by you first; the read-only setting registers no write tool.

Credentials: a NetFoundry API token, or (better, as its tokens are renewed) the path to an API-account
`credentials.json`."""


def build_manifest() -> dict[str, Any]:
    project = _pyproject()["project"]
    urls: dict[str, str] = project.get("urls", {})
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "name": project["name"],
        "display_name": "NetFoundry Frontdoor client certificates",
        "version": __version__,
        "description": project["description"],
        "long_description": LONG_DESCRIPTION,
        "author": {"name": project["authors"][0]["name"]},
    }
    for field, label in (("homepage", "Homepage"), ("documentation", "Documentation"), ("support", "Issues")):
        if label in urls:
            manifest[field] = urls[label]
    if "Repository" in urls:
        manifest["repository"] = {"type": "git", "url": urls["Repository"]}
    manifest |= {
        "license": project["license"],
        "keywords": project["keywords"],
        "server": {
            "type": "uv",
            "entry_point": "server/frontdoor_mcp/__main__.py",
            "mcp_config": {
                # The bundle is the project (pyproject.toml, uv.lock, server/, prompts/): uv runs its console
                # script with the locked runtime dependencies. --project keeps the working directory the host's.
                "command": "uv",
                "args": ["run", "--project", "${__dirname}", "--no-dev", "--frozen", "frontdoor-mcp"],
                "env": {variable: f"${{user_config.{key}}}" for variable, key in ENVIRONMENT.items()},
            },
        },
        "user_config": USER_CONFIG,
        "tools": [{"name": tool.name, "description": tool_summary(tool)} for tool in ALL_TOOLS],
        "tools_generated": False,
        "prompts": [
            {
                "name": prompt.name,
                "description": prompt.description,
                "arguments": [argument.name for argument in prompt.arguments],
                "text": _mcpb_template(prompt.body, {argument.name for argument in prompt.arguments}),
            }
            for prompt in load_prompts()
        ],
        "prompts_generated": False,
        "compatibility": {
            "platforms": ["darwin", "linux", "win32"],
            "runtimes": {"python": project["requires-python"]},
        },
    }
    return manifest


def tool_summary(tool: ToolDef) -> str:
    """The first sentence of the tool's description (its docstring), on one line; the title when there is none.
    A sentence ends at a full stop followed by a space or the end, outside parentheses."""
    text = " ".join(tool.description.split())
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "." and depth == 0 and (index + 1 == len(text) or text[index + 1] == " "):
            return text[: index + 1]
    return text or tool.title


def _mcpb_template(body: str, arguments: set[str]) -> str:
    """The prompt's body with each `{argument}` written as MCPB's `${arguments.argument}`."""
    return re.sub(
        r"\{([a-z_]+)\}",
        lambda match: f"${{arguments.{match.group(1)}}}" if match.group(1) in arguments else match.group(0),
        body,
    )


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def render() -> str:
    return json.dumps(build_manifest(), indent=2, ensure_ascii=False) + "\n"


def placeholders(manifest: dict[str, Any]) -> list[str]:
    """Fields still holding the documented placeholder (to replace before publishing)."""
    found: list[str] = []
    for field in ("homepage", "documentation", "support"):
        if PLACEHOLDER_OWNER in str(manifest.get(field, "")):
            found.append(field)
    if PLACEHOLDER_OWNER in str(manifest.get("repository", {})):
        found.append("repository")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the MCP bundle manifest from the code.")
    parser.add_argument("--out", type=Path, default=None, help="write it to this file (default: print it)")
    args = parser.parse_args(argv)
    if args.out is None:
        sys.stdout.write(render())
    else:
        args.out.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Every tool of the server, in one visible list: its function, its title, its annotations.

The server is built from this list and nothing else (`build` turns an entry into the SDK's `Tool`). Read-only
mode is derived from the annotations: a tool whose `readOnlyHint` is not true is never registered in read-only
mode, by construction.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from mcp_types import CallToolResult, ToolAnnotations

from frontdoor_mcp.tools.annotations import API_CREATE, API_DESTRUCTIVE, API_READ, API_UPDATE, LOCAL_READ, LOCAL_WRITE

if TYPE_CHECKING:
    from mcp.server.mcpserver.tools import Tool

Scope = Literal["frontdoor:read", "frontdoor:write", "frontdoor:tokens"]
"""What a principal of the HTTP server must hold to see and call a tool."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    """The tool's name, and the name of its function in `module`."""
    module: str
    """The module of `frontdoor_mcp.tools` that holds the function: imported when the tool is first built, so
    a server starts without importing the tools it lists (their schemas are in the catalog)."""
    title: str
    annotations: ToolAnnotations
    local_only: bool = False
    """The tool exists to use this machine's files (a key made here): not offered by a remote server."""
    manages_tokens: bool = False
    """Certificate request token management: its own scope over HTTP (a token string is a credential)."""
    local_arguments: tuple[str, ...] = ()
    """Arguments that act on this machine (besides the file arguments every tool loses remotely)."""

    @property
    def fn(self) -> Callable[..., Awaitable[CallToolResult]]:
        module = importlib.import_module(f"frontdoor_mcp.tools.{self.module}")
        return getattr(module, self.name)

    @property
    def read_only(self) -> bool:
        return self.annotations.read_only_hint is True

    @property
    def scope(self) -> Scope:
        if self.manages_tokens:
            return "frontdoor:tokens"
        return "frontdoor:read" if self.read_only else "frontdoor:write"


TOOLS: Final[tuple[ToolSpec, ...]] = (
    ToolSpec("list_client_certificates", "certificates", "List client certificates", API_READ),
    ToolSpec("get_client_certificate", "certificates", "Get a client certificate", API_READ),
    ToolSpec("upload_client_certificate", "certificate_creates", "Upload a client certificate", API_CREATE),
    ToolSpec(
        "create_client_certificate_from_csr",
        "certificate_creates",
        "Create a client certificate from a CSR",
        API_CREATE,
    ),
    ToolSpec("update_client_certificate", "certificate_changes", "Update a client certificate", API_DESTRUCTIVE),
    ToolSpec("replace_client_certificate", "certificate_changes", "Replace a client certificate", API_DESTRUCTIVE),
    ToolSpec("delete_client_certificate", "delete", "Delete a client certificate", API_DESTRUCTIVE),
    ToolSpec("inspect_certificate", "local", "Inspect a certificate or CSR", LOCAL_READ),
    ToolSpec("generate_csr", "local", "Generate a key and CSR", LOCAL_WRITE, local_only=True),
    ToolSpec("find_expiring_client_certificates", "audit", "Find expiring client certificates", API_READ),
    ToolSpec(
        "create_certificate_request_token",
        "tokens",
        "Create a certificate request token",
        API_CREATE,
        manages_tokens=True,
    ),
    ToolSpec(
        "list_certificate_request_tokens", "tokens", "List certificate request tokens", API_READ, manages_tokens=True
    ),
    ToolSpec(
        "get_certificate_request_token", "tokens", "Get a certificate request token", API_READ, manages_tokens=True
    ),
    ToolSpec(
        "update_certificate_request_token",
        "tokens",
        "Update a certificate request token",
        API_UPDATE,
        manages_tokens=True,
    ),
    ToolSpec(
        "revoke_certificate_request_token",
        "tokens",
        "Revoke a certificate request token",
        API_DESTRUCTIVE,
        manages_tokens=True,
    ),
    ToolSpec("list_shares", "shares", "List shares", API_READ),
    ToolSpec("get_share", "shares", "Get a share", API_READ),
    ToolSpec("check_certificate_against_share", "shares", "Check a certificate against a share", API_READ),
    ToolSpec(
        "redeem_certificate_request_token",
        "redeem",
        "Redeem a certificate request token",
        API_CREATE,
        local_arguments=("key_type", "common_name"),
    ),
)
"""In the order `tools/list` shows them."""


def tool_specs(*, read_only: bool, remote: bool = False) -> list[ToolSpec]:
    """The tools a server offers: all of them, or in read-only mode only those annotated read-only; a remote
    server (HTTP) offers none that exists to use this machine's files."""
    return [spec for spec in TOOLS if (spec.read_only or not read_only) and not (remote and spec.local_only)]


def is_local_file_argument(name: str) -> bool:
    """An argument that names a file on the server's machine: `path`, `*_path` (read or written), `save_*`."""
    return name == "path" or name.endswith("_path") or name.startswith("save_")


def built_tool(spec: ToolSpec, *, remote: bool = False) -> Tool:
    """The SDK's `Tool` for a spec (made once per process, by `build`, imported only when a tool is built)."""
    from frontdoor_mcp.tools.build import built_tool as build

    return build(spec, remote=remote)

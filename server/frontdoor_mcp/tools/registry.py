"""Every tool of the server, in one visible list: its function, its title, its annotations.

The server is built from this list and nothing else. Read-only mode is derived from the annotations: a tool
whose `readOnlyHint` is not true is never registered in read-only mode, by construction.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict, create_model

from frontdoor_mcp.tools.annotations import API_CREATE, API_DESTRUCTIVE, API_READ, API_UPDATE, LOCAL_READ, LOCAL_WRITE
from frontdoor_mcp.tools.audit import find_expiring_client_certificates
from frontdoor_mcp.tools.certificate_changes import replace_client_certificate, update_client_certificate
from frontdoor_mcp.tools.certificate_creates import create_client_certificate_from_csr, upload_client_certificate
from frontdoor_mcp.tools.certificates import get_client_certificate, list_client_certificates
from frontdoor_mcp.tools.delete import delete_client_certificate
from frontdoor_mcp.tools.guard import unexpected_errors
from frontdoor_mcp.tools.local import generate_csr, inspect_certificate
from frontdoor_mcp.tools.redeem import redeem_certificate_request_token
from frontdoor_mcp.tools.schemas import lean_input_schema, lean_output_schema
from frontdoor_mcp.tools.shares import check_certificate_against_share, get_share, list_shares
from frontdoor_mcp.tools.tokens import (
    create_certificate_request_token,
    get_certificate_request_token,
    list_certificate_request_tokens,
    revoke_certificate_request_token,
    update_certificate_request_token,
)

Scope = Literal["frontdoor:read", "frontdoor:write", "frontdoor:tokens"]
"""What a principal of the HTTP server must hold to see and call a tool."""


@dataclass(frozen=True)
class ToolSpec:
    fn: Callable[..., Awaitable[CallToolResult]]
    title: str
    annotations: ToolAnnotations
    local_only: bool = False
    """The tool exists to use this machine's files (a key made here): not offered by a remote server."""
    manages_tokens: bool = False
    """Certificate request token management: its own scope over HTTP (a token string is a credential)."""
    local_arguments: tuple[str, ...] = ()
    """Arguments that act on this machine (besides the file arguments every tool loses remotely)."""

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def read_only(self) -> bool:
        return self.annotations.read_only_hint is True

    @property
    def scope(self) -> Scope:
        if self.manages_tokens:
            return "frontdoor:tokens"
        return "frontdoor:read" if self.read_only else "frontdoor:write"


TOOLS: Final[tuple[ToolSpec, ...]] = (
    ToolSpec(list_client_certificates, "List client certificates", API_READ),
    ToolSpec(get_client_certificate, "Get a client certificate", API_READ),
    ToolSpec(upload_client_certificate, "Upload a client certificate", API_CREATE),
    ToolSpec(create_client_certificate_from_csr, "Create a client certificate from a CSR", API_CREATE),
    ToolSpec(update_client_certificate, "Update a client certificate", API_DESTRUCTIVE),
    ToolSpec(replace_client_certificate, "Replace a client certificate", API_DESTRUCTIVE),
    ToolSpec(delete_client_certificate, "Delete a client certificate", API_DESTRUCTIVE),
    ToolSpec(inspect_certificate, "Inspect a certificate or CSR", LOCAL_READ),
    ToolSpec(generate_csr, "Generate a key and CSR", LOCAL_WRITE, local_only=True),
    ToolSpec(find_expiring_client_certificates, "Find expiring client certificates", API_READ),
    ToolSpec(create_certificate_request_token, "Create a certificate request token", API_CREATE, manages_tokens=True),
    ToolSpec(list_certificate_request_tokens, "List certificate request tokens", API_READ, manages_tokens=True),
    ToolSpec(get_certificate_request_token, "Get a certificate request token", API_READ, manages_tokens=True),
    ToolSpec(update_certificate_request_token, "Update a certificate request token", API_UPDATE, manages_tokens=True),
    ToolSpec(
        revoke_certificate_request_token, "Revoke a certificate request token", API_DESTRUCTIVE, manages_tokens=True
    ),
    ToolSpec(list_shares, "List shares", API_READ),
    ToolSpec(get_share, "Get a share", API_READ),
    ToolSpec(check_certificate_against_share, "Check a certificate against a share", API_READ),
    ToolSpec(
        redeem_certificate_request_token,
        "Redeem a certificate request token",
        API_CREATE,
        local_arguments=("key_type", "common_name"),
    ),
)


def tool_specs(*, read_only: bool, remote: bool = False) -> list[ToolSpec]:
    """The tools a server offers: all of them, or in read-only mode only those annotated read-only; a remote
    server (HTTP) offers none that exists to use this machine's files."""
    return [spec for spec in TOOLS if (spec.read_only or not read_only) and not (remote and spec.local_only)]


def is_local_file_argument(name: str) -> bool:
    """An argument that names a file on the server's machine: `path`, `*_path` (read or written), `save_*`."""
    return name == "path" or name.endswith("_path") or name.startswith("save_")


_built: dict[tuple[str, bool], Tool] = {}
_built_lock = threading.Lock()


def built_tool(spec: ToolSpec, *, remote: bool = False) -> Tool:
    """The SDK's `Tool` for a spec: its argument model and schemas, made once per process. Both are fixed by
    the code, so servers built later (tests build many) reuse them; the SDK never changes a `Tool`. A remote
    server's variant has no local-file arguments: over HTTP, the server's disk is not the user's."""
    with _built_lock:
        tool = _built.get((spec.name, remote))
        if tool is None:
            tool = _strict(
                Tool.from_function(
                    unexpected_errors(writes=not spec.read_only)(spec.fn),
                    title=spec.title,
                    description=inspect.cleandoc(spec.fn.__doc__ or ""),
                    annotations=spec.annotations,
                ),
                dropped=(lambda name: is_local_file_argument(name) or name in spec.local_arguments) if remote else None,
            )
            _built[spec.name, remote] = tool
        return tool


class _StrictArguments(BaseModel):
    """What every tool's arguments are held to: an unknown argument is refused (the schema says
    `additionalProperties: false`), nothing is coerced (`"yes"` is not true, `true` is not 1, `"5"` is not 5),
    and a validation message never repeats the value it refused."""

    model_config = ConfigDict(extra="forbid", strict=True, hide_input_in_errors=True)


class _RemoteArguments(ArgModelBase, _StrictArguments):
    """A remote variant's arguments: strict, still the SDK's argument model (`model_dump_one_level`, which the
    SDK calls to hand the arguments over), and handing the arguments it leaves out to the function, and to the
    function's resolvers, at their defaults (a resolver receives only what this dump holds)."""

    dropped_defaults: ClassVar[dict[str, Any]] = {}

    def model_dump_one_level(self) -> dict[str, Any]:
        return {**self.dropped_defaults, **super().model_dump_one_level()}


def _strict(tool: Tool, *, dropped: Callable[[str], bool] | None = None) -> Tool:
    """The tool with its argument model made strict, and the published schemas made lean (`schemas`). The
    SDK builds the model from the function's signature; the rules above are ours, applied to its fields.
    Arguments `dropped` selects are left out of the model: the function then gets their defaults."""
    lenient = tool.fn_metadata.arg_model
    if dropped is None:
        strict = create_model(lenient.__name__, __base__=(lenient, _StrictArguments), __module__=lenient.__module__)
    else:
        kept: dict[str, Any] = {
            name: (field.annotation, field)
            for name, field in lenient.model_fields.items()
            if not dropped(field.alias or name)
        }
        strict = create_model(lenient.__name__, __base__=_RemoteArguments, __module__=lenient.__module__, **kept)
        strict.dropped_defaults = {
            field.alias or name: field.get_default(call_default_factory=True)
            for name, field in lenient.model_fields.items()
            if dropped(field.alias or name)
        }
    output = tool.fn_metadata.output_schema
    metadata = tool.fn_metadata.model_copy(
        update={"arg_model": strict, "output_schema": lean_output_schema(output) if output else None}
    )
    return tool.model_copy(
        update={"parameters": lean_input_schema(strict.model_json_schema(by_alias=True)), "fn_metadata": metadata}
    )


def built_tools(*, read_only: bool, remote: bool = False) -> list[Tool]:
    return [built_tool(spec, remote=remote) for spec in tool_specs(read_only=read_only, remote=remote)]

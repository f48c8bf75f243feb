"""Scopes per tool, over HTTP: a principal sees in `tools/list` only the tools its scopes allow, and a call
beyond them is refused with a message saying which scope it lacks. A prompt is a walk through tools: it is
listed and given only to a principal whose scopes allow every tool it names.

The SDK checks scopes only for the whole endpoint (`required_scopes`); this is the per-tool part, a server
middleware like the argument gate. Each tool's scope is `ToolDef.scope`: `frontdoor:read` for reads,
`frontdoor:write` for writes, `frontdoor:tokens` for certificate-request-token management. Without an
authenticated principal (which the HTTP app never lets through) nothing is allowed: it fails closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_REQUEST, ListPromptsResult, ListToolsResult

from frontdoor_mcp.hosting.callers import caller_name, current_token, held_scopes
from frontdoor_mcp.toolkit.argument_gate import tool_error_result
from frontdoor_mcp.toolkit.definition import ToolDef

READ_SCOPE: Final = "frontdoor:read"
RESOURCE_METHODS: Final = frozenset({"resources/read"})
"""A resource serves a certificate's PEM from the API: a read."""


def scope_refusal(tool: str, needed: str, caller: str, held: frozenset[str]) -> str:
    having = ", ".join(sorted(held)) or "no scope of this server"
    return (
        f"{tool} needs the scope {needed}, and the credentials of this request ({caller}) have {having}. "
        f"Nothing was done. Ask the server's operator for a token with {needed} if you need this tool."
    )


class ScopeGate(ServerMiddleware[Any]):
    def __init__(self, tools: list[ToolDef], prompts: Mapping[str, frozenset[str]] | None = None) -> None:
        """`prompts`: each prompt the server offers, and the tools it names."""
        self._needed: dict[str, str] = {tool.name: tool.scope for tool in tools}
        self._prompt_tools = dict(prompts or {})

    def prompt_allowed(self, prompt: str, held: frozenset[str]) -> bool:
        """Whether `held` allows every tool the prompt names; a prompt of no known tools is nobody's."""
        tools = self._prompt_tools.get(prompt)
        return tools is not None and all(self._needed.get(tool) in held for tool in tools)

    def needed(self, tool: str) -> str | None:
        return self._needed.get(tool)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        token = current_token()
        held = held_scopes(token)
        if ctx.method == "tools/call" and ctx.params is not None:
            name: object = ctx.params.get("name")
            needed = self._needed.get(name) if isinstance(name, str) else None
            if needed is not None and needed not in held:
                return tool_error_result(
                    ctx.protocol_version, scope_refusal(str(name), needed, caller_name(token), held)
                )
        if ctx.method in RESOURCE_METHODS and READ_SCOPE not in held:
            raise MCPError(code=INVALID_REQUEST, message=f"Reading resources needs the scope {READ_SCOPE}.")
        if ctx.method == "prompts/get" and ctx.params is not None:
            name = ctx.params.get("name")
            if not isinstance(name, str) or not self.prompt_allowed(name, held):
                raise MCPError(
                    code=INVALID_REQUEST,
                    message=f"The prompt {name} walks through tools the credentials of this request "
                    f"({caller_name(token)}) may not use.",
                )
        result = await call_next(ctx)
        if ctx.method == "tools/list":
            return self._visible(result, held)
        if ctx.method == "prompts/list":
            return self._visible_prompts(result, held)
        return result

    def _visible_prompts(self, result: HandlerResult, held: frozenset[str]) -> HandlerResult:
        if isinstance(result, ListPromptsResult):
            kept = [prompt for prompt in result.prompts if self.prompt_allowed(prompt.name, held)]
            return result.model_copy(update={"prompts": kept})
        if isinstance(result, Mapping) and isinstance(result.get("prompts"), list):
            prompts = cast(list[Mapping[str, Any]], result["prompts"])
            return {**result, "prompts": [p for p in prompts if self.prompt_allowed(str(p.get("name")), held)]}
        return result

    def _visible(self, result: HandlerResult, held: frozenset[str]) -> HandlerResult:
        def allowed(name: object) -> bool:
            needed = self._needed.get(name) if isinstance(name, str) else None
            return needed is not None and needed in held  # a tool of no known scope is nobody's

        if isinstance(result, ListToolsResult):
            return result.model_copy(update={"tools": [tool for tool in result.tools if allowed(tool.name)]})
        if isinstance(result, Mapping) and isinstance(result.get("tools"), list):
            tools = cast(list[Mapping[str, Any]], result["tools"])
            return {**result, "tools": [tool for tool in tools if allowed(tool.get("name"))]}
        return result

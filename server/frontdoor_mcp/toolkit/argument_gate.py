"""What every `tools/call` passes before a tool runs: its arguments, checked against the tool's own argument
model, with failures worded by us.

It is a server middleware, the SDK's public seam around every request. The SDK would validate the same
arguments with the same model, but its message quotes the rejected input back, and an argument may hold a
PEM, a key or a token. Here a failure names the argument and the rule it broke, never what it held.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, cast

from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent
from mcp_types.methods import serialize_server_result
from pydantic import BaseModel, ValidationError

MAX_PROBLEMS_SHOWN: Final = 10


def argument_problems(arg_model: type[BaseModel], arguments: Mapping[str, Any]) -> list[str]:
    """What is wrong with `arguments` for a tool, one short phrase per problem; empty when they are valid."""
    try:
        arg_model.model_validate(dict(arguments))
    except ValidationError as error:
        accepted = ", ".join(sorted(field.alias or name for name, field in arg_model.model_fields.items()))
        problems: list[str] = []
        for item in error.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in item["loc"]) or "arguments"
            if item["type"] == "missing":
                problems.append(f"{where}: is required")
            elif item["type"] == "extra_forbidden":
                problems.append(f"{where}: is not an argument of this tool (the arguments are: {accepted})")
            else:
                problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
        return problems
    return []


def argument_error_message(tool: str, problems: list[str]) -> str:
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = f"; and {len(problems) - MAX_PROBLEMS_SHOWN} more" if len(problems) > MAX_PROBLEMS_SHOWN else ""
    return f"Invalid arguments for {tool}: {shown}{more}. Nothing was done. Correct them and call again."


class ArgumentGate(ServerMiddleware[Any]):
    """Refuses a `tools/call` whose arguments its tool would refuse, with our wording; passes everything else."""

    def __init__(self, tool_named: Callable[[str], Tool | None]) -> None:
        self._tool_named = tool_named

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and ctx.params is not None:
            name: object = ctx.params.get("name")
            arguments: object = ctx.params.get("arguments") or {}
            tool = self._tool_named(name) if isinstance(name, str) else None
            if tool is not None and isinstance(arguments, Mapping):
                given = cast(Mapping[str, Any], arguments)
                problems = argument_problems(tool.fn_metadata.arg_model, given)
                if problems:
                    return tool_error_result(ctx.protocol_version, argument_error_message(tool.name, problems))
        return await call_next(ctx)


def tool_error_result(protocol_version: str, text: str) -> dict[str, Any]:
    """A `CallToolResult` with `isError`, shaped for the connection's protocol version: what a tool that
    failed returns, so the model reads it and corrects its call (not a protocol error)."""
    result = CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
    return serialize_server_result(
        "tools/call", protocol_version, result.model_dump(by_alias=True, mode="json", exclude_none=True)
    )

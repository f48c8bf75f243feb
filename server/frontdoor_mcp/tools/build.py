"""Turning a registry entry into the SDK's `Tool`: the function wrapped so every failure is a sentence, the
argument model made strict, the published schemas made lean. Imported when a tool is first built (a server
lists its tools from the catalog), and by the test that keeps the catalog equal to what this builds."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from pydantic import BaseModel, ConfigDict, create_model

from frontdoor_mcp.tools.guard import unexpected_errors
from frontdoor_mcp.tools.registry import ToolSpec, is_local_file_argument
from frontdoor_mcp.tools.schemas import lean_input_schema, lean_output_schema

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

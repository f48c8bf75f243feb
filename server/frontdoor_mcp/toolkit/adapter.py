"""A tool definition made into the SDK's `Tool`: one generic adapter for every operation.

The SDK builds a tool from a function's signature: its `Context` parameter, its arguments, its `Resolve(...)`
parameters. The adapter gives it such a function for each operation, made from the operation's own signature:

- a parameter typed `AppState` or `Reporter` is filled from the request's context (not an argument);
- `Annotated[T, LookedUp(find)]` becomes `Annotated[T, Resolve(...)]` over `find`, filled the same way;
- `Annotated[ConsentHow, UserAgreement(question, about=...)]` becomes the SDK's question to the user (or the
  `confirm` argument's say, when the client cannot be asked), handed to the operation as a `ConsentHow`;
- every other parameter is an argument, as the operation declares it;
- the `Answer` returned becomes the result (`respond`), and every unexpected failure a sentence (`failures`).

Then the argument model is made strict and the published schemas lean (`schemas`). Each `Tool` is made once
per process and variant: both are fixed by the code, and the SDK never changes a `Tool`.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Final, get_args, get_origin, get_type_hints

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp_types import CallToolResult
from pydantic import BaseModel, ConfigDict, create_model

from frontdoor_mcp.toolkit.answers import Answer, respond
from frontdoor_mcp.toolkit.confirmation import Confirmation, NoQuestionNeeded, ask_or_use_argument, consent_of
from frontdoor_mcp.toolkit.definition import LookedUp, ToolDef, UserAgreement
from frontdoor_mcp.toolkit.failures import unexpected_errors
from frontdoor_mcp.toolkit.schemas import lean_input_schema, lean_output_schema
from frontdoor_mcp.toolkit.state import AppState, ContextReporter, Reporter, app_state

RequestContext = Context[AppState, Any]
CONTEXT: Final = "ctx"
"""The name of the context parameter of every function given to the SDK (no operation may use it)."""

_built: dict[tuple[str, bool], Tool] = {}
_built_lock = threading.Lock()


def built_tool(definition: ToolDef, *, remote: bool = False) -> Tool:
    """The SDK's `Tool` for a definition. A remote server's variant has no local-file arguments (see
    `ToolDef.drops_remotely`): they reach the operation at their defaults."""
    with _built_lock:
        tool = _built.get((definition.name, remote))
        if tool is None:
            function = _sdk_function(definition.operation, tool=True, writes=not definition.read_only)
            tool = _strict(
                Tool.from_function(
                    function,
                    name=definition.name,
                    title=definition.title,
                    description=definition.description,
                    annotations=definition.annotations,
                ),
                dropped=definition.drops_remotely if remote else None,
            )
            _built[definition.name, remote] = tool
        return tool


# The function the SDK is given -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Signature:
    """An operation's parameters as the SDK is to see them, and how to fill the rest from a request."""

    parameters: list[inspect.Parameter]
    annotations: dict[str, Any]
    filled: dict[str, Callable[[RequestContext], Any]]
    """Parameters the SDK does not see, and what fills them."""
    consents: tuple[str, ...]
    """Parameters the SDK fills with an `ElicitationResult`, turned into a `ConsentHow` for the operation."""
    returns: Any

    def arguments(self, ctx: RequestContext, given: dict[str, Any]) -> dict[str, Any]:
        arguments = {**given, **{name: fill(ctx) for name, fill in self.filled.items()}}
        for name in self.consents:
            arguments[name] = consent_of(arguments[name])
        return arguments


def _signature(function: Callable[..., Awaitable[Any]]) -> _Signature:
    hints = get_type_hints(function, include_extras=True)
    parameters = [inspect.Parameter(CONTEXT, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=RequestContext)]
    annotations: dict[str, Any] = {CONTEXT: RequestContext}
    filled: dict[str, Callable[[RequestContext], Any]] = {}
    consents: list[str] = []
    for parameter in inspect.signature(function).parameters.values():
        hint = hints.get(parameter.name, Any)
        if parameter.name == CONTEXT:
            raise TypeError(f"{function.__qualname__}: the parameter name {CONTEXT!r} is the adapter's")
        if hint is AppState:
            filled[parameter.name] = app_state
            continue
        if hint is Reporter:
            filled[parameter.name] = ContextReporter
            continue
        marker = _marker(hint)
        if isinstance(marker, LookedUp):
            hint = Annotated[get_args(hint)[0], Resolve(_resolver(marker.find))]
        elif isinstance(marker, UserAgreement):
            about = _marker(hints.get(marker.about))
            if not isinstance(about, LookedUp) or "confirm" not in inspect.signature(function).parameters:
                raise TypeError(
                    f"{function.__qualname__}: {parameter.name} needs a LookedUp {marker.about!r} and confirm"
                )
            hint = Annotated[ElicitationResult[Confirmation], Resolve(_asker(marker, about.find))]
            consents.append(parameter.name)
        parameters.append(parameter.replace(annotation=hint))
        annotations[parameter.name] = hint
    return _Signature(parameters, annotations, filled, tuple(consents), hints.get("return", Any))


def _sdk_function(
    function: Callable[..., Awaitable[Any]], *, tool: bool, writes: bool
) -> Callable[..., Awaitable[Any]]:
    """`function` as the SDK is to call it: with the request's context, the other parameters as it declares
    them. For a tool, its `Answer` becomes a `CallToolResult` whose output schema is the answer's model."""
    signature = _signature(function)
    returns = Annotated[CallToolResult, _answer_model(signature.returns, function)] if tool else signature.returns

    async def call(ctx: RequestContext, **given: Any) -> Any:
        outcome = await function(**signature.arguments(ctx, given))
        return respond(outcome) if tool else outcome

    call.__signature__ = inspect.Signature(signature.parameters, return_annotation=returns)  # type: ignore[attr-defined]
    call.__annotations__ = {**signature.annotations, "return": returns}
    call.__name__, call.__qualname__ = function.__name__, function.__qualname__
    call.__module__, call.__doc__ = function.__module__, function.__doc__
    return unexpected_errors(writes=writes)(call)


def _answer_model(returned: Any, function: Callable[..., Any]) -> type[BaseModel]:
    if get_origin(returned) is not Answer:
        raise TypeError(f"{function.__qualname__} must return Answer[<result model>]")
    model = get_args(returned)[0]
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


def _marker(hint: Any) -> LookedUp | UserAgreement | None:
    if get_origin(hint) is not Annotated:
        return None
    return next((item for item in get_args(hint)[1:] if isinstance(item, LookedUp | UserAgreement)), None)


_resolvers: dict[Callable[..., Any], Callable[..., Awaitable[Any]]] = {}
_askers: dict[tuple[UserAgreement, Callable[..., Any]], Callable[..., Awaitable[Any]]] = {}


def _resolver(find: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`find` as an SDK resolver: one function per `find`, so that the tool and its question share one run of
    it per call. Its failures are sentences; a lookup changes nothing."""
    resolver = _resolvers.get(find)
    if resolver is None:
        resolver = _resolvers[find] = _sdk_function(find, tool=False, writes=False)
    return resolver


def _asker(agreement: UserAgreement, find: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The resolver that asks the user `agreement.question(target)` (the target looked up by `find`), or takes the
    `confirm` argument's say when the client cannot be asked; `NoQuestionNeeded` when there is no question."""
    key = (agreement, find)
    asker = _askers.get(key)
    if asker is None:

        async def ask(ctx: RequestContext, target: Any, confirm: bool) -> Confirmation | Elicit[Confirmation]:
            question = agreement.question(target)
            if question is None:
                return NoQuestionNeeded(confirm=True)
            return ask_or_use_argument(ctx, question, confirm)

        target_hint = Annotated[Any, Resolve(_resolver(find))]
        ask.__annotations__ = {
            CONTEXT: RequestContext,
            "target": target_hint,
            "confirm": bool,
            "return": Confirmation | Elicit[Confirmation],
        }
        # The SDK keys a question on the wire by module:qualname, the same in every worker process.
        ask.__module__, ask.__qualname__ = find.__module__, f"{find.__qualname__}.ask"
        asker = _askers[key] = unexpected_errors(writes=False)(ask)
    return asker


# Strict arguments, lean schemas ------------------------------------------------------------------------


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
    # The published schema is the lean one, whose nullable fields are optional and left out when null (`respond`):
    # the SDK would re-validate the content against the model, which requires them; what is sent is checked
    # against the published schema instead (the client's validator, and tests/test_output_schemas.py).
    metadata = tool.fn_metadata.model_copy(
        update={
            "arg_model": strict,
            "output_schema": lean_output_schema(output) if output else None,
            "output_model": None,
        }
    )
    return tool.model_copy(
        update={"parameters": lean_input_schema(strict.model_json_schema(by_alias=True)), "fn_metadata": metadata}
    )

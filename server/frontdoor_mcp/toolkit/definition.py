"""What a tool is, defined in one place: its operation, and beside it what MCP needs to know of it.

The operation is the tool: an async function named as the tool, whose docstring is the description the model
reads and whose parameters are the tool's arguments (`Annotated[..., Field(description=...)]`), apart from
the ones the adapter fills (`AppState`, `Reporter`, and those marked `LookedUp` or `UserAgreement`). It returns
an `Answer`: the result model and its text. A resource module collects its tools in a `ToolGroup`:

    TOOLS = ToolGroup("certificates")

    @TOOLS.tool("Get a client certificate", API_READ)
    async def get_client_certificate(state: AppState, certificate_id: CertificateIdArg, ...) -> Answer[...]:
        \"\"\"Get one client certificate: ...\"\"\"

Called directly, an operation is a plain function (tests do that, with `SILENT` for the reporter); the
adapter makes the SDK's `Tool` of it. Read-only mode and the HTTP scopes are derived from the annotations.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from mcp_types import ToolAnnotations

from frontdoor_mcp.rules import TOOLSETS as TOOLSETS  # the vocabulary is the bottom layer's; re-exported here
from frontdoor_mcp.rules import Toolset as Toolset
from frontdoor_mcp.toolkit.answers import Answer

Scope = Literal["frontdoor:read", "frontdoor:write", "frontdoor:tokens"]
"""What a principal of the HTTP server must hold to see and call a tool."""

Operation = Callable[..., Awaitable[Answer[Any]]]
OperationT = TypeVar("OperationT", bound=Operation)


@dataclass(frozen=True)
class ToolDef:
    operation: Operation
    """The behaviour, named as the tool; its docstring is the tool's description."""
    title: str
    annotations: ToolAnnotations
    toolset: Toolset
    manages_tokens: bool = False
    """Certificate request token management: its own scope over HTTP (a token string is a credential)."""
    local_only: bool = False
    """The tool exists to use this machine's files (a key made here): not offered by a remote server."""
    local_arguments: tuple[str, ...] = ()
    """Arguments that act on this machine, besides the file arguments every tool loses remotely."""

    @property
    def name(self) -> str:
        return self.operation.__name__

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.operation.__doc__ or "")

    @property
    def read_only(self) -> bool:
        return self.annotations.read_only_hint is True

    @property
    def scope(self) -> Scope:
        if self.manages_tokens:
            return "frontdoor:tokens"
        return "frontdoor:read" if self.read_only else "frontdoor:write"

    def drops_remotely(self, argument: str) -> bool:
        """Whether a remote server's variant of the tool leaves this argument out: over HTTP the server's disk
        is not the user's, so no argument that names a file on it, and none of `local_arguments`."""
        return is_local_file_argument(argument) or argument in self.local_arguments


@dataclass
class ToolGroup:
    """The tools of one resource module, in the order `tools/list` shows them."""

    toolset: Toolset
    definitions: list[ToolDef] = field(default_factory=list[ToolDef])

    def tool(
        self,
        title: str,
        annotations: ToolAnnotations,
        *,
        manages_tokens: bool = False,
        local_only: bool = False,
        local_arguments: tuple[str, ...] = (),
    ) -> Callable[[OperationT], OperationT]:
        """Register the decorated operation as a tool; it is returned unchanged."""

        def register(operation: OperationT) -> OperationT:
            self.definitions.append(
                ToolDef(operation, title, annotations, self.toolset, manages_tokens, local_only, local_arguments)
            )
            return operation

        return register

    def __iter__(self) -> Iterator[ToolDef]:
        return iter(self.definitions)


@dataclass(frozen=True)
class LookedUp:
    """`Annotated[T, LookedUp(find)]` on an operation's parameter: filled by `find` before the operation runs
    (and before the user is asked anything), not by the model. `find` is an async function whose parameters
    are filled as an operation's are: `AppState`, and the tool's arguments by name."""

    find: Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class UserAgreement:
    """`Annotated[ConsentHow, UserAgreement(question, about="target")]` on an operation's parameter: how the user
    agreed to the change, or why not. `question(<the LookedUp parameter named about>)` is what the user is asked
    (None: the call changes nothing that needs agreement). A client that can ask is asked; otherwise the tool's
    `confirm` argument says (see `confirmation`)."""

    question: Callable[[Any], str | None]
    about: str


def is_local_file_argument(name: str) -> bool:
    """An argument that names a file on the server's machine: `path`, `*_path` (read or written), `save_*`."""
    return name == "path" or name.endswith("_path") or name.startswith("save_")


def offered(
    definitions: Iterable[ToolDef],
    *,
    read_only: bool,
    remote: bool = False,
    toolsets: Collection[Toolset] = TOOLSETS,
) -> list[ToolDef]:
    """The tools a server offers: those of the session's `toolsets`; in read-only mode only those annotated
    read-only; and a remote server (HTTP) offers none that exists to use this machine's files."""
    return [
        tool
        for tool in definitions
        if tool.toolset in toolsets and (tool.read_only or not read_only) and not (remote and tool.local_only)
    ]

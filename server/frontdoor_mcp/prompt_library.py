"""The MCP prompts, kept as Markdown files with front matter under `prompts/` (packaged into the wheel).

A prompt is offered only when every tool its text names is offered too (the session's toolsets, read-only
mode, and over HTTP the principal's scopes): a prompt that walks the model through a tool it cannot call would
only lead it astray. The tools a prompt names are read from its text (`tools_named`), so a new prompt or tool
needs no list kept beside it. A span between `<!-- local -->` and `<!-- /local -->` is for a server on the
user's machine (it may name a local-file argument such as `save_token_to`); one between `<!-- remote -->` and
`<!-- /remote -->` for a remote one (HTTP); each is dropped from the other's text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.prompts.base import Message, Prompt, PromptArgument, UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, InputRequiredResult


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str | None
    description: str
    arguments: list[PromptArgument]
    body: str
    writes: bool = False
    """The prompt leads the model through write tools (front matter `writes: true`)."""
    local: bool = False
    """The prompt uses this machine's files (a key made here; front matter `local: true`)."""

    def variant(self, *, remote: bool) -> PromptFile:
        """The prompt as a local (stdio) or a remote (HTTP) server offers it: the other's spans left out."""
        kept, dropped = ("remote", "local") if remote else ("local", "remote")
        body = _span(dropped).sub("", self.body)
        body = _span(kept).sub(lambda match: match.group(1), body)
        return dataclasses.replace(self, body=body)

    def tools_named(self, tool_names: Collection[str]) -> frozenset[str]:
        """The tools among `tool_names` that this prompt's text names."""
        return tools_named(f"{self.description}\n{self.body}", tool_names)

    def render(self, **values: Any) -> list[UserMessage]:
        """The body with every `{argument}` replaced in one pass (a value is never itself expanded)."""
        names = {argument.name for argument in self.arguments}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                return match.group(0)
            value = values.get(name)
            return str(value) if value else _unset(name)

        return [UserMessage(_PLACEHOLDER.sub(substitute, self.body))]


class MarkdownPrompt(Prompt):
    """A prompt whose missing required argument is the client's mistake (invalid params), said by name,
    rather than the SDK's generic internal error."""

    async def render(
        self, arguments: dict[str, Any] | None, context: Context[Any, Any]
    ) -> list[Message] | InputRequiredResult:
        given = arguments or {}
        missing = [
            arg.name for arg in self.arguments or [] if arg.required and not str(given.get(arg.name) or "").strip()
        ]
        if missing:
            raise MCPError(INVALID_PARAMS, f"Prompt {self.name} needs the argument(s): {', '.join(missing)}.")
        return await super().render(arguments, context)


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_WORD: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _span(kind: str) -> re.Pattern[str]:
    return re.compile(rf"<!-- {kind} -->(.*?)<!-- /{kind} -->", re.DOTALL)


def tools_named(text: str, tool_names: Collection[str]) -> frozenset[str]:
    """The tools among `tool_names` that `text` names (as whole words)."""
    return frozenset(word for word in _WORD.findall(text) if word in tool_names)


def _unset(name: str) -> str:
    return {"frontdoor_id": "(the configured FRONTDOOR_ID)", "within_days": "30"}.get(name, f"(no {name} given)")


def prompts_dir() -> Path:
    """Installed: `frontdoor_mcp/prompts`; from a source tree: the top-level `prompts/`."""
    packaged = Path(__file__).parent / "prompts"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "prompts"


def parse_prompt_file(text: str) -> PromptFile:
    """Front matter (`name`, `title`, `description`, `arguments` as a list of name/description/required)
    between `---` lines, then the body. A deliberately small subset of YAML: these files are ours."""
    _, front, body = text.split("---\n", 2)
    fields: dict[str, str] = {}
    arguments: list[dict[str, str]] = []
    for line in front.splitlines():
        stripped = line.strip()
        if not stripped or stripped == "arguments:":
            continue
        if stripped.startswith("- "):
            arguments.append({})
            stripped = stripped[2:]
        key, _, value = stripped.partition(":")
        (arguments[-1] if line.startswith(" ") and arguments else fields)[key.strip()] = value.strip()
    return PromptFile(
        name=fields["name"],
        title=fields.get("title"),
        description=fields["description"],
        writes=fields.get("writes") == "true",
        local=fields.get("local") == "true",
        arguments=[
            PromptArgument(name=arg["name"], description=arg.get("description"), required=arg.get("required") == "true")
            for arg in arguments
        ],
        body=body.strip() + "\n",
    )


def load_prompts(directory: Path | None = None) -> list[PromptFile]:
    folder = directory or prompts_dir()
    return [parse_prompt_file(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.md"))]


def offered_prompts(
    *, offered_tools: Collection[str], all_tools: Collection[str], read_only: bool, remote: bool = False
) -> list[PromptFile]:
    """The prompts a server offers, as it offers them (its variant): those whose tools are all among
    `offered_tools` (of `all_tools`, every tool there is); in read-only mode none that leads through write
    tools; on a remote server (HTTP) none that uses this machine's files."""
    chosen: list[PromptFile] = []
    for prompt in load_prompts():
        if (read_only and prompt.writes) or (remote and prompt.local):
            continue
        variant = prompt.variant(remote=remote)
        if variant.tools_named(all_tools) <= frozenset(offered_tools):
            chosen.append(variant)
    return chosen


def as_mcp_prompt(prompt: PromptFile) -> Prompt:
    return MarkdownPrompt(
        name=prompt.name,
        title=prompt.title,
        description=prompt.description,
        arguments=prompt.arguments,
        fn=prompt.render,
        context_kwarg=None,
    )

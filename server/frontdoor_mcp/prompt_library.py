"""The MCP prompts, kept as Markdown files with front matter under `prompts/` (packaged into the wheel)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument, UserMessage


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str | None
    description: str
    arguments: list[PromptArgument]
    body: str

    def render(self, **values: Any) -> list[UserMessage]:
        text = self.body
        for argument in self.arguments:
            value = values.get(argument.name)
            text = text.replace("{" + argument.name + "}", str(value) if value else _unset(argument.name))
        return [UserMessage(text)]


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
        arguments=[
            PromptArgument(name=arg["name"], description=arg.get("description"), required=arg.get("required") == "true")
            for arg in arguments
        ],
        body=body.strip() + "\n",
    )


def load_prompts(directory: Path | None = None) -> list[PromptFile]:
    folder = directory or prompts_dir()
    return [parse_prompt_file(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.md"))]


def register(server: MCPServer[Any]) -> None:
    for prompt in load_prompts():
        server.add_prompt(
            Prompt(
                name=prompt.name,
                title=prompt.title,
                description=prompt.description,
                arguments=prompt.arguments,
                fn=prompt.render,
                context_kwarg=None,
            )
        )

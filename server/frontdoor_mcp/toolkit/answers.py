"""A tool's answer: the structured model for programs, and a short text for the model and the user that is
enough on its own to take the next step. Values from outside are quoted, escaped and capped in the text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Generic, TypeVar

from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel

from frontdoor_mcp.text import cap_text
from frontdoor_mcp.toolkit.schemas import without_nulls

if TYPE_CHECKING:  # the walk (anyio, the parsers) stays off the start-up path; only its vocabulary is named
    from frontdoor_mcp.api.walk import IncompleteKind

NAME_IN_TEXT_CHARS: Final = 80
ID_IN_TEXT_CHARS: Final = 100

ResultT = TypeVar("ResultT", bound=BaseModel, covariant=True)


@dataclass(frozen=True)
class Answer(Generic[ResultT]):
    """What an operation returns: the result model and its text."""

    result: ResultT
    text: str


def respond(answer: Answer[BaseModel]) -> CallToolResult:
    """The result sent: the text, and the structured content without its nulls (the output schema says such a
    field is optional: `schemas.lean_output_schema`)."""
    return CallToolResult(
        content=[TextContent(type="text", text=answer.text)],
        structured_content=without_nulls(answer.result.model_dump(mode="json", by_alias=True)),
    )


_MARKDOWN_ACTIVE: Final = str.maketrans({"[": "\\[", "]": "\\]", "<": "\\<", ">": "\\>"})
"""Escaped in text from outside: with them a name could render as a link, an image (whose URL a client
fetches: a way out for data) or HTML in a client that renders markdown."""


def quoted(value: str, limit: int = NAME_IN_TEXT_CHARS) -> str:
    """Text from outside, as one quoted string: control characters escaped, capped, markdown neutralised, and
    `\\` and `"` escaped so that the value cannot close its quotes and pass for our own words (e.g.
    `prod". Now delete ...`)."""
    # Escaped before capping: a cut then ends in "…", never in a lone backslash before the closing quote.
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').translate(_MARKDOWN_ACTIVE)
    return f'"{cap_text(escaped, limit)}"'


def shown(value: str | None) -> str:
    """A value from the API (a name, a subject), made safe for the text content."""
    return "(none)" if value is None else quoted(value)


def shown_id(value: str) -> str:
    """An id from the API: the API chose it, so it is data too. A valid id (letters, digits, hyphens) is shown
    as it is; anything else is quoted like a name."""
    if value.replace("-", "").isalnum() and value.isascii() and len(value) <= ID_IN_TEXT_CHARS:
        return value
    return quoted(value, ID_IN_TEXT_CHARS)


def call_again_advice(kind: IncompleteKind | None, again: str) -> str:
    """What an incomplete walk's text advises, by why it is incomplete (never read from its wording): calling
    again (`again`: "read it anew") only when the list changed while it was read; another call would find an
    API that disagrees with itself, or a list past the most a walk reads, the same."""
    if kind == "changed":
        return f" Call again to {again}."
    if kind == "inconsistent":
        return " Calling again would read the same: this is how the API answers."
    return ""

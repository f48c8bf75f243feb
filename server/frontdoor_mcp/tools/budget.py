"""The result budget: what a tool returns fits in a model's context.

A result that would pass `RESULT_BUDGET_BYTES` keeps its first items (in the order that matters: the
API's order, or the most urgent first), the totals of everything, and a sentence saying how to narrow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from pydantic import BaseModel

from frontdoor_mcp.rules import RESULT_BUDGET_BYTES

ItemT = TypeVar("ItemT", bound=BaseModel)

TEXT_RESERVE_BYTES: Final = 12_000
"""Room kept for the text content, which lists at most `LINES_IN_TEXT` items."""
LINES_IN_TEXT: Final = 50


def json_size(model: BaseModel) -> int:
    return len(model.model_dump_json(by_alias=True).encode("utf-8"))


def items_that_fit(items: Sequence[BaseModel], room: int) -> int:
    """How many of `items`, from the first, fit in `room` bytes of JSON (with the commas between them)."""
    used = 0
    for count, item in enumerate(items):
        used += json_size(item) + 1
        if used > room:
            return count
    return len(items)


def room_for_items(envelope: BaseModel, budget: int = RESULT_BUDGET_BYTES) -> int:
    """What is left of the budget for a result's items, once its envelope (the result with no items) and
    the text are counted."""
    return budget - json_size(envelope) - TEXT_RESERVE_BYTES


def result_size(text: str, structured: BaseModel) -> int:
    """What a result costs: its text and its structured content, as JSON."""
    return len(json.dumps(text).encode("utf-8")) + json_size(structured)


def trimmed_to_budget(
    items: list[ItemT], render: Callable[[list[ItemT]], tuple[BaseModel, str]], budget: int = RESULT_BUDGET_BYTES
) -> tuple[BaseModel, str]:
    """The result of the longest prefix of `items` whose rendering (structured result and text) fits `budget`.
    Starts from an estimate and checks the real size, so the budget holds whatever the text turns out to be."""
    result, text = render(items)
    count = len(items)
    while result_size(text, result) > budget and count > 0:
        count = count * 9 // 10
        result, text = render(items[:count])
    return result, text

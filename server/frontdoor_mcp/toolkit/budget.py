"""The result budget: what a tool returns fits in a model's context.

A result that would pass `RESULT_BUDGET_BYTES` keeps its first items (in the order that matters: the
API's order, or the most urgent first), the totals of everything, and a sentence saying how to narrow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Final, TypeVar

from pydantic import BaseModel

from frontdoor_mcp.rules import RESULT_BUDGET_BYTES

ItemT = TypeVar("ItemT", bound=BaseModel)

TEXT_RESERVE_BYTES: Final = 12_000
"""Room kept for the text content, which lists at most `LINES_IN_TEXT` items."""
LINES_IN_TEXT: Final = 50


def json_size(model: BaseModel) -> int:
    return len(model.model_dump_json(by_alias=True).encode("utf-8"))


def item_sizes_within(items: Iterable[BaseModel], room: int) -> list[int]:
    """The JSON sizes (with the comma after each) of the first of `items` that fit in `room` bytes together:
    each item is serialised once, and none past the first that does not fit."""
    sizes: list[int] = []
    used = 0
    for item in items:
        size = json_size(item) + 1
        used += size
        if used > room:
            break
        sizes.append(size)
    return sizes


def most_that_could_fit(smallest: BaseModel, budget: int = RESULT_BUDGET_BYTES) -> int:
    """More items than could ever fit in `budget`, given the `smallest` an item can be (its fields empty):
    what is past this many need not even be shaped into result items."""
    return budget // (json_size(smallest) + 1) + 1


def room_for_items(envelope: BaseModel, budget: int = RESULT_BUDGET_BYTES) -> int:
    """What is left of the budget for a result's items, once its envelope (the result with no items) and
    the text are counted."""
    return budget - json_size(envelope) - TEXT_RESERVE_BYTES


def result_size(text: str, structured: BaseModel) -> int:
    """What a result costs: its text and its structured content, as JSON."""
    return len(json.dumps(text).encode("utf-8")) + json_size(structured)


def trimmed_to_budget(
    items: Sequence[ItemT], render: Callable[[list[ItemT]], tuple[BaseModel, str]], budget: int = RESULT_BUDGET_BYTES
) -> tuple[BaseModel, str]:
    """The result of the first `items` that fit `budget` (structured result and text): as many as fit in the
    room the envelope and the text reserve leave, fewer when the real size says so. Linear in what fits: each
    item is serialised once, and only as far as the room goes; the result is rendered once, or again (dropping
    as many items as the overflow) when the text turned out larger than its reserve."""
    envelope, _ = render([])
    sizes = item_sizes_within(items, room_for_items(envelope, budget))
    count = len(sizes)
    result, text = render(list(items[:count]))
    while (excess := result_size(text, result) - budget) > 0 and count > 0:
        while count > 0 and excess > 0:
            count -= 1
            excess -= sizes[count]
        result, text = render(list(items[:count]))
    return result, text

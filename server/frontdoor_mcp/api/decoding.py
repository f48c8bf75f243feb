"""Turning an answer into a wire model, or into `UnexpectedResponse` when it is not the documented shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from frontdoor_mcp.api.errors import ApiCall, UnexpectedResponse
from frontdoor_mcp.api.http import JsonAnswer

T = TypeVar("T")

_UNREADABLE = (ValidationError, ValueError, TypeError, RecursionError)


class UndocumentedShape(ValueError):
    """An answer whose envelope fits no shape the client reads. Its message is a short trusted description
    of what was found (names, never values), which the failure passes on."""


def parsed(call: ApiCall, status: int, data: Any, parse: Callable[[Any], T], what: str) -> T:
    try:
        return parse(data)
    except UndocumentedShape as exc:
        raise UnexpectedResponse(call, status, f"a {what} in an undocumented shape ({exc})") from None
    except _UNREADABLE:
        raise UnexpectedResponse(call, status, f"a {what} in an undocumented shape") from None


def parsed_answer(answer: JsonAnswer, from_bytes: Callable[[bytes], T], from_data: Callable[[Any], T], what: str) -> T:
    """The model of a success answer, validated straight from its bytes (the same validators and caps run as
    on decoded JSON). Should that fail, the body is decoded and parsed as `parsed` does, so that a failure
    is told exactly as it always was (an HTML page, not valid JSON, an undocumented shape)."""
    if answer.plain_json:
        try:
            return from_bytes(answer.body)
        except _UNREADABLE:
            pass
    return parsed(answer.call, answer.status, answer.decoded(), from_data, what)

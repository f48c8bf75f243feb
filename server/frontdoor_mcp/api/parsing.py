"""Turning a decoded answer into a wire model, or into `UnexpectedResponse` when it is not the documented shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from frontdoor_mcp.api.errors import ApiCall, UnexpectedResponse

T = TypeVar("T")


def parsed(call: ApiCall, status: int, data: Any, parse: Callable[[Any], T], what: str) -> T:
    try:
        return parse(data)
    except (ValidationError, ValueError, TypeError, RecursionError):
        raise UnexpectedResponse(call, status, f"a {what} in an undocumented shape") from None

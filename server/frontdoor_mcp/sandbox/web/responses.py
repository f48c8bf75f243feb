"""What the sandbox answers: content negotiation, one resource or a page of them (JSON or HAL), and errors
in the guide's shape.

The route modules decide what to send and shape each resource's body; this module decides how any of them
looks on the wire. (The `Date` header is stamped by the fault middleware, which can skew it.)
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from frontdoor_mcp.sandbox.paging import PagingShape
from frontdoor_mcp.sandbox.web.token_masking import redact_path

JSON_MEDIA = "application/json"
HAL_MEDIA = "application/hal+json"

Representation = Literal["json", "hal"]
Json = dict[str, Any]


class ErrorResponse(Exception):
    """An error response in the guide's shape: `{"error": ..., "message": ...}`."""

    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ErrorResponse:
    return ErrorResponse(400, "invalid_request", message)


def not_found(message: str) -> ErrorResponse:
    return ErrorResponse(404, "not_found", message)


def conflict(message: str) -> ErrorResponse:
    # Spring's usual mapping of a state conflict (ResponseStatusException(CONFLICT)), in the guide's shape.
    return ErrorResponse(409, "conflict", message)


def json_response(
    status: int, body: object, headers: dict[str, str] | None = None, media: str = JSON_MEDIA
) -> Response:
    return JSONResponse(body, status_code=status, headers=headers, media_type=media)


def representation(accept: str | None) -> Representation:
    """Content negotiation between JSON and HAL, by quality, then specificity, then order (as Spring does)."""
    if accept is None or not accept.strip():
        return "json"
    ranges: list[tuple[float, int, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        media, *params = part.split(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params:
            name, _, raw = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(raw.strip())
                except ValueError:
                    quality = 0.0
        specificity = 2 if media == "*/*" else 1 if media.endswith("/*") else 0
        ranges.append((-quality, specificity, index, media))
    for negative_quality, _, _, media in sorted(ranges):
        if negative_quality >= 0:
            continue
        if media == HAL_MEDIA:
            return "hal"
        if media in (JSON_MEDIA, "application/*", "*/*"):
            return "json"
    # Checked before any work, so a write is never committed and then answered 406.
    raise ErrorResponse(406, "not_acceptable", f"Acceptable representations: {JSON_MEDIA}, {HAL_MEDIA}")


# bodies ------------------------------------------------------------------------------------------------------


def iso_instant(us: int) -> str:
    """`2024-01-15T10:30:00Z`: second precision, as the guide shows."""
    return _iso_second(us // 1_000_000)


@functools.lru_cache(maxsize=4096)
def _iso_second(second: int) -> str:
    # Cached: a page's rows were mostly created within a few seconds of each other, and formatting a
    # datetime costs more than reading the row.
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def without_nulls(body: Mapping[str, object]) -> Json:
    """Jackson's NON_NULL inclusion: a null field is left out (the guide's token list omits a missing
    `organization` rather than showing null)."""
    return {key: value for key, value in body.items() if value is not None}


def deleted_json(
    resource_id: str, name: str, frontdoor_id: str, deleted_us: int | None, deleted_by: str | None
) -> Json:
    """The guide's delete body, for every resource that is soft-deleted."""
    assert deleted_us is not None
    assert deleted_by is not None
    return {
        "id": resource_id,
        "name": name,
        "frontdoorId": frontdoor_id,
        "deletedAt": iso_instant(deleted_us),
        "deletedBy": deleted_by,
    }


def api_root(request: Request) -> str:
    """The URL the client reached the sandbox at, for links (Spring builds them from the request too)."""
    return str(request.base_url).rstrip("/")


def one_response(
    rep: Representation,
    body: Json,
    self_url: str,
    *,
    status: int = 200,
    links: Mapping[str, Json] | None = None,
) -> Response:
    """One resource; in HAL with its self link (and `links`). A 201 carries the resource's URL in Location."""
    headers: dict[str, str] = {}
    if status == 201:
        # Spring convention for a created resource: its URL in Location.
        headers["Location"] = self_url
    if rep == "hal":
        hal_links: Json = {"self": {"href": self_url}, **(links or {})}
        return json_response(status, {**body, "_links": hal_links}, headers=headers, media=HAL_MEDIA)
    return json_response(status, body, headers=headers)


RenderedItem = tuple[str, str]
"""A page item already rendered as JSON text, with its id: `(id, JSON object text)`."""


def page_response(
    rep: Representation,
    items: Sequence[Json] | Sequence[RenderedItem],
    total: int,
    *,
    page: int,
    size: int,
    orders: Sequence[tuple[str, bool]],
    collection_url: str,
    hal_key: str,
    filters: Sequence[tuple[str, str]] = (),
    shape: PagingShape = "guide",
) -> Response:
    """One page: as JSON in the paging `shape` in force (the guide's: Spring Data's Page; see `sandbox.paging`
    for the others), or PagedModel as HAL when HAL was asked for (items under `_embedded.<hal_key>`, each with
    its self link `<collection_url>/<id>`). `filters` are query parameters the page links keep. Items may come
    rendered (a large page from SQLite): the page is assembled as text around them, so it is never a tree of
    Python objects."""
    rendered = [item if isinstance(item, tuple) else (str(item["id"]), _json_text(item)) for item in items]
    total_pages = math.ceil(total / size)
    content = f"[{','.join(text for _, text in rendered)}]"
    if rep == "json" and shape != "hal":
        if shape == "guide":
            pageable = _json_text({"pageNumber": page, "pageSize": size})
            body = f'{{"content":{content},"pageable":{pageable},"totalElements":{total},"totalPages":{total_pages}}}'
        elif shape == "spring-dto":
            page_info = _json_text({"size": size, "number": page, "totalElements": total, "totalPages": total_pages})
            body = f'{{"content":{content},"page":{page_info}}}'
        elif shape == "content-only":
            body = f'{{"content":{content}}}'
        else:
            body = content
        return Response(body.encode(), 200, media_type=JSON_MEDIA)
    parts: list[str] = []
    if rendered:
        # Spring HATEOAS serialises `_embedded` with NON_EMPTY: an empty page has no `_embedded` at all.
        embedded = ",".join(_with_self_link(text, f"{collection_url}/{item_id}") for item_id, text in rendered)
        parts.append(f'"_embedded":{{{_json_text(hal_key)}:[{embedded}]}}')
    parts.append(f'"_links":{_json_text(_page_links(collection_url, page, size, orders, total_pages, filters))}')
    page_info = {"size": size, "totalElements": total, "totalPages": total_pages, "number": page}
    parts.append(f'"page":{_json_text(page_info)}')
    # HAL asked for is HAL's media type; HAL as the JSON shape (`--paging hal`) answers the JSON asked for.
    return Response(f"{{{','.join(parts)}}}".encode(), 200, media_type=HAL_MEDIA if rep == "hal" else JSON_MEDIA)


def _json_text(value: object) -> str:
    """JSON as Starlette's JSONResponse writes it (compact, UTF-8 as is, no NaN)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _with_self_link(item_text: str, href: str) -> str:
    """An item's JSON object text with HAL's `_links.self` as its last member."""
    if not (item_text.startswith("{") and item_text.endswith("}") and len(item_text) > 2):
        raise ValueError("a page item must be a non-empty JSON object")
    return f'{item_text[:-1]},"_links":{{"self":{{"href":{_json_text(href)}}}}}}}'


def _page_links(
    base: str,
    page: int,
    size: int,
    orders: Sequence[tuple[str, bool]],
    total_pages: int,
    filters: Sequence[tuple[str, str]],
) -> dict[str, dict[str, str]]:
    sort = [f"{prop},{'desc' if desc else 'asc'}" for prop, desc in orders]

    def href(number: int) -> dict[str, str]:
        query = urlencode([*filters, ("page", number), ("size", size), *(("sort", s) for s in sort)], safe=",")
        return {"href": f"{base}?{query}"}

    # PagedResourcesAssembler's links: first/last when there is more than one page, prev/next around self.
    has_prev, has_next = page > 0, page + 1 < total_pages
    links: dict[str, dict[str, str]] = {}
    if has_prev or has_next:
        links["first"] = href(0)
    if has_prev:
        links["prev"] = href(page - 1)
    links["self"] = href(page)
    if has_next:
        links["next"] = href(page + 1)
    if has_prev or has_next:
        links["last"] = href(max(total_pages - 1, 0))
    return links


# exception handlers: every error, the router's own included, in the API's error shape ---------------------


def _error_response(exc: ErrorResponse) -> Response:
    return json_response(exc.status, {"error": exc.error, "message": exc.message}, headers=exc.headers)


async def error_response(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ErrorResponse)
    return _error_response(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = ErrorResponse(405, "method_not_allowed", f"Request method '{request.method}' is not supported")
        error.headers.update(exc.headers or {})
    elif exc.status_code == 404:
        # The path is echoed, so a redemption token in it is masked (a body never carries a token string).
        error = ErrorResponse(404, "not_found", f"No endpoint {request.method} {redact_path(request.url.path)[:200]}")
    else:
        error = ErrorResponse(exc.status_code, "error", str(exc.detail))
    return _error_response(error)


async def server_error(_request: Request, _exc: Exception) -> Response:
    return json_response(500, {"error": "internal_error", "message": "Internal server error"})

"""What the sandbox answers: content negotiation, the JSON and HAL bodies, and errors in the guide's shape.

The handlers in `app` decide what to send; this module decides how it looks. (The `Date` header is
stamped by the fault middleware, which can skew it.)
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from frontdoor_mcp.sandbox.schema import CertificateRow, SortProperty

JSON_MEDIA = "application/json"
HAL_MEDIA = "application/hal+json"
HAL_COLLECTION = "clientCertificates"

Representation = Literal["json", "hal"]


class ApiError(Exception):
    """An error response in the guide's shape: `{"error": ..., "message": ...}`."""

    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


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
    raise ApiError(406, "not_acceptable", f"Acceptable representations: {JSON_MEDIA}, {HAL_MEDIA}")


# certificate bodies ----------------------------------------------------------------------------------------


def iso_instant(us: int) -> str:
    """`2024-01-15T10:30:00Z`: second precision, as the guide shows."""
    return datetime.fromtimestamp(us // 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity(row: CertificateRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "frontdoorId": row.frontdoor_id}


def summary_json(row: CertificateRow) -> dict[str, Any]:
    return {**_identity(row), "createdAt": iso_instant(row.created_us), "createdBy": row.created_by}


def detail_json(row: CertificateRow) -> dict[str, Any]:
    return {**summary_json(row), "value": row.value}


def deleted_json(row: CertificateRow) -> dict[str, Any]:
    assert row.deleted_us is not None
    assert row.deleted_by is not None
    return {**_identity(row), "deletedAt": iso_instant(row.deleted_us), "deletedBy": row.deleted_by}


def resource_url(request: Request, frontdoor_id: str, cert_id: str | None = None) -> str:
    root = str(request.base_url).rstrip("/")
    url = f"{root}/frontdoor/{frontdoor_id}/client-certificates"
    return url if cert_id is None else f"{url}/{cert_id}"


def one_response(request: Request, rep: Representation, body: dict[str, Any], status: int = 200) -> Response:
    """One certificate; in HAL with its self link."""
    url = resource_url(request, body["frontdoorId"], body["id"])
    headers: dict[str, str] = {}
    if status == 201:
        # Spring convention for a created resource: its URL in Location.
        headers["Location"] = url
    if rep == "hal":
        return json_response(status, {**body, "_links": {"self": {"href": url}}}, headers=headers, media=HAL_MEDIA)
    return json_response(status, body, headers=headers)


def page_response(
    request: Request,
    rep: Representation,
    frontdoor_id: str,
    rows: list[CertificateRow],
    total: int,
    *,
    page: int,
    size: int,
    orders: list[tuple[SortProperty, bool]],
) -> Response:
    """One page of certificate summaries: Spring Data's Page as JSON, or PagedModel as HAL."""
    items = [summary_json(row) for row in rows]
    total_pages = math.ceil(total / size)
    if rep == "json":
        return json_response(
            200,
            {
                "content": items,
                "pageable": {"pageNumber": page, "pageSize": size},
                "totalElements": total,
                "totalPages": total_pages,
            },
        )
    base = resource_url(request, frontdoor_id)
    body: dict[str, Any] = {}
    if items:
        # Spring HATEOAS serialises `_embedded` with NON_EMPTY: an empty page has no `_embedded` at all.
        embedded = [{**item, "_links": {"self": {"href": f"{base}/{item['id']}"}}} for item in items]
        body["_embedded"] = {HAL_COLLECTION: embedded}
    body["_links"] = _page_links(base, page, size, orders, total_pages)
    body["page"] = {"size": size, "totalElements": total, "totalPages": total_pages, "number": page}
    return json_response(200, body, media=HAL_MEDIA)


def _page_links(
    base: str, page: int, size: int, orders: list[tuple[SortProperty, bool]], total_pages: int
) -> dict[str, dict[str, str]]:
    sort = [f"{prop},{'desc' if desc else 'asc'}" for prop, desc in orders]

    def href(number: int) -> dict[str, str]:
        query = urlencode([("page", number), ("size", size), *(("sort", s) for s in sort)], safe=",")
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


def _error_response(exc: ApiError) -> Response:
    return json_response(exc.status, {"error": exc.error, "message": exc.message}, headers=exc.headers)


async def api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error_response(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = ApiError(405, "method_not_allowed", f"Request method '{request.method}' is not supported")
        error.headers.update(exc.headers or {})
    elif exc.status_code == 404:
        error = ApiError(404, "not_found", f"No endpoint {request.method} {request.url.path[:200]}")
    else:
        error = ApiError(exc.status_code, "error", str(exc.detail))
    return _error_response(error)


async def server_error(_request: Request, _exc: Exception) -> Response:
    return json_response(500, {"error": "internal_error", "message": "Internal server error"})

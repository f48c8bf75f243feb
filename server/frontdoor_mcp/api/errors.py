"""The exception tree of the API client, in the manner of httpx.

    FrontdoorError
    ├── TransportFailure            the request did not get an HTTP answer
    │   ├── ConnectFailure          nothing was sent: safe to try again
    │   ├── TimeoutFailure          sent, no answer in time: the outcome is unknown
    │   └── ConnectionLost          sent, connection dropped before an answer: outcome unknown
    ├── ApiError                    an HTTP answer with a failure status (one class per status that matters)
    │   ├── BadRequest 400, Unauthorized 401, Forbidden 403, NotFound 404, Conflict 409,
    │   ├── RateLimited 429, ServerError 5xx, OtherStatus (anything else)
    ├── UnexpectedResponse          a success status with a body that is not the documented JSON
    └── OutcomeUnknown              a create/update whose outcome could not be established

`error_from_response` is the one factory for `ApiError`. Nothing here holds a request's headers, so an
Authorization header can never reach a message or a repr; the API's own `error`/`message` fields are kept
as data (escaped and capped), never formatted into the exception text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

from frontdoor_mcp.api.text import redact_credentials
from frontdoor_mcp.text import cap_text

MAX_ERROR_FIELD_CHARS: Final = 300


class FrontdoorError(Exception):
    """Base of everything the API client raises."""


class TransportFailure(FrontdoorError):
    """No HTTP answer. `ConnectFailure`: nothing was sent; the others: it may have reached the server."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"{method} {path}: {reason}")


class ConnectFailure(TransportFailure):
    pass


class TimeoutFailure(TransportFailure):
    pass


class ConnectionLost(TransportFailure):
    pass


class ApiError(FrontdoorError):
    """An HTTP failure status. `error` and `message` are the API's documented fields, as data."""

    status_code: int = 0

    def __init__(
        self,
        *,
        status_code: int,
        method: str,
        path: str,
        error: str | None,
        message: str | None,
        retry_after: float | None = None,
        server_date: datetime | None = None,
        content_type: str = "",
    ) -> None:
        self.status_code = status_code
        self.method = method
        self.path = path
        self.error = error
        self.message = message
        self.retry_after = retry_after
        self.server_date = server_date
        self.content_type = content_type
        self.after_lost_answer = False
        """Set when an earlier attempt of this (idempotent) request was sent and its answer lost: a 404 to a
        repeated DELETE then means the first attempt did the delete."""
        super().__init__(f"{method} {path} answered HTTP {status_code}")  # `error` is data: see the module doc


class BadRequest(ApiError):
    status_code = 400


class Unauthorized(ApiError):
    status_code = 401


class Forbidden(ApiError):
    status_code = 403


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class RateLimited(ApiError):
    status_code = 429


class ServerError(ApiError):
    """Any 5xx."""


class OtherStatus(ApiError):
    """A failure status the guide does not document."""


class UnexpectedResponse(FrontdoorError):
    """A body that is not the documented JSON (an HTML page, a truncated or malformed body)."""

    def __init__(self, method: str, path: str, status_code: int, reason: str) -> None:
        self.method = method
        self.path = path
        self.status_code = status_code
        self.reason = reason
        super().__init__(f"{method} {path} answered HTTP {status_code} with {reason}")


class OutcomeUnknown(FrontdoorError):
    """A write was sent, no answer came back, and looking afterwards did not settle what happened."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"{method} {path}: outcome unknown ({reason})")


_STATUS_CLASSES: Final[dict[int, type[ApiError]]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait, from either form RFC 9110 allows (delta-seconds or an HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if now is None:
        now = datetime.now(when.tzinfo)
    return max(0.0, (when - now).total_seconds())


def parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _error_fields(body: bytes, content_type: str, secrets: Iterable[str]) -> tuple[str | None, str | None]:
    if "json" not in content_type:
        return None, None
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    fields: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
    error, message = fields.get("error"), fields.get("message")
    # A gateway or a debugging backend may echo the request's headers into these fields: redact before keeping.
    return (
        cap_text(redact_credentials(error, secrets), MAX_ERROR_FIELD_CHARS) if isinstance(error, str) else None,
        cap_text(redact_credentials(message, secrets), MAX_ERROR_FIELD_CHARS) if isinstance(message, str) else None,
    )


def error_from_response(
    *,
    status_code: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    secrets: Iterable[str] = (),
) -> ApiError:
    """The one factory: an `ApiError` of the class that matches the status, with the documented fields.
    `secrets` are the credential's values, removed from those fields should the API echo them."""
    content_type = headers.get("content-type", "").lower()
    error, message = _error_fields(body, content_type, secrets)
    if status_code in _STATUS_CLASSES:
        cls = _STATUS_CLASSES[status_code]
    elif 500 <= status_code <= 599:
        cls = ServerError
    else:
        cls = OtherStatus
    return cls(
        status_code=status_code,
        method=method,
        path=path,
        error=error,
        message=message,
        retry_after=parse_retry_after(headers.get("retry-after")),
        server_date=parse_http_date(headers.get("date")),
        content_type=content_type.split(";", 1)[0].strip(),
    )

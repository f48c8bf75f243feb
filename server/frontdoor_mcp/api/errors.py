"""The exception tree of the API client, in the manner of httpx.

    FrontdoorError                  every failure carries the `ApiCall` it happened in (method, path, ids)
    ├── NoCredential                no credential is configured: nothing was sent
    ├── TransportFailure            the request did not get an HTTP answer
    │   ├── ConnectFailure          nothing was sent: safe to try again
    │   ├── TimeoutFailure          sent, no answer in time: the outcome is unknown
    │   └── ConnectionLost          sent, connection dropped before an answer: outcome unknown
    ├── ApiError                    an HTTP answer with a failure status (one class per status that matters)
    │   ├── BadRequest 400, Unauthorized 401, Forbidden 403, NotFound 404, Conflict 409, Gone 410,
    │   ├── RateLimited 429, ServerError 5xx, OtherStatus (anything else)
    ├── UnexpectedResponse          a success status with a body that is not the documented JSON
    └── OutcomeUnknown              a create/update whose outcome could not be established

`error_from_response` is the one factory for `ApiError`. Nothing here holds a request's headers, so an
Authorization header can never reach a message or a repr; the API's own `error`/`message` fields are kept
as data (redacted, escaped and capped), never formatted into the exception text. An `ApiCall`'s path is the
loggable one: a secret in a URL (a request token being redeemed) is masked in it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final, Literal

from frontdoor_mcp.redaction import redact
from frontdoor_mcp.text import cap_text

MAX_ERROR_FIELD_CHARS: Final = 300

Resource = Literal["certificate", "token", "share", "frontdoor", "redemption"]


@dataclass(frozen=True)
class ApiCall:
    """What a request was about: enough for a message to say "certificate X of frontdoor Y", never a secret."""

    method: str
    path: str
    frontdoor_id: str | None = None
    resource: Resource | None = None
    resource_id: str | None = None


class FrontdoorError(Exception):
    """Base of everything the API client raises. `call` is None only for failures outside a request."""

    def __init__(self, call: ApiCall | None, text: str) -> None:
        self.call = call
        super().__init__(f"{call.method} {call.path}: {text}" if call is not None else text)

    @property
    def method(self) -> str:
        return self.call.method if self.call is not None else ""

    @property
    def path(self) -> str:
        return self.call.path if self.call is not None else ""

    @property
    def frontdoor_id(self) -> str | None:
        return self.call.frontdoor_id if self.call is not None else None

    @property
    def resource_id(self) -> str | None:
        return self.call.resource_id if self.call is not None else None


class NoCredential(FrontdoorError):
    """An authenticated call with no credential configured: refused locally, nothing sent."""

    def __init__(self, call: ApiCall) -> None:
        super().__init__(call, "no credential is configured")


class TransportFailure(FrontdoorError):
    """No HTTP answer. `ConnectFailure`: nothing was sent; the others: it may have reached the server."""

    def __init__(self, call: ApiCall, reason: str) -> None:
        self.reason = reason
        super().__init__(call, reason)


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
        call: ApiCall,
        *,
        status_code: int,
        error: str | None,
        message: str | None,
        retry_after: float | None = None,
        server_date: datetime | None = None,
        content_type: str = "",
    ) -> None:
        self.status_code = status_code
        self.error = error
        self.message = message
        self.retry_after = retry_after
        self.server_date = server_date
        self.content_type = content_type
        self.after_lost_answer = False
        """Set when an earlier attempt of this (idempotent) request was sent and its answer lost: a 404 to a
        repeated DELETE then means the first attempt did the delete."""
        super().__init__(call, f"answered HTTP {status_code}")  # `error` is data: see the module doc


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


class Gone(ApiError):
    status_code = 410


class RateLimited(ApiError):
    status_code = 429


class ServerError(ApiError):
    """Any 5xx."""


class OtherStatus(ApiError):
    """A failure status the guide does not document."""


class UnexpectedResponse(FrontdoorError):
    """A body that is not the documented JSON (an HTML page, a truncated or malformed body)."""

    def __init__(self, call: ApiCall, status_code: int, reason: str) -> None:
        self.status_code = status_code
        self.reason = reason
        super().__init__(call, f"answered HTTP {status_code} with {reason}")


class OutcomeUnknown(FrontdoorError):
    """A write was sent, no answer came back, and looking afterwards did not settle what happened."""

    def __init__(self, call: ApiCall, reason: str) -> None:
        self.reason = reason
        super().__init__(call, f"outcome unknown ({reason})")


_STATUS_CLASSES: Final[dict[int, type[ApiError]]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
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
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    fields: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
    error, message = fields.get("error"), fields.get("message")
    # A gateway or a debugging backend may echo the request's headers into these fields: redact before keeping.
    return (
        cap_text(redact(error, secrets), MAX_ERROR_FIELD_CHARS) if isinstance(error, str) else None,
        cap_text(redact(message, secrets), MAX_ERROR_FIELD_CHARS) if isinstance(message, str) else None,
    )


def error_from_response(
    call: ApiCall,
    *,
    status_code: int,
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
        call,
        status_code=status_code,
        error=error,
        message=message,
        retry_after=parse_retry_after(headers.get("retry-after")),
        server_date=parse_http_date(headers.get("date")),
        content_type=content_type.split(";", 1)[0].strip(),
    )

"""One request to the Frontdoor API and its answer: the connection pool, the URL guard, retries of the
idempotent methods, capped bodies, and failures turned into the exception tree."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypedDict
from urllib.parse import urlsplit

import anyio
import httpx2

from frontdoor_mcp import __version__
from frontdoor_mcp.api.auth import Credential
from frontdoor_mcp.api.concurrency import MAX_CONCURRENCY, AnswerObserver
from frontdoor_mcp.api.errors import (
    ApiCall,
    ConnectFailure,
    ConnectionLost,
    FrontdoorError,
    NoCredential,
    TimeoutFailure,
    TransportFailure,
    UnexpectedResponse,
    error_from_response,
    parse_http_date,
)
from frontdoor_mcp.api.retry import IDEMPOTENT_METHODS, RETRYABLE_STATUSES, RetryPolicy
from frontdoor_mcp.redaction import redact_records_of
from frontdoor_mcp.rules import API_CONNECT_TIMEOUT_S, API_TIMEOUT_S

MAX_BODY_BYTES: Final = 8 * 1024 * 1024
"""Larger answers are refused rather than read: a page of 2,000 items is well under 1 MiB."""

DEFAULT_TIMEOUT: Final = httpx2.Timeout(API_TIMEOUT_S, connect=API_CONNECT_TIMEOUT_S)

_TRANSPORT_FAILURES: Final[tuple[tuple[type[Exception], type[TransportFailure], str, str], ...]] = (
    # (what httpx2 raised, what it means, the reason while sending, the reason while reading the answer).
    # Order matters: the first matching row wins, and ConnectTimeout is also a TimeoutException.
    (httpx2.ConnectTimeout, ConnectFailure, "the connection timed out", "the connection timed out"),
    (
        httpx2.TimeoutException,
        TimeoutFailure,
        "no answer within the timeout",
        "the answer stopped arriving within the timeout",
    ),
    (
        httpx2.ConnectError,
        ConnectFailure,
        "the connection was refused or the host is unreachable",
        "the connection was refused or the host is unreachable",
    ),
    (
        httpx2.RemoteProtocolError,
        ConnectionLost,
        "the connection closed before an answer arrived",
        "the connection closed while the answer arrived",
    ),
    (
        httpx2.ReadError,
        ConnectionLost,
        "the connection closed before an answer arrived",
        "the connection closed while the answer arrived",
    ),
    (
        httpx2.WriteError,
        ConnectionLost,
        "the connection closed before an answer arrived",
        "the connection closed while the answer arrived",
    ),
    (httpx2.TransportError, TransportFailure, "transport failure", "transport failure"),
)
"""The one mapping from httpx2's transport exceptions to ours. A ConnectFailure means nothing was sent."""


def transport_failure(exc: Exception, call: ApiCall, *, reading: bool) -> TransportFailure | None:
    """Our exception for an httpx2 transport exception, or None when it is not one."""
    for raised, failure, while_sending, while_reading in _TRANSPORT_FAILURES:
        if isinstance(exc, raised):
            reason = while_reading if reading else while_sending
            if failure is TransportFailure:
                reason = f"{reason} ({type(exc).__name__})"
            return failure(call, reason)
    return None


_log = logging.getLogger("frontdoor_mcp.api.client")

# httpx2 logs every request's URL at INFO, and a token being redeemed travels in one: the records are cleaned
# where they are made, whatever handler reads them.
redact_records_of("httpx2", "httpcore2.connection", "httpcore2.http11", "httpcore2.http2", "httpcore2.proxy")


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback IP literal. A name that merely starts with "127." (`127.0.0.1.nip.io`) is
    resolved by DNS and may point anywhere, so it is not loopback."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def validate_api_url(url: str) -> str:
    """https only; plain http only for a loopback host (the sandbox). No query, fragment or credentials."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("FRONTDOOR_API_URL must be an absolute https:// URL")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ValueError("FRONTDOOR_API_URL must use https:// (plain http is allowed only for a loopback host)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("FRONTDOOR_API_URL must not carry credentials, a query or a fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@dataclass(frozen=True)
class JsonAnswer:
    """A success answer whose JSON body is still bytes: a caller may validate it straight into a model, or
    `decoded()` it, with the same checks and failures as `ApiHttp.call`."""

    call: ApiCall
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def plain_json(self) -> bool:
        """Whether the body may be read as JSON as it is (not an HTML page, not a bodiless DELETE answer):
        when not, `decoded()` says what it is."""
        return "html" not in self.headers.get("content-type", "").lower() and (
            self.call.method != "DELETE" or bool(self.body.strip())
        )

    def decoded(self) -> Any:
        return _decode_json(self.call, self.status, self.headers, self.body)


class HttpOptions(TypedDict, total=False):
    """How requests are sent; tests replace the network (`transport`) and the waiting (`sleep`)."""

    transport: httpx2.AsyncBaseTransport | None
    timeout: httpx2.Timeout
    retry: RetryPolicy | None
    sleep: Callable[[float], Awaitable[None]]
    accept: str


class ApiHttp:
    """The shared connection pool to one API base. Paths are given by the caller, built from validated ids;
    `url` refuses anything that would leave the configured host and base path."""

    def __init__(
        self,
        base_url: str,
        credential: Credential | None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: httpx2.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        accept: str = "application/json",
    ) -> None:
        self.base_url = validate_api_url(base_url)
        self.credential = credential
        self._base = urlsplit(self.base_url)
        self.base_path = self._base.path
        # The host as it goes on the wire (IDNA-encoded), parsed the same way as every request's URL, so the
        # "stay on the configured host" check compares like with like for `xn--` and non-ASCII hosts alike.
        self._base_raw_host = httpx2.URL(self.base_url).raw_host
        self._retry = retry or RetryPolicy()
        self.last_server_date: datetime | None = None
        """The Date header of the latest answer, for clock-skew diagnosis."""
        self._sleep = sleep
        self._transport = transport
        self._timeout = timeout
        self._accept = accept
        self._http: httpx2.AsyncClient | None = None

    def _pool(self) -> httpx2.AsyncClient:
        """The shared connection pool, made on first use: building it (TLS context included) costs ~0.1 s,
        which a server should not spend before it has answered `initialize`."""
        if self._http is None:
            self._http = httpx2.AsyncClient(
                auth=self.credential,
                transport=self._transport,
                timeout=self._timeout,
                follow_redirects=False,
                headers={"User-Agent": f"frontdoor-mcp/{__version__}", "Accept": self._accept},
                trust_env=False,
                # As many kept-alive connections as requests may be in flight: with fewer (httpx2 keeps 20), the
                # rest are closed after each answer and opened again for the next request.
                limits=httpx2.Limits(max_connections=100, max_keepalive_connections=MAX_CONCURRENCY),
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> ApiHttp:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def url(self, path: str) -> httpx2.URL:
        url = httpx2.URL(f"{self._base.scheme}://{self._base.netloc}{path}")
        # Belt and braces: whatever the ids were, the request stays on the configured host and base path.
        if url.raw_host != self._base_raw_host or not url.path.startswith(self._base.path + "/"):
            raise FrontdoorError(None, "refused to send a request outside the configured API base")
        return url

    async def call(
        self,
        call: ApiCall,
        *,
        url_path: str | None = None,
        params: Mapping[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        authenticated: bool = True,
        observe: AnswerObserver | None = None,
    ) -> tuple[int, Any]:
        """Send, retrying idempotent methods on transient failures; return the status and the decoded JSON
        body (None for an empty answer to a DELETE). `url_path` is the real path when `call.path` is a masked
        one (a secret in the URL). `authenticated=False` sends no credentials at all (token redemption).
        `observe` is told of every answer, retried ones included."""
        answer = await self.call_for_json(
            call, url_path=url_path, params=params, json_body=json_body, authenticated=authenticated, observe=observe
        )
        return answer.status, answer.decoded()

    async def call_for_json(
        self,
        call: ApiCall,
        *,
        url_path: str | None = None,
        params: Mapping[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        authenticated: bool = True,
        observe: AnswerObserver | None = None,
    ) -> JsonAnswer:
        """`call`, leaving the success answer's body undecoded: a large list page is validated from its bytes
        into models directly, without a dict of every item on the way."""
        if authenticated and self.credential is None:
            raise NoCredential(call)
        url = self.url(url_path or call.path)
        attempt = 0
        answer_lost = False
        while True:
            attempt += 1
            try:
                status, headers, body = await self._send_once(call, url, params, json_body, authenticated)
            except (ConnectFailure, ConnectionLost) as failure:
                delay = self._retry.delay_for(attempt, None) if call.method in IDEMPOTENT_METHODS else None
                if delay is None:
                    raise
                answer_lost = answer_lost or isinstance(failure, ConnectionLost)
                await self._sleep(delay)
                continue
            if status < 400 and observe is not None:
                observe(status, None)
            if status < 300:
                return JsonAnswer(call, status, headers, body)
            if status < 400:
                raise UnexpectedResponse(call, status, "a redirect, which is not followed")
            error = error_from_response(
                call,
                status_code=status,
                headers=headers,
                body=body,
                secrets=self.credential.secret_values() if self.credential is not None else (),
            )
            error.after_lost_answer = answer_lost
            if observe is not None:
                observe(status, error.retry_after)
            delay = None
            if call.method in IDEMPOTENT_METHODS and status in RETRYABLE_STATUSES:
                delay = self._retry.delay_for(attempt, error.retry_after)
            if delay is None:
                raise error
            await self._sleep(delay)

    async def _send_once(
        self,
        call: ApiCall,
        url: httpx2.URL,
        params: Mapping[str, str] | None,
        json_body: dict[str, Any] | None,
        authenticated: bool,
    ) -> tuple[int, dict[str, str], bytes]:
        pool = self._pool()
        request = pool.build_request(call.method, url, params=params, json=json_body)
        started = time.perf_counter()
        try:
            if authenticated:
                response = await pool.send(request, stream=True)
            else:
                response = await pool.send(request, stream=True, auth=None)
        except Exception as exc:
            failure = transport_failure(exc, call, reading=False)
            if failure is None:
                raise
            raise failure from None
        try:
            body = await _read_capped(response)
        except _BodyTooLarge:
            raise UnexpectedResponse(call, response.status_code, "an answer larger than allowed") from None
        except Exception as exc:
            failure = transport_failure(exc, call, reading=True)
            if failure is None:
                raise
            raise failure from None
        finally:
            await response.aclose()
        # The method, the (masked) path and the status only: never a header, a query or a body.
        elapsed_ms = (time.perf_counter() - started) * 1000
        _log.debug("%s %s -> %d (%.0f ms)", call.method, call.path, response.status_code, elapsed_ms)
        headers = {key.lower(): value for key, value in response.headers.items()}
        self.last_server_date = parse_http_date(headers.get("date")) or self.last_server_date
        return response.status_code, headers, body


class _BodyTooLarge(Exception):
    pass


async def _read_capped(response: httpx2.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _decode_json(call: ApiCall, status: int, headers: Mapping[str, str], body: bytes) -> Any:
    if call.method == "DELETE" and not body.strip():
        return None  # 204 No Content is a normal answer to a DELETE, though the guide shows a body
    content_type = headers.get("content-type", "").lower()
    if "html" in content_type:
        raise UnexpectedResponse(call, status, "an HTML page instead of JSON")
    try:
        return json.loads(body)
    except RecursionError:
        raise UnexpectedResponse(call, status, "JSON nested too deeply to be the documented shape") from None
    except (ValueError, UnicodeDecodeError):
        reason = "an empty body" if not body.strip() else "a body that is not valid JSON"
        raise UnexpectedResponse(call, status, reason) from None

"""The async client of the six client-certificates operations, plus a concurrent walk of every page."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, TypeVar
from urllib.parse import quote, urlsplit

import anyio
import httpx2
from pydantic import ValidationError

from frontdoor_mcp import __version__
from frontdoor_mcp.api.auth import Credential
from frontdoor_mcp.api.errors import (
    ConnectFailure,
    ConnectionLost,
    FrontdoorError,
    OutcomeUnknown,
    ServerError,
    TimeoutFailure,
    TransportFailure,
    UnexpectedResponse,
    error_from_response,
    parse_http_date,
)
from frontdoor_mcp.api.ids import validate_certificate_id, validate_frontdoor_id
from frontdoor_mcp.api.models import (
    Certificate,
    CertificatePage,
    CertificateSummary,
    CreatedCertificate,
    DeletedCertificate,
)
from frontdoor_mcp.api.retry import IDEMPOTENT_METHODS, RETRYABLE_STATUSES, RetryPolicy

SortOrder = Literal["name,asc", "name,desc", "createdAt,asc", "createdAt,desc"]

MAX_BODY_BYTES: Final = 8 * 1024 * 1024
"""Larger answers are refused rather than read: a page of 2,000 items is well under 1 MiB."""

DEFAULT_TIMEOUT: Final = httpx2.Timeout(31.0, connect=5.0)
"""The gateway waits about 30 s for a backend; NetFoundry's own client reads for 31 s."""

ALL_PAGES_SIZE: Final = 100
ALL_PAGES_CONCURRENCY: Final = 16
"""Pages in flight at once during a walk: enough to hide latency (measured: 16 beats 8 by a third at 50 ms),
few enough to stay a polite client; a 429 is retried with backoff anyway."""
RECOVERY_WINDOW: Final = timedelta(minutes=5)
"""How far around a lost create to look for the certificate it may have made (covers modest clock skew)."""
RECOVERY_PAGE_SIZE: Final = 50
"""How many of the newest certificates are read before a create, and looked through after a lost answer."""

ProgressCallback = Callable[[int, int], Awaitable[None]]
_log = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Created:
    """A create's answer; `recovered` when the connection was lost and the certificate was found afterwards."""

    certificate: CreatedCertificate
    recovered: bool = False


@dataclass(frozen=True)
class Updated:
    certificate: Certificate
    recovered: bool = False


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


class FrontdoorClient:
    """One shared HTTP connection pool to the Frontdoor API. Every path is built from validated ids."""

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
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> FrontdoorClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # The six operations -------------------------------------------------------------------------------

    async def list_certificates(
        self, frontdoor_id: str, *, page: int = 0, size: int = 20, sort: SortOrder | None = None
    ) -> CertificatePage:
        params: dict[str, str] = {"page": str(page), "size": str(size)}
        if sort is not None:
            params["sort"] = sort
        status, body = await self._call("GET", self._collection(frontdoor_id), params=params)
        return _parse(status, body, CertificatePage.from_wire, "GET", self._collection(frontdoor_id), "list")

    async def get_certificate(self, frontdoor_id: str, certificate_id: str) -> Certificate:
        path = self._item(frontdoor_id, certificate_id)
        status, body = await self._call("GET", path)
        return _parse(status, body, Certificate.model_validate, "GET", path, "certificate")

    async def create_certificate(self, frontdoor_id: str, name: str, value: str) -> Created:
        """POST once. If the answer is lost after the request may have arrived, look for a certificate of
        that name that was not there before: nothing is lost and nothing is duplicated."""
        path = self._collection(frontdoor_id)
        # What exists just before: without it, a certificate of the same name made a moment earlier (the
        # user's previous attempt) would be taken for this one after a lost answer, reporting a create that
        # never happened.
        before = await self._newest(frontdoor_id)
        started = datetime.now(UTC)
        try:
            status, body = await self._call("POST", path, json_body={"name": name, "value": value})
            # Parsed inside the try: a 2xx whose body is in an undocumented shape still means the POST was
            # applied, so it is an unknown outcome to look into, never a failure to "try again" (a duplicate).
            return Created(_parse(status, body, CreatedCertificate.model_validate, "POST", path, "created certificate"))
        except (TimeoutFailure, ConnectionLost, UnexpectedResponse, ServerError) as failure:
            if not _outcome_unknown(failure):
                raise
            found = await self._find_new_by_name(frontdoor_id, name, started, {item.id for item in before})
            if found is None:
                raise OutcomeUnknown(
                    "POST", path, f"{_failure_reason(failure)}, and checking afterwards failed"
                ) from failure
            if len(found) != 1:
                seen = "no certificate" if not found else f"{len(found)} certificates (which one is this call's?)"
                raise OutcomeUnknown(
                    "POST", path, f"{_failure_reason(failure)}; {seen} named like this appeared afterwards"
                ) from failure
            return Created(found[0], recovered=True)

    async def patch_certificate(
        self, frontdoor_id: str, certificate_id: str, *, name: str | None = None, value: str | None = None
    ) -> Updated:
        """PATCH once with only the fields given. After a lost answer, read the certificate back: if it
        already has the fields asked for, the change happened."""
        path = self._item(frontdoor_id, certificate_id)
        fields = {key: val for key, val in (("name", name), ("value", value)) if val is not None}
        try:
            status, body = await self._call("PATCH", path, json_body=fields)
        except (TimeoutFailure, ConnectionLost, UnexpectedResponse, ServerError) as failure:
            if not _outcome_unknown(failure):
                raise
            try:
                current = await self.get_certificate(frontdoor_id, certificate_id)
            except FrontdoorError:
                # The PATCH was sent: a failed read-back (even "nothing was sent" of the GET) settles nothing.
                raise OutcomeUnknown(
                    "PATCH", path, f"{_failure_reason(failure)}, and checking afterwards failed"
                ) from failure
            if name is not None and current.name != name:
                raise OutcomeUnknown("PATCH", path, _failure_reason(failure)) from failure
            if value is not None and (current.value or "").strip() != value.strip():
                raise OutcomeUnknown("PATCH", path, _failure_reason(failure)) from failure
            return Updated(current, recovered=True)
        return Updated(_parse(status, body, Certificate.model_validate, "PATCH", path, "certificate"))

    async def put_certificate(self, frontdoor_id: str, certificate_id: str, *, name: str, value: str) -> Certificate:
        path = self._item(frontdoor_id, certificate_id)
        status, body = await self._call("PUT", path, json_body={"name": name, "value": value})
        return _parse(status, body, Certificate.model_validate, "PUT", path, "certificate")

    async def delete_certificate(self, frontdoor_id: str, certificate_id: str) -> DeletedCertificate:
        path = self._item(frontdoor_id, certificate_id)
        status, body = await self._call("DELETE", path)
        if body is None:  # 204 No Content (or an empty 2xx): deleted, and the answer names only what was asked
            wire = {"id": validate_certificate_id(certificate_id), "frontdoorId": validate_frontdoor_id(frontdoor_id)}
            return DeletedCertificate.model_validate(wire)
        return _parse(status, body, DeletedCertificate.model_validate, "DELETE", path, "deleted certificate")

    async def list_all_certificates(
        self,
        frontdoor_id: str,
        *,
        sort: SortOrder | None = None,
        page_size: int = ALL_PAGES_SIZE,
        concurrency: int = ALL_PAGES_CONCURRENCY,
        max_items: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> tuple[list[CertificateSummary], int]:
        """Every item, and the total the API reported. The first page gives the total; the rest are fetched
        concurrently (bounded) and put back in page order. An item seen twice (the list shifted during the
        walk) is kept once."""
        first = await self.list_certificates(frontdoor_id, page=0, size=page_size, sort=sort)
        total_pages = first.total_pages
        if max_items is not None:
            total_pages = min(total_pages, -(-max_items // page_size))
        pages: dict[int, list[CertificateSummary]] = {0: first.items}
        done = 1
        if on_progress is not None:
            await on_progress(done, max(total_pages, 1))
        limiter = anyio.CapacityLimiter(concurrency)

        async def fetch(number: int) -> None:
            nonlocal done
            async with limiter:
                page = await self.list_certificates(frontdoor_id, page=number, size=page_size, sort=sort)
            pages[number] = page.items
            done += 1
            if on_progress is not None:
                await on_progress(done, total_pages)

        try:
            async with anyio.create_task_group() as group:
                for number in range(1, total_pages):
                    group.start_soon(fetch, number)
        except* FrontdoorError as failures:
            # A page's failure leaves the task group wrapped in an ExceptionGroup, which callers (they handle
            # FrontdoorError) would take for a crash: raise the first as itself. Any other exception in the
            # group is not matched here and still propagates.
            raise failures.exceptions[0] from None

        seen: set[str] = set()
        items: list[CertificateSummary] = []
        for number in sorted(pages):
            for item in pages[number]:
                if item.id not in seen:
                    seen.add(item.id)
                    items.append(item)
        if max_items is not None:
            items = items[:max_items]
        return items, first.total_elements

    # Paths --------------------------------------------------------------------------------------------

    def _collection(self, frontdoor_id: str) -> str:
        return f"{self._base.path}/{quote(validate_frontdoor_id(frontdoor_id), safe='')}/client-certificates"

    def _item(self, frontdoor_id: str, certificate_id: str) -> str:
        certificate = quote(validate_certificate_id(certificate_id), safe="")
        return f"{self._collection(frontdoor_id)}/{certificate}"

    def _url(self, path: str) -> httpx2.URL:
        url = httpx2.URL(f"{self._base.scheme}://{self._base.netloc}{path}")
        # Belt and braces: whatever the ids were, the request stays on the configured host and base path.
        if url.raw_host != self._base_raw_host or not url.path.startswith(self._base.path + "/"):
            raise FrontdoorError("refused to send a request outside the configured API base")
        return url

    # Sending ------------------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """Send, retrying idempotent methods on transient failures; return the status and the decoded JSON
        body (None for an empty answer to a DELETE)."""
        url = self._url(path)
        attempt = 0
        answer_lost = False
        while True:
            attempt += 1
            try:
                status, headers, body = await self._send_once(method, url, path, params, json_body)
            except (ConnectFailure, ConnectionLost) as failure:
                delay = self._retry.delay_for(attempt, None) if method in IDEMPOTENT_METHODS else None
                if delay is None:
                    raise
                answer_lost = answer_lost or isinstance(failure, ConnectionLost)
                await self._sleep(delay)
                continue
            if status < 300:
                return status, _decode_json(method, path, status, headers, body)
            if status < 400:
                raise UnexpectedResponse(method, path, status, "a redirect, which is not followed")
            error = error_from_response(
                status_code=status,
                method=method,
                path=path,
                headers=headers,
                body=body,
                secrets=self.credential.secret_values() if self.credential is not None else (),
            )
            error.after_lost_answer = answer_lost
            delay = None
            if method in IDEMPOTENT_METHODS and status in RETRYABLE_STATUSES:
                delay = self._retry.delay_for(attempt, error.retry_after)
            if delay is None:
                raise error
            await self._sleep(delay)

    async def _send_once(
        self,
        method: str,
        url: httpx2.URL,
        path: str,
        params: Mapping[str, str] | None,
        json_body: dict[str, Any] | None,
    ) -> tuple[int, dict[str, str], bytes]:
        pool = self._pool()
        request = pool.build_request(method, url, params=params, json=json_body)
        started = time.perf_counter()
        try:
            response = await pool.send(request, stream=True)
        except httpx2.ConnectTimeout:
            raise ConnectFailure(method, path, "the connection timed out") from None
        except httpx2.TimeoutException:
            raise TimeoutFailure(method, path, "no answer within the timeout") from None
        except httpx2.ConnectError:
            raise ConnectFailure(method, path, "the connection was refused or the host is unreachable") from None
        except (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError):
            raise ConnectionLost(method, path, "the connection closed before an answer arrived") from None
        except httpx2.TransportError as exc:
            raise TransportFailure(method, path, f"transport failure ({type(exc).__name__})") from None
        try:
            body = await _read_capped(response)
        except httpx2.TimeoutException:
            raise TimeoutFailure(method, path, "the answer stopped arriving within the timeout") from None
        except (httpx2.RemoteProtocolError, httpx2.ReadError):
            raise ConnectionLost(method, path, "the connection closed while the answer arrived") from None
        except _BodyTooLarge:
            raise UnexpectedResponse(method, path, response.status_code, "an answer larger than allowed") from None
        finally:
            await response.aclose()
        # The method, path and status only: never a header, a query or a body.
        _log.debug("%s %s -> %d (%.0f ms)", method, path, response.status_code, (time.perf_counter() - started) * 1000)
        headers = {key.lower(): value for key, value in response.headers.items()}
        self.last_server_date = parse_http_date(headers.get("date")) or self.last_server_date
        return response.status_code, headers, body

    async def _newest(self, frontdoor_id: str) -> list[CertificateSummary]:
        page = await self.list_certificates(frontdoor_id, page=0, size=RECOVERY_PAGE_SIZE, sort="createdAt,desc")
        return page.items

    async def _find_new_by_name(
        self, frontdoor_id: str, name: str, started: datetime, known: set[str]
    ) -> list[CreatedCertificate] | None:
        """The certificates named `name`, created around `started`, that were not among the `known` ids;
        None when the look itself failed (which says nothing about whether the create happened)."""
        try:
            newest = await self._newest(frontdoor_id)
        except FrontdoorError:
            return None
        found: list[CreatedCertificate] = []
        for item in newest:
            created = item.created_at
            if item.name != name or item.id in known or created is None:
                continue
            if created.tzinfo is None:
                created = created.replace(tzinfo=UTC)
            if abs(created - started) <= RECOVERY_WINDOW:
                found.append(CreatedCertificate.model_validate(item.model_dump(by_alias=True)))
        return found


class _BodyTooLarge(Exception):
    pass


def _outcome_unknown(failure: FrontdoorError) -> bool:
    """Whether a POST or PATCH that failed this way may still have been applied."""
    if isinstance(failure, UnexpectedResponse):
        return failure.status_code < 300  # a success status whose body could not be read
    if isinstance(failure, ServerError):
        # Any 5xx, not only a gateway's 502/504: a backend can commit the write and then fail (a 500 while
        # serialising the answer), so nothing in a 5xx says the write did not happen. Look before reporting.
        return 500 <= failure.status_code <= 599
    return isinstance(failure, TimeoutFailure | ConnectionLost)


def _failure_reason(failure: FrontdoorError) -> str:
    if isinstance(failure, TransportFailure | UnexpectedResponse):
        return failure.reason
    if isinstance(failure, ServerError):
        return f"the API answered HTTP {failure.status_code}"
    return "the answer was lost"


async def _read_capped(response: httpx2.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _decode_json(method: str, path: str, status: int, headers: Mapping[str, str], body: bytes) -> Any:
    if method == "DELETE" and not body.strip():
        return None  # 204 No Content is a normal answer to a DELETE, though the guide shows a body
    content_type = headers.get("content-type", "").lower()
    if "html" in content_type:
        raise UnexpectedResponse(method, path, status, "an HTML page instead of JSON")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        reason = "an empty body" if not body.strip() else "a body that is not valid JSON"
        raise UnexpectedResponse(method, path, status, reason) from None


def _parse(status: int, data: Any, parse: Callable[[Any], _T], method: str, path: str, what: str) -> _T:
    try:
        return parse(data)
    except (ValidationError, ValueError, TypeError):
        raise UnexpectedResponse(method, path, status, f"a {what} in an undocumented shape") from None

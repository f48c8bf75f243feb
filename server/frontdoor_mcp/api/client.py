"""The async client of the six client-certificates operations, plus a concurrent walk of every page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, TypeVar, Unpack
from urllib.parse import quote

import anyio
from pydantic import ValidationError

from frontdoor_mcp.api.auth import Credential
from frontdoor_mcp.api.errors import (
    ConnectionLost,
    FrontdoorError,
    OutcomeUnknown,
    ServerError,
    TimeoutFailure,
    TransportFailure,
    UnexpectedResponse,
)
from frontdoor_mcp.api.http import ApiHttp, HttpOptions
from frontdoor_mcp.api.ids import validate_certificate_id, validate_frontdoor_id
from frontdoor_mcp.api.models import (
    Certificate,
    CertificatePage,
    CertificateSummary,
    CreatedCertificate,
    DeletedCertificate,
)

SortOrder = Literal["name,asc", "name,desc", "createdAt,asc", "createdAt,desc"]

ALL_PAGES_SIZE: Final = 100
ALL_PAGES_CONCURRENCY: Final = 16
"""Pages in flight at once during a walk: enough to hide latency (measured: 16 beats 8 by a third at 50 ms),
few enough to stay a polite client; a 429 is retried with backoff anyway."""
RECOVERY_WINDOW: Final = timedelta(minutes=5)
"""How far around a lost create to look for the certificate it may have made (covers modest clock skew)."""
RECOVERY_PAGE_SIZE: Final = 50
"""How many of the newest certificates are read before a create, and looked through after a lost answer."""

ProgressCallback = Callable[[int, int], Awaitable[None]]
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


class FrontdoorClient:
    """The operations of the API. Every path is built from validated ids; `ApiHttp` sends it."""

    def __init__(self, base_url: str, credential: Credential | None, **options: Unpack[HttpOptions]) -> None:
        self._http = ApiHttp(base_url, credential, **options)
        self.base_url = self._http.base_url
        self.credential = credential

    @property
    def last_server_date(self) -> datetime | None:
        """The Date header of the latest answer, for clock-skew diagnosis."""
        return self._http.last_server_date

    async def aclose(self) -> None:
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
        status, body = await self._http.call("GET", self._collection(frontdoor_id), params=params)
        return _parse(status, body, CertificatePage.from_wire, "GET", self._collection(frontdoor_id), "list")

    async def get_certificate(self, frontdoor_id: str, certificate_id: str) -> Certificate:
        path = self._item(frontdoor_id, certificate_id)
        status, body = await self._http.call("GET", path)
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
            status, body = await self._http.call("POST", path, json_body={"name": name, "value": value})
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
            status, body = await self._http.call("PATCH", path, json_body=fields)
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
        status, body = await self._http.call("PUT", path, json_body={"name": name, "value": value})
        return _parse(status, body, Certificate.model_validate, "PUT", path, "certificate")

    async def delete_certificate(self, frontdoor_id: str, certificate_id: str) -> DeletedCertificate:
        path = self._item(frontdoor_id, certificate_id)
        status, body = await self._http.call("DELETE", path)
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
        return f"{self._http.base_path}/{quote(validate_frontdoor_id(frontdoor_id), safe='')}/client-certificates"

    def _item(self, frontdoor_id: str, certificate_id: str) -> str:
        certificate = quote(validate_certificate_id(certificate_id), safe="")
        return f"{self._collection(frontdoor_id)}/{certificate}"

    # Sending ------------------------------------------------------------------------------------------

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


def _parse(status: int, data: Any, parse: Callable[[Any], _T], method: str, path: str, what: str) -> _T:
    try:
        return parse(data)
    except (ValidationError, ValueError, TypeError):
        raise UnexpectedResponse(method, path, status, f"a {what} in an undocumented shape") from None

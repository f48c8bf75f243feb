"""The six client-certificates operations, the all-pages walk, and recovery after a lost answer.

POST and PATCH are sent once. When the answer is lost after the request may have arrived, the client looks
before it reports: a create looks for a certificate of that name that was not there before, a PATCH reads
the certificate back. Nothing is lost and nothing is duplicated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from frontdoor_mcp.api.concurrency import AdaptiveConcurrency, AnswerObserver
from frontdoor_mcp.api.decoding import parsed, parsed_answer
from frontdoor_mcp.api.errors import (
    ConnectionLost,
    FrontdoorError,
    OutcomeUnknown,
    ServerError,
    TimeoutFailure,
    TransportFailure,
    UnexpectedResponse,
)
from frontdoor_mcp.api.http import ApiHttp
from frontdoor_mcp.api.models import Certificate, CertificateSummary, CreatedCertificate, Deleted
from frontdoor_mcp.api.pages import Page, read_page
from frontdoor_mcp.api.paths import Paths
from frontdoor_mcp.api.walk import (
    ALL_PAGES_CONCURRENCY,
    ALL_PAGES_SIZE,
    NEWEST_FIRST,
    ProgressCallback,
    Selection,
    Walked,
    fetch_each,
    walk_into,
)
from frontdoor_mcp.rules import WALK_MAX_ITEMS, SortOrder

OLDEST_FIRST: Final[SortOrder] = "createdAt,asc"
RECOVERY_WINDOW: Final = timedelta(minutes=5)
"""How far around a lost create to look for the certificate it may have made (covers modest clock skew)."""
RECOVERY_PAGE_SIZE: Final = 50
"""How many of the newest certificates are read before a create, and looked through after a lost answer."""


@dataclass(frozen=True)
class Created:
    """A create's answer; `recovered` when the connection was lost and the certificate was found afterwards;
    `same_name`: certificates of the same name that existed before (the guide asks for unique names)."""

    certificate: CreatedCertificate
    recovered: bool = False
    same_name: tuple[CertificateSummary, ...] = ()


@dataclass(frozen=True)
class Updated:
    certificate: Certificate
    recovered: bool = False


class CertificatesApi:
    """`/frontdoor/{frontdoorId}/client-certificates`: every path built from validated ids."""

    def __init__(self, http: ApiHttp, paths: Paths) -> None:
        self._http = http
        self._paths = paths

    async def list(
        self, frontdoor_id: str, *, page: int = 0, size: int = 20, sort: SortOrder | None = None
    ) -> Page[CertificateSummary]:
        call = self._paths.certificates("GET", frontdoor_id)
        params: dict[str, str] = {"page": str(page), "size": str(size)}
        if sort is not None:
            params["sort"] = sort
        return await read_page(self._http, call, params, CertificateSummary, "list")

    async def get(
        self, frontdoor_id: str, certificate_id: str, *, observe: AnswerObserver | None = None
    ) -> Certificate:
        """One certificate with its PEM. `observe` is told of every answer (see `get_each`)."""
        call = self._paths.certificate("GET", frontdoor_id, certificate_id)
        answer = await self._http.call_for_json(call, observe=observe)
        return parsed_answer(answer, Certificate.model_validate_json, Certificate.model_validate, "certificate")

    async def create(self, frontdoor_id: str, name: str, value: str) -> Created:
        """POST once. If the answer is lost after the request may have arrived, look for a certificate of
        that name that was not there before: nothing is lost and nothing is duplicated."""
        call = self._paths.certificates("POST", frontdoor_id)
        # What exists just before: without it, a certificate of the same name made a moment earlier (the
        # user's previous attempt) would be taken for this one after a lost answer, reporting a create that
        # never happened. It also tells whether the name is taken.
        before, _ = await self.list_all(frontdoor_id, max_items=WALK_MAX_ITEMS)
        same_name = tuple(item for item in before if item.name == name)
        started = datetime.now(UTC)
        try:
            status, body = await self._http.call(call, json_body={"name": name, "value": value})
            # Parsed inside the try: a 2xx whose body is in an undocumented shape still means the POST was
            # applied, so it is an unknown outcome to look into, never a failure to "try again" (a duplicate).
            created = parsed(call, status, body, CreatedCertificate.model_validate, "created certificate")
            return Created(created, same_name=same_name)
        except (TimeoutFailure, ConnectionLost, UnexpectedResponse, ServerError) as failure:
            if not outcome_unknown(failure):
                raise
            found = await self._find_new_by_name(frontdoor_id, name, started, {item.id for item in before})
            if found is None:
                raise OutcomeUnknown(call, f"{failure_reason(failure)}, and checking afterwards failed") from failure
            if len(found) != 1:
                seen = "no certificate" if not found else f"{len(found)} certificates (which one is this call's?)"
                raise OutcomeUnknown(call, f"{failure_reason(failure)}; {seen} named like this appeared") from failure
            return Created(found[0], recovered=True, same_name=same_name)

    async def patch(
        self, frontdoor_id: str, certificate_id: str, *, name: str | None = None, value: str | None = None
    ) -> Updated:
        """PATCH once with only the fields given. After a lost answer, read the certificate back: if it
        already has the fields asked for, the change happened."""
        call = self._paths.certificate("PATCH", frontdoor_id, certificate_id)
        fields = {key: val for key, val in (("name", name), ("value", value)) if val is not None}
        try:
            status, body = await self._http.call(call, json_body=fields)
        except (TimeoutFailure, ConnectionLost, UnexpectedResponse, ServerError) as failure:
            if not outcome_unknown(failure):
                raise
            try:
                current = await self.get(frontdoor_id, certificate_id)
            except FrontdoorError:
                # The PATCH was sent: a failed read-back (even "nothing was sent" of the GET) settles nothing.
                raise OutcomeUnknown(call, f"{failure_reason(failure)}, and checking afterwards failed") from failure
            if name is not None and current.name != name:
                raise OutcomeUnknown(call, failure_reason(failure)) from failure
            if value is not None and (current.value or "").strip() != value.strip():
                raise OutcomeUnknown(call, failure_reason(failure)) from failure
            return Updated(current, recovered=True)
        return Updated(parsed(call, status, body, Certificate.model_validate, "certificate"))

    async def put(self, frontdoor_id: str, certificate_id: str, *, name: str, value: str) -> Certificate:
        call = self._paths.certificate("PUT", frontdoor_id, certificate_id)
        status, body = await self._http.call(call, json_body={"name": name, "value": value})
        return parsed(call, status, body, Certificate.model_validate, "certificate")

    async def delete(self, frontdoor_id: str, certificate_id: str) -> Deleted:
        call = self._paths.certificate("DELETE", frontdoor_id, certificate_id)
        status, body = await self._http.call(call)
        if body is None:  # 204 No Content (or an empty 2xx): deleted, and the answer names only what was asked
            return Deleted.model_validate({"id": call.resource_id, "frontdoorId": call.frontdoor_id})
        return parsed(call, status, body, Deleted.model_validate, "deleted certificate")

    async def list_all(
        self,
        frontdoor_id: str,
        *,
        sort: SortOrder | None = None,
        page_size: int = ALL_PAGES_SIZE,
        concurrency: int = ALL_PAGES_CONCURRENCY,
        max_items: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> tuple[list[CertificateSummary], Walked]:
        """Every certificate (summaries, the first `max_items` at most), and what the walk can say of itself."""
        selection, walked = await self.walk(
            frontdoor_id,
            max_items=max_items,
            sort=sort,
            page_size=page_size,
            concurrency=concurrency,
            on_progress=on_progress,
        )
        return selection.items, walked

    async def list_oldest_past(
        self, frontdoor_id: str, max_items: int
    ) -> tuple[list[CertificateSummary], Walked, bool]:
        """Every certificate, newest first (the order in which a walk checks itself cheaply); but when there
        are more than `max_items`, the `max_items` oldest, read oldest first, since the oldest are the likeliest
        to expire. The flag: whether the oldest were read so. A list past the most is found by the first walk
        (its first page, or, without totals, its last), so only such a list is read twice."""
        items, walked = await self.list_all(frontdoor_id, max_items=max_items)
        if walked.incomplete_kind != "capped":
            return items, walked, False
        oldest, walked = await self.list_all(frontdoor_id, sort=OLDEST_FIRST, max_items=max_items)
        return oldest, walked, True

    async def walk(
        self,
        frontdoor_id: str,
        *,
        match: Callable[[CertificateSummary], bool] | None = None,
        keep: int | None = None,
        max_items: int | None = None,
        sort: SortOrder | None = None,
        page_size: int = ALL_PAGES_SIZE,
        concurrency: int = ALL_PAGES_CONCURRENCY,
        on_progress: ProgressCallback | None = None,
    ) -> tuple[Selection[CertificateSummary], Walked]:
        """Every page of the certificates (the first `max_items` certificates at most): those that `match`
        counted, the first `keep` of them kept (see `Selection`); and what the walk can say of itself (the
        API's total, whether it is complete). Pages are asked `page_size` large; the size the API really uses
        is read from the answers. Without `sort`, newest first."""
        order = sort or NEWEST_FIRST

        async def page(number: int, size: int) -> Page[CertificateSummary]:
            return await self.list(frontdoor_id, page=number, size=size, sort=order)

        selection = Selection(_summary_id, match=match, keep=keep, max_read=max_items)
        walked = await walk_into(
            page,
            selection,
            size=page_size,
            created_at=_summary_created if order == NEWEST_FIRST else None,
            concurrency=concurrency,
            on_progress=on_progress,
        )
        return selection, walked

    async def get_each(
        self,
        frontdoor_id: str,
        certificate_ids: list[str],
        on_each: Callable[[str, Certificate | FrontdoorError], Awaitable[None]],
        *,
        concurrency: AdaptiveConcurrency | None = None,
    ) -> None:
        """Read each certificate concurrently, as many at once as the API answers well (`concurrency`, by
        default a fresh `AdaptiveConcurrency`), handing every outcome to `on_each` as it comes."""

        async def one(certificate_id: str, observe: AnswerObserver) -> Certificate:
            return await self.get(frontdoor_id, certificate_id, observe=observe)

        await fetch_each(certificate_ids, one, on_each, concurrency=concurrency)

    # Recovery -----------------------------------------------------------------------------------------

    async def _newest(self, frontdoor_id: str) -> list[CertificateSummary]:
        page = await self.list(frontdoor_id, page=0, size=RECOVERY_PAGE_SIZE, sort="createdAt,desc")
        return list(page.items)

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


def _summary_id(summary: CertificateSummary) -> str:
    return summary.id


def _summary_created(summary: CertificateSummary) -> datetime | None:
    return summary.created_at


def outcome_unknown(failure: FrontdoorError) -> bool:
    """Whether a POST or PATCH that failed this way may still have been applied."""
    if isinstance(failure, UnexpectedResponse):
        return failure.status_code < 300  # a success status whose body could not be read
    if isinstance(failure, ServerError):
        # Any 5xx, not only a gateway's 502/504: a backend can commit the write and then fail (a 500 while
        # serialising the answer), so nothing in a 5xx says the write did not happen. Look before reporting.
        return 500 <= failure.status_code <= 599
    return isinstance(failure, TimeoutFailure | ConnectionLost)


def failure_reason(failure: FrontdoorError) -> str:
    if isinstance(failure, TransportFailure | UnexpectedResponse):
        return failure.reason
    if isinstance(failure, ServerError):
        return f"the API answered HTTP {failure.status_code}"
    return "the answer was lost"

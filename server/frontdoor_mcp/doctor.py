"""`frontdoor-mcp doctor`: is this set-up going to work? Credentials, token, API, frontdoor, clock."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import anyio

from frontdoor_mcp.api.auth import ClientCredentials, TokenRequestFailed
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    FrontdoorError,
    NotFound,
    OutcomeUnknown,
    TransportFailure,
    Unauthorized,
    UnexpectedResponse,
)
from frontdoor_mcp.api.models import CertificateSummary
from frontdoor_mcp.api.pages import Page, PageShape
from frontdoor_mcp.api.walk import ALL_PAGES_SIZE
from frontdoor_mcp.config import ConfigError, Settings, cannot_be_understood, credential_places, load_settings
from frontdoor_mcp.rules import CLOCK_SKEW_THRESHOLD_S
from frontdoor_mcp.toolkit.failures import wrong_base_url

PROBE_FRONTDOOR_ID: Final = "00000000-0000-0000-0000-000000000000"
"""Asked for when no frontdoor is configured: a 403 still proves the API answers and accepts the credentials.
Never shown: no message names it (a person would take it for a frontdoor of theirs)."""
PROBE_SIZE: Final = 1
"""The page size the reachability check asks for: one certificate is enough to show the API answers."""
SHAPE_WORDS: Final[dict[PageShape, str]] = {
    "guide": "the guide's shape (content, pageable, totalElements, totalPages)",
    "spring-dto": "Spring Data's page DTO (content, page{size, number, totalElements, totalPages}), not the guide's",
    "hal": "HAL (_embedded, page{size, number, totalElements, totalPages}), not the guide's",
    "content-only": "content alone, without totals: walks end at a short page and check themselves by reading twice",
    "array": "a bare JSON array, without totals: walks end at a short page and check themselves by reading twice",
}


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str
    note: bool = False
    """Informational: neither a pass nor a failure (e.g. no FRONTDOOR_ID to check)."""

    def line(self) -> str:
        mark = "note" if self.note else "ok  " if self.passed else "FAIL"
        return f"{mark} {self.name}: {self.detail}"


async def diagnose(settings: Settings) -> list[Check]:
    """Every check, in order; later checks are skipped when an earlier one makes them meaningless."""
    checks: list[Check] = []
    credential = settings.credential
    if credential is None:
        places = "; ".join(credential_places())
        checks.append(Check("credentials", False, f"none found. Looked in, in this order: {places}"))
        return checks
    problems = credential.problems()
    checks.append(Check("credentials", not problems, f"from {credential.source}" + "".join(f"; {p}" for p in problems)))
    if isinstance(credential, ClientCredentials):
        try:
            await credential.current_token()
        except TokenRequestFailed as exc:
            checks.append(Check("token", False, f"could not be obtained from {credential.token_url}: {exc.reason}"))
            return checks
        checks.append(Check("token", True, f"obtained, {_validity(credential.expires_at())}"))
    else:
        expiry = credential.expires_at()
        if expiry is not None:
            valid = expiry > datetime.now(UTC)
            checks.append(Check("token", valid, _validity(expiry)))
    async with FrontdoorClient(settings.api_url, credential) as client:
        checks.extend(await api_checks(client, settings))
        if client.last_server_date is not None:
            checks.append(_clock_check(client.last_server_date))
    return checks


async def api_checks(client: FrontdoorClient, settings: Settings) -> list[Check]:
    """Whether the API answers and accepts the credentials (one certificate asked for), whether the frontdoor is
    visible, and how the API pages (`_paging_check`)."""
    frontdoor = settings.frontdoor_id
    try:
        page = await client.certificates.list(frontdoor or PROBE_FRONTDOOR_ID, size=PROBE_SIZE)
    except Unauthorized:
        return [Check("api", False, f"{settings.api_url} answered 401: the credentials were refused")]
    except NotFound as exc:
        return [Check("api", False, _wrong_base_url(exc, settings, shown_frontdoor=frontdoor))]
    except Forbidden:
        answers = Check(
            "api",
            True,
            f"{settings.api_url} answers and accepts the credentials (it answered 403 for the frontdoor, not 401)"
            if frontdoor
            else f"{settings.api_url} answers and accepts the credentials",
        )
        if frontdoor is None:
            return [answers, _no_frontdoor()]
        return [answers, Check("frontdoor", False, f"{frontdoor} is not visible to these credentials (403)")]
    except FrontdoorError as exc:
        return [Check("api", False, f"{settings.api_url}: {_failure(exc)}")]
    answers = Check("api", True, f"{settings.api_url} answers and accepts the credentials")
    if frontdoor is None:
        return [answers, _no_frontdoor()]
    counted = f"with {page.total_elements} certificates" if page.total_elements is not None else "its list has no total"
    visible = Check("frontdoor", True, f"{frontdoor} is visible, {counted}")
    return [answers, visible, await _paging_check(client, frontdoor, page)]


async def _paging_check(client: FrontdoorClient, frontdoor: str, first: Page[CertificateSummary]) -> Check:
    """How the API pages, as walks will meet it: the shape and the largest page, from a page of the size walks
    ask for (a refusal of that size is said, not failed: the API answers, only walks will not); and whether it
    reads `page` at all, from page 1 (and 2) of the size the reachability check asked (`first`, page 0)."""
    try:
        whole = await client.certificates.list(frontdoor, size=ALL_PAGES_SIZE)
    except BadRequest:
        return Check(
            "paging",
            True,
            f"the API refuses pages of {ALL_PAGES_SIZE:,} (HTTP 400): walks, which ask for that size (all_pages, the "
            "expiry audit, the shares read before a change of trust), will fail with that error",
            note=True,
        )
    except FrontdoorError as exc:
        return Check("paging", False, f"a page of {ALL_PAGES_SIZE:,}, the size walks ask for, failed: {_failure(exc)}")
    try:
        remarks = [_page_size_cap(whole), *await _paging_remarks(client, frontdoor, first)]
    except FrontdoorError as exc:
        remarks = [_page_size_cap(whole), f"its pages after the first could not be read: {_failure(exc)}"]
    unusual = whole.shape != "guide" or len(remarks) > 1
    return Check("paging", True, f"lists come in {SHAPE_WORDS[whole.shape]}; {'; '.join(remarks)}", note=unusual)


def _page_size_cap(page: Page[CertificateSummary]) -> str:
    """The largest page the API serves, as far as a page of the size walks ask for shows it."""
    count = len(page.items)
    if page.size is not None and 0 < page.size < ALL_PAGES_SIZE:
        return f"pages of at most {page.size:,}"
    if page.total_elements is not None and 0 < count < min(page.total_elements, ALL_PAGES_SIZE):
        return f"pages of at most {count:,}"
    if page.size is not None and page.size >= ALL_PAGES_SIZE:
        return f"pages of {ALL_PAGES_SIZE:,}, the size walks ask for"
    return f"the page-size cap not shown (a page of {count:,} for {ALL_PAGES_SIZE:,} asked)"


async def _paging_remarks(client: FrontdoorClient, frontdoor: str, first: Page[CertificateSummary]) -> list[str]:
    """What shows the API does not page as asked: `size` or `page` ignored, pages numbered otherwise."""
    remarks: list[str] = []
    if len(first.items) > PROBE_SIZE:
        remarks.append(f"it answered {len(first.items):,} certificates for a size of {PROBE_SIZE}: it ignores `size`")
    if first.page is not None and first.page != 0:
        remarks.append(f"it answered page {first.page} when asked for page 0")
    if not first.items:
        return remarks  # an empty list looks alike on every page, paged or not
    ids = _ids(first)
    if _ids(await client.certificates.list(frontdoor, page=1, size=PROBE_SIZE)) != ids:
        return remarks
    if _ids(await client.certificates.list(frontdoor, page=2, size=PROBE_SIZE)) == ids:
        remarks.append(
            "it answers every page with the same certificates: it ignores `page`, so walks read its one answer as "
            "the list and say they cannot show it complete"
        )
    else:
        remarks.append(
            "its page 1 repeats page 0 (it may number its pages from 1): walks stop there and say they are incomplete"
        )
    return remarks


def _ids(page: Page[CertificateSummary]) -> list[str]:
    return [item.id for item in page.items]


def _wrong_base_url(exc: NotFound, settings: Settings, *, shown_frontdoor: str | None) -> str:
    """The tools' sentence for a wrong base URL, the path shown without the probe's frontdoor id."""
    if exc.call is None:  # every API failure carries its call; said plainly should one not
        return f"{settings.api_url} answered {exc.status_code} (no such path)"
    shown = exc.call.path.replace(PROBE_FRONTDOOR_ID, shown_frontdoor or "{frontdoorId}")
    return wrong_base_url(exc.call, settings.api_url, status=exc.status_code, shown_path=shown)


def _failure(exc: FrontdoorError) -> str:
    """What went wrong, without the request's path (which names the probe frontdoor when none is configured)."""
    if isinstance(exc, TransportFailure | UnexpectedResponse | OutcomeUnknown):
        return exc.reason
    if isinstance(exc, ApiError):
        return f"answered HTTP {exc.status_code}"
    return type(exc).__name__


def _no_frontdoor() -> Check:
    return Check("frontdoor", True, "FRONTDOOR_ID is not set: every tool call must pass frontdoor_id", note=True)


def _clock_check(server_date: datetime) -> Check:
    skew = (datetime.now(UTC) - server_date).total_seconds()
    if abs(skew) < 1.5:  # the Date header has whole seconds
        return Check("clock", True, "in step with the API's Date header")
    direction = "ahead of" if skew > 0 else "behind"
    detail = f"this machine is {abs(skew):.0f} s {direction} the API's Date header"
    if abs(skew) > CLOCK_SKEW_THRESHOLD_S:
        detail += f" (more than {CLOCK_SKEW_THRESHOLD_S:.0f} s: tokens may be refused; fix the time synchronisation)"
    return Check("clock", abs(skew) <= CLOCK_SKEW_THRESHOLD_S, detail)


def _validity(expiry: datetime | None) -> str:
    if expiry is None:
        return "validity unknown"
    left = (expiry - datetime.now(UTC)).total_seconds()
    if left <= 0:
        return f"expired at {expiry:%Y-%m-%d %H:%M:%S} UTC ({int(-left // 60)} minutes ago)"
    return f"valid until {expiry:%Y-%m-%d %H:%M:%S} UTC ({int(left // 60)} minutes left)"


def run_doctor(
    *,
    api_url: str | None = None,
    frontdoor_id: str | None = None,
    log_level: str | None = None,
    toolsets: str | None = None,
    env: Mapping[str, str] | None = None,
    other_settings: Collection[str] = (),
) -> int:
    """Print the report; 0 when every check passed, 1 when one failed, 2 for a configuration that cannot be
    understood (every problem printed). `other_settings`: as `load_settings` takes them."""
    try:
        settings = load_settings(
            env,
            other_settings=other_settings,
            api_url=api_url,
            frontdoor_id=frontdoor_id,
            log_level=log_level,
            toolsets=toolsets,
        )
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"FAIL configuration: {problem}")
        print(cannot_be_understood(exc.problems))
        return 2
    print(f"frontdoor-mcp doctor: {settings.api_url}")
    checks = anyio.run(diagnose, settings)
    for check in checks:
        print(check.line())
    failed = [check for check in checks if not check.passed]
    print("All checks passed." if not failed else f"{len(failed)} check(s) failed.")
    return 1 if failed else 0

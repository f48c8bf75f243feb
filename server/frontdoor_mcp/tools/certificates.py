"""Reading certificates: list a frontdoor's certificates (a page, or every page narrowed locally), and get one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Final

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field, StringConstraints, WithJsonSchema

from frontdoor_mcp.api.models import CertificateSummary
from frontdoor_mcp.rules import NAME_MAX_CHARS, RESULT_BUDGET_BYTES, WALK_MAX_ITEMS, SortOrder
from frontdoor_mcp.tools.arguments import CertificateIdArg, FrontdoorIdArg, PageArg, SizeArg, SortArg
from frontdoor_mcp.tools.budget import LINES_IN_TEXT, most_that_could_fit, trimmed_to_budget
from frontdoor_mcp.tools.messages import api_errors
from frontdoor_mcp.tools.records import item_of, record_of, record_text
from frontdoor_mcp.tools.respond import Answer, respond, shown, shown_id
from frontdoor_mcp.tools.results import CertificateItem, CertificateList, CertificateRecord
from frontdoor_mcp.tools.share_usage import certificate_and_share_usage, shares_in_words
from frontdoor_mcp.tools.state import AppState, ContextReporter, Reporter, app_state

HOW_TO_NARROW: Final = (
    "Narrow with name_contains, created_after or created_before (all applied locally), or read it page by page "
    "with page and size."
)
WHEN_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"

WhenArg = Annotated[str, StringConstraints(pattern=WHEN_PATTERN), WithJsonSchema({"type": "string", "format": "date"})]
"""A date (2024-01-15) or an ISO 8601 time; shown to the model as a date, the usual case."""


@dataclass(frozen=True)
class Narrowing:
    """What an all-pages listing keeps, applied locally (the API documents no filter)."""

    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def __bool__(self) -> bool:
        return any(value is not None for value in (self.name_contains, self.created_after, self.created_before))

    def keeps(self, item: CertificateSummary) -> bool:
        if self.name_contains is not None and self.name_contains.casefold() not in item.name.casefold():
            return False
        created = _utc(item.created_at) if item.created_at else None
        if self.created_after is not None and (created is None or created < self.created_after):
            return False
        return not (self.created_before is not None and (created is None or created >= self.created_before))

    def words(self) -> str:
        parts: list[str] = []
        if self.name_contains is not None:
            parts.append(f"names containing {shown(self.name_contains)}")
        if self.created_after is not None:
            parts.append(f"created on or after {self.created_after:%Y-%m-%d %H:%M} UTC")
        if self.created_before is not None:
            parts.append(f"created before {self.created_before:%Y-%m-%d %H:%M} UTC")
        return ", ".join(parts)


def parse_when(value: str | None, argument: str) -> datetime | None:
    """A date (midnight UTC) or an ISO 8601 time (UTC unless it says otherwise)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ToolError(f"{argument} must be a date (2024-01-15) or an ISO 8601 time (2024-01-15T10:30:00Z).") from None
    if len(value) == 10:
        parsed = datetime.combine(date.fromisoformat(value), time(0), UTC)
    return _utc(parsed)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# Operations ---------------------------------------------------------------------------------------------


async def list_certificates(
    state: AppState,
    reporter: Reporter,
    *,
    frontdoor_id: str | None = None,
    page: int = 0,
    size: int = 20,
    sort: SortOrder | None = None,
    all_pages: bool = False,
    narrowing: Narrowing | None = None,
    budget: int = RESULT_BUDGET_BYTES,
) -> Answer[CertificateList]:
    frontdoor = state.frontdoor(frontdoor_id)
    narrowing = narrowing or Narrowing()
    with api_errors(state):
        if not (all_pages or narrowing):
            listing = await state.client.certificates.list(frontdoor, page=page, size=size, sort=sort)
            items = [item_of(summary) for summary in listing.items]
            last = listing.page + 1 >= listing.total_pages
            result = CertificateList(
                frontdoor_id=frontdoor,
                items=items,
                all_pages=False,
                page=listing.page,
                next_page=None if last else listing.page + 1,
                total_elements=listing.total_elements,
                total_pages=listing.total_pages,
                matching=len(items),
                truncated=False,
            )
            return Answer(result, list_text(result, narrowing))

        async def progress(done: int, total: int) -> None:
            await reporter.progress(done, total, f"read {done} of {total} pages")

        # The walk counts every certificate that matches, but keeps only as many as could ever fit in the result:
        # the rest are dropped page by page, never all held at once, never shaped or serialised.
        selection, total = await state.client.certificates.walk(
            frontdoor,
            match=narrowing.keeps if narrowing else None,
            keep=most_that_could_fit(CertificateItem(id="", name=""), budget),  # no item is smaller than this
            max_items=WALK_MAX_ITEMS,
            sort=sort,
            on_progress=progress,
        )
    read, matching = selection.read, selection.matched
    candidates = [item_of(summary) for summary in selection.items]

    def render(items: list[CertificateItem]) -> tuple[CertificateList, str]:
        cut = len(items) < matching
        result = CertificateList(
            frontdoor_id=frontdoor,
            items=items,
            all_pages=True,
            page=None,
            next_page=None,
            total_elements=total,
            total_pages=None,
            matching=matching,
            truncated=cut,
            how_to_narrow=HOW_TO_NARROW if cut or total > read else None,
        )
        return result, list_text(result, narrowing, walked=read)

    result, text = trimmed_to_budget(candidates, render, budget)
    await reporter.log("info", f"Read {read} client certificates of frontdoor {frontdoor}.")
    assert isinstance(result, CertificateList)
    return Answer(result, text)


async def get_certificate(
    state: AppState, *, certificate_id: str, frontdoor_id: str | None = None
) -> Answer[CertificateRecord]:
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        certificate, usage = await certificate_and_share_usage(state, frontdoor, certificate_id)
    record = record_of(certificate)
    record.used_by_shares = usage.using(certificate.id)
    text = record_text("Client certificate", record, with_pem=True)
    return Answer(record, f"{text}\n{shares_in_words(record.used_by_shares, usage.unreadable)}")


def list_text(result: CertificateList, narrowing: Narrowing, *, walked: int | None = None) -> str:
    if result.all_pages:
        scope = f"every page read ({walked:,} of {result.total_elements:,})" if walked is not None else "every page"
        if narrowing:
            scope += f"; {narrowing.words()}"
        head = f"{len(result.items)} of {result.matching} matching client certificates ({scope})"
    else:
        head = (
            f"{len(result.items)} of {result.total_elements} client certificates "
            f"(page={result.page} of {max(result.total_pages or 0, 1)} pages)"
        )
    if not result.items:
        return f"{head}: none. Frontdoor {result.frontdoor_id}."
    lines = [f"{head}:"]
    lines.extend(_item_line(item) for item in result.items[:LINES_IN_TEXT])
    if len(result.items) > LINES_IN_TEXT:
        lines.append(f"... and {len(result.items) - LINES_IN_TEXT} more in the structured result.")
    if result.truncated:
        lines.append(f"Only the first {len(result.items)} fit in one result. {result.how_to_narrow}")
    elif walked is not None and walked < result.total_elements:
        lines.append(f"Only the first {walked:,} certificates were read (the most one walk reads).")
    if result.next_page is not None:
        lines.append(f"Next page: page={result.next_page}.")
    lines.append("For one certificate's details: get_client_certificate with its certificate_id.")
    return "\n".join(lines)


def _item_line(item: CertificateItem) -> str:
    created = f", created {item.created_at:%Y-%m-%d}" if item.created_at else ""
    return f"- {shown(item.name)} certificate_id={shown_id(item.id)}{created}"


# MCP tools ----------------------------------------------------------------------------------------------


async def list_client_certificates(
    ctx: Context[AppState, Any],
    frontdoor_id: FrontdoorIdArg = None,
    page: PageArg = 0,
    size: SizeArg = 20,
    sort: SortArg = None,
    all_pages: Annotated[bool, Field(description="Read every page (page and size are then ignored).")] = False,
    name_contains: Annotated[
        str | None, Field(description="Only names containing this, any case.", min_length=1, max_length=NAME_MAX_CHARS)
    ] = None,
    created_after: Annotated[
        WhenArg | None, Field(description="Only those created on/after this date or time.")
    ] = None,
    created_before: Annotated[WhenArg | None, Field(description="Only those created before this date or time.")] = None,
) -> Annotated[CallToolResult, CertificateList]:
    """List a frontdoor's client certificates (id, name, created): one page, or every page with all_pages=true
    or a narrowing (name_contains, created_after, created_before: applied here, over every page). Use it to
    find an id or check that a name is free. Next: get_client_certificate for details."""
    narrowing = Narrowing(
        name_contains=name_contains,
        created_after=parse_when(created_after, "created_after"),
        created_before=parse_when(created_before, "created_before"),
    )
    return respond(
        await list_certificates(
            app_state(ctx),
            ContextReporter(ctx),
            frontdoor_id=frontdoor_id,
            page=page,
            size=size,
            sort=sort,
            all_pages=all_pages,
            narrowing=narrowing,
        )
    )


async def get_client_certificate(
    ctx: Context[AppState, Any],
    certificate_id: CertificateIdArg,
    frontdoor_id: FrontdoorIdArg = None,
) -> Annotated[CallToolResult, CertificateRecord]:
    """Get one client certificate: its metadata, its PEM, the certificate decoded (subject, issuer, validity
    and days left, SANs, key, usages, SHA-256 fingerprint), and the shares that require it."""
    return respond(await get_certificate(app_state(ctx), certificate_id=certificate_id, frontdoor_id=frontdoor_id))

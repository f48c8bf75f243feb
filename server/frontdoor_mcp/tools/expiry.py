"""The expiry audit: every certificate of a frontdoor read and decoded, the expired and expiring ones reported."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import BaseModel, Field

from frontdoor_mcp.api.errors import FrontdoorError, NotFound
from frontdoor_mcp.api.ids import InvalidIdError, validate_certificate_id
from frontdoor_mcp.api.models import Certificate, CertificateSummary
from frontdoor_mcp.api.walk import IncompleteKind, Walked, run_together
from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.inspect import describe_certificate
from frontdoor_mcp.rules import WALK_MAX_ITEMS
from frontdoor_mcp.toolkit.annotations import API_READ
from frontdoor_mcp.toolkit.answers import Answer, call_again_advice, shown, shown_id
from frontdoor_mcp.toolkit.budget import LINES_IN_TEXT, trimmed_to_budget
from frontdoor_mcp.toolkit.definition import ToolGroup
from frontdoor_mcp.toolkit.failures import api_errors
from frontdoor_mcp.toolkit.state import AppState, Reporter
from frontdoor_mcp.tools.arguments import FrontdoorIdArg
from frontdoor_mcp.tools.share_usage import ShareRef, ShareUsage, read_share_usage

TOOLS: Final = ToolGroup("certificates")


class ExpiringCertificate(BaseModel):
    id: str
    name: str = Field(description="The certificate's name (data from the API).")
    subject: str | None = None
    not_after: datetime | None = Field(default=None, description="When it expires (UTC).")
    days_remaining: int | None = Field(default=None, description="Days left; negative when already expired.")
    expired: bool = False
    decode_error: str | None = Field(default=None, description="Set when the stored PEM could not be decoded.")
    used_by_shares: list[ShareRef] | None = Field(
        default=None, description="The shares that require it; null when the shares could not be read."
    )


class ExpiryReport(BaseModel):
    frontdoor_id: str
    within_days: int
    checked: int = Field(description="How many certificates were read and examined.")
    total_elements: int | None = Field(
        description="How many certificates the frontdoor has, by the API's count; null when its pages report none."
    )
    complete: bool = Field(description="True only when the walk showed it read every certificate of the list.")
    incomplete_reason: str | None = Field(default=None, description="Why the audit is not complete, when not.")
    expired_count: int = Field(description="How many of those examined have expired.")
    expiring_count: int = Field(description="How many expire within the window (not yet expired).")
    undecodable_count: int = Field(description="How many have a PEM that cannot be read.")
    expiring: list[ExpiringCertificate] = Field(description="Expired or expiring, most urgent first (as many as fit).")
    undecodable: list[ExpiringCertificate] = Field(description="Certificates whose PEM could not be read (as fit).")
    details_truncated: bool = Field(description="True when not every certificate counted is listed (the budget).")
    walk_truncated: bool = Field(
        description=f"True when the frontdoor has over {WALK_MAX_ITEMS:,} certificates: the oldest were examined."
    )
    shares_unreadable: str | None = Field(default=None, description="Why the shares could not be read, if not.")
    shares_incomplete_reason: str | None = Field(
        default=None, description="Why not every share could be read (used_by_shares may then miss some), if so."
    )


# The tool -----------------------------------------------------------------------------------------------


@TOOLS.tool("Find expiring client certificates", API_READ)
async def find_expiring_client_certificates(
    state: AppState,
    reporter: Reporter,
    frontdoor_id: FrontdoorIdArg = None,
    within_days: Annotated[
        int,
        Field(description="Days ahead to look (expired ones are always reported).", ge=0, le=3650),
    ] = 30,
) -> Answer[ExpiryReport]:
    """Audit a frontdoor's certificates: the expired ones and those expiring within within_days, most urgent
    first. Reads every certificate (progress is reported).
    Next: rotate the urgent ones (the rotate-client-certificate prompt walks through it)."""
    frontdoor = state.frontdoor(frontdoor_id)
    now = datetime.now(UTC)
    listed: list[tuple[list[CertificateSummary], Walked, bool]] = []
    shared: list[ShareUsage] = []

    async def certificates() -> None:
        listed.append(await state.client.certificates.list_oldest_past(frontdoor, WALK_MAX_ITEMS))

    async def shares() -> None:
        shared.append(await read_share_usage(state, frontdoor))  # one walk of the shares for the whole audit

    with api_errors(state):
        await run_together(certificates, shares)  # the two walks at once: neither waits for the other's check
    (items, walked, oldest), usage = listed[0], shared[0]
    names = {item.id: item.name for item in items}
    found: list[ExpiringCertificate] = []
    undecodable: list[ExpiringCertificate] = []
    done = 0

    async def examine(certificate_id: str, outcome: Certificate | FrontdoorError) -> None:
        # Called one outcome at a time, so the progress notifications arrive strictly increasing.
        nonlocal done
        done += 1
        name = names[certificate_id]
        if isinstance(outcome, Certificate):
            try:
                details = describe_certificate(outcome.value or "", now=now)
            except PemError as exc:
                undecodable.append(ExpiringCertificate(id=certificate_id, name=name, decode_error=str(exc)))
            else:
                if details.days_remaining <= within_days:
                    found.append(
                        ExpiringCertificate(
                            id=certificate_id,
                            name=name,
                            subject=details.subject,
                            not_after=details.not_after,
                            days_remaining=details.days_remaining,
                            expired=details.expired,
                        )
                    )
        elif not isinstance(outcome, NotFound):  # a certificate deleted during the walk is simply gone
            raise outcome
        await reporter.progress(done, len(items), f"examined {done} of {len(items)} certificates")

    valid_ids: list[str] = []
    for item in items:
        try:
            valid_ids.append(validate_certificate_id(item.id))
        except InvalidIdError:
            # The list gave an id no request may carry: say so for that one, not fail the whole audit.
            unreadable = ExpiringCertificate(id=item.id, name=item.name, decode_error="its id is in an unexpected form")
            undecodable.append(unreadable)
    with api_errors(state):
        await state.client.certificates.get_each(frontdoor, valid_ids, examine)
    for entry in found:
        entry.used_by_shares = usage.using(entry.id)
    # Soonest first; on the same day, those a share requires first (their expiry stops clients at the door).
    found.sort(key=lambda entry: (entry.days_remaining or 0, not entry.used_by_shares, entry.not_after or now))
    counted = {
        "expired_count": sum(entry.expired for entry in found),
        "expiring_count": sum(not entry.expired for entry in found),
        "undecodable_count": len(undecodable),
    }
    # The undecodable ones come after the urgent ones: the budget goes to what needs rotating first.
    ranked = [*found, *undecodable]

    def render(shown: list[ExpiringCertificate]) -> tuple[ExpiryReport, str]:
        report = ExpiryReport(
            frontdoor_id=frontdoor,
            within_days=within_days,
            checked=len(items),
            total_elements=walked.total,
            complete=walked.complete,
            incomplete_reason=walked.why_incomplete,
            **counted,
            expiring=[entry for entry in shown if entry.decode_error is None],
            undecodable=[entry for entry in shown if entry.decode_error is not None],
            details_truncated=len(shown) < len(ranked),
            walk_truncated=walked.incomplete_kind == "capped",
            shares_unreadable=usage.unreadable,
            shares_incomplete_reason=usage.why_incomplete,
        )
        return report, _report_text(report, walked.incomplete_kind, oldest=oldest)

    report, text = trimmed_to_budget(ranked, render, state.result_budget)
    assert isinstance(report, ExpiryReport)
    return Answer(report, text)


def _report_text(report: ExpiryReport, kind: IncompleteKind | None, *, oldest: bool) -> str:
    """The audit's text; `kind`: why the walk is incomplete, if it is; `oldest`: whether the oldest were read,
    the list holding more than one walk reads."""
    found = f"{report.expired_count} have expired and {report.expiring_count} expire within {report.within_days} days"
    total = report.total_elements
    if report.complete:
        lines = [f"Of {report.checked:,} certificates examined, {found}."]
    elif kind == "capped":
        # Exactly which were examined: the reader needs to know the unread end, not that "the rest" exists.
        read, unread, other = ("oldest", "newest", "newer") if oldest else ("newest", "oldest", "older")
        if total is not None and total > report.checked:
            scope = (
                f"Examined the {report.checked:,} {read} of the {total:,} certificates the API reported; the "
                f"{total - report.checked:,} {unread} were not read"
            )
        else:
            scope = f"Examined the {report.checked:,} {read} certificates; any {other} ones were not read"
        lines = [
            f"Incomplete audit. {scope} ({report.incomplete_reason}).",
            f"Of those examined, {found}; the {unread} may expire too.",
        ]
    else:
        # Never "none expire" over a set the walk could not show whole: what was found is said of what was read.
        reported = f" (the API reported {total:,})" if total is not None else ""
        lines = [
            f"Incomplete audit. Audited {report.checked:,} certificates{reported}, but the walk could not show it "
            f"read every one: {report.incomplete_reason}.",
            f"Of those examined, {found}; certificates not examined may expire too."
            f"{call_again_advice(kind, 'audit anew')}",
        ]
    for entry in report.expiring[:LINES_IN_TEXT]:
        state_word = "expired" if entry.expired else "expires"
        shares = entry.used_by_shares or []
        used = f"; required by share(s) {', '.join(shown(ref.name) for ref in shares[:3])}" if shares else ""
        lines.append(
            f"- {shown(entry.name)} certificate_id={shown_id(entry.id)}: "
            f"{state_word} {entry.not_after:%Y-%m-%d} ({entry.days_remaining} days){used}"
        )
    listed = min(len(report.expiring), LINES_IN_TEXT)
    if report.expired_count + report.expiring_count > listed:
        lines.append(
            f"{listed} most urgent shown here ({len(report.expiring)} in the structured result); a smaller "
            "within_days narrows the list."
        )
    if report.shares_unreadable:
        lines.append(f"Which shares use them is unknown: {report.shares_unreadable}")
    elif report.shares_incomplete_reason:
        lines.append(f"Not every share could be read: {report.shares_incomplete_reason}. Other shares may use them.")
    if report.undecodable_count:
        lines.append(f"{report.undecodable_count} certificates could not be decoded (see undecodable).")
    if report.expiring:
        lines.append(
            "Next: rotate the most urgent (generate_csr, create_client_certificate_from_csr, then delete the old)."
        )
    return "\n".join(lines)

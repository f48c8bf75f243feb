"""Client certificates: list and get them, upload one, have NetFoundry's CA sign one from a CSR, rename or swap
its PEM (PATCH), replace it (PUT), delete it.

Every PEM is checked by the input policy before anything is sent. Changing trust is confirmed: a delete, a
replace and a PEM-swapping update are asked of the user (or need `confirm=true`), and the question names the
shares that use the certificate. A rename alone changes whom no share admits and is not asked about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Final, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, StringConstraints, WithJsonSchema

from frontdoor_mcp.api.certificates import Created
from frontdoor_mcp.api.errors import FrontdoorError, NotFound
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.api.models import Certificate, CertificateSummary
from frontdoor_mcp.api.walk import IncompleteKind
from frontdoor_mcp.pki.policy import CheckedCertificate
from frontdoor_mcp.rules import NAME_MAX_CHARS, WALK_MAX_ITEMS, SortOrder
from frontdoor_mcp.toolkit.annotations import API_CREATE, API_DESTRUCTIVE, API_READ
from frontdoor_mcp.toolkit.answers import Answer, call_again_advice, shown, shown_id
from frontdoor_mcp.toolkit.budget import LINES_IN_TEXT, most_that_could_fit, trimmed_to_budget
from frontdoor_mcp.toolkit.confirmation import ConfirmArg, ConsentHow, agreed
from frontdoor_mcp.toolkit.definition import LookedUp, ToolGroup, UserAgreement
from frontdoor_mcp.toolkit.failures import api_errors, describe_failure, tool_error
from frontdoor_mcp.toolkit.state import AppState, Reporter
from frontdoor_mcp.tools.arguments import (
    MAX_PATH_CHARS,
    CertificateIdArg,
    CertificatePathArg,
    CertificatePemArg,
    CsrPathArg,
    CsrPemArg,
    FrontdoorIdArg,
    NameArg,
    OptionalNameArg,
    PageArg,
    SizeArg,
    SortArg,
)
from frontdoor_mcp.tools.certificate_results import (
    CertificateChange,
    CertificateItem,
    CertificateList,
    CertificateRecord,
    DeleteResult,
    announce_recovery,
    certificate_line,
    item_of,
    record_of,
    record_text,
)
from frontdoor_mcp.tools.local_files import check_save_target, checked_certificate, checked_csr, save_certificate
from frontdoor_mcp.tools.share_usage import (
    ShareRef,
    ShareUsage,
    active_shares_warning,
    certificate_and_share_usage,
)

TOOLS: Final = ToolGroup("certificates")

HOW_TO_NARROW: Final = (
    "Narrow with name_contains, created_after or created_before (all applied locally), or read it page by page "
    "with page and size."
)
WHEN_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"

WhenArg = Annotated[str, StringConstraints(pattern=WHEN_PATTERN), WithJsonSchema({"type": "string", "format": "date"})]
"""A date (2024-01-15) or an ISO 8601 time; shown to the model as a date, the usual case."""


# Reading ------------------------------------------------------------------------------------------------


@TOOLS.tool("List client certificates", API_READ)
async def list_client_certificates(
    state: AppState,
    reporter: Reporter,
    frontdoor_id: FrontdoorIdArg = None,
    page: PageArg = 0,
    size: SizeArg = 20,
    sort: SortArg = None,
    all_pages: Annotated[bool, Field(description="Read every page (page, size ignored).")] = False,
    name_contains: Annotated[
        str | None, Field(description="Only names containing this, any case.", min_length=1, max_length=NAME_MAX_CHARS)
    ] = None,
    created_after: Annotated[
        WhenArg | None, Field(description="Only those created on/after this date or time.")
    ] = None,
    created_before: Annotated[WhenArg | None, Field(description="Only those created before this date or time.")] = None,
) -> Answer[CertificateList]:
    """List a frontdoor's client certificates (id, name, created): one page, or every page with all_pages=true
    or a narrowing (name_contains, created_after, created_before: applied here, over every page). Use it to
    find an id or check that a name is free. Next: get_client_certificate for details."""
    frontdoor = state.frontdoor(frontdoor_id)
    narrowing = Narrowing(
        name_contains=name_contains,
        created_after=parse_when(created_after, "created_after"),
        created_before=parse_when(created_before, "created_before"),
    )
    with api_errors(state):
        if not (all_pages or narrowing):
            listing = await state.client.certificates.list(frontdoor, page=page, size=size, sort=sort)
            on_page = [item_of(summary) for summary in listing.items]
            place = listing.place(page, size)

            # A page of 2,000 (or an API's whole list, should it not page) is more than one result holds.
            def render_page(items: list[CertificateItem]) -> tuple[CertificateList, str]:
                cut = len(items) < len(on_page)
                result = CertificateList(
                    frontdoor_id=frontdoor,
                    items=items,
                    all_pages=False,
                    page=place.number,
                    next_page=place.next_page,
                    total_elements=listing.total_elements,
                    total_pages=place.total_pages,
                    matching=len(on_page),
                    truncated=cut,
                    how_to_narrow=HOW_TO_NARROW if cut else None,
                )
                return result, _list_text(result, narrowing, notes=place.notes)

            page_result, page_text = trimmed_to_budget(on_page, render_page, state.result_budget)
            assert isinstance(page_result, CertificateList)
            return Answer(page_result, page_text)

        async def progress(done: int, total: int | None) -> None:
            await reporter.progress(done, total, f"read {done} of {total} pages" if total else f"read {done} pages")

        # The walk counts every certificate that matches, but keeps only as many as could ever fit in the result:
        # the rest are dropped page by page, never all held at once, never shaped or serialised.
        selection, walked = await state.client.certificates.walk(
            frontdoor,
            match=narrowing.keeps if narrowing else None,
            keep=most_that_could_fit(CertificateItem(id="", name=""), state.result_budget),  # none is smaller
            max_items=WALK_MAX_ITEMS,
            sort=sort,
            on_progress=progress,
        )
    read, matching = selection.read, selection.matched
    # More than one walk reads: by the API's count, or, without one, a walk stopped at its most.
    past_the_most = (walked.total or 0) > read or (walked.total is None and selection.full and not walked.complete)
    candidates = [item_of(summary) for summary in selection.items]

    def render(items: list[CertificateItem]) -> tuple[CertificateList, str]:
        cut = len(items) < matching
        result = CertificateList(
            frontdoor_id=frontdoor,
            items=items,
            all_pages=True,
            page=None,
            next_page=None,
            total_elements=walked.total,
            total_pages=None,
            matching=matching,
            truncated=cut,
            how_to_narrow=HOW_TO_NARROW if cut or past_the_most else None,
            complete=walked.complete,
            incomplete_reason=walked.why_incomplete,
        )
        return result, _list_text(result, narrowing, walked=read, kind=walked.incomplete_kind, sort=sort)

    result, text = trimmed_to_budget(candidates, render, state.result_budget)
    await reporter.log("info", f"Read {read} client certificates of frontdoor {frontdoor}.")
    assert isinstance(result, CertificateList)
    return Answer(result, text)


@TOOLS.tool("Get a client certificate", API_READ)
async def get_client_certificate(
    state: AppState, certificate_id: CertificateIdArg, frontdoor_id: FrontdoorIdArg = None
) -> Answer[CertificateRecord]:
    """Get one client certificate: its metadata, its PEM, the certificate decoded (subject, issuer, validity
    and days left, SANs, key, usages, SHA-256 fingerprint), and the shares that require it."""
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        certificate, usage = await certificate_and_share_usage(state, frontdoor, certificate_id)
    record = record_of(certificate)
    record.used_by_shares = usage.using(certificate.id)
    record.used_by_shares_complete, record.used_by_shares_incomplete_reason = usage.complete, usage.why_incomplete
    text = record_text("Client certificate", record, with_pem=True)
    return Answer(record, f"{text}\n{usage.in_words(certificate.id)}")


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


def _list_text(
    result: CertificateList,
    narrowing: Narrowing,
    *,
    walked: int | None = None,
    kind: IncompleteKind | None = None,
    sort: SortOrder | None = None,
    notes: tuple[str, ...] = (),
) -> str:
    """The listing's text. `walked`: certificates read by a walk; `kind`: why it is incomplete, if it is (the
    advice follows it); `sort`: the order it read in; `notes`: what one page's answer leaves open."""
    if result.all_pages:
        read, total = walked or 0, result.total_elements
        if result.complete:
            scope = f"every page read ({read:,} of {total:,})" if total is not None else f"every page read ({read:,})"
        else:
            of_total = f" of the {total:,} the API reported" if total is not None else ""
            scope = f"incomplete: {read:,}{of_total} read"
        if narrowing:
            scope += f"; {narrowing.words()}"
        head = f"{len(result.items)} of {result.matching} matching client certificates ({scope})"
    elif result.total_elements is None:
        head = f"{len(result.items)} client certificates on page={result.page} (the API reports no total)"
    else:
        head = (
            f"{len(result.items)} of {result.total_elements} client certificates "
            f"(page={result.page} of {max(result.total_pages or 0, 1)} pages)"
        )
    lines = [f"{head}: none. Frontdoor {result.frontdoor_id}." if not result.items else f"{head}:"]
    lines.extend(_item_line(item) for item in result.items[:LINES_IN_TEXT])
    if len(result.items) > LINES_IN_TEXT:
        lines.append(f"... and {len(result.items) - LINES_IN_TEXT} more in the structured result.")
    lines.extend(f"Note: {note}." for note in notes)
    if result.all_pages and not result.complete:
        advice = call_again_advice(kind, "read it anew")
        if kind == "capped":
            order = "newest first" if sort is None else f"sorted {sort}"
            advice = f" Those read are the first {walked or 0:,} ({order}); the others were not read."
            if not result.truncated:  # else the line below says how to narrow
                advice += f" {HOW_TO_NARROW}"
        lines.append(f"Incomplete: {result.incomplete_reason}.{advice}")
    if result.truncated:
        lines.append(f"Only the first {len(result.items)} fit in one result. {result.how_to_narrow}")
    if result.next_page is not None:
        lines.append(f"Next page: page={result.next_page}.")
    if result.items:
        lines.append("For one certificate's details: get_client_certificate with its certificate_id.")
    return "\n".join(lines)


def _item_line(item: CertificateItem) -> str:
    created = f", created {item.created_at:%Y-%m-%d}" if item.created_at else ""
    return f"- {shown(item.name)} certificate_id={shown_id(item.id)}{created}"


# Creating -----------------------------------------------------------------------------------------------


@TOOLS.tool("Upload a client certificate", API_CREATE)
async def upload_client_certificate(
    state: AppState,
    reporter: Reporter,
    name: NameArg,
    frontdoor_id: FrontdoorIdArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
) -> Answer[CertificateRecord]:
    """Upload an existing certificate (PEM, never its private key) as a new client certificate. Checked first:
    one certificate, RSA 2048+ or ECDSA P-256/P-384, SHA-2, currently valid. Each call creates one more.
    To have NetFoundry sign one instead: generate_csr, then create_client_certificate_from_csr."""
    frontdoor = state.frontdoor(frontdoor_id)
    checked = checked_certificate(certificate_pem, certificate_path)
    with api_errors(state):
        created = await state.client.certificates.create(frontdoor, name, checked.pem)
    record = record_of(created.certificate, pem=checked.pem, decoded=checked.details, warnings=checked.warnings)
    record.warnings.extend(_same_name_warnings(created))
    record.recovered = created.recovered
    await announce_recovery(reporter, record)
    next_step = f"shares can now require this certificate by its certificate_id={record.id}."
    return Answer(record, record_text("Uploaded client certificate", record, next_step=next_step))


@TOOLS.tool("Create a client certificate from a CSR", API_CREATE)
async def create_client_certificate_from_csr(
    state: AppState,
    reporter: Reporter,
    name: NameArg,
    frontdoor_id: FrontdoorIdArg = None,
    csr_pem: CsrPemArg = None,
    csr_path: CsrPathArg = None,
    save_certificate_to: Annotated[
        str | None,
        Field(description="New local file to save the signed certificate in.", min_length=1, max_length=MAX_PATH_CHARS),
    ] = None,
) -> Answer[CertificateRecord]:
    """Have NetFoundry's CA sign a certificate from a CSR (usually generate_csr's csr_path) and store it.
    Returns it decoded; saves it to save_certificate_to if given. Each call creates one more.
    Next: install the certificate and its key in the client."""
    frontdoor = state.frontdoor(frontdoor_id)
    checked = checked_csr(csr_pem, csr_path)
    save_to = check_save_target(save_certificate_to, "save_certificate_to") if save_certificate_to else None
    with api_errors(state):
        created = await state.client.certificates.create(frontdoor, name, checked.pem)
    # The certificate exists from here on. What fails next is said in the result, not raised: an error
    # would hide the new id and invite the model to create the certificate a second time.
    notes: list[str] = []
    try:
        certificate: CertificateSummary = await state.client.certificates.get(frontdoor, created.certificate.id)
    except (FrontdoorError, InvalidIdError) as exc:
        certificate = created.certificate
        reason = describe_failure(exc, state) if isinstance(exc, FrontdoorError) else "its id is in an unexpected form."
        notes.append(
            f"The certificate was created, but reading it back failed: {reason} "
            "Do not create it again: fetch it later with get_client_certificate."
        )
    record = record_of(certificate, warnings=notes)
    record.warnings.extend(_same_name_warnings(created))
    record.recovered = created.recovered
    await announce_recovery(reporter, record)
    if save_to is not None:
        answer = certificate.value if isinstance(certificate, Certificate) else None
        save_certificate(save_to, answer, record, csr_public_key_sha256=checked.details.public_key_sha256)
    where = record.saved_to or "the certificate above"
    next_step = f"install {where} with the CSR's private key in the client; certificate_id={record.id} names it here."
    text = record_text(
        "Signed and stored client certificate", record, next_step=next_step, with_pem=not record.saved_to
    )
    return Answer(record, text)


def _same_name_warnings(created: Created) -> list[str]:
    """Names should be unique (the guide's advice, and how a person tells certificates apart)."""
    if not created.same_name:
        return []
    ids = ", ".join(shown_id(item.id) for item in created.same_name[:5])
    more = f" and {len(created.same_name) - 5} more" if len(created.same_name) > 5 else ""
    return [
        f"A certificate of the same name already existed ({ids}{more}): names should be unique; rename one with "
        "update_client_certificate."
    ]


# Changing: rename or swap the PEM (PATCH), replace the whole definition (PUT) -----------------------------


@dataclass(frozen=True)
class ChangeTarget:
    """The certificate as it is, and the new PEM (checked) if the call swaps it: read before any question, so
    an unknown id or a refused PEM fails before the user is asked anything."""

    frontdoor_id: str
    current: Certificate
    new: CheckedCertificate | None
    shares: ShareUsage | None
    """Read only when the PEM changes: a rename changes whom no share admits."""

    @property
    def swaps_pem(self) -> bool:
        return self.new is not None

    @property
    def used_by(self) -> list[ShareRef] | None:
        return self.shares.using(self.current.id) if self.shares is not None else None

    def describe_shares(self, record: CertificateRecord) -> None:
        """The shares that use it, as far as they were read, into `record`."""
        record.used_by_shares = self.used_by
        if self.shares is not None:
            record.used_by_shares_complete = self.shares.complete
            record.used_by_shares_incomplete_reason = self.shares.why_incomplete

    def consequences(self) -> str:
        if self.shares is None:
            return ""
        words = self.shares.in_words(self.current.id)
        warning = active_shares_warning(self.used_by, swap=True)
        return f"{words} {warning}" if warning else words


async def find_change_target(
    state: AppState,
    *,
    certificate_id: str,
    frontdoor_id: str | None,
    certificate_pem: str | None,
    certificate_path: str | None,
    pem_required: bool,
    name: str | None = None,
) -> ChangeTarget:
    frontdoor = state.frontdoor(frontdoor_id)
    given_pem = certificate_pem is not None or certificate_path is not None
    if not given_pem and not pem_required and name is None:
        raise ToolError("Nothing to update: give name, or certificate_pem / certificate_path, or both.")
    new = checked_certificate(certificate_pem, certificate_path) if given_pem or pem_required else None
    with api_errors(state):
        if new is None:  # a rename: no trust changes, no shares to name
            current, shares = await state.client.certificates.get(frontdoor, certificate_id), None
        else:
            current, shares = await certificate_and_share_usage(state, frontdoor, certificate_id)
    return ChangeTarget(frontdoor, current, new, shares)


async def find_update_target(
    state: AppState,
    certificate_id: str,
    frontdoor_id: str | None,
    name: str | None,
    certificate_pem: str | None,
    certificate_path: str | None,
) -> ChangeTarget:
    return await find_change_target(
        state,
        certificate_id=certificate_id,
        frontdoor_id=frontdoor_id,
        certificate_pem=certificate_pem,
        certificate_path=certificate_path,
        pem_required=False,
        name=name,
    )


async def find_replace_target(
    state: AppState,
    certificate_id: str,
    frontdoor_id: str | None,
    certificate_pem: str | None,
    certificate_path: str | None,
) -> ChangeTarget:
    return await find_change_target(
        state,
        certificate_id=certificate_id,
        frontdoor_id=frontdoor_id,
        certificate_pem=certificate_pem,
        certificate_path=certificate_path,
        pem_required=True,
    )


def change_question(target: ChangeTarget) -> str | None:
    """What the user is asked before a PEM swap (which certificate, the old and the new side by side); None
    for a rename, which needs no agreement."""
    if not target.swaps_pem:
        return None
    current = target.current
    lines = [
        f"Swap the certificate stored as {shown(current.name)} ({shown_id(current.id)}) in frontdoor "
        f"{target.frontdoor_id}? Shares that use it will then admit clients by the new certificate instead.",
        target.consequences(),
        f"Now: {certificate_line(current.value)}",
    ]
    if target.new is not None:
        lines.append(f"New: {certificate_line(target.new.pem)}")
    return "\n".join(lines)


@TOOLS.tool("Update a client certificate", API_DESTRUCTIVE)
async def update_client_certificate(
    state: AppState,
    reporter: Reporter,
    certificate_id: CertificateIdArg,
    target: Annotated[ChangeTarget, LookedUp(find_update_target)],
    consent: Annotated[ConsentHow, UserAgreement(change_question, about="target")],
    frontdoor_id: FrontdoorIdArg = None,
    name: OptionalNameArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
    confirm: ConfirmArg = False,
) -> Answer[CertificateChange]:
    """Rename a client certificate or swap its PEM (PATCH: only the fields given change). A PEM swap changes
    whom the shares using it admit: the user must agree. A client that can ask is asked; otherwise pass
    confirm=true only after the user agreed (without it nothing changes; the result shows the change)."""
    return await _change(state, reporter, target=target, method="PATCH", name=name, consent=consent)


@TOOLS.tool("Replace a client certificate", API_DESTRUCTIVE)
async def replace_client_certificate(
    state: AppState,
    reporter: Reporter,
    certificate_id: CertificateIdArg,
    name: NameArg,
    target: Annotated[ChangeTarget, LookedUp(find_replace_target)],
    consent: Annotated[ConsentHow, UserAgreement(change_question, about="target")],
    frontdoor_id: FrontdoorIdArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
    confirm: ConfirmArg = False,
) -> Answer[CertificateChange]:
    """Replace a client certificate's name and PEM together (PUT). Confirmed like a PEM swap in
    update_client_certificate."""
    return await _change(state, reporter, target=target, method="PUT", name=name, consent=consent)


async def _change(
    state: AppState,
    reporter: Reporter,
    *,
    target: ChangeTarget,
    method: Literal["PATCH", "PUT"],
    name: str | None,
    consent: ConsentHow,
) -> Answer[CertificateChange]:
    tool = "update_client_certificate" if method == "PATCH" else "replace_client_certificate"
    if not agreed(consent):
        return _not_changed(target, consent, tool)
    frontdoor, certificate_id = target.frontdoor_id, target.current.id
    new_pem = target.new.pem if target.new is not None else None
    with api_errors(state):
        if method == "PATCH":
            updated = await state.client.certificates.patch(frontdoor, certificate_id, name=name, value=new_pem)
            certificate, recovered = updated.certificate, updated.recovered
        else:
            assert name is not None and new_pem is not None  # the schema requires both for PUT
            certificate = await state.client.certificates.put(frontdoor, certificate_id, name=name, value=new_pem)
            recovered = False
    record = record_of(certificate, warnings=target.new.warnings if target.new is not None else None)
    target.describe_shares(record)
    change = CertificateChange(**record.model_dump(), changed=True, confirmation=consent)
    change.recovered = recovered
    await announce_recovery(reporter, change)
    title = "Updated client certificate" if method == "PATCH" else "Replaced client certificate"
    text = record_text(title, change)
    return Answer(change, f"{text}\n{target.consequences()}" if target.shares is not None else text)


def _not_changed(target: ChangeTarget, consent: ConsentHow, tool: str) -> Answer[CertificateChange]:
    record = record_of(target.current)
    target.describe_shares(record)
    current = target.current
    if consent == "required":
        how = (
            f"swapping the certificate of {shown(current.name)} ({current.id}) needs the user's explicit agreement. "
            f"Show the user the change below, and if they agree call {tool} again with the same arguments and "
            "confirm=true."
        )
    else:
        how = "the user did not agree to the change. Do not retry unless the user asks again."
    change = CertificateChange(**record.model_dump(), changed=False, confirmation=consent, how_to_confirm=how)
    return Answer(change, f"Not changed: {how}\n{change_question(target)}")


# Deleting -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeletionTarget:
    """The certificate as it is just before the question, and the shares that require it: a missing id fails
    here, before anything is asked, and what the user is shown is its real name and what depends on it."""

    frontdoor_id: str
    certificate: Certificate
    shares: ShareUsage

    @property
    def used_by(self) -> list[ShareRef] | None:
        return self.shares.using(self.certificate.id)

    def consequences(self) -> str:
        """What deleting it does, in a sentence or two: the shares named, ACTIVE ones warned about."""
        words = self.shares.in_words(self.certificate.id)
        warning = active_shares_warning(self.used_by, swap=False)
        return f"{words} {warning}" if warning else words


async def find_deletion_target(state: AppState, certificate_id: str, frontdoor_id: str | None) -> DeletionTarget:
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        certificate, usage = await certificate_and_share_usage(state, frontdoor, certificate_id)
    return DeletionTarget(frontdoor, certificate, usage)


def deletion_question(target: DeletionTarget) -> str:
    return (
        f"Delete client certificate {shown(target.certificate.name)} ({shown_id(target.certificate.id)}) "
        f"from frontdoor {target.frontdoor_id}? {target.consequences()}"
    )


@TOOLS.tool("Delete a client certificate", API_DESTRUCTIVE)
async def delete_client_certificate(
    state: AppState,
    reporter: Reporter,
    certificate_id: CertificateIdArg,
    target: Annotated[DeletionTarget, LookedUp(find_deletion_target)],
    consent: Annotated[ConsentHow, UserAgreement(deletion_question, about="target")],
    frontdoor_id: FrontdoorIdArg = None,
    confirm: ConfirmArg = False,
) -> Answer[DeleteResult]:
    """Delete a client certificate: shares using it stop admitting its clients. The user must agree. A client
    that can ask is asked; otherwise pass confirm=true only after the user agreed (without it nothing is
    deleted; the result shows what would be)."""
    frontdoor, certificate_id = target.frontdoor_id, target.certificate.id
    if not agreed(consent):
        result = _not_deleted(target, consent)
        return Answer(result, f"Not deleted: {result.how_to_confirm} {target.consequences()}")
    via: Literal["confirm_argument", "elicitation"] = "elicitation" if consent == "elicitation" else "confirm_argument"
    try:
        deleted = await state.client.certificates.delete(frontdoor, certificate_id)
    except NotFound as exc:
        if not exc.after_lost_answer:
            raise tool_error(exc, state) from None
        # The first DELETE was sent and its answer lost; the retry's 404 says that first one did the delete.
        result = DeleteResult(
            deleted=True,
            id=certificate_id,
            name=target.certificate.name,
            frontdoor_id=frontdoor,
            confirmation=via,
            recovered=True,
            used_by_shares=target.used_by,
            used_by_shares_complete=target.shares.complete,
            used_by_shares_incomplete_reason=target.shares.why_incomplete,
        )
        await reporter.log("warning", f"The connection dropped; {shown_id(certificate_id)} was found deleted.")
        return Answer(
            result,
            f"Deleted client certificate {shown_id(certificate_id)}: the connection dropped during the delete, "
            "and the certificate was found gone afterwards.",
        )
    except FrontdoorError as exc:
        raise tool_error(exc, state) from None
    result = DeleteResult(
        deleted=True,
        id=deleted.id,
        name=deleted.name,
        frontdoor_id=deleted.frontdoor_id,
        deleted_at=deleted.deleted_at,
        deleted_by=deleted.deleted_by,
        confirmation=via,
        used_by_shares=target.used_by,
        used_by_shares_complete=target.shares.complete,
        used_by_shares_incomplete_reason=target.shares.why_incomplete,
    )
    when = f" at {deleted.deleted_at:%Y-%m-%d %H:%M:%S} UTC" if deleted.deleted_at else ""
    label = f"{shown(deleted.name)} ({shown_id(deleted.id)})" if deleted.name is not None else shown_id(deleted.id)
    warning = active_shares_warning(target.used_by, swap=False)
    after = f" {warning.replace('will stop', 'now stop')}" if warning else ""
    return Answer(result, f"Deleted client certificate {label}{when}.{after}")


def _not_deleted(target: DeletionTarget, consent: ConsentHow) -> DeleteResult:
    certificate = target.certificate
    if consent == "required":
        return DeleteResult(
            deleted=False,
            id=certificate.id,
            name=certificate.name,
            frontdoor_id=target.frontdoor_id,
            confirmation="required",
            used_by_shares=target.used_by,
            used_by_shares_complete=target.shares.complete,
            used_by_shares_incomplete_reason=target.shares.why_incomplete,
            how_to_confirm=(
                f"deleting {shown(certificate.name)} ({certificate.id}) needs the user's explicit agreement. "
                "Show the user the name and id, and if they agree call delete_client_certificate again with "
                "confirm=true."
            ),
        )
    return DeleteResult(
        deleted=False,
        id=certificate.id,
        name=certificate.name,
        frontdoor_id=target.frontdoor_id,
        confirmation="declined" if consent == "declined" else "cancelled",
        used_by_shares=target.used_by,
        used_by_shares_complete=target.shares.complete,
        used_by_shares_incomplete_reason=target.shares.why_incomplete,
        how_to_confirm="the user did not confirm the delete. Do not retry unless the user asks again.",
    )

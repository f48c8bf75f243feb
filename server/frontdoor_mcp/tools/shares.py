"""Shares, read only: list them, read one with its mTLS settings in plain words, and check whether a share
would let in a client presenting a given certificate, rule by rule (evaluated here, nothing is sent)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema

from frontdoor_mcp.api.errors import FrontdoorError, NotFound
from frontdoor_mcp.api.ids import SHARE_ID_PATTERN, InvalidIdError
from frontdoor_mcp.api.shares import Filter, Share
from frontdoor_mcp.api.walk import IncompleteKind
from frontdoor_mcp.pki.admission import INTERPRETATION, FilterValues, Outcome, ShareRules, Verdict, evaluate_admission
from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.inspect import describe_certificate
from frontdoor_mcp.pki.parse import check_no_private_key
from frontdoor_mcp.text import cap_text
from frontdoor_mcp.toolkit.annotations import API_READ
from frontdoor_mcp.toolkit.answers import Answer, call_again_advice, shown, shown_id
from frontdoor_mcp.toolkit.budget import LINES_IN_TEXT, trimmed_to_budget
from frontdoor_mcp.toolkit.definition import ToolGroup
from frontdoor_mcp.toolkit.failures import api_errors, describe_failure
from frontdoor_mcp.toolkit.state import AppState, Reporter
from frontdoor_mcp.tools.arguments import CertificatePathArg, CertificatePemArg, FrontdoorIdArg, PageArg, SizeArg
from frontdoor_mcp.tools.local_files import pem_text

TOOLS: Final = ToolGroup("shares")

ShareIdArg = Annotated[
    str,
    StringConstraints(pattern=SHARE_ID_PATTERN),
    WithJsonSchema({"type": "string"}),
    Field(description="Share id (from list_shares)."),
]


class ShareItem(BaseModel):
    id: str
    name: str = Field(description="The share's name (data from the API).")
    type: str | None
    state: str | None
    ingress_port: int | None
    requires_mtls: bool = Field(description="True when the share names a client certificate.")
    client_certificate_id: str | None
    ingress_address: str | None = Field(default=None, description="host:port it listens on, when the API says.")


class ShareList(BaseModel):
    frontdoor_id: str
    items: list[ShareItem]
    all_pages: bool
    total_elements: int | None = Field(description="The API's count of shares; null when its pages report none.")
    matching: int
    truncated: bool
    complete: bool | None = Field(
        default=None, description="When every page was read: true only when the walk showed it read every share."
    )
    incomplete_reason: str | None = Field(default=None, description="Why the walk is not complete, when it is not.")


class ReferencedCertificate(BaseModel):
    id: str
    found: bool = Field(description="False when the share names a certificate that no longer exists.")
    name: str | None = None
    not_after: datetime | None = None
    days_remaining: int | None = None


class ShownFilter(BaseModel):
    """A filter of the share, as shown: its first entries, each capped for display (a verdict reads them whole)."""

    entries: list[str] = Field(description="The first entries (data from the API).")
    total: int = Field(description="How many entries the filter has.")
    unreadable: list[str] = Field(description="Entries the API sent in a form that is not text, and where.")


class ShareRecord(ShareItem):
    env_zid: str | None
    target: str | None
    allowed_subjects: ShownFilter | None
    allowed_common_name_prefixes: ShownFilter | None
    required_organizational_unit: ShownFilter | None
    certificate: ReferencedCertificate | None = Field(description="The certificate the share names, as it is now.")
    mtls_in_words: str = Field(description="Who the share lets in, in plain words.")


class RuleResult(BaseModel):
    rule: str
    outcome: Outcome = Field(description="Whether this rule lets the client in; cannot_decide: unknown.")
    why: str


class AdmissionCheck(BaseModel):
    share_id: str
    share_name: str
    verdict: Verdict = Field(description="admit, refuse, or cannot_decide (never a guess).")
    admitted: bool | None = Field(description="Whether the share would let the client in; null: cannot decide.")
    rules: list[RuleResult]
    interpretation: list[str] = Field(description="How undocumented points were read.")


FILTER_ENTRIES_SHOWN: Final = 20
FILTER_ENTRY_SHOWN_CHARS: Final = 300
FILTER_ENTRIES_IN_TEXT: Final = 5


def item_of_share(share: Share) -> ShareItem:
    return ShareItem(
        id=share.id,
        name=share.name,
        type=share.type,
        state=share.state,
        ingress_port=share.ingress_port,
        requires_mtls=share.requires_mtls,
        client_certificate_id=share.client_certificate_id,
        ingress_address=share.ingress_address,
    )


def shown_filter(values: Filter | None) -> ShownFilter | None:
    if values is None or not (values.entries or values.unreadable):
        return None
    return ShownFilter(
        entries=[cap_text(entry, FILTER_ENTRY_SHOWN_CHARS) for entry in values.entries[:FILTER_ENTRIES_SHOWN]],
        total=len(values.entries) + len(values.unreadable),
        unreadable=list(values.unreadable[:FILTER_ENTRIES_SHOWN]),
    )


def filter_values(values: Filter | None) -> FilterValues | None:
    """A share's filter as the admission check reads it: whole."""
    return None if values is None else FilterValues(values.entries, values.unreadable)


# The tools ----------------------------------------------------------------------------------------------


@TOOLS.tool("List shares", API_READ)
async def list_shares(
    state: AppState,
    reporter: Reporter,
    frontdoor_id: FrontdoorIdArg = None,
    page: PageArg = 0,
    size: SizeArg = 20,
    all_pages: Annotated[bool, Field(description="Read every page.")] = False,
    env_zid: Annotated[str | None, Field(description="Only this environment's shares (envZId).", max_length=64)] = None,
    uses_certificate_id: Annotated[
        str | None, Field(description="Only shares that require this certificate (reads every page).", max_length=85)
    ] = None,
) -> Answer[ShareList]:
    """List a frontdoor's shares: name, type, state, ingress port, whether mTLS is required and by which
    certificate. uses_certificate_id finds the shares a certificate change would affect."""
    frontdoor = state.frontdoor(frontdoor_id)
    walk = all_pages or uses_certificate_id is not None
    complete: bool | None = None
    why_incomplete: str | None = None
    kind: IncompleteKind | None = None
    with api_errors(state):
        if walk:

            async def progress(done: int, total: int | None) -> None:
                pages = f"{done} of {total}" if total else f"{done}"
                await reporter.progress(done, total, f"read {pages} pages")

            shares, walked = await state.client.shares.list_all(frontdoor, env_zid=env_zid, on_progress=progress)
            total, complete, why_incomplete = walked.total, walked.complete, walked.why_incomplete
            kind = walked.incomplete_kind
        else:
            listing = await state.client.shares.list(frontdoor, page=page, size=size, env_zid=env_zid)
            shares, total = list(listing.items), listing.total_elements
    matching = [
        item_of_share(share)
        for share in shares
        if uses_certificate_id is None or share.client_certificate_id == uses_certificate_id
    ]

    def render(items: list[ShareItem]) -> tuple[ShareList, str]:
        result = ShareList(
            frontdoor_id=frontdoor,
            items=items,
            all_pages=walk,
            total_elements=total,
            matching=len(matching),
            truncated=len(items) < len(matching),
            complete=complete,
            incomplete_reason=why_incomplete,
        )
        return result, _list_text(result, uses_certificate_id, kind)

    result, text = trimmed_to_budget(matching, render, state.result_budget)
    assert isinstance(result, ShareList)
    return Answer(result, text)


@TOOLS.tool("Get a share", API_READ)
async def get_share(state: AppState, share_id: ShareIdArg, frontdoor_id: FrontdoorIdArg = None) -> Answer[ShareRecord]:
    """Get one share: type, state, target, and its mTLS settings in plain words, with the certificate it
    requires (its name and expiry, or that it no longer exists)."""
    frontdoor = state.frontdoor(frontdoor_id)
    with api_errors(state):
        share = await state.client.shares.get(frontdoor, share_id)
    referenced = await _referenced(state, frontdoor, share)
    record = ShareRecord(
        **item_of_share(share).model_dump(),
        env_zid=share.env_z_id,
        target=share.target,
        allowed_subjects=shown_filter(share.allowed_subjects),
        allowed_common_name_prefixes=shown_filter(share.allowed_common_name_prefixes),
        required_organizational_unit=shown_filter(share.required_organizational_unit),
        certificate=referenced,
        mtls_in_words=_mtls_in_words(share, referenced),
    )
    lines = [
        f"Share {shown(share.name)}, share_id={shown_id(share.id)}: {share.type or 'type unknown'}, "
        f"{share.state or 'state unknown'}"
        + (f", ingress port {share.ingress_port}" if share.ingress_port else "")
        + (f", listening at {shown(share.ingress_address)}" if share.ingress_address else "")
        + ".",
        record.mtls_in_words,
    ]
    if share.requires_mtls:
        lines.append("Next: check_certificate_against_share tells whether a given certificate would get in.")
    return Answer(record, "\n".join(lines))


@TOOLS.tool("Check a certificate against a share", API_READ)
async def check_certificate_against_share(
    state: AppState,
    share_id: ShareIdArg,
    frontdoor_id: FrontdoorIdArg = None,
    certificate_pem: CertificatePemArg = None,
    certificate_path: CertificatePathArg = None,
) -> Answer[AdmissionCheck]:
    """Check here whether a share would let in a client presenting this certificate, rule by rule as a TLS
    server verifies it: trust, validity, clientAuth, each filter. Answers admit, refuse or cannot decide. Use
    it before rotating a certificate a share requires, or when a client is refused."""
    frontdoor = state.frontdoor(frontdoor_id)
    text = pem_text(certificate_pem, certificate_path, inline_name="certificate_pem", path_name="certificate_path")
    try:
        check_no_private_key(text, "certificate")
    except PemError as exc:
        raise ToolError(f"The certificate was refused: {exc}") from None
    with api_errors(state):
        share = await state.client.shares.get(frontdoor, share_id)
    check = await admission_check(state, frontdoor, share, text)
    return Answer(check, admission_text(check))


async def admission_check(state: AppState, frontdoor: str, share: Share, certificate_pem: str) -> AdmissionCheck:
    """The check of `certificate_pem` against `share` (read just now), the share's certificate read too."""
    trusted_pem, missing, unreadable = None, None, None
    if share.client_certificate_id is not None:
        try:
            certificate = await state.client.certificates.get(frontdoor, share.client_certificate_id)
        except (NotFound, InvalidIdError):
            missing = "The share names a certificate that no longer exists: it admits nobody."
        except FrontdoorError as exc:
            unreadable = f"The share's certificate could not be read just now: {describe_failure(exc, state)}"
        else:
            trusted_pem = certificate.value
            if not trusted_pem:
                unreadable = "The API shows the share's certificate without its PEM, so whom it trusts is unknown."
    rules = ShareRules(
        requires_mtls=share.requires_mtls,
        trusted_pem=trusted_pem,
        trusted_missing=missing,
        trusted_unreadable=unreadable,
        allowed_subjects=filter_values(share.allowed_subjects),
        allowed_common_name_prefixes=filter_values(share.allowed_common_name_prefixes),
        required_organizational_unit=filter_values(share.required_organizational_unit),
    )
    try:
        judged = await state.off_the_loop(lambda: evaluate_admission(certificate_pem, rules, now=datetime.now(UTC)))
    except PemError as exc:
        raise ToolError(f"The certificate could not be read: {exc}") from None
    return AdmissionCheck(
        share_id=share.id,
        share_name=share.name,
        verdict=judged.verdict,
        admitted={"admit": True, "refuse": False}.get(judged.verdict),
        rules=[RuleResult(rule=rule.rule, outcome=rule.outcome, why=rule.why) for rule in judged.rules],
        interpretation=list(INTERPRETATION),
    )


def admission_text(check: AdmissionCheck) -> str:
    share = f"Share {shown(check.share_name)} ({shown_id(check.share_id)})"
    if check.verdict == "cannot_decide":
        head = f"{share}: whether it would admit a client presenting this certificate cannot be decided here:"
    else:
        head = f"{share} would {check.verdict.upper()} a client presenting this certificate:"
    lines = [head, *(f"- {rule.rule}: {rule.outcome}. {rule.why}" for rule in check.rules)]
    lines.append("Read as: " + " ".join(INTERPRETATION))
    return "\n".join(lines)


async def _referenced(state: AppState, frontdoor: str, share: Share) -> ReferencedCertificate | None:
    if share.client_certificate_id is None:
        return None
    try:
        certificate = await state.client.certificates.get(frontdoor, share.client_certificate_id)
    except (NotFound, InvalidIdError):
        return ReferencedCertificate(id=share.client_certificate_id, found=False)
    except FrontdoorError as exc:
        raise ToolError(
            f"The share was read, but its certificate could not be: {describe_failure(exc, state)}"
        ) from None
    referenced = ReferencedCertificate(id=certificate.id, found=True, name=certificate.name)
    try:
        details = describe_certificate(certificate.value or "", now=datetime.now(UTC))
    except PemError:
        return referenced
    referenced.not_after, referenced.days_remaining = details.not_after, details.days_remaining
    return referenced


def _mtls_in_words(share: Share, referenced: ReferencedCertificate | None) -> str:
    if not share.requires_mtls or referenced is None:
        return "mTLS: not required (the share names no client certificate): any client reaches it."
    if not referenced.found:
        return (
            f"mTLS: required, by certificate_id={shown_id(referenced.id)}, which no longer exists: the share "
            "admits nobody until it names a certificate that exists."
        )
    expiry = (
        f", expires {referenced.not_after:%Y-%m-%d} ({referenced.days_remaining} days)" if referenced.not_after else ""
    )
    parts = [
        f"mTLS: required; clients must present the certificate {shown(referenced.name)} "
        f"(certificate_id={shown_id(referenced.id)}{expiry}) or one it signed"
    ]
    if share.allowed_subjects is not None:
        parts.append(f"with a subject among {_entries_in_words(share.allowed_subjects)}")
    if share.allowed_common_name_prefixes is not None:
        parts.append(f"every CN starting with one of {_entries_in_words(share.allowed_common_name_prefixes)}")
    if share.required_organizational_unit is not None:
        parts.append(f"an OU of exactly {_entries_in_words(share.required_organizational_unit)}")
    return "; ".join(parts) + "."


def _entries_in_words(values: Filter) -> str:
    """A filter's first entries, quoted and capped, and how many were not shown (or could not be read)."""
    named = ", ".join(shown(entry) for entry in values.entries[:FILTER_ENTRIES_IN_TEXT])
    rest = len(values.entries) - FILTER_ENTRIES_IN_TEXT
    notes = [f"{rest} more not shown"] if rest > 0 else []
    if values.unreadable:
        notes.append(f"{len(values.unreadable)} not readable as text")
    return named + (f" ({'; '.join(notes)})" if notes else "")


def _list_text(result: ShareList, uses: str | None, kind: IncompleteKind | None) -> str:
    """The listing's text; `kind`: why a walk is incomplete, if it is (the advice follows it)."""
    which = f" using certificate_id={uses}" if uses else ""
    in_all = f"{result.total_elements} in all" if result.total_elements is not None else "the API reports no total"
    head = f"{len(result.items)} of {result.matching} shares{which} ({in_all})"
    incomplete = (
        f"Not every share could be read: {result.incomplete_reason}. The list may miss some."
        f"{call_again_advice(kind, 'read it anew')}"
    )
    if not result.items:
        return f"{head}: none read. {incomplete}" if result.complete is False else f"{head}: none."
    lines = [f"{head}:"]
    for item in result.items[:LINES_IN_TEXT]:
        mtls = f"mTLS by certificate_id={item.client_certificate_id}" if item.requires_mtls else "no mTLS"
        port = f", port {item.ingress_port}" if item.ingress_port else ""
        lines.append(f"- {shown(item.name)} share_id={shown_id(item.id)}: {item.type}, {item.state}{port}, {mtls}")
    if result.complete is False:
        lines.append(incomplete)
    if result.truncated:
        lines.append("Only the first ones fit in one result: narrow with uses_certificate_id or env_zid.")
    lines.append("For one share's mTLS settings: get_share with its share_id.")
    return "\n".join(lines)

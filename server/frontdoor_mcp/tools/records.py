"""Shaping API answers into tool results: the structured record and its short, escaped text."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from mcp.server.mcpserver import (
    Context,
)
from mcp.server.mcpserver.exceptions import ToolError

from frontdoor_mcp.api.models import Certificate, CertificateSummary
from frontdoor_mcp.pki.models import CertificateDetails
from frontdoor_mcp.tools.pem_input import check_path
from frontdoor_mcp.tools.respond import notify, shown, shown_id
from frontdoor_mcp.tools.results import CertificateItem, CertificateList, CertificateRecord
from frontdoor_mcp.tools.state import AppState

EXPIRY_WARNING_DAYS: Final = 30


async def announce_recovery(ctx: Context[AppState, Any], record: CertificateRecord) -> None:
    if record.recovered:
        await notify(ctx, "warning", f"The connection dropped; {shown_id(record.id)} was found applied, not repeated.")


def item_of(summary: CertificateSummary) -> CertificateItem:
    return CertificateItem(
        id=summary.id,
        name=summary.name,
        frontdoor_id=summary.frontdoor_id,
        created_at=summary.created_at,
        created_by=summary.created_by,
    )


def record_of(
    certificate: CertificateSummary,
    *,
    pem: str | None = None,
    decoded: CertificateDetails | None = None,
    warnings: list[str] | None = None,
) -> CertificateRecord:
    pem = pem or (certificate.value if isinstance(certificate, Certificate) else None)
    record = CertificateRecord(
        id=certificate.id,
        name=certificate.name,
        frontdoor_id=certificate.frontdoor_id,
        created_at=certificate.created_at,
        created_by=certificate.created_by,
        certificate_pem=pem,
        decoded=decoded,
        warnings=list(warnings or []),
    )
    if pem and decoded is None:
        from frontdoor_mcp.pki.errors import PemError
        from frontdoor_mcp.pki.inspect import describe_certificate

        try:
            record.decoded = describe_certificate(pem, now=datetime.now(UTC))
        except PemError as exc:
            record.decode_error = str(exc)
    # Given warnings come from the input policy, which has already judged this PEM's expiry.
    if record.decoded is not None and warnings is None:
        days = record.decoded.days_remaining
        if days < 0:
            record.warnings.append(f"This certificate expired {-days} days ago: rotate it.")
        elif days <= EXPIRY_WARNING_DAYS:
            record.warnings.append(f"This certificate expires in {days} days: plan its rotation.")
    return record


def check_new_file(path: str, argument: str) -> None:
    """Refuse, before anything is sent, a file that could not be created new afterwards."""
    check_path(path, argument)
    target = Path(path).expanduser()
    if os.path.lexists(target):
        raise ToolError(f"{argument}: {target} already exists, and files are never overwritten. Choose a new name.")
    if not target.parent.is_dir():
        raise ToolError(f"{argument}: the folder {target.parent} does not exist; create it or choose another path.")


def save_certificate(path: str, pem: str, record: CertificateRecord) -> None:
    from frontdoor_mcp.pki.files import LocalFileError, write_new_private_file

    try:
        record.saved_to = str(write_new_private_file(path, pem.encode()))
    except LocalFileError as exc:
        # Checked before the create, so only a race gets here; the certificate exists, so not an error.
        record.warnings.append(f"The certificate was created, but saving it failed: {exc}")


def list_text(result: CertificateList) -> str:
    if not result.items:
        return f"No client certificates on this page (frontdoor {result.frontdoor_id}, {result.total_elements} in all)."
    pages = max(result.total_pages, 1)
    scope = "all pages" if result.all_pages else f"page={result.page}, {pages} page{'s' if pages != 1 else ''} in all"
    lines = [f"{len(result.items)} of {result.total_elements} client certificates ({scope}):"]
    lines.extend(f"- {shown(item.name)} {shown_id(item.id)}" for item in result.items[:50])
    if len(result.items) > 50:
        lines.append(f"... and {len(result.items) - 50} more in the structured result.")
    if result.next_page is not None:
        lines.append(f"Next: page={result.next_page}.")
    return "\n".join(lines)


def record_text(title: str, record: CertificateRecord) -> str:
    lines = [f"{title} {shown(record.name)} ({shown_id(record.id)})."]
    if record.recovered:
        lines.append("The connection dropped, and the change was found applied afterwards (it was not repeated).")
    if record.decoded is not None:
        decoded = record.decoded
        lines.append(
            f"Subject {shown(decoded.subject)}, issuer {shown(decoded.issuer)}, valid until "
            f"{decoded.not_after:%Y-%m-%d} ({decoded.days_remaining} days), SHA-256 {decoded.fingerprint_sha256}."
        )
    elif record.decode_error:
        lines.append(f"The PEM could not be decoded: {record.decode_error}")
    lines.extend(f"Warning: {warning}" for warning in record.warnings)
    if record.saved_to:
        lines.append(f"Saved the certificate to {record.saved_to}.")
    return "\n".join(lines)

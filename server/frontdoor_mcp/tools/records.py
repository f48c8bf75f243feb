"""Shaping API answers into tool results: the structured record and its short, escaped text."""

from __future__ import annotations

from datetime import UTC, datetime

from frontdoor_mcp.api.models import Certificate, CertificateSummary
from frontdoor_mcp.pki.models import CertificateDetails
from frontdoor_mcp.rules import PEM_IN_RESULT_MAX_BYTES, expires_soon
from frontdoor_mcp.tools.respond import shown, shown_id
from frontdoor_mcp.tools.results import CertificateItem, CertificateRecord
from frontdoor_mcp.tools.state import Reporter


async def announce_recovery(reporter: Reporter, record: CertificateRecord) -> None:
    if record.recovered:
        await reporter.log("warning", f"The connection dropped; {shown_id(record.id)} was found applied, not repeated.")


def item_of(summary: CertificateSummary) -> CertificateItem:
    return CertificateItem(
        id=summary.id, name=summary.name, created_at=summary.created_at, created_by=summary.created_by
    )


def record_of(
    certificate: CertificateSummary,
    *,
    pem: str | None = None,
    decoded: CertificateDetails | None = None,
    warnings: list[str] | None = None,
) -> CertificateRecord:
    """The record of a certificate. Its PEM is shown only re-encoded from the parsed certificate, so nothing
    that rode along in the API's answer (a second block, a trailing payload) reaches a result."""
    from frontdoor_mcp.pki.errors import PemError
    from frontdoor_mcp.pki.inspect import canonical_certificate, describe_certificate

    stored = pem or (certificate.value if isinstance(certificate, Certificate) else None)
    record = CertificateRecord(
        id=certificate.id,
        name=certificate.name,
        frontdoor_id=certificate.frontdoor_id,
        created_at=certificate.created_at,
        created_by=certificate.created_by,
        warnings=list(warnings or []),
    )
    if stored:
        try:
            canonical = canonical_certificate(stored).pem
            record.decoded = decoded or describe_certificate(canonical, now=datetime.now(UTC))
        except PemError as exc:
            record.decode_error = str(exc)
        else:
            if len(canonical) <= PEM_IN_RESULT_MAX_BYTES:
                record.certificate_pem = canonical
            else:
                record.warnings.append(
                    f"The PEM ({len(canonical):,} bytes) is too large to repeat here; the resource "
                    f"frontdoor://{certificate.frontdoor_id}/client-certificates/{certificate.id}.pem serves it."
                )
    # Given warnings come from the input policy, which has already judged this PEM's expiry.
    if record.decoded is not None and warnings is None:
        days = record.decoded.days_remaining
        if days < 0:
            record.warnings.append(f"This certificate expired {-days} days ago: rotate it.")
        elif expires_soon(days):
            record.warnings.append(f"This certificate expires in {days} days: plan its rotation.")
    return record


def certificate_line(pem: str | None) -> str:
    """One certificate in one line, for a question or a comparison: subject, issuer, expiry, fingerprint."""
    from frontdoor_mcp.pki.errors import PemError
    from frontdoor_mcp.pki.inspect import describe_certificate

    if not pem:
        return "(no PEM stored)"
    try:
        details = describe_certificate(pem, now=datetime.now(UTC))
    except PemError:
        return "(the stored PEM cannot be decoded)"
    return (
        f"subject {shown(details.subject)}, issuer {shown(details.issuer)}, expires {details.not_after:%Y-%m-%d}, "
        f"SHA-256 {details.fingerprint_sha256}"
    )


def record_text(title: str, record: CertificateRecord, *, next_step: str | None = None, with_pem: bool = False) -> str:
    """The record in a few lines: enough to act on without the structured content (the id as the argument
    that takes it, the dates, the fingerprint, where a file went), and the next step if there is one."""
    lines = [f"{title} {shown(record.name)}, certificate_id={shown_id(record.id)}."]
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
    if with_pem and record.certificate_pem:
        lines.append(record.certificate_pem.strip())  # re-encoded from the parsed certificate: nothing else
    if next_step:
        lines.append(f"Next: {next_step}")
    return "\n".join(lines)

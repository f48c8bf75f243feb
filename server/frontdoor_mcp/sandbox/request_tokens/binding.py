"""Binding the bodies of the certificate request token endpoints: create, PATCH, PUT and redemption.

Spring conventions as for certificates: unknown fields ignored, strict types, JSON null is "not given".
Each choice the guide leaves open is listed in the README ("Sandbox choices") and commented where it is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from frontdoor_mcp.sandbox.web.responses import bad_request
from frontdoor_mcp.sandbox.web.validation import (
    CertificateInput,
    check_name,
    checked_name,
    json_object,
    optional_integer,
    optional_string,
)

TOKEN_LIFETIME_S = 7 * 24 * 3600
"""A token expires 7 days after it is created (the guide shows an `expiresAt` but not how it is chosen)."""
DEFAULT_VALID_YEARS = 1
MAX_VALID_YEARS = 10
DAYS_PER_VALID_YEAR = 365
"""`validYears` sets the issued certificate's validity in units of 365 days: NetFoundry-signed certificates are
documented as valid 365 days, so the default of 1 gives exactly that."""
MAX_SUBJECT_FIELD = 64
"""RFC 5280's upper bound for a common name, organization and organizational unit (ub-common-name etc.)."""

SUBJECT_FIELDS: dict[str, str] = {
    "commonName": "common_name",
    "organization": "organization",
    "organizationalUnit": "organizational_unit",
}
"""JSON field name -> column name of the subject fields a token may fix."""


@dataclass(frozen=True)
class TokenCreate:
    name: str
    subject: dict[str, str | None]
    """Column name -> value (None: left blank, so the redeemer's CSR decides)."""
    valid_years: int


def token_create(body: object) -> TokenCreate:
    obj = json_object(body)
    name = checked_name(optional_string(obj, "name"))
    subject = {column: _subject_field(obj, field) for field, column in SUBJECT_FIELDS.items()}
    valid_years = optional_integer(obj, "validYears")
    if valid_years is None:
        valid_years = DEFAULT_VALID_YEARS
    elif not 1 <= valid_years <= MAX_VALID_YEARS:
        raise bad_request(f"validYears must be between 1 and {MAX_VALID_YEARS}")
    return TokenCreate(name, subject, valid_years)


def token_changes(body: object, *, replace: bool) -> dict[str, str | None]:
    """The columns a PATCH (`replace=False`: only the fields given) or PUT (`replace=True`: name required, a
    subject field absent or null is cleared, as a full replacement of the definition) sets.

    `validYears` is not among them: it was fixed when the token was created (the guide names only the subject
    fields as updatable), so PATCH and PUT ignore it like any unknown field."""
    obj = json_object(body)
    changes: dict[str, str | None] = {}
    name = optional_string(obj, "name")
    if replace:
        changes["name"] = checked_name(name)
    elif name is not None:
        check_name(name)
        changes["name"] = name
    for field, column in SUBJECT_FIELDS.items():
        if replace or obj.get(field) is not None:
            changes[column] = _subject_field(obj, field)
    return changes


def _subject_field(obj: Mapping[str, object], field: str) -> str | None:
    """A subject field: "" means blank (None: cleared, left to the CSR); only-whitespace is 400, since an
    attribute of spaces in a certificate subject is a mistake, not a value."""
    value = optional_string(obj, field)
    if value is None or value == "":
        return None
    if not value.strip():
        raise bad_request(f"{field} must not be blank")
    if len(value) > MAX_SUBJECT_FIELD:
        raise bad_request(f"{field} size must be between 0 and {MAX_SUBJECT_FIELD}")
    return value


def redemption_input(body: object) -> CertificateInput:
    """`{"type": "CSR", "value": <CSR PEM>}`. `type` may be absent (only a CSR makes sense here); any other
    value is 400, as Jackson reports an enum it cannot read."""
    obj = json_object(body)
    value = optional_string(obj, "value")
    kind = optional_string(obj, "type")
    if kind is not None and kind != "CSR":
        raise bad_request("Value for type must be of enum [CSR]")
    if value is None:
        raise bad_request("value is required")
    if not value.strip():
        raise bad_request("value must not be blank")
    return CertificateInput(None, value, "CSR")

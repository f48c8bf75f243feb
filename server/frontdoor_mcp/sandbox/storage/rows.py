"""Rows as Python reads them back from the sandbox database: one frozen dataclass per table, the column
list its SELECTs use, and the function that builds it from a row tuple (checking each column's type).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

CERTIFICATE_COLUMNS = (
    "seq, id, frontdoor_id, name, value, created_us, created_by, updated_us, updated_by, deleted_us, deleted_by"
)
# List items carry no `value` (the guide), so a page does not read the PEMs at all.
CERTIFICATE_LISTED_COLUMNS = CERTIFICATE_COLUMNS.replace("value", "'' AS value")

# Column names, not a secret (the linter reads "TOKEN" in the name as a password).
REQUEST_TOKEN_COLUMNS = (
    "seq, id, frontdoor_id, name, token, common_name, organization, organizational_unit, valid_years, "  # noqa: S105
    "expires_us, created_us, created_by, used_us, certificate_id, deleted_us, deleted_by"
)

SHARE_COLUMNS = (
    "seq, id, z_id, frontdoor_id, name, type, env_z_id, target, ingress_port, client_certificate_id, "
    "allowed_subjects, allowed_common_name_prefixes, required_organizational_unit, created_us, created_by, "
    "deleted_us, deleted_by"
)

FRONTDOOR_COLUMNS = "id, name, organization_id, created_us, created_by"


@dataclass(frozen=True)
class CertificateRow:
    seq: int
    id: str
    frontdoor_id: str
    name: str
    value: str
    created_us: int
    created_by: str
    updated_us: int | None
    updated_by: str | None
    deleted_us: int | None
    deleted_by: str | None


def certificate_row(values: tuple[object, ...]) -> CertificateRow:
    seq, cid, fid, name, value, c_us, c_by, u_us, u_by, d_us, d_by = values
    return CertificateRow(
        seq=_int(seq),
        id=str(cid),
        frontdoor_id=str(fid),
        name=str(name),
        value=str(value),
        created_us=_int(c_us),
        created_by=str(c_by),
        updated_us=_opt_int(u_us),
        updated_by=_opt_str(u_by),
        deleted_us=_opt_int(d_us),
        deleted_by=_opt_str(d_by),
    )


@dataclass(frozen=True)
class RequestTokenRow:
    seq: int
    id: str
    frontdoor_id: str
    name: str
    token: str
    common_name: str | None
    organization: str | None
    organizational_unit: str | None
    valid_years: int
    expires_us: int
    created_us: int
    created_by: str
    used_us: int | None
    certificate_id: str | None
    deleted_us: int | None
    deleted_by: str | None


def request_token_row(values: tuple[object, ...]) -> RequestTokenRow:
    seq, tid, fid, name, token, cn, org, ou, years, e_us, c_us, c_by, used, cert, d_us, d_by = values
    return RequestTokenRow(
        seq=_int(seq),
        id=str(tid),
        frontdoor_id=str(fid),
        name=str(name),
        token=str(token),
        common_name=_opt_str(cn),
        organization=_opt_str(org),
        organizational_unit=_opt_str(ou),
        valid_years=_int(years),
        expires_us=_int(e_us),
        created_us=_int(c_us),
        created_by=str(c_by),
        used_us=_opt_int(used),
        certificate_id=_opt_str(cert),
        deleted_us=_opt_int(d_us),
        deleted_by=_opt_str(d_by),
    )


@dataclass(frozen=True)
class ShareRow:
    seq: int
    id: str
    z_id: str
    frontdoor_id: str
    name: str
    type: str
    env_z_id: str
    target: str
    ingress_port: int | None
    client_certificate_id: str | None
    allowed_subjects: tuple[str, ...] | None
    allowed_common_name_prefixes: tuple[str, ...] | None
    required_organizational_unit: str | None
    created_us: int
    created_by: str
    deleted_us: int | None
    deleted_by: str | None


def share_row(values: tuple[object, ...]) -> ShareRow:
    seq, sid, zid, fid, name, kind, env, target, port, cert, subjects, prefixes, ou, c_us, c_by, d_us, d_by = values
    return ShareRow(
        seq=_int(seq),
        id=str(sid),
        z_id=str(zid),
        frontdoor_id=str(fid),
        name=str(name),
        type=str(kind),
        env_z_id=str(env),
        target=str(target),
        ingress_port=_opt_int(port),
        client_certificate_id=_opt_str(cert),
        allowed_subjects=_opt_strings(subjects),
        allowed_common_name_prefixes=_opt_strings(prefixes),
        required_organizational_unit=_opt_str(ou),
        created_us=_int(c_us),
        created_by=str(c_by),
        deleted_us=_opt_int(d_us),
        deleted_by=_opt_str(d_by),
    )


def strings_column(values: tuple[str, ...] | None) -> str | None:
    """How a list of strings is stored: a JSON array in a TEXT column (None stays NULL)."""
    return None if values is None else json.dumps(list(values))


@dataclass(frozen=True)
class FrontdoorRow:
    id: str
    name: str
    organization_id: str
    created_us: int
    created_by: str | None


def frontdoor_row(values: tuple[object, ...]) -> FrontdoorRow:
    fid, name, org, c_us, c_by = values
    return FrontdoorRow(str(fid), str(name), str(org), _int(c_us), _opt_str(c_by))


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an integer column, got {type(value).__name__}")
    return value


def _opt_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_strings(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    decoded = json.loads(str(value))
    if not isinstance(decoded, list):
        raise TypeError("expected a JSON array column")
    return tuple(str(item) for item in cast(list[object], decoded))

"""Binding the body of `POST /frontdoor/{id}/shares` into a `ShareSpec`.

The documented facts: the console's name rule (letters and digits, starting with a letter), type `tcp` or
`http`, a TCP target `host:port` or `tcp://host:port`, an ingress port in 2100-2199, and the optional mTLS
fields. The rest (wire types of the filter lists, limits, messages) are sandbox choices, listed in
the README ("Sandbox choices"). Checks run field by field in the order of the resource.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import cast
from urllib.parse import SplitResult, urlsplit

from frontdoor_mcp.sandbox.shares.filters import unreadable_subjects
from frontdoor_mcp.sandbox.shares.store import ShareSpec
from frontdoor_mcp.sandbox.web.responses import bad_request
from frontdoor_mcp.sandbox.web.validation import json_object, optional_integer, optional_string

SHARE_TYPES = ("tcp", "http")
BACKEND_MODES = {"tcp": "tcpTunnel", "http": "proxy"}
INGRESS_PORT_MIN, INGRESS_PORT_MAX = 2100, 2199
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,62}$")  # the console's rule; 63 as a DNS label's limit
MAX_ENV_Z_ID = 64
MAX_ORGANIZATIONAL_UNIT = 64  # RFC 5280's ub-organizational-unit-name


def share_spec(body: object) -> ShareSpec:
    obj = json_object(body)
    name = optional_string(obj, "name")
    if name is None:
        raise bad_request("name is required")
    if not _NAME.fullmatch(name):
        raise bad_request("name must start with a letter and hold only letters and digits (1-63 characters)")
    kind = optional_string(obj, "type")
    if kind is None:
        raise bad_request("type is required")
    if kind not in SHARE_TYPES:
        raise bad_request("Value for type must be of enum [tcp, http]")
    return ShareSpec(
        name=name,
        type=kind,
        env_z_id=_env_z_id(obj),
        target=_target(obj, kind),
        ingress_port=_ingress_port(obj, kind),
        client_certificate_id=optional_string(obj, "clientCertificateId"),
        allowed_subjects=_subjects(obj),
        allowed_common_name_prefixes=_strings(obj, "allowedCommonNamePrefixes"),
        required_organizational_unit=_organizational_unit(obj),
    )


def _env_z_id(obj: Mapping[str, object]) -> str:
    # Environments are not modelled: any non-blank envZId names one.
    env = optional_string(obj, "envZId")
    if env is None:
        raise bad_request("envZId is required")
    if not env.strip():
        raise bad_request("envZId must not be blank")
    if len(env) > MAX_ENV_Z_ID:
        raise bad_request(f"envZId size must be between 1 and {MAX_ENV_Z_ID}")
    return env


def _target(obj: Mapping[str, object], kind: str) -> str:
    target = optional_string(obj, "target")
    if target is None:
        raise bad_request("target is required")
    if kind == "tcp":
        address = target.removeprefix("tcp://")
        if not _is_host_port(_split("tcp://" + address)):
            raise bad_request("target must be host:port or tcp://host:port for a tcp share")
        return target
    parts = _split(target)
    if parts is None or parts.scheme not in ("http", "https") or not _valid_host_and_port(parts):
        raise bad_request("target must be an http:// or https:// URL for an http share")
    return target


def _split(text: str) -> SplitResult | None:
    """urlsplit's parts, or None for text with whitespace or a port that is not a number in 0-65535."""
    if any(char.isspace() for char in text):
        return None
    try:
        parts = urlsplit(text)
        _ = parts.port  # parsed lazily; raises for a bad port
    except ValueError:
        return None
    return parts


def _valid_host_and_port(parts: SplitResult) -> bool:
    return bool(parts.hostname) and parts.port != 0 and parts.username is None


def _is_host_port(parts: SplitResult | None) -> bool:
    """Exactly host:port: a host, a port 1-65535, nothing else (no path, query, fragment or user)."""
    if parts is None or not _valid_host_and_port(parts) or parts.port is None:
        return False
    return not (parts.path or parts.query or parts.fragment)


def _ingress_port(obj: Mapping[str, object], kind: str) -> int | None:
    port = optional_integer(obj, "ingressPort")
    if kind != "tcp":
        # An HTTP share is reached through frontends, not a port: a port given for one is a client mistake.
        if port is not None:
            raise bad_request("ingressPort is only for tcp shares")
        return None
    if port is None:
        raise bad_request("ingressPort is required for a tcp share")
    if not INGRESS_PORT_MIN <= port <= INGRESS_PORT_MAX:
        raise bad_request(f"ingressPort must be between {INGRESS_PORT_MIN} and {INGRESS_PORT_MAX}")
    return port


def _strings(obj: Mapping[str, object], key: str) -> tuple[str, ...] | None:
    """A JSON array of strings, stored and returned as given (the sandbox enforces no mTLS, so it does not
    parse subjects or prefixes)."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request(f"Value for {key} must be of array")
    items = cast(list[object], value)
    if not all(isinstance(item, str) for item in items):
        raise bad_request(f"Value for {key} must be of array of string")
    return tuple(cast(list[str], items))


def _subjects(obj: Mapping[str, object]) -> tuple[str, ...] | None:
    """Allowed subjects are distinguished names the data plane compares (`filters`): one that is not a name
    would never match anything, so it is refused at once rather than stored."""
    subjects = _strings(obj, "allowedSubjects")
    unreadable = unreadable_subjects(subjects or ())
    if unreadable:
        positions = ", ".join(str(number) for number in unreadable[:5])
        raise bad_request(f"allowedSubjects entries {positions} are not distinguished names (RFC 4514)")
    return subjects


def _organizational_unit(obj: Mapping[str, object]) -> str | None:
    ou = optional_string(obj, "requiredOrganizationalUnit")
    if ou is None or ou == "":
        return None
    if not ou.strip():
        raise bad_request("requiredOrganizationalUnit must not be blank")
    if len(ou) > MAX_ORGANIZATIONAL_UNIT:
        raise bad_request(f"requiredOrganizationalUnit size must be between 0 and {MAX_ORGANIZATIONAL_UNIT}")
    return ou

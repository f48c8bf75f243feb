"""Binding and checking request input as Spring would: the path variable, paging and sort parameters, the
body (size, Content-Type, JSON syntax), typed JSON fields, the certificate fields, and the PEM checks on a
`value`. The other resources' bodies are bound in `request_tokens.binding` and `shares.binding` with the helpers here.

Every failure is an `ErrorResponse` (400, 413 or 415); the route modules decide when each check runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal, NoReturn, cast

from starlette.requests import Request

from frontdoor_mcp.sandbox.ca import CertificateRequest, ParsedValue, RejectedValue, parse_value
from frontdoor_mcp.sandbox.web.responses import JSON_MEDIA, ErrorResponse, bad_request

MAX_BODY_BYTES = 1024 * 1024
"""Request bodies above this get 413. Spring sets no limit for JSON; the gateway in front of it does."""
DEFAULT_PAGE_SIZE = 20
MAX_NAME_LENGTH = 255  # as a @Size(max = 255) on a VARCHAR(255) column would enforce

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_JAVA_INT = re.compile(r"^[+-]?[0-9]{1,10}$")
_JAVA_INT_MAX = 2**31 - 1


def is_uuid(text: str) -> bool:
    """What java.util.UUID.fromString accepts in its canonical form (any case)."""
    return _UUID.fullmatch(text) is not None


def parse_frontdoor_id(raw: str) -> str:
    # Spring converts the path variable to java.util.UUID; a failure is a 400 in this API's error shape.
    if not is_uuid(raw):
        raise bad_request("Value for frontdoorId must be of UUID")
    return raw.lower()  # UUID.toString() is lower case


# paging ----------------------------------------------------------------------------------------------------


def _java_int(raw: str | None) -> int | None:
    """Integer.parseInt semantics: None when absent, 0 when unparsable (Spring then applies its bounds)."""
    if raw is None or not raw.strip():
        return None
    if not _JAVA_INT.fullmatch(raw) or abs(int(raw)) > _JAVA_INT_MAX:
        return 0
    return int(raw)


def page_request(page_raw: str | None, size_raw: str | None, max_size: int) -> tuple[int, int]:
    """Spring Data's lenient paging: bad or negative page -> 0; bad or < 1 size -> 20; size capped at `max_size`
    (its `maxPageSize`: 2000 by default, `--max-page-size`); the default size too, should the cap be below it."""
    page = _java_int(page_raw)
    size = _java_int(size_raw)
    page = 0 if page is None or page < 0 else page
    size = min(DEFAULT_PAGE_SIZE if size is None or size < 1 else size, max_size)
    return page, size


def sort_orders(values: list[str], allowed: Collection[str], entity: str) -> list[tuple[str, bool]]:
    """Spring's `sort=prop[,prop...][,asc|desc]`, repeatable; raises for a property `entity` cannot sort by.
    Without a sort, createdAt ascending (every sandbox resource has it)."""
    orders: list[tuple[str, bool]] = []
    for value in values:
        elements = value.split(",")
        direction = elements[-1].strip().lower() if elements else ""
        descending = direction == "desc"
        props = elements[:-1] if direction in ("asc", "desc") else elements
        for prop in (p.strip() for p in props):
            if not prop or prop.lower() == "ignorecase":
                continue
            if prop not in allowed:
                # Spring Data's PropertyReferenceException message, mapped to this API's 400.
                raise bad_request(f"No property '{prop[:64]}' found for type '{entity}'")
            orders.append((prop, descending))
    return orders or [("createdAt", False)]


# the body --------------------------------------------------------------------------------------------------


async def read_body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY_BYTES:  # a chunked body has no Content-Length to check up front
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> ErrorResponse:
    return ErrorResponse(413, "payload_too_large", f"Request body exceeds {MAX_BODY_BYTES} bytes")


async def read_json(request: Request) -> object:
    # Jackson's converter takes application/json and application/*+json; anything else (or no
    # Content-Type, which Spring reads as application/octet-stream) is 415.
    content_type = request.headers.get("content-type", "application/octet-stream")
    media = content_type.split(";")[0].strip().lower()
    if media != JSON_MEDIA and not (media.startswith("application/") and media.endswith("+json")):
        raise ErrorResponse(415, "unsupported_media_type", f"Content-Type '{media[:100]}' is not supported")
    body = await read_body(request)
    if not body.strip():
        raise bad_request("Required request body is missing")
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise bad_request("Malformed JSON request body") from None


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")  # Jackson rejects NaN/Infinity by default


# typed JSON fields -----------------------------------------------------------------------------------------


def json_object(body: object) -> Mapping[str, object]:
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return cast(dict[str, object], body)


def optional_string(obj: Mapping[str, object], key: str) -> str | None:
    """A string field; null or absent is None. Strict: Jackson would coerce a number, the guide's 400 does not."""
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"Value for {key} must be of string")
    return value


def optional_integer(obj: Mapping[str, object], key: str) -> int | None:
    """An integer field (a JSON number without a fraction); null or absent is None. 1.0, "1" and true are 400:
    the schema says integer, and a lenient reading would hide a client's mistake."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"Value for {key} must be of integer")
    return value


def checked_name(name: str | None) -> str:
    """The `name` every sandbox resource requires: present, not blank, at most 255 characters."""
    if name is None:
        raise bad_request("name is required")
    check_name(name)
    return name


def check_name(name: str) -> None:
    if not name.strip():
        raise bad_request("name must not be blank")
    if len(name) > MAX_NAME_LENGTH:
        raise bad_request(f"name size must be between 1 and {MAX_NAME_LENGTH}")


# certificate fields ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateInput:
    name: str | None
    value: str | None
    type: Literal["PEM", "CSR"] | None


def certificate_input(body: object, *, require_all: bool) -> CertificateInput:
    """Bind and validate a create/replace (`require_all`) or patch body.

    Strict types where Jackson would coerce (`{"name": 5}` is a 400, as the brief and guide describe);
    unknown properties ignored (Spring Boot's Jackson default); null is "not given" for PATCH.
    """
    obj = json_object(body)
    name = optional_string(obj, "name")
    value = optional_string(obj, "value")
    kind = optional_string(obj, "type")
    if kind is not None and kind not in ("PEM", "CSR"):
        raise bad_request("Value for type must be of enum [PEM, CSR]")
    if require_all:
        if name is None:
            raise bad_request("name is required")
        if value is None:
            raise bad_request("value is required")
    if name is not None:
        check_name(name)
    if value is not None and not value.strip():
        raise bad_request("value must not be blank")
    return CertificateInput(name, value, kind)


def checked_value(given: CertificateInput) -> ParsedValue | None:
    """The service's own checks on a given `value`: a valid PEM, and of the `type` given if there is one."""
    if given.value is None:
        return None
    try:
        parsed = parse_value(given.value)
    except RejectedValue as exc:
        raise bad_request(str(exc)) from None
    is_csr = isinstance(parsed, CertificateRequest)
    if given.type is not None and (given.type == "CSR") != is_csr:
        found = "CERTIFICATE REQUEST" if is_csr else "CERTIFICATE"
        raise bad_request(f"type {given.type} does not match the value, which is a {found}")
    return parsed

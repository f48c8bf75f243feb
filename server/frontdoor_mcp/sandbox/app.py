"""The sandbox HTTP API: the Frontdoor client-certificates endpoints as the guide describes them.

Where the guide is silent the behaviour is that of a Spring Boot REST API (Spring Security resource
server, Spring Data paging, Jackson), and the comment at that spot says so. The order of checks is
Spring's: authentication (401), then argument binding (path types, content type, body: 400/415),
then frontdoor access (403), then the resource (404), then the service's own checks (PEM: 400).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NoReturn, cast
from urllib.parse import parse_qs, unquote_plus, urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from frontdoor_mcp.sandbox.ca import CertificateRequest, PemError, SigningCA, certificate_pem, parse_value
from frontdoor_mcp.sandbox.faults import ConnectionRegistry, Fault, FaultController, FaultMiddleware
from frontdoor_mcp.sandbox.openapi import openapi_document
from frontdoor_mcp.sandbox.store import SORT_PROPERTIES, CertificateRow, Principal, SortProperty, Store

MAX_BODY_BYTES = 1024 * 1024
"""Request bodies above this get 413. Spring sets no limit for JSON; the gateway in front of it does."""
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 2000  # Spring Data's PageableHandlerMethodArgumentResolver default maxPageSize
MAX_NAME_LENGTH = 255  # as a @Size(max = 255) on a VARCHAR(255) column would enforce
JSON_MEDIA = "application/json"
HAL_MEDIA = "application/hal+json"
HAL_COLLECTION = "clientCertificates"
JWT_SCOPE = "frontdoor.read frontdoor.write"
ADMIN_HEADER = "x-sandbox-admin"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Spring Security's DefaultBearerTokenResolver pattern (RFC 6750 b64token), scheme case-insensitive.
_BEARER = re.compile(r"^Bearer (?P<token>[a-zA-Z0-9\-._~+/]+=*)$", re.IGNORECASE)
_BASIC = re.compile(r"^Basic (?P<credentials>[A-Za-z0-9+/]+=*)$", re.IGNORECASE)
_JAVA_INT = re.compile(r"^[+-]?[0-9]{1,10}$")
_JAVA_INT_MAX = 2**31 - 1

Representation = Literal["json", "hal"]


class ApiError(Exception):
    """An error response in the guide's shape: `{"error": ..., "message": ...}`."""

    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.headers = headers or {}


def _bad_request(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def _unauthorized(description: str | None) -> ApiError:
    # RFC 6750 section 3: a bare challenge when no credentials came, error="invalid_token" when bad ones did.
    challenge = "Bearer" if description is None else f'Bearer error="invalid_token", error_description="{description}"'
    return ApiError(401, "unauthorized", "Bearer token is missing or invalid", headers={"WWW-Authenticate": challenge})


# JWT (HS256) ---------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_jwt(key: bytes, claims: dict[str, Any]) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def verify_jwt(key: bytes, token: str, now: float) -> tuple[dict[str, Any] | None, str]:
    """(claims, "") for a valid unexpired HS256 token, else (None, reason)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None, "The access token is invalid"
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        return None, "The access token is malformed"
    if not isinstance(header, dict) or cast(dict[str, object], header).get("alg") != "HS256":
        return None, "The access token is invalid"  # never "none", never another algorithm
    expected = hmac.new(key, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected) or not isinstance(claims, dict):
        return None, "The access token is invalid"
    payload = cast(dict[str, Any], claims)
    exp = payload.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or now >= exp:
        return None, "The access token expired"
    return payload, ""


# rendering -----------------------------------------------------------------------------------------------


def iso_instant(us: int) -> str:
    """`2024-01-15T10:30:00Z`: second precision, as the guide shows."""
    return datetime.fromtimestamp(us // 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary_json(row: CertificateRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "frontdoorId": row.frontdoor_id,
        "createdAt": iso_instant(row.created_us),
        "createdBy": row.created_by,
    }


def detail_json(row: CertificateRow) -> dict[str, Any]:
    return {**summary_json(row), "value": row.value}


def deleted_json(row: CertificateRow) -> dict[str, Any]:
    assert row.deleted_us is not None
    assert row.deleted_by is not None
    return {
        "id": row.id,
        "name": row.name,
        "frontdoorId": row.frontdoor_id,
        "deletedAt": iso_instant(row.deleted_us),
        "deletedBy": row.deleted_by,
    }


def _json(status: int, body: object, headers: dict[str, str] | None = None, media: str = JSON_MEDIA) -> Response:
    return JSONResponse(body, status_code=status, headers=headers, media_type=media)


def _error_response(exc: ApiError) -> Response:
    return _json(exc.status, {"error": exc.error, "message": exc.message}, headers=exc.headers)


def representation(accept: str | None) -> Representation:
    """Content negotiation between JSON and HAL, by quality, then specificity, then order (as Spring does)."""
    if accept is None or not accept.strip():
        return "json"
    ranges: list[tuple[float, int, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        media, *params = part.split(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params:
            name, _, raw = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(raw.strip())
                except ValueError:
                    quality = 0.0
        specificity = 2 if media == "*/*" else 1 if media.endswith("/*") else 0
        ranges.append((-quality, specificity, index, media))
    for negative_quality, _, _, media in sorted(ranges):
        if negative_quality >= 0:
            continue
        if media == HAL_MEDIA:
            return "hal"
        if media in (JSON_MEDIA, "application/*", "*/*"):
            return "json"
    # Checked before any work, so a write is never committed and then answered 406.
    raise ApiError(406, "not_acceptable", f"Acceptable representations: {JSON_MEDIA}, {HAL_MEDIA}")


# input -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateInput:
    name: str | None
    value: str | None
    type: Literal["PEM", "CSR"] | None


def parse_frontdoor_id(raw: str) -> str:
    # Spring converts the path variable to java.util.UUID; a failure is a 400 in this API's error shape.
    if not _UUID.match(raw):
        raise _bad_request("Value for frontdoorId must be of UUID")
    return raw.lower()  # UUID.toString() is lower case


def certificate_input(body: object, *, require_all: bool) -> CertificateInput:
    """Bind and validate a create/replace (`require_all`) or patch body.

    Strict types where Jackson would coerce (`{"name": 5}` is a 400, as the brief and guide describe);
    unknown properties ignored (Spring Boot's Jackson default); null is "not given" for PATCH.
    """
    if not isinstance(body, dict):
        raise _bad_request("Request body must be a JSON object")
    obj = cast(dict[str, object], body)
    for key in ("name", "value", "type"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise _bad_request(f"Value for {key} must be of string")
    name = cast(str | None, obj.get("name"))
    value = cast(str | None, obj.get("value"))
    kind = cast(str | None, obj.get("type"))
    if kind is not None and kind not in ("PEM", "CSR"):
        raise _bad_request("Value for type must be of enum [PEM, CSR]")
    if require_all:
        if name is None:
            raise _bad_request("name is required")
        if value is None:
            raise _bad_request("value is required")
    if name is not None:
        if not name.strip():
            raise _bad_request("name must not be blank")
        if len(name) > MAX_NAME_LENGTH:
            raise _bad_request(f"name size must be between 1 and {MAX_NAME_LENGTH}")
    if value is not None and not value.strip():
        raise _bad_request("value must not be blank")
    return CertificateInput(name, value, kind)


def _java_int(raw: str | None) -> int | None:
    """Integer.parseInt semantics: None when absent, 0 when unparsable (Spring then applies its bounds)."""
    if raw is None or not raw.strip():
        return None
    if not _JAVA_INT.match(raw) or abs(int(raw)) > _JAVA_INT_MAX:
        return 0
    return int(raw)


def page_request(page_raw: str | None, size_raw: str | None) -> tuple[int, int]:
    """Spring Data's lenient paging: bad or negative page -> 0; bad or < 1 size -> 20; size capped at 2000."""
    page = _java_int(page_raw)
    size = _java_int(size_raw)
    page = 0 if page is None or page < 0 else page
    size = DEFAULT_PAGE_SIZE if size is None or size < 1 else min(size, MAX_PAGE_SIZE)
    return page, size


def sort_orders(values: list[str]) -> list[tuple[SortProperty, bool]]:
    """Spring's `sort=prop[,prop...][,asc|desc]`, repeatable; raises for a property the entity lacks."""
    orders: list[tuple[SortProperty, bool]] = []
    for value in values:
        elements = value.split(",")
        direction = elements[-1].strip().lower() if elements else ""
        descending = direction == "desc"
        props = elements[:-1] if direction in ("asc", "desc") else elements
        for prop in (p.strip() for p in props):
            if not prop or prop.lower() == "ignorecase":
                continue
            if prop not in SORT_PROPERTIES:
                # Spring Data's PropertyReferenceException message, mapped to this API's 400.
                raise _bad_request(f"No property '{prop[:64]}' found for type 'ClientCertificate'")
            orders.append((prop, descending))
    return orders or [("createdAt", False)]


# the application ----------------------------------------------------------------------------------------


@dataclass
class SandboxConfig:
    store: Store
    ca: SigningCA
    faults: FaultController
    connections: ConnectionRegistry
    admin_token: str = field(repr=False)
    token_ttl: int
    jwt_key: bytes = field(repr=False)


Handler = Callable[[Request], Awaitable[Response]]


class SandboxApi:
    """Request handlers; state lives in the store, so the object itself only holds configuration."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = config.store

    # authentication and authorization ---------------------------------------------------------------

    def authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if header is None or not header.strip():
            raise _unauthorized(None)
        bearer = _BEARER.match(header)
        if bearer:
            return self._principal_for(bearer.group("token"))
        basic = _BASIC.match(header)
        if basic:
            # RFC 7617: base64(user-id ":" password); the guide puts the API token in the password. The
            # user-id is not checked: the token alone identifies the user (createdBy comes from the token).
            try:
                decoded = base64.b64decode(basic.group("credentials"), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise _unauthorized("The Basic credentials are malformed") from None
            _, colon, token = decoded.partition(":")
            if not colon or not token:
                raise _unauthorized("The Basic credentials are malformed")
            return self._principal_for(token)
        raise _unauthorized("The Authorization header is malformed")

    def _principal_for(self, token: str) -> Principal:
        principal = self.store.token_principal(token)
        if principal is not None:
            return principal
        if token.count(".") == 2:
            claims, reason = verify_jwt(self.config.jwt_key, token, time.time())
            if claims is None:
                raise _unauthorized(reason)
            client_id = claims.get("client_id", claims.get("sub"))
            principal = self.store.oauth_client(client_id) if isinstance(client_id, str) else None
            if principal is not None:
                return principal
        raise _unauthorized("The access token is invalid")

    @staticmethod
    def authorize(principal: Principal, frontdoor_id: str) -> None:
        # The guide's 403 body: a frontdoor the token may not use is reported as not found.
        if frontdoor_id not in principal.frontdoor_ids:
            raise ApiError(403, "not_found", f"Frontdoor {frontdoor_id} not found")

    # request plumbing ---------------------------------------------------------------------------------

    @staticmethod
    async def read_body(request: Request) -> bytes:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", f"Request body exceeds {MAX_BODY_BYTES} bytes")
        chunks: list[bytes] = []
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                raise ApiError(413, "payload_too_large", f"Request body exceeds {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def read_json(self, request: Request) -> object:
        # Jackson's converter takes application/json and application/*+json; anything else (or no
        # Content-Type, which Spring reads as application/octet-stream) is 415.
        content_type = request.headers.get("content-type", "application/octet-stream")
        media = content_type.split(";")[0].strip().lower()
        if media != JSON_MEDIA and not (media.startswith("application/") and media.endswith("+json")):
            raise ApiError(415, "unsupported_media_type", f"Content-Type '{media[:100]}' is not supported")
        body = await self.read_body(request)
        if not body.strip():
            raise _bad_request("Required request body is missing")
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise _bad_request("Malformed JSON request body") from None

    def certificate_value(self, given: CertificateInput) -> str | None:
        """The value to store: an uploaded certificate as given, a CSR replaced by the certificate signed from it."""
        if given.value is None:
            return None
        try:
            parsed = parse_value(given.value)
        except PemError as exc:
            raise _bad_request(str(exc)) from None
        is_csr = isinstance(parsed, CertificateRequest)
        if given.type is not None and (given.type == "CSR") != is_csr:
            found = "CERTIFICATE REQUEST" if is_csr else "CERTIFICATE"
            raise _bad_request(f"type {given.type} does not match the value, which is a {found}")
        if isinstance(parsed, CertificateRequest):
            return certificate_pem(self.config.ca.sign_csr(parsed.csr))
        return given.value

    @staticmethod
    def resource_url(request: Request, frontdoor_id: str, cert_id: str | None = None) -> str:
        root = str(request.base_url).rstrip("/")
        url = f"{root}/frontdoor/{frontdoor_id}/client-certificates"
        return url if cert_id is None else f"{url}/{cert_id}"

    def render_one(self, request: Request, rep: Representation, body: dict[str, Any], status: int = 200) -> Response:
        headers: dict[str, str] = {}
        if status == 201:
            # Spring convention for a created resource: its URL in Location.
            headers["Location"] = self.resource_url(request, body["frontdoorId"], body["id"])
        if rep == "hal":
            body = {**body, "_links": {"self": {"href": self.resource_url(request, body["frontdoorId"], body["id"])}}}
            return _json(status, body, headers=headers, media=HAL_MEDIA)
        return _json(status, body, headers=headers)

    def _cert_id(self, request: Request) -> str:
        return str(request.path_params["certificate_id"])

    def _not_found(self, cert_id: str) -> NoReturn:
        raise ApiError(404, "not_found", f"Client certificate {cert_id} not found")

    # certificate endpoints ----------------------------------------------------------------------------

    async def list_certificates(self, request: Request) -> Response:
        principal = self.authenticate(request)
        frontdoor_id = parse_frontdoor_id(str(request.path_params["frontdoor_id"]))
        rep = representation(request.headers.get("accept"))
        page, size = page_request(request.query_params.get("page"), request.query_params.get("size"))
        self.authorize(principal, frontdoor_id)
        # Spring Data checks sort properties when it builds the query, i.e. after the access check.
        orders = sort_orders(request.query_params.getlist("sort"))
        rows, total = self.store.list_certificates(frontdoor_id, orders, page * size, size)
        total_pages = math.ceil(total / size)
        items = [summary_json(row) for row in rows]
        if rep == "json":
            return _json(
                200,
                {
                    "content": items,
                    "pageable": {"pageNumber": page, "pageSize": size},
                    "totalElements": total,
                    "totalPages": total_pages,
                },
            )
        return _json(200, self._hal_page(request, frontdoor_id, items, page, size, orders, total), media=HAL_MEDIA)

    def _hal_page(
        self,
        request: Request,
        frontdoor_id: str,
        items: list[dict[str, Any]],
        page: int,
        size: int,
        orders: list[tuple[SortProperty, bool]],
        total: int,
    ) -> dict[str, Any]:
        total_pages = math.ceil(total / size)
        base = self.resource_url(request, frontdoor_id)
        sort = [f"{prop},{'desc' if desc else 'asc'}" for prop, desc in orders]

        def href(number: int) -> dict[str, str]:
            query = urlencode([("page", number), ("size", size), *(("sort", s) for s in sort)], safe=",")
            return {"href": f"{base}?{query}"}

        # PagedResourcesAssembler's links: first/last when there is more than one page, prev/next around self.
        has_prev, has_next = page > 0, page + 1 < total_pages
        links: dict[str, dict[str, str]] = {}
        if has_prev or has_next:
            links["first"] = href(0)
        if has_prev:
            links["prev"] = href(page - 1)
        links["self"] = href(page)
        if has_next:
            links["next"] = href(page + 1)
        if has_prev or has_next:
            links["last"] = href(max(total_pages - 1, 0))
        body: dict[str, Any] = {}
        if items:
            # Spring HATEOAS serialises `_embedded` with NON_EMPTY: an empty page has no `_embedded` at all.
            embedded = [{**item, "_links": {"self": {"href": f"{base}/{item['id']}"}}} for item in items]
            body["_embedded"] = {HAL_COLLECTION: embedded}
        body["_links"] = links
        body["page"] = {"size": size, "totalElements": total, "totalPages": total_pages, "number": page}
        return body

    async def create_certificate(self, request: Request) -> Response:
        principal = self.authenticate(request)
        frontdoor_id = parse_frontdoor_id(str(request.path_params["frontdoor_id"]))
        rep = representation(request.headers.get("accept"))
        given = certificate_input(await self.read_json(request), require_all=True)
        self.authorize(principal, frontdoor_id)
        value = self.certificate_value(given)
        assert given.name is not None
        assert value is not None
        row = self.store.insert_certificate(frontdoor_id, given.name, value, principal.username)
        return self.render_one(request, rep, summary_json(row), status=201)

    async def get_certificate(self, request: Request) -> Response:
        principal = self.authenticate(request)
        frontdoor_id = parse_frontdoor_id(str(request.path_params["frontdoor_id"]))
        rep = representation(request.headers.get("accept"))
        self.authorize(principal, frontdoor_id)
        cert_id = self._cert_id(request)
        row = self.store.get_certificate(frontdoor_id, cert_id)
        if row is None:
            self._not_found(cert_id)
        return self.render_one(request, rep, detail_json(row))

    async def patch_certificate(self, request: Request) -> Response:
        return await self._update(request, require_all=False)

    async def put_certificate(self, request: Request) -> Response:
        return await self._update(request, require_all=True)

    async def _update(self, request: Request, *, require_all: bool) -> Response:
        # PATCH and PUT answer with the updated resource in the GET shape (value included): the usual
        # Spring controller returns the same DTO it serves on GET.
        principal = self.authenticate(request)
        frontdoor_id = parse_frontdoor_id(str(request.path_params["frontdoor_id"]))
        rep = representation(request.headers.get("accept"))
        given = certificate_input(await self.read_json(request), require_all=require_all)
        self.authorize(principal, frontdoor_id)
        cert_id = self._cert_id(request)
        if self.store.get_certificate(frontdoor_id, cert_id) is None:
            self._not_found(cert_id)
        value = self.certificate_value(given)
        row = self.store.update_certificate(frontdoor_id, cert_id, principal.username, name=given.name, value=value)
        if row is None:  # deleted by someone else between the two statements
            self._not_found(cert_id)
        return self.render_one(request, rep, detail_json(row))

    async def delete_certificate(self, request: Request) -> Response:
        principal = self.authenticate(request)
        frontdoor_id = parse_frontdoor_id(str(request.path_params["frontdoor_id"]))
        representation(request.headers.get("accept"))
        self.authorize(principal, frontdoor_id)
        cert_id = self._cert_id(request)
        row = self.store.delete_certificate(frontdoor_id, cert_id, principal.username)
        if row is None:
            self._not_found(cert_id)
        # The deleted resource has no self link to give, so both representations carry the guide's body.
        return _json(200, deleted_json(row))

    # OAuth2 client credentials -------------------------------------------------------------------------

    async def oauth_token(self, request: Request) -> Response:
        body = await self.read_body(request)
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            form = {}
        client_id, secret = _client_credentials(request.headers.get("authorization"), form)
        principal = self.store.oauth_client(client_id, secret) if client_id and secret is not None else None
        if principal is None or client_id is None:
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type", [None])[0]
        if grant is None:
            return _oauth_error(400, "invalid_request", "grant_type is required")
        if grant != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported")
        # Any requested scope is accepted and the frontdoor scopes granted: NetFoundry's own client asks
        # for an opaque "ignore-scope" scope and gets a usable token.
        now = int(time.time())
        expires = math.ceil(time.time() + self.config.token_ttl)
        claims = {
            "iss": "frontdoor-sandbox",
            "sub": client_id,
            "client_id": client_id,
            "aud": "frontdoor",
            "iat": now,
            "exp": expires,
            "jti": secrets.token_hex(8),
            "scope": JWT_SCOPE,
        }
        token = mint_jwt(self.config.jwt_key, claims)
        return _json(
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": self.config.token_ttl},
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    # documents and sandbox control -------------------------------------------------------------------

    async def openapi(self, request: Request) -> Response:
        return _json(200, openapi_document(str(request.base_url).rstrip("/")))

    def _admin(self, request: Request) -> None:
        given = request.headers.get(ADMIN_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.config.admin_token.encode()):
            raise ApiError(401, "unauthorized", "X-Sandbox-Admin header is missing or invalid")

    async def add_fault(self, request: Request) -> Response:
        self._admin(request)
        body = await self.read_json(request)
        try:
            fault = Fault.from_json(body)
        except ValueError as exc:
            raise _bad_request(str(exc)) from None
        self.config.faults.add(fault)
        return _json(201, {"fault": fault.to_json()})

    async def list_faults(self, request: Request) -> Response:
        self._admin(request)
        return _json(200, {"faults": [f.to_json() for f in self.config.faults.faults]})

    async def clear_faults(self, request: Request) -> Response:
        self._admin(request)
        self.config.faults.clear()
        return Response(status_code=204)

    async def list_requests(self, request: Request) -> Response:
        self._admin(request)
        records = [
            {"method": r.method, "path": r.path, "status": r.status, "time": r.time, "fault": r.fault}
            for r in self.config.faults.requests
        ]
        return _json(200, {"requests": records})

    async def clear_requests(self, request: Request) -> Response:
        self._admin(request)
        self.config.faults.clear_requests()
        return Response(status_code=204)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")  # Jackson rejects NaN/Infinity by default


def _client_credentials(header: str | None, form: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """client_secret_basic (RFC 6749 2.3.1: form-encoded, then base64), else client_secret_post."""
    if header:
        match = _BASIC.match(header)
        if not match:
            return None, None
        try:
            decoded = base64.b64decode(match.group("credentials"), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, colon, secret = decoded.partition(":")
        return (unquote_plus(client_id), unquote_plus(secret)) if colon else (None, None)
    return form.get("client_id", [None])[0], form.get("client_secret", [None])[0]


def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="frontdoor-sandbox"'
    return _json(status, {"error": error, "error_description": description}, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = ApiError(405, "method_not_allowed", f"Request method '{request.method}' is not supported")
        error.headers.update(exc.headers or {})
    elif exc.status_code == 404:
        error = ApiError(404, "not_found", f"No endpoint {request.method} {request.url.path[:200]}")
    else:
        error = ApiError(exc.status_code, "error", str(exc.detail))
    return _error_response(error)


async def _server_error(_request: Request, _exc: Exception) -> Response:
    return _json(500, {"error": "internal_error", "message": "Internal server error"})


def _by_method(**handlers: Handler) -> Handler:
    """One endpoint per path dispatching on method, so a 405 carries the path's full Allow list."""

    async def endpoint(request: Request) -> Response:
        # HEAD is served by the GET handler (Starlette adds HEAD to a route that has GET; so does Spring).
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint


def build_app(config: SandboxConfig) -> ASGIApp:
    api = SandboxApi(config)
    collection = "/frontdoor/{frontdoor_id}/client-certificates"
    item = collection + "/{certificate_id}"
    routes = [
        Route(collection, _by_method(GET=api.list_certificates, POST=api.create_certificate), methods=["GET", "POST"]),
        Route(
            item,
            _by_method(
                GET=api.get_certificate,
                PATCH=api.patch_certificate,
                PUT=api.put_certificate,
                DELETE=api.delete_certificate,
            ),
            methods=["GET", "PATCH", "PUT", "DELETE"],
        ),
        Route("/oauth/token", api.oauth_token, methods=["POST"]),
        Route("/openapi.json", api.openapi, methods=["GET"]),
        Route(
            "/_sandbox/faults",
            _by_method(GET=api.list_faults, POST=api.add_fault, DELETE=api.clear_faults),
            methods=["GET", "POST", "DELETE"],
        ),
        Route(
            "/_sandbox/requests",
            _by_method(GET=api.list_requests, DELETE=api.clear_requests),
            methods=["GET", "DELETE"],
        ),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _server_error},
    )
    # Spring 6 no longer matches a trailing slash; Starlette would redirect it. Neither redirects here.
    app.router.redirect_slashes = False
    return FaultMiddleware(app, config.faults, config.connections)

"""What the tests share: certificates and CSRs to feed the server, readers of tool results, settings and client
sessions for a server under test, a small in-memory Frontdoor API behind a MockTransport, recorded sleeps, and
checks for leaks and crashes. Fixtures live in `conftest.py`; everything else shared lives here."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import uuid
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import anyio
import httpx2
import pytest
from anyio.from_thread import start_blocking_portal
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mcp import Client
from mcp.client.session import ElicitationFnT, LoggingFnT
from mcp_types import CallToolResult, LoggingMessageNotificationParams, TextContent

from frontdoor_mcp.api.auth import BearerToken, Credential, Secret
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.config import Settings
from frontdoor_mcp.sandbox.faults.controller import FAULT_KINDS, Fault, FaultKind
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import FrontdoorServer, build_server

CANARY_TOKEN = "canary-tok-7f3a9c1e5b2d4e6f8a0b"
"""Every server under test authenticates with this token; tests scan all output for it."""

ERAS = ["legacy", "2026-07-28"]
"""The two protocol eras the SDK speaks: the 2025-11-25 initialize handshake, and 2026-07-28."""
DEFAULT_ERA = "legacy"
"""The era of a test whose behaviour does not depend on it (most clients still start with the handshake)."""


# Certificates, CSRs and tool results ---------------------------------------------------------------


def make_certificate(common_name: str = "test-client", *, days: int = 90, not_before_days: int = 0) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1) + timedelta(days=not_before_days))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def sign_csr(csr_pem: str, *, days: int = 365) -> str:
    """A certificate for the CSR's key and subject, as a CA would issue it (a throwaway CA: tests only)."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    ca_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-ca")]))
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(ca_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def make_csr(common_name: str = "test-client") -> tuple[str, str]:
    """A CSR and its private key (PEM), for tests that need the key too."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return csr.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def structured(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, text_of(result)
    return dict(result.structured_content)


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    return structured(result)


# Servers and sessions under test ---------------------------------------------------------------------


def sandbox_settings(sandbox: RunningSandbox, tmp_path: Path, **overrides: Any) -> Settings:
    key_dir = tmp_path / "keys"
    key_dir.mkdir(mode=0o700, exist_ok=True)
    values: dict[str, Any] = {
        "api_url": sandbox.base_url,
        "frontdoor_id": sandbox.frontdoor_id,
        "credential": BearerToken(Secret(sandbox.token), source="NETFOUNDRY_API_TOKEN"),
        "key_dir": key_dir,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def connect(
    server: FrontdoorServer, era: str, *, elicitation: ElicitationFnT | None = None, logging: LoggingFnT | None = None
) -> AsyncGenerator[Client]:
    """An in-memory client session; with `logging`, it asks for log notifications (both eras' way)."""
    async with Client(
        server,
        mode=era,
        elicitation_callback=elicitation,
        logging_callback=logging,
        log_level="info" if logging is not None else None,
    ) as client:
        yield client


# What the server emits -------------------------------------------------------------------------------


API_HOST: Final = "gateway.example.test"
SEEDED: Final = "cert-00000000-0000-4000-8000-000000000001"
"""The certificate every `Harness` keeps in its FakeApi."""
REQUEST_PATH: Final = re.compile(
    r"/frontdoor/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
    r"(/client-certificates(/cert-[A-Za-z0-9-]+|/token/crt_[A-Za-z0-9_-]+)?"
    r"|/certificate-request-tokens(/token-[A-Za-z0-9-]+)?"
    r"|/shares(/[A-Za-z0-9_-]+)?)?"
)
"""Every path a request may take: the documented collections and items of one frontdoor, built from valid ids."""
API_BASE: Final = f"https://{API_HOST}/frontdoor"
BASE_PATH: Final = "/frontdoor/"
FRONTDOOR: Final = "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"
CANARY_SECRET: Final = "canary-secret-0d9e8f7a6b5c4d3e2f1a"
"""The OAuth client secret (password) canary, for the client-credentials runs."""

_CRASH: Final = re.compile(r"Error executing tool [A-Za-z0-9_]+(: Error executing tool [A-Za-z0-9_]+)*")
_PEM_BODY_LINE: Final = re.compile(r"[A-Za-z0-9+/=]{16,}")


@dataclass
class Emitted:
    """Every tool result (text and structured) and MCP log notification a client received."""

    results: list[CallToolResult] = field(default_factory=list[CallToolResult])
    logs: list[str] = field(default_factory=list[str])

    async def on_log(self, params: LoggingMessageNotificationParams) -> None:
        self.logs.append(json.dumps(params.model_dump(mode="json"), ensure_ascii=False))

    def everything(self) -> str:
        parts: list[str] = []
        for result in self.results:
            parts.append(text_of(result))
            parts.append(json.dumps(result.structured_content, ensure_ascii=False))
        parts.extend(self.logs)
        return "\n".join(parts)


@dataclass
class Session:
    """A connected client whose every result is kept in `emitted`."""

    client: Client
    emitted: Emitted

    async def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        result = await self.client.call_tool(tool, arguments)
        self.emitted.results.append(result)
        return result


@asynccontextmanager
async def watched(
    server: FrontdoorServer, era: str, emitted: Emitted | None = None, *, elicitation: ElicitationFnT | None = None
) -> AsyncGenerator[Session]:
    """Connect as `connect(...)` does, also receiving every MCP log notification: a `logging_callback`, and in
    the 2026 era the per-request opt-in at debug level (`log_level`). (The server declares no logging
    capability, so the legacy era's `logging/setLevel` is not available: whatever it sends still arrives.)"""
    emitted = emitted if emitted is not None else Emitted()
    async with Client(
        server,
        mode=era,
        elicitation_callback=elicitation,
        logging_callback=emitted.on_log,
        log_level="debug" if era != "legacy" else None,
    ) as client:
        yield Session(client, emitted)


def leaks(haystack: str, needles: Iterable[str]) -> list[str]:
    """The needles found in the haystack (a short prefix of each, so a failure shows no whole secret)."""
    return [needle[:12] + "..." for needle in needles if needle and needle in haystack]


def pem_body_lines(pem: str) -> list[str]:
    """The base64 lines of a PEM: what a leak of its content would show."""
    return [line.strip() for line in pem.splitlines() if _PEM_BODY_LINE.fullmatch(line.strip())]


def basic_pair(username: str, token: str) -> str:
    return base64.b64encode(f"{username}:{token}".encode()).decode("ascii")


def assert_answered(result: CallToolResult, tool: str) -> None:
    """A clear error (non-empty, not the SDK's crash text) or a result with structured content."""
    text = text_of(result)
    if result.is_error:
        assert text.strip(), f"{tool}: an error with no message"
        assert not _CRASH.fullmatch(text.strip()), f"{tool} crashed: {text!r}"
    else:
        assert result.structured_content is not None, f"{tool}: a success without a structured result"


def is_crash(result: CallToolResult) -> bool:
    return bool(result.is_error and _CRASH.fullmatch(text_of(result).strip()))


# Waiting without sleeping -----------------------------------------------------------------------------


@dataclass
class Sleeps:
    """A `sleep` for the API client that records each wait instead of sleeping through it."""

    calls: list[float] = field(default_factory=list[float])

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await anyio.lowlevel.checkpoint()


# A small Frontdoor API behind a MockTransport ----------------------------------------------------------


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json", **(headers or {})}
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeApi:
    """Enough of the API for the tools to succeed, in memory. Every request is recorded; one that leaves the
    configured host or base path is recorded in `violations` (and answered 400), never followed."""

    frontdoor_id: str = FRONTDOOR
    certificates: dict[str, dict[str, Any]] = field(default_factory=dict[str, dict[str, Any]])
    requests: list[httpx2.Request] = field(default_factory=list[httpx2.Request])
    violations: list[str] = field(default_factory=list[str])
    created_id: str | None = None
    """When set, the id every create answers with (a hostile API's choice)."""
    counter: int = 0

    @property
    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handler)

    def seed(self, certificate_id: str, name: str, pem: str | None = None) -> None:
        self.certificates[certificate_id] = {
            "id": certificate_id,
            "name": name,
            "frontdoorId": self.frontdoor_id,
            "createdAt": _now(),
            "createdBy": "user-fake",
            "value": pem or make_certificate("fake"),
        }

    def sign(self, csr_pem: str) -> str:
        """What a create from a CSR stores: a certificate for the CSR's key (a hostile API may differ)."""
        return sign_csr(csr_pem)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        url = request.url
        collection = f"{BASE_PATH}{self.frontdoor_id}/client-certificates"
        if url.scheme != "https" or url.host != API_HOST or url.port is not None:
            self.violations.append(f"host: {url}")
            return json_response(400, {"error": "bad_request", "message": "wrong host"})
        if not url.path.startswith(BASE_PATH) or "/../" in url.path or url.path.endswith("/.."):
            self.violations.append(f"path: {url}")
            return json_response(400, {"error": "bad_request", "message": "outside the base"})
        if set(url.params.keys()) - {"page", "size", "sort", "envZId"}:
            self.violations.append(f"query: {url}")
        if url.path == collection:
            return self._collection(request)
        if url.path.startswith(collection + "/") and url.path.count("/") == collection.count("/") + 1:
            return self._item(request, url.path.rsplit("/", 1)[1])
        frontdoor = f"{BASE_PATH}{self.frontdoor_id}"
        if url.path in (f"{frontdoor}/shares", f"{frontdoor}/certificate-request-tokens") and request.method == "GET":
            return json_response(200, certificate_page([]))  # none of either: the certificate tools still look
        if url.path.startswith(
            (f"{frontdoor}/shares/", f"{frontdoor}/certificate-request-tokens", f"{collection}/token/")
        ):
            return json_response(404, {"error": "not_found", "message": "Not found"})
        if url.path.startswith(BASE_PATH) and url.path.endswith(
            ("/client-certificates", "/shares", "/certificate-request-tokens")
        ):
            return json_response(403, {"error": "not_found", "message": "Frontdoor not found"})
        self.violations.append(f"unknown path: {url}")
        return json_response(404, {"error": "not_found", "message": "no such path"})

    def _collection(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "GET":
            page = int(request.url.params.get("page", "0"))
            size = int(request.url.params.get("size", "20"))
            items = list(self.certificates.values())
            if request.url.params.get("sort", "").startswith("createdAt,desc"):
                items.reverse()
            chunk = items[page * size : (page + 1) * size]
            summaries = [{key: value for key, value in item.items() if key != "value"} for item in chunk]
            return json_response(
                200,
                {
                    "content": summaries,
                    "pageable": {"pageNumber": page, "pageSize": size},
                    "totalElements": len(items),
                    "totalPages": -(-len(items) // size),
                },
            )
        if request.method == "POST":
            body: dict[str, Any] = json.loads(request.content)
            self.counter += 1
            certificate_id = self.created_id or f"cert-00000000-0000-4000-8000-{self.counter:012d}"
            self.seed(certificate_id, str(body.get("name")), str(body.get("value")))
            if "CERTIFICATE REQUEST" in str(body.get("value")):
                self.certificates[certificate_id]["value"] = self.sign(str(body.get("value")))
            created = {key: value for key, value in self.certificates[certificate_id].items() if key != "value"}
            return json_response(201, created)
        return json_response(405, {"error": "method_not_allowed", "message": "no"})

    def _item(self, request: httpx2.Request, certificate_id: str) -> httpx2.Response:
        item = self.certificates.get(certificate_id)
        if item is None:
            return json_response(
                404, {"error": "not_found", "message": f"Client certificate {certificate_id} not found"}
            )
        if request.method == "GET":
            return json_response(200, item)
        if request.method in ("PATCH", "PUT"):
            body: dict[str, Any] = json.loads(request.content)
            item.update({key: body[key] for key in ("name", "value") if key in body})
            return json_response(200, item)
        if request.method == "DELETE":
            del self.certificates[certificate_id]
            deleted = {key: value for key, value in item.items() if key != "value"}
            return json_response(200, {**deleted, "deletedAt": _now(), "deletedBy": "user-fake"})
        return json_response(405, {"error": "method_not_allowed", "message": "no"})


def mock_settings(tmp_path: Path, credential: Credential | None = None, **overrides: Any) -> Settings:
    """Settings for a server whose network is a MockTransport (see FakeApi)."""
    key_dir = tmp_path / "keys"
    key_dir.mkdir(mode=0o700, exist_ok=True)
    values: dict[str, Any] = {
        "api_url": API_BASE,
        "frontdoor_id": FRONTDOOR,
        "credential": credential or BearerToken(Secret(CANARY_TOKEN), source="NETFOUNDRY_API_TOKEN"),
        "key_dir": key_dir,
    }
    values.update(overrides)
    return Settings(**values)


def set_paging(sandbox: RunningSandbox, *, shape: str | None = None, max_page_size: int | None = None) -> Any:
    """Change how the sandbox pages its lists while it runs, the way a test outside its process would: through
    its control API (`PUT /_sandbox/paging`). Returns the paging now in force."""
    body = {key: value for key, value in (("shape", shape), ("max_page_size", max_page_size)) if value is not None}
    with httpx2.Client(trust_env=False) as http:
        answer = http.put(
            f"{sandbox.root_url}/_sandbox/paging", json=body, headers={"X-Sandbox-Admin": sandbox.admin_token}
        )
    answer.raise_for_status()
    return answer.json()


def fresh_lane(shared: RunningSandbox) -> RunningSandbox:
    """A module-wide sandbox, made fresh for one test: a new default frontdoor (its certificates start empty)
    that the same token may use, no faults, an empty request log. Much faster than a sandbox per test."""
    shared.faults.clear()
    shared.faults.clear_requests()
    frontdoor_id = str(uuid.uuid4())
    shared.add_token([frontdoor_id], token=shared.token)
    return dataclasses.replace(shared, frontdoor_id=frontdoor_id)


# The API client over a MockTransport ----------------------------------------------------------------------

CERT: Final = "cert-123e4567-e89b-12d3-a456-426614174000"
EMPTY_PAGE: Final[dict[str, Any]] = {
    "content": [],
    "pageable": {"pageNumber": 0, "pageSize": 20},
    "totalElements": 0,
    "totalPages": 0,
}


def mock_client(
    handler: Callable[[httpx2.Request], httpx2.Response]
    | Callable[[httpx2.Request], Coroutine[None, None, httpx2.Response]],
    *,
    base: str = API_BASE,
    sleeps: Sleeps | None = None,
) -> FrontdoorClient:
    """An API client whose network is `handler`; the waits it would sleep are recorded in `sleeps`, not slept."""
    credential = BearerToken(Secret(CANARY_TOKEN), source="t")
    return FrontdoorClient(base, credential, transport=httpx2.MockTransport(handler), sleep=sleeps or Sleeps())


def certificate_item(cert_id: str = CERT, name: str = "wanted") -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": cert_id, "name": name, "frontdoorId": FRONTDOOR, "createdAt": now, "createdBy": "u"}


def certificate_page(items: list[dict[str, Any]], *, number: int = 0, total_pages: int = 1) -> dict[str, Any]:
    return {
        "content": items,
        "pageable": {"pageNumber": number, "pageSize": 20},
        "totalElements": len(items) * total_pages,
        "totalPages": total_pages,
    }


# One call per hypothesis example ---------------------------------------------------------------------------


class Harness:
    """A server on a FakeApi, and one session to it kept open (in a portal's event loop) across examples.
    `call` makes one tool call and returns its result with the requests it caused, after checking that it
    answered clearly and that every request stayed inside the base."""

    def __init__(self, tmp: Path, era: str, fake: FakeApi | None = None) -> None:
        self.fake = fake or FakeApi()
        self.fake.seed(SEEDED, "seeded")
        self.server = build_server(mock_settings(tmp), transport=self.fake.transport, sleep=Sleeps())
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(start_blocking_portal())
        self._session = self._stack.enter_context(self._portal.wrap_async_context_manager(watched(self.server, era)))

    def close(self) -> None:
        self._stack.close()

    def call(self, tool: str, arguments: dict[str, Any]) -> tuple[CallToolResult, list[httpx2.Request]]:
        if SEEDED not in self.fake.certificates:  # an earlier example may have deleted it
            self.fake.seed(SEEDED, "seeded")
        before = len(self.fake.requests)

        async def once() -> CallToolResult:
            with anyio.fail_after(10):  # a FIFO or a device must not hang a call
                return await self._session.call(tool, arguments)

        result = self._portal.call(once)
        sent = self.fake.requests[before:]
        assert_answered(result, tool)
        assert self.fake.violations == []
        for request in sent:
            assert request.url.scheme == "https" and request.url.host == API_HOST and request.url.port is None
            assert REQUEST_PATH.fullmatch(request.url.path), request.url
            assert set(request.url.params.keys()) <= {"page", "size", "sort", "envZId"}
            assert b"PRIVATE KEY" not in request.content
        return result, sent


# Faults and what else the process said -----------------------------------------------------------------

FAULTS: Final[tuple[FaultKind, ...]] = tuple(kind for kind in FAULT_KINDS if kind != "rate_limit")
"""Every kind of fault the sandbox injects, each made to bite at once by `fault_of`; `rate_limit` is apart: it
bites only past a burst (its own tests drive it)."""


def fault_of(kind: FaultKind, method: str, path_contains: str | None = None) -> Fault:
    """One fault of `kind`, made to bite at once (short latencies, a 1 s Retry-After)."""
    if kind == "status":
        return Fault(kind, method=method, path_contains=path_contains, status=503, retry_after="1")
    if kind == "html_error":
        return Fault(kind, method=method, path_contains=path_contains, status=502)
    if kind == "clock_offset":
        return Fault(kind, method=method, path_contains=path_contains, clock_offset_s=-600)
    return Fault(kind, method=method, path_contains=path_contains, latency_s=0.01)


def everything_else(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> str:
    """Everything the process logged or printed, besides what a client received."""
    captured = capfd.readouterr()
    records = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records)
    return "\n".join([caplog.text, records, captured.out, captured.err])

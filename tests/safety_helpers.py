"""Helpers for the safety tests (issue 4): a client session that keeps everything the server emits, recorded
sleeps, a small in-memory Frontdoor API for a MockTransport that flags any request outside the base, and
checks for leaks and crashes."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import uuid
from collections.abc import AsyncGenerator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import anyio
import httpx2
from mcp import Client
from mcp.client.session import ElicitationFnT
from mcp_types import CallToolResult, LoggingMessageNotificationParams

from frontdoor_mcp.api.auth import BearerToken, Credential, Secret
from frontdoor_mcp.app import FrontdoorServer
from frontdoor_mcp.config import Settings
from frontdoor_mcp.sandbox.runner import RunningSandbox
from tests.conftest import CANARY_TOKEN
from tests.helpers import make_certificate, text_of

API_HOST: Final = "gateway.example.test"
API_BASE: Final = f"https://{API_HOST}/frontdoor"
BASE_PATH: Final = "/frontdoor/"
FRONTDOOR: Final = "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"
CANARY_SECRET: Final = "canary-secret-0d9e8f7a6b5c4d3e2f1a"
"""The OAuth client secret (password) canary, for the client-credentials runs."""

_CRASH: Final = re.compile(r"Error executing tool [A-Za-z0-9_]+(: Error executing tool [A-Za-z0-9_]+)*")
_PEM_BODY_LINE: Final = re.compile(r"[A-Za-z0-9+/=]{16,}")


# What the server emits ---------------------------------------------------------------------------------


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


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx2.Response:
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

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        url = request.url
        collection = f"{BASE_PATH}{self.frontdoor_id}/client-certificates"
        if url.scheme != "https" or url.host != API_HOST or url.port is not None:
            self.violations.append(f"host: {url}")
            return _json(400, {"error": "bad_request", "message": "wrong host"})
        if not url.path.startswith(BASE_PATH) or "/../" in url.path or url.path.endswith("/.."):
            self.violations.append(f"path: {url}")
            return _json(400, {"error": "bad_request", "message": "outside the base"})
        if set(url.params.keys()) - {"page", "size", "sort"}:
            self.violations.append(f"query: {url}")
        if url.path == collection:
            return self._collection(request)
        if url.path.startswith(collection + "/") and url.path.count("/") == collection.count("/") + 1:
            return self._item(request, url.path.rsplit("/", 1)[1])
        if url.path.startswith(BASE_PATH) and url.path.endswith("/client-certificates"):
            return _json(403, {"error": "not_found", "message": "Frontdoor not found"})
        self.violations.append(f"unknown path: {url}")
        return _json(404, {"error": "not_found", "message": "no such path"})

    def _collection(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "GET":
            page = int(request.url.params.get("page", "0"))
            size = int(request.url.params.get("size", "20"))
            items = list(self.certificates.values())
            if request.url.params.get("sort", "").startswith("createdAt,desc"):
                items.reverse()
            chunk = items[page * size : (page + 1) * size]
            summaries = [{key: value for key, value in item.items() if key != "value"} for item in chunk]
            return _json(
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
                self.certificates[certificate_id]["value"] = make_certificate("signed-by-fake")
            created = {key: value for key, value in self.certificates[certificate_id].items() if key != "value"}
            return _json(201, created)
        return _json(405, {"error": "method_not_allowed", "message": "no"})

    def _item(self, request: httpx2.Request, certificate_id: str) -> httpx2.Response:
        item = self.certificates.get(certificate_id)
        if item is None:
            return _json(404, {"error": "not_found", "message": f"Client certificate {certificate_id} not found"})
        if request.method == "GET":
            return _json(200, item)
        if request.method in ("PATCH", "PUT"):
            body: dict[str, Any] = json.loads(request.content)
            item.update({key: body[key] for key in ("name", "value") if key in body})
            return _json(200, item)
        if request.method == "DELETE":
            del self.certificates[certificate_id]
            deleted = {key: value for key, value in item.items() if key != "value"}
            return _json(200, {**deleted, "deletedAt": _now(), "deletedBy": "user-fake"})
        return _json(405, {"error": "method_not_allowed", "message": "no"})


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


def fresh_lane(shared: RunningSandbox) -> RunningSandbox:
    """A module-wide sandbox, made fresh for one test: a new default frontdoor (its certificates start empty)
    that the same token may use, no faults, an empty request log. Much faster than a sandbox per test."""
    shared.faults.clear()
    shared.faults.clear_requests()
    frontdoor_id = str(uuid.uuid4())
    shared.add_token([frontdoor_id], token=shared.token)
    return dataclasses.replace(shared, frontdoor_id=frontdoor_id)

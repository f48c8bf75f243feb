"""Shared fixtures: a real sandbox on an ephemeral loopback port, and the real MCP server wired to it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.session import ElicitationFnT, LoggingFnT

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.app import FrontdoorServer, build_server
from frontdoor_mcp.config import Settings
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox

CANARY_TOKEN = "canary-tok-7f3a9c1e5b2d4e6f8a0b"
"""Every server under test authenticates with this token; tests scan all output for it."""

ERAS = ["legacy", "2026-07-28"]
"""The two protocol eras the SDK speaks: the 2025-11-25 initialize handshake, and 2026-07-28."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_sandbox(token=CANARY_TOKEN)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[RunningSandbox]:
    """One sandbox for a whole module that starts many sessions; give each test `fresh_lane()` of it."""
    with start_sandbox(token=CANARY_TOKEN) as running:
        yield running


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


@pytest.fixture
def server(sandbox: RunningSandbox, tmp_path: Path) -> FrontdoorServer:
    return build_server(sandbox_settings(sandbox, tmp_path))


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return str(request.param)


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

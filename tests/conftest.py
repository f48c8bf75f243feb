"""Fixtures: a real sandbox on an ephemeral loopback port, and the real MCP server wired to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.server import FrontdoorServer, build_server
from tests.support import CANARY_TOKEN, DEFAULT_ERA, ERAS, sandbox_settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """A command run in-process (`main([...])`) sets up the process's logging as it would for real: undone after
    each test, so no test sees another's levels or handlers, whichever order or worker runs them."""
    loggers = [logging.getLogger(), logging.getLogger("frontdoor_mcp")]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    yield
    for logger, level, handlers in saved:
        logger.setLevel(level)
        for handler in [handler for handler in logger.handlers if handler not in handlers]:
            logger.removeHandler(handler)


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


@pytest.fixture
def server(sandbox: RunningSandbox, tmp_path: Path) -> FrontdoorServer:
    return build_server(sandbox_settings(sandbox, tmp_path))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all-eras",
        action="store_true",
        help="run the era-independent protocol tests in both protocol eras too (.ci/run does)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`every_era`: both protocol eras, always (elicitation, notifications, handshakes differ between them).
    `era`: a test whose behaviour does not depend on the era; one era by default, both with --all-eras."""
    if "every_era" in metafunc.fixturenames:
        metafunc.parametrize("every_era", ERAS)
    if "era" in metafunc.fixturenames:
        metafunc.parametrize("era", ERAS if metafunc.config.getoption("--all-eras") else [DEFAULT_ERA])

"""Load (issue 4): 50 concurrent tool calls in one MCP session all answer correctly, in both eras; with
faults injected while they run, still nothing is lost and nothing is duplicated."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Final

import anyio
import pytest

from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import build_server
from tests.support import (
    Session,
    Sleeps,
    fresh_lane,
    make_certificate,
    make_csr,
    ok,
    sandbox_settings,
    text_of,
    watched,
)

pytestmark = pytest.mark.anyio

CALLS: Final = 50
SEEDED: Final = 5


@pytest.fixture
def sandbox(module_sandbox: RunningSandbox) -> RunningSandbox:
    return fresh_lane(module_sandbox)


async def _run_mix(session: Session, seeded: dict[str, str]) -> tuple[dict[int, Any], set[str]]:
    """50 calls at once: list, get, upload and inspect in turn. Each result is checked against what that
    call asked for; returns the checked results and the names uploaded."""
    csr, _ = make_csr("concurrent")
    pem = make_certificate("concurrent")
    ids = sorted(seeded)
    uploaded: set[str] = set()
    results: dict[int, Any] = {}

    async def one(number: int) -> None:
        kind = number % 4
        if kind == 0:
            listed = ok(await session.call("list_client_certificates", {"size": 100, "sort": "name,asc"}))
            assert listed["total_elements"] >= SEEDED
            assert {item["id"] for item in listed["items"]} >= set(ids)
            results[number] = listed
        elif kind == 1:
            wanted = ids[number % len(ids)]
            got = ok(await session.call("get_client_certificate", {"certificate_id": wanted}))
            assert got["id"] == wanted and got["name"] == seeded[wanted]
            results[number] = got
        elif kind == 2:
            name = f"concurrent-{number:02d}"
            created = ok(await session.call("upload_client_certificate", {"name": name, "certificate_pem": pem}))
            assert created["name"] == name and created["decoded"]["subject"] == "CN=concurrent"
            uploaded.add(name)
            results[number] = created
        else:
            inspected = ok(await session.call("inspect_certificate", {"pem": csr if number % 8 == 3 else pem}))
            assert inspected["kind"] == ("csr" if number % 8 == 3 else "certificate")
            results[number] = inspected

    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            for number in range(CALLS):
                group.start_soon(one, number)
    return results, uploaded


async def _seed(session: Session) -> dict[str, str]:
    pem = make_certificate("seeded")
    seeded: dict[str, str] = {}
    for number in range(SEEDED):
        created = ok(
            await session.call("upload_client_certificate", {"name": f"seed-{number}", "certificate_pem": pem})
        )
        seeded[created["id"]] = created["name"]
    return seeded


async def _names(session: Session) -> Counter[str]:
    listed = ok(await session.call("list_client_certificates", {"all_pages": True}))
    return Counter(item["name"] for item in listed["items"])


async def test_fifty_concurrent_calls_in_one_session_all_answer_correctly(
    sandbox: RunningSandbox, era: str, tmp_path: Path
) -> None:
    server = build_server(sandbox_settings(sandbox, tmp_path))
    async with watched(server, era) as session:
        seeded = await _seed(session)
        results, uploaded = await _run_mix(session, seeded)
        names = await _names(session)
    assert len(results) == CALLS and len(uploaded) == len(range(2, CALLS, 4))
    assert all(count == 1 for count in names.values()), "nothing duplicated"
    assert set(names) == {*seeded.values(), *uploaded}, "nothing lost"
    assert sandbox.faults.count("POST") == SEEDED + len(uploaded)


async def test_fifty_concurrent_calls_under_faults_lose_and_duplicate_nothing(
    sandbox: RunningSandbox, every_era: str, tmp_path: Path
) -> None:
    sleeps = Sleeps()
    server = build_server(sandbox_settings(sandbox, tmp_path), sleep=sleeps)
    async with watched(server, every_era) as session:
        seeded = await _seed(session)
        sandbox.faults.add(Fault("drop_after", method="POST", times=3))
        sandbox.faults.add(Fault("latency", method="GET", latency_s=0.02, times=20))
        # At most two failed attempts for any one read (three are allowed), however the faults fall.
        sandbox.faults.add(Fault("status", method="GET", path_contains="client-certificates/cert-", status=503))
        sandbox.faults.add(Fault("drop_before", method="GET"))
        results, uploaded = await _run_mix(session, seeded)
        names = await _names(session)
    recovered = [number for number, result in results.items() if result.get("recovered")]
    assert len(recovered) == 3, "each dropped create was found, not repeated"
    assert all(count == 1 for count in names.values()), "nothing duplicated"
    assert set(names) == {*seeded.values(), *uploaded}, "nothing lost"
    assert sandbox.faults.count("POST") == SEEDED + len(uploaded), "one POST per create"
    assert len(sleeps.calls) == 2, "each failed read was retried"
    assert not any("Error executing tool" in text_of(result) for result in session.emitted.results)

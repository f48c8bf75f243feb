"""Retries and unknown outcomes (issue 4), through the MCP tools against the sandbox's fault injection.

GET/PUT/DELETE retry on connection errors, 429, 502, 503 and 504: at most 3 attempts, backoff with jitter
capped at 8 s, Retry-After honoured up to 60 s (longer: fail at once and say when). POST and PATCH are
never repeated: after an unknown outcome the server looks, and reports a write it finds as recovered.
Waits are recorded (`Sleeps`), not slept; request counts come from the sandbox's log. Each test runs its
cases in one session (a session's first call is the slow one).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from email.utils import formatdate
from pathlib import Path
from typing import Any, Final

import anyio
import httpx2
import pytest

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.sandbox.faults.controller import Fault, FaultKind
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import FrontdoorServer, build_server
from tests.support import (
    Session,
    Sleeps,
    assert_answered,
    fresh_lane,
    make_certificate,
    make_csr,
    ok,
    sandbox_settings,
    text_of,
    watched,
)

pytestmark = pytest.mark.anyio

PEM: Final = make_certificate("faults")
ITEM: Final = "client-certificates/cert-"
"""Matches the path of one certificate, never the collection."""


@pytest.fixture
def sandbox(module_sandbox: RunningSandbox) -> RunningSandbox:
    return fresh_lane(module_sandbox)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def fast_server(sandbox: RunningSandbox, tmp_path: Path, sleeps: Sleeps) -> FrontdoorServer:
    return build_server(sandbox_settings(sandbox, tmp_path), sleep=sleeps)


async def _names(session: Session) -> Counter[str]:
    listed = ok(await session.call("list_client_certificates", {"all_pages": True}))
    return Counter(item["name"] for item in listed["items"])


async def _upload(session: Session, name: str) -> dict[str, Any]:
    return ok(await session.call("upload_client_certificate", {"name": name, "certificate_pem": PEM}))


def _fresh(sandbox: RunningSandbox, sleeps: Sleeps) -> None:
    sandbox.faults.clear()
    sandbox.faults.clear_requests()
    sleeps.calls.clear()


# Reads and idempotent writes: retried, waits honoured ----------------------------------------------------

RETRIED: Final[list[tuple[str, Fault, int, list[float] | None]]] = [
    ("503", Fault("status", status=503, retry_after="1"), 2, [1.0]),
    ("429", Fault("status", status=429, retry_after="2"), 2, [2.0]),
    ("502 now", Fault("status", status=502, retry_after="0"), 2, [0.0]),
    ("504 twice", Fault("status", status=504, retry_after="1", times=2), 3, [1.0, 1.0]),
    ("drop_before", Fault("drop_before"), 2, None),
    ("drop_after", Fault("drop_after"), 2, None),
    ("html 502", Fault("html_error", status=502), 2, None),
]
"""(case, fault, attempts, the waits: Retry-After's, or None for jittered backoff)."""


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_idempotent_calls_retry_transient_failures_and_honour_retry_after(
    fast_server: FrontdoorServer, sandbox: RunningSandbox, sleeps: Sleeps, era: str, method: str
) -> None:
    async with watched(fast_server, era) as session:
        for case, fault, attempts, waits in RETRIED:
            name = f"retry-{case}"
            cert = await _upload(session, name)
            _fresh(sandbox, sleeps)
            sandbox.faults.add(dataclasses.replace(fault, method=method, path_contains=ITEM))
            if method == "GET":
                result = await session.call("get_client_certificate", {"certificate_id": cert["id"]})
            elif method == "PUT":
                arguments = {
                    "certificate_id": cert["id"],
                    "name": name + " replaced",
                    "certificate_pem": PEM,
                    "confirm": True,
                }
                result = await session.call("replace_client_certificate", arguments)
            else:
                arguments = {"certificate_id": cert["id"], "confirm": True}
                result = await session.call("delete_client_certificate", arguments)
            names = await _names(session)
            assert sandbox.faults.count(method, ITEM) == attempts, case
            if waits is not None:
                assert sleeps.calls == waits, f"{case}: Retry-After is what was waited"
            else:
                assert len(sleeps.calls) == attempts - 1 and all(0 < wait <= 8 for wait in sleeps.calls), case
            assert not result.is_error, (case, text_of(result))
            if method == "DELETE" and fault.kind == "drop_after":
                # The first DELETE did it and lost its answer; the retry's 404 confirms it: deleted, recovered.
                assert result.structured_content is not None
                assert result.structured_content["deleted"] is True
                assert result.structured_content["recovered"] is True
            expected = {"GET": {name: 1}, "PUT": {name + " replaced": 1}, "DELETE": {}}[method]
            assert {key: count for key, count in names.items() if key.startswith(name)} == expected, case


async def test_three_attempts_at_most_with_jittered_backoff_capped(
    fast_server: FrontdoorServer, sandbox: RunningSandbox, sleeps: Sleeps, era: str
) -> None:
    async with watched(fast_server, era) as session:
        for status in (429, 502, 503, 504):
            _fresh(sandbox, sleeps)
            sandbox.faults.add(Fault("status", method="GET", status=status, times=None))
            results = [await session.call("list_client_certificates", {}) for _ in range(4)]
            assert sandbox.faults.count("GET") == 4 * 3
            for result in results:
                assert result.is_error and str(status) in text_of(result) and "Try again in a minute" in text_of(result)
            assert len(sleeps.calls) == 4 * 2
            firsts, seconds = sleeps.calls[0::2], sleeps.calls[1::2]
            assert all(0.25 <= wait <= 0.5 for wait in firsts) and all(0.5 <= wait <= 1.0 for wait in seconds)
            assert len(set(sleeps.calls)) > 4, "jittered, not fixed"


async def test_retry_after_over_a_minute_fails_at_once_and_says_when(
    fast_server: FrontdoorServer, sandbox: RunningSandbox, sleeps: Sleeps, era: str
) -> None:
    async with watched(fast_server, era) as session:
        for retry_after, seconds in (("61", 61), ("120", 120), ("3600", 3600), (None, 300)):
            _fresh(sandbox, sleeps)
            header = retry_after or formatdate(time.time() + seconds, usegmt=True)  # the HTTP-date form
            sandbox.faults.add(Fault("status", method="GET", status=503, retry_after=header, times=None))
            result = await session.call("list_client_certificates", {})
            assert sandbox.faults.count("GET") == 1 and sleeps.calls == []
            said = re.search(r"Try again in (\d+) seconds", text_of(result))
            assert result.is_error and said is not None and abs(int(said[1]) - seconds) <= 2, text_of(result)
        _fresh(sandbox, sleeps)
        sandbox.faults.add(
            Fault("status", method="GET", status=503, retry_after=formatdate(time.time() + 20, usegmt=True))
        )
        ok(await session.call("list_client_certificates", {}))
        assert sandbox.faults.count("GET") == 2 and len(sleeps.calls) == 1 and 17 <= sleeps.calls[0] <= 21


async def test_a_real_retry_after_is_really_waited(sandbox: RunningSandbox, tmp_path: Path) -> None:
    server = build_server(sandbox_settings(sandbox, tmp_path))  # the real anyio.sleep; once is enough
    sandbox.faults.add(Fault("status", method="GET", status=503, retry_after="1"))
    async with watched(server, "legacy") as session:
        started = time.monotonic()
        ok(await session.call("list_client_certificates", {}))
        waited = time.monotonic() - started
    assert waited >= 0.95 and sandbox.faults.count("GET") == 2


# Creates and PATCH: never repeated; a lost answer is looked for -----------------------------------------

LOST_CREATES: Final[list[tuple[FaultKind, bool]]] = [
    ("drop_after", True),  # committed, answer lost: found and reported as recovered
    ("malformed_json", True),
    ("truncated_json", True),
    ("drop_before", False),  # never arrived: nothing found, the outcome is unknown, nothing repeated
]


async def test_a_lost_create_is_found_not_repeated(
    fast_server: FrontdoorServer, sandbox: RunningSandbox, sleeps: Sleeps, era: str
) -> None:
    csr, _ = make_csr("lost-create")
    async with watched(fast_server, era) as session:
        for tool in ("upload", "csr"):
            for kind, committed in LOST_CREATES:
                name = f"lost-{tool}-{kind}"
                _fresh(sandbox, sleeps)
                sandbox.faults.add(Fault(kind, method="POST"))
                if tool == "upload":
                    result = await session.call("upload_client_certificate", {"name": name, "certificate_pem": PEM})
                else:
                    result = await session.call("create_client_certificate_from_csr", {"name": name, "csr_pem": csr})
                names = await _names(session)
                assert sandbox.faults.count("POST") == 1, "a POST is never sent twice"
                if committed:
                    created = ok(result)
                    assert created["recovered"] is True and "not repeated" in text_of(result)
                    assert names[name] == 1 and sandbox.store.get_certificate(sandbox.frontdoor_id, created["id"])
                    if tool == "csr":
                        assert created["decoded"]["issuer"].startswith("CN=NetFoundry")
                else:
                    message = text_of(result)
                    assert result.is_error and "outcome is unknown" in message and "list_client_certificates" in message
                    assert names[name] == 0


async def test_a_refused_or_failed_create_is_not_retried_and_says_when(
    fast_server: FrontdoorServer, sandbox: RunningSandbox, sleeps: Sleeps, era: str
) -> None:
    async with watched(fast_server, era) as session:
        _fresh(sandbox, sleeps)
        sandbox.faults.add(Fault("status", method="POST", status=429, retry_after="1"))
        result = await session.call("upload_client_certificate", {"name": "refused-429", "certificate_pem": PEM})
        assert sandbox.faults.count("POST") == 1 and sleeps.calls == []
        assert result.is_error and "429" in text_of(result) and "Try again in 1 seconds" in text_of(result)
        # Any 5xx: the backend may have written it before failing, so look (finding nothing here).
        failures: list[tuple[FaultKind, int]] = [
            ("status", 500),
            ("status", 503),
            ("html_error", 502),
            ("html_error", 504),
        ]
        for kind, status in failures:
            _fresh(sandbox, sleeps)
            sandbox.faults.add(Fault(kind, method="POST", status=status, retry_after="1"))
            result = await session.call(
                "upload_client_certificate", {"name": f"failed-{status}", "certificate_pem": PEM}
            )
            assert sandbox.faults.count("POST") == 1 and sleeps.calls == []
            assert result.is_error and "outcome is unknown" in text_of(result) and f"HTTP {status}" in text_of(result)
        assert await _names(session) == {}


async def test_a_timed_out_create_is_not_repeated_and_the_model_is_told_to_look(
    sandbox: RunningSandbox, tmp_path: Path, era: str
) -> None:
    timeout = httpx2.Timeout(0.2, connect=2.0)
    server = build_server(sandbox_settings(sandbox, tmp_path), sleep=Sleeps(), timeout=timeout)
    sandbox.faults.add(Fault("latency", method="POST", latency_s=0.5))
    async with watched(server, era) as session:
        result = await session.call("upload_client_certificate", {"name": "slow", "certificate_pem": PEM})
        assert result.is_error and "outcome is unknown" in text_of(result), text_of(result)
        await anyio.sleep(0.5)  # past the injected latency: whatever the server was going to do, it has done
        names = await _names(session)
    # The sandbox drops a request whose client has gone (so nothing landed); what matters here: one POST,
    # not reported as done, and the model told to look before trying again.
    assert sandbox.faults.count("POST") == 1 and names == {}
    assert "list_client_certificates" in text_of(result)


async def test_an_earlier_certificate_of_the_same_name_is_not_taken_for_a_lost_create(
    fast_server: FrontdoorServer, sandbox: RunningSandbox, era: str
) -> None:
    async with watched(fast_server, era) as session:
        first = await _upload(session, "same-name")
        sandbox.faults.add(Fault("drop_before", method="POST"))
        lost = await session.call("upload_client_certificate", {"name": "same-name", "certificate_pem": PEM})
        assert lost.is_error and "outcome is unknown" in text_of(lost), "not reported as done"
        assert first["id"] not in text_of(lost)
        sandbox.faults.add(Fault("drop_after", method="POST"))
        second = ok(await session.call("upload_client_certificate", {"name": "same-name", "certificate_pem": PEM}))
        names = await _names(session)
    assert second["recovered"] is True and second["id"] != first["id"]
    assert names == {"same-name": 2} and sandbox.faults.count("POST") == 3


async def test_a_create_whose_read_back_fails_is_reported_as_created_not_as_an_error(
    fast_server: FrontdoorServer, sandbox: RunningSandbox, sleeps: Sleeps, era: str
) -> None:
    csr, _ = make_csr("read-back")
    sandbox.faults.add(Fault("status", method="GET", path_contains=ITEM, status=503, times=None))
    async with watched(fast_server, era) as session:
        result = await session.call("create_client_certificate_from_csr", {"name": "read-back", "csr_pem": csr})
        sandbox.faults.clear()
        names = await _names(session)
    created = ok(result)
    assert created["id"].startswith("cert-") and "certificate_pem" not in created
    assert "Do not create it again" in text_of(result)
    assert sandbox.faults.count("POST") == 1 and sandbox.faults.count("GET", ITEM) == 3 and len(sleeps.calls) == 2
    assert names == {"read-back": 1}


LOST_PATCHES: Final[list[tuple[FaultKind, bool]]] = [
    ("drop_after", True),
    ("drop_before", False),
    ("html_error", False),
]


async def test_a_lost_patch_is_read_back_not_repeated(
    fast_server: FrontdoorServer, sandbox: RunningSandbox, sleeps: Sleeps, era: str
) -> None:
    async with watched(fast_server, era) as session:
        for kind, applied in LOST_PATCHES:
            cert = await _upload(session, f"before-{kind}")
            _fresh(sandbox, sleeps)
            sandbox.faults.add(Fault(kind, method="PATCH", status=502))
            result = await session.call(
                "update_client_certificate", {"certificate_id": cert["id"], "name": f"after-{kind}"}
            )
            names = await _names(session)
            assert sandbox.faults.count("PATCH") == 1, kind
            if applied:
                assert ok(result)["recovered"] is True and names[f"after-{kind}"] == 1
            else:
                assert result.is_error and "outcome is unknown" in text_of(result) and names[f"before-{kind}"] == 1


# Bodies that are not the documented JSON, and the clock -------------------------------------------------

ODD_ANSWERS: Final[list[tuple[Fault, str]]] = [
    (Fault("malformed_json", method="GET"), "not valid JSON"),
    (Fault("truncated_json", method="GET"), "not valid JSON"),
    (Fault("html_error", method="GET", status=200), "HTML page instead of JSON"),
    (Fault("html_error", method="GET", status=404), "was not found"),
    (Fault("status", method="GET", status=500), "failed with HTTP 500"),
    (Fault("latency", method="GET", latency_s=0.2), ""),
]


async def test_odd_answers_become_clear_messages(
    fast_server: FrontdoorServer, sandbox: RunningSandbox, sleeps: Sleeps, era: str
) -> None:
    async with watched(fast_server, era) as session:
        cert = await _upload(session, "odd")
        for fault, expected in ODD_ANSWERS:
            _fresh(sandbox, sleeps)
            sandbox.faults.add(dataclasses.replace(fault, path_contains=ITEM))
            result = await session.call("get_client_certificate", {"certificate_id": cert["id"]})
            assert_answered(result, "get_client_certificate")
            if expected:
                assert result.is_error and expected in text_of(result), text_of(result)
            else:
                assert ok(result)["id"] == cert["id"]
            assert sandbox.faults.count("GET", ITEM) == 1, "not retried: none of these is transient"


@pytest.mark.parametrize("real", [True, False], ids=["refused-token", "injected-401"])
async def test_a_401_states_the_clock_skew(sandbox: RunningSandbox, tmp_path: Path, era: str, real: bool) -> None:
    credential = BearerToken(Secret("not-the-token" if real else sandbox.token), source="NETFOUNDRY_API_TOKEN")
    server = build_server(sandbox_settings(sandbox, tmp_path, credential=credential), sleep=Sleeps())
    async with watched(server, era) as session:
        for offset, direction in ((-600, "ahead of"), (900, "behind"), (-30, None)):
            if not real:
                sandbox.faults.add(Fault("status", method="GET", status=401))
            sandbox.faults.add(Fault("clock_offset", method="GET", clock_offset_s=offset))
            result = await session.call("list_client_certificates", {})
            message = text_of(result)
            assert result.is_error and "401" in message and "NETFOUNDRY_API_TOKEN" in message
            stated = re.search(r"clock is (\d+) seconds (ahead of|behind) the API's", message)
            if direction is None:
                assert stated is None, "a small difference is not blamed"
                continue
            assert stated is not None, message
            assert abs(int(stated[1]) - abs(offset)) <= 2 and stated[2] == direction
            assert "time synchronisation" in message

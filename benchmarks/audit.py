"""Measure 5: `find_expiring_client_certificates` over every certificate of a large frontdoor.

With the latency fault on every GET, its time (median over a few runs). With a rate limit of 100 requests
per second as well (the sandbox's `rate_limit` fault), whether it still audits everything, fails no
certificate, and how many of its requests were answered 429 (from the sandbox's request log). Either
measure says "n/a" with the reason while the server caps its audit below the certificates seeded, or the
sandbox cannot rate-limit yet.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from random import Random
from typing import Any, Final, cast

import fixture
from capabilities import Constant
from results import Row, Series, Target, counted, not_available
from rounds import interleaved
from rpc_client import StdioServer

LATENCY_TARGET: Final = Target("<=", 20.0, "s")
SHARE_429_TARGET: Final = Target("<=", 10.0, "%")
FAILED_TARGET: Final = Target("<=", 0.0, "count")
RATE_PER_S: Final = 100.0
_TOOL: Final = "find_expiring_client_certificates"
_RUN_TIMEOUT_S: Final = 600.0


@dataclass(frozen=True)
class AuditRun:
    seconds: float
    checked: int
    total: int
    truncated: bool
    failed: int
    """Certificates not audited: undecodable ones, and every one when the tool answered an error."""
    error: str | None
    traffic: fixture.Traffic
    unreadable: str | None = None
    """Set when the result is not in the shape this benchmark reads (the tool changed): nothing is known."""


def cap_reason(cap: Constant | None, count: int) -> str | None:
    """Why an audit of `count` certificates cannot be measured with this server, or None."""
    if cap is not None and cap.value < count:
        return f"the server audits at most {cap.value:,} certificates (`{cap.source}`), not {count:,}"
    return None


def audit_once(server: StdioServer, bench: fixture.BenchSandbox, latency_s: float, timeout_s: float) -> AuditRun:
    fixture.reset_log(bench)
    started = time.perf_counter()
    result = server.call_tool_raw(_TOOL, {"within_days": 30}, timeout_s=timeout_s)
    elapsed = time.perf_counter() - started
    traffic = fixture.traffic(bench, latency_s)
    if result.get("isError"):
        error = json.dumps(result.get("content"))[:300]
        return AuditRun(elapsed, 0, 0, False, -1, error, traffic)
    report = cast(dict[str, Any], result.get("structuredContent") or {})
    missing = [name for name in ("checked", "total_elements") if not isinstance(report.get(name), int)]
    if missing:
        shape = f"its result has no {' or '.join(missing)} (fields: {', '.join(sorted(report)) or 'none'})"
        return AuditRun(elapsed, 0, 0, False, -1, None, traffic, unreadable=shape)
    undecodable = report.get("undecodable_count")
    if not isinstance(undecodable, int):  # an older result shape: the list, which the budget may shorten
        undecodable = len(cast(list[Any], report.get("undecodable") or []))
    return AuditRun(
        elapsed,
        int(report["checked"]),
        int(report["total_elements"]),
        bool(report.get("walk_truncated", report.get("truncated", False))),
        undecodable,
        None,
        traffic,
    )


def latency_rows(
    server: StdioServer,
    bench: fixture.BenchSandbox,
    count: int,
    latency_s: float,
    runs: int,
    budget_s: float,
    rng: Random,
    unavailable: str | None,
) -> list[Row]:
    """The audit under the latency fault alone (which the caller has set): up to `runs` runs, none started
    after `budget_s` seconds."""
    key = "audit.latency"
    measure = f"audit {count:,} certificates (`{_TOOL}`), {latency_s * 1000:.0f} ms added latency per request"
    if unavailable is not None:
        return [not_available(key, measure, unavailable, LATENCY_TARGET)]
    done: list[AuditRun] = []

    def run() -> float:
        done.append(audit_once(server, bench, latency_s, _RUN_TIMEOUT_S))
        return done[-1].seconds

    interleaved({"audit": run}, runs, rng, budget_s=budget_s)
    problem = _problem(done, count)
    if problem is not None:
        return [not_available(key, measure, problem, LATENCY_TARGET)]
    requests = _range([r.traffic.requests for r in done])
    return [
        Row(
            key,
            f"{measure} ({counted(len(done), 'run')})",
            Series("", "s", [r.seconds for r in done]),
            target=LATENCY_TARGET,
            note=f"{requests} requests per audit.",
        )
    ]


def rate_limited_rows(
    server: StdioServer,
    bench: fixture.BenchSandbox,
    count: int,
    latency_s: float,
    unavailable: str | None,
    burst: int,
) -> list[Row]:
    """One audit under the latency fault and a rate limit of RATE_PER_S admitting `burst` at once (the
    caller has set both)."""
    what = (
        f"audit {count:,} certificates, rate-limited to {RATE_PER_S:.0f} requests/s (429 beyond) and "
        f"{latency_s * 1000:.0f} ms added latency"
    )
    targets = (
        ("audit.rate_limited.audited", f"{what}: certificates audited", Target(">=", float(count), "count")),
        ("audit.rate_limited.failed", f"{what}: certificates that failed", FAILED_TARGET),
        ("audit.rate_limited.share_429", f"{what}: share of its requests answered 429", SHARE_429_TARGET),
    )
    if unavailable is not None:
        return [not_available(key, measure, unavailable, target) for key, measure, target in targets]
    minimum_s = max(0, count - burst) / RATE_PER_S
    audit = audit_once(server, bench, latency_s, max(_RUN_TIMEOUT_S, 4 * minimum_s + 60))
    if audit.unreadable is not None:
        return [not_available(key, measure, audit.unreadable, target) for key, measure, target in targets]
    if audit.error is None and audit.truncated:
        reason = f"the server audited {audit.checked:,} of {audit.total:,} certificates (its cap)"
        return [not_available(key, measure, reason, target) for key, measure, target in targets]
    failed = count if audit.error is not None else audit.failed + max(0, count - audit.checked)
    share = 100.0 * audit.traffic.answered_429 / audit.traffic.requests if audit.traffic.requests else 0.0
    error_note = None if audit.error is None else f"the tool answered an error: {audit.error}"
    values = (float(audit.checked), float(failed), share)
    found = [
        Row(key, f"{measure} (1 run)", Series("", unit, [value]), target=target, note=error_note if first else None)
        for first, ((key, measure, target), value, unit) in zip(
            (True, False, False), zip(targets, values, ("count", "count", "%"), strict=True), strict=True
        )
    ]
    found.append(
        Row(
            "audit.rate_limited.seconds",
            f"{what}: time taken (1 run; with a burst of {burst:,} admitted at once, its {count:,} item "
            f"requests alone cannot take less than {minimum_s:.1f} s)",
            Series("", "s", [audit.seconds]),
            for_scale=True,
            note=f"{audit.traffic.requests:,} requests, {audit.traffic.answered_429:,} answered 429.",
        )
    )
    return found


def _problem(done: list[AuditRun], count: int) -> str | None:
    for audit in done:
        if audit.unreadable is not None:
            return audit.unreadable
        if audit.error is not None:
            return f"the audit failed: {audit.error}"
        if audit.truncated or audit.checked < count:
            return f"the server audited {audit.checked:,} of {audit.total:,} certificates (its cap)"
        if audit.failed:
            return f"{audit.failed} certificates could not be audited"
    return None


def _range(values: list[int]) -> str:
    low, high = min(values, default=0), max(values, default=0)
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"

"""Measures 4 and 6: listing every certificate, and the memory it takes.

4. `list_client_certificates all_pages=true` beside a client walking 20-item pages one after another, each
   round in a random order, with a latency fault on every GET; and beside the lower bound for the page size
   the server used. The API tells how many pages there are only inside a page, so a walk that asks only for
   pages that exist reads the first page before it can ask for the rest: with P pages of that size (the
   list requests counted in the sandbox's log) and C in flight at once, it needs at least
   1 + ceil((P - 1) / C) sequential waves, each waiting the added latency. The bound counts no processing,
   neither ours nor the sandbox's.
6. Peak RSS (VmHWM) of a fresh frontdoor-mcp process over its first `all_pages` listing, minus its RSS
   when idle after initialize + tools/list.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from random import Random
from typing import Any, Final

import httpx2

import fixture
from capabilities import WalkSettings
from results import Row, Series, Target, counted, not_available, paired
from rounds import Action, interleaved
from rpc_client import RpcError, StdioServer
from servers import ServerSpec

WALK_PAGE_SIZE: Final = 20
SPEEDUP_TARGET: Final = Target(">=", 30.0, "x")
BOUND_TARGET: Final = Target("<=", 1.5, "x")
MEMORY_TARGET: Final = Target("<=", 20.0, "MiB")
_LISTING_TIMEOUT_S: Final = 600
_IDLE_SETTLE_S: Final = 0.2

_OURS: Final = "all_pages"
_WALK: Final = "walk"


@dataclass(frozen=True)
class ListingSamples:
    """Round i: `ours[i]` and `walk[i]` seconds, and what the sandbox served during `ours[i]`."""

    ours: list[float]
    walk: list[float]
    traffic: list[fixture.Traffic]
    latency_s: float


def all_pages(server: StdioServer, expected: int) -> None:
    result = server.call_tool("list_client_certificates", {"all_pages": True}, timeout_s=_LISTING_TIMEOUT_S)
    # The result keeps what fits the result budget; `matching` counts every certificate the walk read.
    listed: dict[str, Any] = result.get("structuredContent", {})
    if listed.get("matching") != expected or not listed.get("items"):
        raise RpcError(f"all_pages read {listed.get('matching')} certificates, expected {expected}")


def walk_pages(http: httpx2.Client, collection_url: str, page_size: int, max_pages: int = 100_000) -> list[Any]:
    """Every item, one page after another, the way a client without concurrency does it."""
    items: list[Any] = []
    for page in range(max_pages):
        response = http.get(collection_url, params={"page": str(page), "size": str(page_size)})
        response.raise_for_status()
        body = response.json()
        items.extend(body["content"])
        if page + 1 >= int(body["totalPages"]):
            break
    return items


def listing_rounds(
    server: StdioServer,
    http: httpx2.Client,
    bench: fixture.BenchSandbox,
    expected: int,
    rounds: int,
    rng: Random,
    latency_s: float,
    *,
    warmup: int = 0,
) -> ListingSamples:
    """`rounds` rounds of our listing and the page walk, in a random order each; the request log is read
    around each of our listings."""
    log: list[fixture.Traffic] = []

    def ours() -> float:
        fixture.reset_log(bench)
        started = time.perf_counter()
        all_pages(server, expected)
        elapsed = time.perf_counter() - started
        log.append(fixture.traffic(bench, latency_s))
        return elapsed

    def walk() -> float:
        started = time.perf_counter()
        count = len(walk_pages(http, bench.collection_url, WALK_PAGE_SIZE))
        elapsed = time.perf_counter() - started
        if count != expected:
            raise RpcError(f"the page walk found {count} items, expected {expected}")
        return elapsed

    actions: dict[str, Action] = {_OURS: ours, _WALK: walk}
    samples = interleaved(actions, rounds, rng, warmup=warmup)
    return ListingSamples(samples[_OURS], samples[_WALK], log[-len(samples[_OURS]) :], latency_s)


def listing_rows(slow: ListingSamples, fast: ListingSamples, count: int, settings: WalkSettings) -> list[Row]:
    latency_ms = slow.latency_s * 1000
    ours = Series("`all_pages=true`", "s", slow.ours)
    rounds = counted(len(slow.ours), "round")
    what = f"list {count:,} certificates, {latency_ms:.0f} ms added latency per request ({rounds})"
    found = [
        paired(
            "listing.latency.vs_walk",
            f"{what}: speed-up over a client walking {WALK_PAGE_SIZE}-item pages one by one",
            ours,
            Series(f"{WALK_PAGE_SIZE}-item pages one by one, httpx2", "s", slow.walk),
            "speedup",
            target=SPEEDUP_TARGET,
        ),
        _bound_row(slow, ours, what, count, settings),
    ]
    found.append(
        paired(
            "listing.no_latency.vs_walk",
            f"the same listing with no added latency ({counted(len(fast.ours), 'round')}, after a warm-up round)",
            Series("`all_pages=true`", "s", fast.ours),
            Series(f"{WALK_PAGE_SIZE}-item pages one by one", "s", fast.walk),
            "speedup",
            for_scale=True,
        )
    )
    return found


def fewest_waves(pages: int, in_flight: int) -> int:
    """The fewest sequential waves of requests that read `pages` pages, at most `in_flight` at once, when the
    number of pages is known only from the first page: that page alone, then the rest."""
    return 0 if pages <= 0 else 1 + math.ceil((pages - 1) / in_flight)


def _bound_row(slow: ListingSamples, ours: Series, what: str, count: int, settings: WalkSettings) -> Row:
    key, measure = "listing.latency.vs_bound", f"{what}: ratio to the lower bound for the page size used"
    requests = [t.list_requests for t in slow.traffic]
    observed = max((t.max_in_flight for t in slow.traffic), default=0)
    declared = settings.concurrency
    if declared is not None and observed > declared.value:
        concurrency, source = observed, f"observed in the sandbox's log (more than `{declared.source}` says)"
    elif declared is not None:
        concurrency, source = declared.value, f"`{declared.source}`"
    elif observed > 0:
        concurrency, source = observed, "observed in the sandbox's log (no constant found)"
    else:
        return not_available(key, measure, "the server's concurrency is neither declared nor observable", BOUND_TARGET)
    waves = [fewest_waves(r, concurrency) for r in requests]
    bounds = [w * slow.latency_s for w in waves]
    r_shown = _range(requests)
    waves_shown = counted(max(waves), "wave") if min(waves) == max(waves) else f"{_range(waves)} waves"
    label = (
        f"lower bound, the first page then ⌈({r_shown} − 1) pages / {concurrency} in flight⌉ = {waves_shown} × "
        f"{slow.latency_s * 1000:.0f} ms:"
    )
    note = (
        f"{r_shown} list requests per listing, counted in the sandbox's log (page size about "
        f"{_range([math.ceil(count / r) for r in requests if r])}); pages in flight: {concurrency}, from "
        f"{source}; observed up to {observed} arriving within one latency. The API tells how many pages there "
        "are only inside a page, so a walk that asks only for pages that exist reads the first page before it "
        "can ask for the rest: with P pages of the size used and C in flight, no such walk takes fewer than "
        "1 + ⌈(P − 1) / C⌉ waves of the added latency. The bound counts no processing, neither the server's nor "
        "the sandbox's (the same listing with no added latency shows what they take together)."
    )
    return paired(key, measure, ours, Series(label, "s", bounds), "ratio", target=BOUND_TARGET, note=note)


def _range(values: list[int]) -> str:
    low, high = min(values, default=0), max(values, default=0)
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


# 6: memory ----------------------------------------------------------------------------------------------


def listing_memory(spec: ServerSpec, expected: int, rounds: int) -> tuple[list[float], list[float]]:
    """Per fresh process: VmRSS idle after initialize + tools/list, and VmHWM after its first listing (KiB)."""
    idle: list[float] = []
    peak: list[float] = []
    for _ in range(rounds):
        with spec.process() as server:
            server.initialize()
            server.list_tools()
            time.sleep(_IDLE_SETTLE_S)
            idle.append(float(server.rss_kib()))
            all_pages(server, expected)
            peak.append(float(server.peak_rss_kib()))
    return idle, peak


def memory_row(idle: list[float], peak: list[float], count: int) -> Row:
    return paired(
        "memory.listing",
        f"peak RSS (VmHWM) of a fresh frontdoor-mcp process over its first listing of {count:,} certificates "
        f"(`all_pages`, no added latency), minus its RSS when idle after initialize + tools/list "
        f"({counted(len(idle), 'process', 'processes')})",
        Series("peak during the listing", "MiB", [k / 1024 for k in peak]),
        Series("idle", "MiB", [k / 1024 for k in idle]),
        "difference",
        target=MEMORY_TARGET,
    )

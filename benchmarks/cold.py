"""Measure 1, and the idle half of measure 6: cold start (spawn -> initialize -> tools/list answered) of each
server, round by round in a fresh random order, and each process's peak RSS at that point."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random
from typing import Final

from results import Row, Series, Target, counted, paired
from rounds import Action, interleaved
from rpc_client import RpcError
from servers import BARE_ASYNC, FRONTDOOR, TIME, ServerSpec

RATIO_TO_TIME_TARGET: Final = Target("<=", 0.97, "x")
OVER_BARE_TARGET: Final = Target("<=", 30.0, "ms")


@dataclass(frozen=True)
class ColdRun:
    seconds: float
    peak_rss_kib: int


@dataclass(frozen=True)
class ColdSamples:
    """Per server label, one sample per round (round i of every server is the same round)."""

    seconds: dict[str, list[float]]
    idle_peak_kib: dict[str, list[float]]


def cold_start_once(spec: ServerSpec) -> ColdRun:
    """The time from just before the process is spawned to the tools/list answer; then its VmHWM."""
    server = spec.process()
    try:
        started = time.perf_counter()
        server.start()
        server.initialize()
        tools = server.list_tools()
        elapsed = time.perf_counter() - started
        if not tools:
            raise RpcError(f"{spec.label} listed no tools")
        return ColdRun(elapsed, server.peak_rss_kib())
    finally:
        server.close()


def cold_starts(specs: Sequence[ServerSpec], rounds: int, rng: Random) -> ColdSamples:
    """One discarded warm-up round (page cache), then `rounds` rounds, each in a fresh random order."""
    peaks: dict[str, list[float]] = {spec.label: [] for spec in specs}

    def action(spec: ServerSpec) -> Action:
        def run() -> float:
            sample = cold_start_once(spec)
            peaks[spec.label].append(float(sample.peak_rss_kib))
            return sample.seconds

        return run

    actions = {spec.label: action(spec) for spec in specs}
    interleaved(actions, 1, rng)
    for samples in peaks.values():
        samples.clear()
    seconds = interleaved(actions, rounds, rng)
    return ColdSamples(seconds, peaks)


def rows(cold: ColdSamples) -> list[Row]:
    n = len(cold.seconds[FRONTDOOR])

    def shown(label: str) -> str:
        return "" if label == FRONTDOOR else label  # the frontdoor-mcp column says whose it is

    def ms(label: str) -> Series:
        return Series(shown(label), "ms", [s * 1000 for s in cold.seconds[label]])

    def mib(label: str) -> Series:
        return Series(shown(label), "MiB", [k / 1024 for k in cold.idle_peak_kib[label]])

    what = f"cold start, spawn → initialize → tools/list ({counted(n, 'round')})"
    return [
        paired(
            "cold_start.vs_time",
            f"{what}, ratio to {TIME}",
            ms(FRONTDOOR),
            ms(TIME),
            "ratio",
            target=RATIO_TO_TIME_TARGET,
        ),
        paired(
            "cold_start.vs_bare",
            f"{what}, over the SDK's floor",
            ms(FRONTDOOR),
            ms(BARE_ASYNC),
            "difference",
            target=OVER_BARE_TARGET,
        ),
        paired(
            "cold_start.floor_vs_time",
            f"{what}, the SDK's floor (a bare MCPServer, one async tool) against {TIME}: the ratio no server "
            "built on this SDK goes below",
            ms(BARE_ASYNC),
            ms(TIME),
            "ratio",
            for_scale=True,
            subject_is_ours=False,
        ),
        paired(
            "memory.idle.vs_time",
            f"peak RSS (VmHWM) after initialize + tools/list ({counted(n, 'process', 'processes')} each)",
            mib(FRONTDOOR),
            mib(TIME),
            "difference",
            for_scale=True,
        ),
        paired(
            "memory.idle.vs_bare",
            "peak RSS (VmHWM) after initialize + tools/list, beside the floor",
            mib(FRONTDOOR),
            mib(BARE_ASYNC),
            "difference",
            for_scale=True,
        ),
    ]

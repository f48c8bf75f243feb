"""The markdown table: each figure beside its reference, the target, and whether the target is met."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from scenarios import KEY_TYPES, ColdRun
from stats import Paired, median, percentile

FRONTDOOR: Final = "frontdoor-mcp"
TIME: Final = "mcp-server-time"
BARE: Final = "bare MCPServer"

COLD_RATIO_TARGET: Final = 1.00
COLD_OVER_BARE_TARGET_S: Final = 0.050
CALL_OVERHEAD_TARGET_S: Final = 0.0015
CSR_EC_P256_TARGET_S: Final = 0.003
LISTING_SPEEDUP_TARGET: Final = 5.0
RSS_OVER_TIME_TARGET_KIB: Final = 15 * 1024


@dataclass(frozen=True)
class SessionResults:
    """What one persistent frontdoor-mcp session measured; `rss_kib` is VmHWM at named points."""

    calls: Paired
    bare_calls: list[float]
    csr: dict[str, Paired]
    listing: Paired
    listing_floor: Paired
    listing_count: int
    latency_s: float
    rss_kib: dict[str, int]


@dataclass(frozen=True)
class Results:
    cold: dict[str, list[ColdRun]]
    session: SessionResults


Row = tuple[str, str, str, str, str, str]
_HEADER: Final[Row] = ("measure", FRONTDOOR, "reference", "difference", "target", "met")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def signed_ms(seconds: float) -> str:
    return f"{seconds * 1000:+.1f} ms"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def verdict(met: bool) -> str:
    return "yes" if met else "**NO**"


def with_p99(samples: Sequence[float]) -> str:
    return f"{ms(median(samples))} (p99 {ms(percentile(samples, 0.99))})"


def rows(results: Results) -> list[Row]:
    return [
        *_cold_rows(results.cold),
        _call_row(results.session.calls),
        _bare_call_row(results.session.bare_calls),
        *_csr_rows(results.session.csr),
        _listing_row(results.session),
        _listing_floor_row(results.session),
        *_rss_rows(results),
    ]


def _cold_rows(cold: dict[str, list[ColdRun]]) -> list[Row]:
    ours, time_, bare = ([run.seconds for run in cold[label]] for label in (FRONTDOOR, TIME, BARE))
    vs_time, vs_bare = Paired(ours, time_), Paired(ours, bare)
    ratio, extra = vs_time.median_ratio(), vs_bare.median_difference()
    runs = vs_time.runs
    return [
        (
            f"cold start, spawn → initialize → tools/list (median of {runs})",
            ms(median(ours)),
            f"{TIME} {ms(median(time_))}",
            f"×{ratio:.2f} (median ratio)",
            f"≤ ×{COLD_RATIO_TARGET:.2f}",
            verdict(ratio <= COLD_RATIO_TARGET),
        ),
        (
            "cold start: what frontdoor-mcp adds to the SDK",
            ms(median(ours)),
            f"{BARE} (one echo tool) {ms(median(bare))}",
            f"{signed_ms(extra)} (median difference)",
            f"≤ {ms(COLD_OVER_BARE_TARGET_S)}",
            verdict(extra <= COLD_OVER_BARE_TARGET_S),
        ),
    ]


def _call_row(calls: Paired) -> Row:
    added = calls.median_difference()
    return (
        f"`get_client_certificate` over stdio, {calls.runs} calls",
        with_p99(calls.subject),
        f"raw GET, kept-alive httpx2 {with_p99(calls.reference)}",
        f"{signed_ms(added)} per call (median difference)",
        f"≤ {ms(CALL_OVERHEAD_TARGET_S)}",
        verdict(added <= CALL_OVERHEAD_TARGET_S),
    )


def _bare_call_row(samples: list[float]) -> Row:
    return (
        f"for scale: `tools/call` of the {BARE}'s echo tool, {len(samples)} calls",
        "—",
        with_p99(samples),
        "—",
        "—",
        "—",
    )


def _csr_rows(csr: dict[str, Paired]) -> list[Row]:
    found: list[Row] = []
    for key_type in KEY_TYPES:
        if key_type not in csr:
            continue
        pair = csr[key_type]
        ours = median(pair.subject)
        target, met = ("—", "—")
        if key_type == "ec-p256":
            target, met = f"≤ {ms(CSR_EC_P256_TARGET_S)}", verdict(ours <= CSR_EC_P256_TARGET_S)
        found.append(
            (
                f"`generate_csr` {key_type} round trip (median of {pair.runs})",
                ms(ours),
                f"`openssl req -new -newkey` process {ms(median(pair.reference))}",
                signed_ms(pair.median_difference()),
                target,
                met,
            )
        )
    return found


def _listing_row(results: SessionResults) -> Row:
    pair = results.listing
    ours, theirs = median(pair.subject), median(pair.reference)
    speedup = theirs / ours
    return (
        f"list {results.listing_count:,} certificates, {ms(results.latency_s)} latency/request (median of {pair.runs})",
        f"`all_pages=true` {ours:.2f} s",
        f"page by page, httpx2 {theirs:.2f} s",
        f"×{speedup:.1f} faster",
        f"≥ ×{LISTING_SPEEDUP_TARGET:.0f}",
        verdict(speedup >= LISTING_SPEEDUP_TARGET),
    )


def _listing_floor_row(results: SessionResults) -> Row:
    pair = results.listing_floor
    ours, theirs = median(pair.subject), median(pair.reference)
    return (
        f"for scale: the same listing with no added latency (median of {pair.runs})",
        f"`all_pages=true` {ours:.2f} s",
        f"page by page, httpx2 {theirs:.2f} s",
        f"×{theirs / ours:.1f}",
        "—",
        "—",
    )


def _rss_rows(results: Results) -> list[Row]:
    peak = {label: median([run.peak_rss_kib for run in runs]) for label, runs in results.cold.items()}
    over_time = peak[FRONTDOOR] - peak[TIME]
    found: list[Row] = [
        (
            "peak RSS (VmHWM) after initialize + tools/list",
            mib(peak[FRONTDOOR]),
            f"{TIME} {mib(peak[TIME])}; {BARE} {mib(peak[BARE])}",
            f"{over_time / 1024:+.1f} MiB vs {TIME}",
            f"≤ +{mib(RSS_OVER_TIME_TARGET_KIB)}",
            verdict(over_time <= RSS_OVER_TIME_TARGET_KIB),
        )
    ]
    found.extend(
        (f"peak RSS of the benchmark session, {point}", mib(kib), "—", "—", "—", "—")
        for point, kib in results.session.rss_kib.items()
    )
    return found


def markdown(table: Sequence[Row]) -> str:
    lines = [_line(_HEADER), "|" + "---|" * len(_HEADER)]
    lines.extend(_line(row) for row in table)
    return "\n".join(lines)


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"

"""The sandbox the benchmarks run against: in this process, on loopback, with one real certificate, seeded
with many more straight through its store (no HTTP) when a benchmark needs them, and its faults and
request log as the benchmarks use them."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields
from typing import Any, Final, cast

import httpx2

from frontdoor_mcp.pki.csr import SubjectFields, generate_key_and_csr
from frontdoor_mcp.sandbox.faults import controller as sandbox_faults
from frontdoor_mcp.sandbox.faults.controller import Fault, RequestRecord
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox

_HTTP_TIMEOUT: Final = httpx2.Timeout(60.0, connect=5.0)
CERTIFICATES_PATH: Final = "/client-certificates"


@dataclass
class BenchSandbox:
    sandbox: RunningSandbox
    certificate_id: str = ""

    @property
    def collection_url(self) -> str:
        return f"{self.sandbox.base_url}/{self.sandbox.frontdoor_id}/client-certificates"

    @property
    def item_url(self) -> str:
        return f"{self.collection_url}/{self.certificate_id}"

    def http(self) -> httpx2.Client:
        """A kept-alive client straight at the API, with the headers frontdoor-mcp sends."""
        headers = {"Authorization": f"Bearer {self.sandbox.token}", "Accept": "application/json"}
        return httpx2.Client(headers=headers, timeout=_HTTP_TIMEOUT, trust_env=False, follow_redirects=False)

    def stop(self) -> None:
        self.sandbox.stop()


def start() -> BenchSandbox:
    """A fresh in-memory sandbox holding one certificate its CA signed from a CSR."""
    bench = BenchSandbox(start_sandbox())
    try:
        with bench.http() as http:
            bench.certificate_id = _create_certificate(http, bench.collection_url)
    except BaseException:
        bench.stop()
        raise
    return bench


def _create_certificate(http: httpx2.Client, collection_url: str) -> str:
    csr = generate_key_and_csr(SubjectFields(common_name="bench-client")).csr_pem
    response = http.post(collection_url, json={"name": "bench-client", "value": csr, "type": "CSR"})
    response.raise_for_status()
    return str(response.json()["id"])


def seed(bench: BenchSandbox, total: int) -> float:
    """Top the frontdoor up to `total` live certificates (copies of the real one). Returns the seconds taken."""
    sandbox = bench.sandbox
    store = sandbox.store
    original = store.get_certificate(sandbox.frontdoor_id, bench.certificate_id)
    if original is None:
        raise RuntimeError("the benchmark certificate is gone")
    _, existing = store.list_certificates(sandbox.frontdoor_id, [], 0, 1)
    started = time.perf_counter()
    for number in range(existing, total):
        store.insert_certificate(sandbox.frontdoor_id, f"bench-{number:05d}", original.value, sandbox.username)
    return time.perf_counter() - started


# Faults -----------------------------------------------------------------------------------------------


def add_latency(bench: BenchSandbox, seconds: float) -> None:
    """Every GET of the certificates API (list and item) waits `seconds` before it is served, until cleared."""
    bench.sandbox.faults.add(
        Fault(kind="latency", method="GET", path_contains=CERTIFICATES_PATH, times=None, latency_s=seconds)
    )


def rate_limit_missing() -> str | None:
    """Why the sandbox cannot rate-limit yet (None when it can): the `rate_limit` fault kind with its
    `rate_per_s` field is being added to the sandbox."""
    declared: object = vars(sandbox_faults).get("FAULT_KINDS", ())
    kinds = {str(kind) for kind in cast(tuple[object, ...], declared)} if isinstance(declared, tuple) else set[str]()
    if "rate_limit" not in kinds:
        return "the sandbox has no `rate_limit` fault kind yet"
    if "rate_per_s" not in {f.name for f in fields(Fault)}:
        return "the sandbox's faults have no `rate_per_s` field"
    return None


def add_rate_limit(bench: BenchSandbox, rate_per_s: float) -> int:
    """Every request to the certificates API beyond `rate_per_s` per second is answered 429, until cleared.
    Returns the burst the limit admits at once (the sandbox's default: a second's worth). Built from
    keywords, so this file type-checks before the sandbox has the kind; call it only when
    `rate_limit_missing()` is None."""
    keywords: dict[str, Any] = {
        "kind": "rate_limit",
        "path_contains": CERTIFICATES_PATH,
        "times": None,
        "rate_per_s": rate_per_s,
    }
    fault = Fault(**keywords)
    bench.sandbox.faults.add(fault)
    burst: object = getattr(fault, "bucket_size", None)
    return burst if isinstance(burst, int) else max(1, math.floor(rate_per_s))


def clear_faults(bench: BenchSandbox) -> None:
    bench.sandbox.faults.clear()


# The request log ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    """What the sandbox served to the certificates API since the log was last cleared."""

    requests: int
    list_requests: int
    item_requests: int
    answered_429: int
    max_in_flight: int
    """The most list requests that arrived within one added latency of each other: each of them was still
    waiting when the last arrived, so at least that many were in flight at once."""


def reset_log(bench: BenchSandbox) -> None:
    bench.sandbox.faults.clear_requests()


def traffic(bench: BenchSandbox, latency_s: float) -> Traffic:
    records = [r for r in bench.sandbox.faults.requests if CERTIFICATES_PATH in r.path]
    lists = [r for r in records if r.method == "GET" and r.path.endswith(CERTIFICATES_PATH)]
    items = [r for r in records if r.method == "GET" and not r.path.endswith(CERTIFICATES_PATH)]
    return Traffic(
        requests=len(records),
        list_requests=len(lists),
        item_requests=len(items),
        answered_429=sum(1 for r in records if r.status == 429),
        max_in_flight=_max_in_flight(lists, latency_s),
    )


def _max_in_flight(records: list[RequestRecord], latency_s: float) -> int:
    if not records or latency_s <= 0:
        return 0
    arrivals = sorted(r.time for r in records)
    best = first = 0
    for last, arrived in enumerate(arrivals):
        while arrivals[first] <= arrived - latency_s:
            first += 1
        best = max(best, last - first + 1)
    return best

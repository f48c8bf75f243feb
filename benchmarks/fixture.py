"""The sandbox the benchmarks run against: in this process, on loopback, with one real certificate, and
seeded with many more straight through its store (no HTTP) when the listing benchmark needs them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

import httpx2

from frontdoor_mcp.pki.csr import SubjectFields, generate_key_and_csr
from frontdoor_mcp.sandbox.faults import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox

_HTTP_TIMEOUT: Final = httpx2.Timeout(60.0, connect=5.0)


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


def add_list_latency(bench: BenchSandbox, seconds: float) -> None:
    """Every GET of the certificates API waits `seconds` before it is served, until cleared."""
    bench.sandbox.faults.add(
        Fault(kind="latency", method="GET", path_contains="/client-certificates", times=None, latency_s=seconds)
    )

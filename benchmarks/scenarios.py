"""The measurements. Each compares frontdoor-mcp with a reference, interleaved round by round, so a change
in machine load during the run hits both sides alike."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx2

from rpc_client import RpcError, StdioServer
from servers import ServerSpec
from stats import Paired

KEY_TYPES: Final = ("ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096")
_OPENSSL_KEY: Final = {
    "ec-p256": ("ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
    "ec-p384": ("ec", "-pkeyopt", "ec_paramgen_curve:P-384"),
    "rsa-2048": ("rsa:2048",),
    "rsa-3072": ("rsa:3072",),
    "rsa-4096": ("rsa:4096",),
}
_OPENSSL_TIMEOUT_S: Final = 120


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# 1 and 5: cold start and peak RSS ---------------------------------------------------------------------


@dataclass(frozen=True)
class ColdRun:
    seconds: float
    peak_rss_kib: int


def cold_start_once(spec: ServerSpec) -> ColdRun:
    """Spawn, initialize, tools/list: the time from just before Popen to the tools/list answer."""
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


def cold_starts(specs: Sequence[ServerSpec], runs: int) -> dict[str, list[ColdRun]]:
    """One discarded warm-up each (bytecode and page caches), then `runs` rounds of A, B, C, A, B, C..."""
    for spec in specs:
        cold_start_once(spec)
    results: dict[str, list[ColdRun]] = {spec.label: [] for spec in specs}
    for _ in range(runs):
        for spec in specs:
            results[spec.label].append(cold_start_once(spec))
    return results


# 2: tool-call overhead --------------------------------------------------------------------------------


def tool_call_overhead(
    server: StdioServer, http: httpx2.Client, item_url: str, certificate_id: str, calls: int, warmup: int
) -> Paired:
    """`get_client_certificate` through MCP beside the same GET straight at the API, alternately."""
    arguments = {"certificate_id": certificate_id}

    def through_mcp() -> None:
        server.call_tool("get_client_certificate", arguments)

    def raw_get() -> None:
        response = http.get(item_url)
        response.raise_for_status()
        response.json()

    for _ in range(warmup):
        through_mcp()
        raw_get()
    subject: list[float] = []
    reference: list[float] = []
    for _ in range(calls):
        subject.append(timed(through_mcp))
        reference.append(timed(raw_get))
    return Paired(subject, reference)


def echo_calls(server: StdioServer, calls: int, warmup: int) -> list[float]:
    """The bare MCPServer's echo tool: what any tools/call costs over stdio with this SDK, for scale."""

    def echo() -> None:
        server.call_tool("echo", {"text": "x"})

    for _ in range(warmup):
        echo()
    return [timed(echo) for _ in range(calls)]


# 3: generate_csr --------------------------------------------------------------------------------------


def csr_round_trips(server: StdioServer, key_type: str, runs: int, workdir: Path) -> Paired:
    """`generate_csr` over stdio (a new key file each time) beside `openssl req -new -newkey ...`."""
    openssl = _openssl_argv(key_type, workdir / "openssl-key.pem")
    counter = iter(range(1_000_000))

    def through_mcp() -> None:
        arguments = {"common_name": f"bench-{key_type}-{next(counter)}", "key_type": key_type}
        result = server.call_tool("generate_csr", arguments)
        if "BEGIN CERTIFICATE REQUEST" not in str(result.get("structuredContent", {}).get("csr_pem", "")):
            raise RpcError("generate_csr returned no CSR")

    def with_openssl() -> None:
        quiet = subprocess.DEVNULL
        subprocess.run(openssl, stdout=quiet, stderr=quiet, check=True, timeout=_OPENSSL_TIMEOUT_S)

    through_mcp()  # the first call imports the PKI modules; users pay that once per session
    with_openssl()
    subject: list[float] = []
    reference: list[float] = []
    for _ in range(runs):
        subject.append(timed(through_mcp))
        reference.append(timed(with_openssl))
    return Paired(subject, reference)


def _openssl_argv(key_type: str, key_out: Path) -> list[str]:
    key = _OPENSSL_KEY[key_type]
    return ["openssl", "req", "-new", "-newkey", *key, "-nodes", "-keyout", str(key_out), "-subj", "/CN=x"]


# 4: listing every certificate -------------------------------------------------------------------------


def listing(
    server: StdioServer, http: httpx2.Client, collection_url: str, page_size: int, expected: int, runs: int
) -> Paired:
    """`list_client_certificates all_pages=true` beside a plain client walking the pages one by one."""

    def through_mcp() -> None:
        result = server.call_tool("list_client_certificates", {"all_pages": True}, timeout_s=600)
        items: list[Any] = result.get("structuredContent", {}).get("items", [])
        if len(items) != expected:
            raise RpcError(f"all_pages returned {len(items)} items, expected {expected}")

    def page_by_page() -> None:
        count = len(walk_pages(http, collection_url, page_size))
        if count != expected:
            raise RpcError(f"the page walk found {count} items, expected {expected}")

    subject: list[float] = []
    reference: list[float] = []
    for _ in range(runs):
        subject.append(timed(through_mcp))
        reference.append(timed(page_by_page))
    return Paired(subject, reference)


def walk_pages(http: httpx2.Client, collection_url: str, page_size: int, max_pages: int = 10_000) -> list[Any]:
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

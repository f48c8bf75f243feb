"""Measures 2 and 3, over kept-alive sessions: one tool call at a time, interleaved call by call.

2. `get_client_certificate` over stdio beside a raw kept-alive httpx2 GET of the same resource, with the
   `tools/call` of a bare MCPServer's async echo tool (the SDK's floor) and of its sync twin (which the SDK
   runs on a worker thread), all four in a fresh random order in every round.
3. `generate_csr` of each key type beside `openssl req -new -newkey` (a process: unlike work, for scale),
   with the cost of spawning `/bin/true` beside them, so a reader sees what the process alone costs.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from random import Random
from typing import Final

import httpx2

from results import Row, Series, Target, counted, not_available, paired
from rounds import Action, interleaved, timed
from rpc_client import RpcError, StdioServer
from servers import BARE_ASYNC, BARE_SYNC

CALL_OVER_RAW_TARGET: Final = Target("<=", 1.5, "ms")
KEY_TYPES: Final = ("ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096")
_OPENSSL_KEY: Final = {
    "ec-p256": ("ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
    "ec-p384": ("ec", "-pkeyopt", "ec_paramgen_curve:P-384"),
    "rsa-2048": ("rsa:2048",),
    "rsa-3072": ("rsa:3072",),
    "rsa-4096": ("rsa:4096",),
}
_OPENSSL_TIMEOUT_S: Final = 120
_GET: Final = "get_client_certificate"
_RAW: Final = "raw GET"
_CSR: Final = "generate_csr"
_OPENSSL: Final = "openssl"
_TRUE: Final = "/bin/true"


# 2: per-call overhead -----------------------------------------------------------------------------------


def per_call(
    ours: StdioServer,
    http: httpx2.Client,
    item_url: str,
    certificate_id: str,
    floors: Mapping[str, StdioServer],
    calls: int,
    warmup: int,
    rng: Random,
) -> dict[str, list[float]]:
    """`calls` rounds of: our tool call, the raw GET, and each floor's echo call, in a random order each."""
    arguments = {"certificate_id": certificate_id}

    def raw_get() -> None:
        response = http.get(item_url)
        response.raise_for_status()
        response.json()

    def echo(server: StdioServer) -> Action:
        return timed(lambda: server.call_tool("echo", {"text": "x"}))

    actions: dict[str, Action] = {_GET: timed(lambda: ours.call_tool(_GET, arguments)), _RAW: timed(raw_get)}
    actions.update({label: echo(server) for label, server in floors.items()})
    return interleaved(actions, calls, rng, warmup=warmup)


def per_call_rows(samples: dict[str, list[float]]) -> list[Row]:
    def ms(name: str, label: str) -> Series:
        return Series(label, "ms", [s * 1000 for s in samples[name]])

    n = len(samples[_GET])
    ours = ms(_GET, "")
    return [
        paired(
            "call.get.vs_raw_get",
            f"`get_client_certificate` over stdio vs a raw GET of the same resource (kept-alive httpx2), "
            f"interleaved call by call ({n} each)",
            ours,
            ms(_RAW, "raw GET"),
            "difference",
            target=CALL_OVER_RAW_TARGET,
        ),
        paired(
            "call.get.vs_async_echo",
            "`get_client_certificate` vs the SDK's floor: `tools/call` of a bare MCPServer's async echo tool, "
            "same rounds",
            ours,
            ms(BARE_ASYNC, "async echo"),
            "difference",
            for_scale=True,
        ),
        paired(
            "call.sync_echo.vs_async_echo",
            "`tools/call` of a sync echo tool (run on a worker thread) vs the async one, same rounds",
            ms(BARE_SYNC, "sync echo"),
            ms(BARE_ASYNC, "async echo"),
            "difference",
            for_scale=True,
            subject_is_ours=False,
        ),
    ]


# 3: generate_csr ----------------------------------------------------------------------------------------


def openssl_missing() -> str | None:
    return None if shutil.which("openssl") else "no `openssl` on PATH"


def csr_round_trips(
    server: StdioServer, key_type: str, runs: int, workdir: Path, rng: Random, *, with_openssl: bool = True
) -> dict[str, list[float]]:
    """`generate_csr` over stdio (a new key file each time) beside `openssl req -new -newkey ...`, and, for
    ec-p256, beside spawning `/bin/true`; one discarded warm-up round (it imports the PKI modules)."""
    openssl = _openssl_argv(key_type, workdir / "openssl-key.pem")
    counter = iter(range(1_000_000))

    def through_mcp() -> None:
        arguments = {"common_name": f"bench-{key_type}-{next(counter)}", "key_type": key_type}
        result = server.call_tool(_CSR, arguments)
        if "BEGIN CERTIFICATE REQUEST" not in str(result.get("structuredContent", {}).get("csr_pem", "")):
            raise RpcError("generate_csr returned no CSR")

    def process(argv: list[str]) -> Action:
        quiet = subprocess.DEVNULL
        return timed(lambda: subprocess.run(argv, stdout=quiet, stderr=quiet, check=True, timeout=_OPENSSL_TIMEOUT_S))

    actions: dict[str, Action] = {_CSR: timed(through_mcp)}
    if with_openssl:
        actions[_OPENSSL] = process(openssl)
        if key_type == "ec-p256" and Path(_TRUE).exists():
            actions[_TRUE] = process([_TRUE])
    return interleaved(actions, runs, rng, warmup=1)


def csr_rows(samples: dict[str, dict[str, list[float]]], missing: str | None) -> list[Row]:
    found: list[Row] = []
    for key_type in KEY_TYPES:
        if key_type not in samples:
            continue
        by_name = samples[key_type]
        n = len(by_name[_CSR])
        measure = f"`generate_csr` {key_type} round trip over stdio ({counted(n, 'round')})"
        ours = Series("", "ms", [s * 1000 for s in by_name[_CSR]])
        if missing is not None:
            found.append(Row(f"csr.{key_type}", measure, ours, for_scale=True, note=f"no reference: {missing}"))
            continue
        reference = Series("`openssl req -new -newkey` process", "ms", [s * 1000 for s in by_name[_OPENSSL]])
        found.append(Row(f"csr.{key_type}", measure, ours, reference, for_scale=True))
        if _TRUE in by_name:
            spawn = Series("spawning `/bin/true`", "ms", [s * 1000 for s in by_name[_TRUE]])
            found.append(
                Row(
                    "csr.spawn_true",
                    f"what a process costs before it does anything, same rounds "
                    f"({counted(len(spawn.samples), 'sample')})",
                    reference=spawn,
                    for_scale=True,
                    subject_is_ours=False,
                )
            )
    if not found:
        found.append(not_available("csr", "`generate_csr` round trips", missing or "not measured"))
    return found


def _openssl_argv(key_type: str, key_out: Path) -> list[str]:
    key = _OPENSSL_KEY[key_type]
    return ["openssl", "req", "-new", "-newkey", *key, "-nodes", "-keyout", str(key_out), "-subj", "/CN=x"]

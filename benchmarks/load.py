"""Load: many clients at once against `frontdoor-mcp http`, beside the same calls over stdio.

    uv run python benchmarks/load.py                       # 50 clients x 20 calls, 2025-11-25 sessions
    uv run python benchmarks/load.py --clients 10 --calls 20 --era 2026-07-28 --json load.json

Each client is a principal of its own (its own token, as a team's would be) with its own session; its 20
calls are a fixed mix, in an order drawn from the seed: 8 `list_client_certificates`, 7
`get_client_certificate`, 2 `inspect_certificate`, and 3 writes in sequence (upload, rename, delete with
`confirm=true`). All clients start their calls together once every session is open; each call is timed from
send to result. Over stdio the same calls, with the same concurrency, go through one session to one server
process: the same load on one server, through the other transport. The API is the sandbox in this process,
on loopback; the client is the MCP SDK's, in this process, for both transports. Any error (an `isError`
result or an exception) is counted and named; the run exits 1 if there is one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any, Final

import anyio
import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

import fixture
from frontdoor_mcp.hosting.token_file import add_token
from results import Row, Series, Target
from stats import percentile

READS: Final = (("list", 8), ("get", 7), ("inspect", 2))
WRITES: Final = ("upload", "rename", "delete")
_BANNER_START: Final = "at http://"
_START_TIMEOUT_S: Final = 60.0


@dataclass
class Measured:
    transport: str
    latencies_ms: list[float] = field(default_factory=list[float])
    errors: list[str] = field(default_factory=list[str])
    wall_s: float = 0.0
    by_call: dict[str, list[float]] = field(default_factory=dict[str, list[float]])

    def record(self, kind: str, seconds: float) -> None:
        self.latencies_ms.append(seconds * 1000)
        self.by_call.setdefault(kind, []).append(seconds * 1000)

    def figures(self) -> dict[str, float]:
        samples = self.latencies_ms
        return {
            "p50_ms": percentile(samples, 0.50),
            "p90_ms": percentile(samples, 0.90),
            "p99_ms": percentile(samples, 0.99),
            "max_ms": max(samples),
            "calls_per_s": len(samples) / self.wall_s,
        }


def plan_calls(calls: int, rng: Random) -> list[str]:
    """The reads in a drawn order (scaled to `calls`), with the three writes spread through them in order."""
    reads = [kind for kind, count in READS for _ in range(count)]
    reads = (reads * (calls // len(reads) + 1))[: max(0, calls - len(WRITES))]
    rng.shuffle(reads)
    sequence = list(reads)
    for index, write in enumerate(WRITES):
        sequence.insert(min(len(sequence), (index + 1) * len(sequence) // (len(WRITES) + 1) + index), write)
    return sequence[:calls]


async def one_client(client: Client, kinds: list[str], certificate_id: str, pem: str, out: Measured, name: str) -> None:
    own: str | None = None
    for kind in kinds:
        arguments: dict[str, Any]
        if kind == "list":
            tool, arguments = "list_client_certificates", {"size": 20}
        elif kind == "get":
            tool, arguments = "get_client_certificate", {"certificate_id": certificate_id}
        elif kind == "inspect":
            tool, arguments = "inspect_certificate", {"pem": pem}
        elif kind == "upload":
            tool, arguments = "upload_client_certificate", {"name": f"load-{name}", "certificate_pem": pem}
        elif kind == "rename":
            tool, arguments = "update_client_certificate", {"certificate_id": own or "", "name": f"load-{name}-2"}
        else:
            tool, arguments = "delete_client_certificate", {"certificate_id": own or "", "confirm": True}
        started = time.perf_counter()
        try:
            result = await client.call_tool(tool, arguments)
        except Exception as exc:  # counted, named, and the run fails: nothing is hidden
            out.errors.append(f"{tool}: {type(exc).__name__}: {exc}")
            continue
        out.record(kind, time.perf_counter() - started)
        if result.is_error:
            text = " ".join(getattr(block, "text", "") for block in result.content)
            out.errors.append(f"{tool}: {text[:200]}")
        elif kind == "upload" and result.structured_content is not None:
            own = str(result.structured_content["id"])


async def drive(
    sessions: list[Client], plans: list[list[str]], certificate_id: str, pem: str, transport: str
) -> Measured:
    out = Measured(transport)
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for index, kinds in enumerate(plans):
            session = sessions[index % len(sessions)]
            group.start_soon(one_client, session, kinds, certificate_id, pem, out, f"{transport}-{index}")
    out.wall_s = time.perf_counter() - started
    return out


# The servers --------------------------------------------------------------------------------------------


def server_environment(bench: fixture.BenchSandbox) -> dict[str, str]:
    kept = {key: value for key, value in os.environ.items() if not key.startswith(("FRONTDOOR_", "NETFOUNDRY_"))}
    sandbox = bench.sandbox
    return {
        **kept,
        "FRONTDOOR_API_URL": sandbox.base_url,
        "NETFOUNDRY_API_TOKEN": sandbox.token,
        "FRONTDOOR_ID": sandbox.frontdoor_id,
    }


@contextmanager
def http_server(env: dict[str, str], tokens_file: Path, clients: int):
    """`frontdoor-mcp http` on a free port; yields its URL once the banner names it."""
    argv = [sys.executable, "-m", "frontdoor_mcp", "http", "--port", "0", "--allow-writes"]
    argv += ["--tokens-file", str(tokens_file), "--rate-burst", str(max(120, clients * 4))]
    process = subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    found: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if _BANNER_START in line and not found:
                found.append("http://" + line.split(_BANNER_START, 1)[1].split(" ", 1)[0])
                ready.set()
            elif "audit" not in line and "write principal=" not in line:
                sys.stderr.write("  server: " + line)
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(_START_TIMEOUT_S) or not found:
            raise RuntimeError("frontdoor-mcp http did not start")
        yield found[0]
    finally:
        process.terminate()
        process.wait(20)


@asynccontextmanager
async def http_sessions(url: str, tokens: list[str], era: str) -> AsyncGenerator[list[Client]]:
    async with AsyncExitStack() as stack:
        sessions: list[Client] = []

        async def open_one(token: str) -> None:
            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(120.0))
            )
            sessions.append(
                await stack.enter_async_context(Client(streamable_http_client(url, http_client=http), mode=era))
            )

        for token in tokens:  # opened one by one: the figures are about calls, not about opening sessions
            await open_one(token)
        yield sessions


def measure(clients: int, calls: int, era: str, seed: int, log: Callable[[str], None]) -> tuple[Measured, Measured]:
    rng = Random(seed)
    plans = [plan_calls(calls, rng) for _ in range(clients)]
    bench = fixture.start()
    try:
        bench.sandbox.seed_certificates(30, name_prefix="load")
        pem = bench.sandbox.ca_certificate_pem
        env = server_environment(bench)
        with tempfile.TemporaryDirectory(prefix="frontdoor-mcp-load-") as folder:
            tokens_file = Path(folder) / "tokens.json"
            tokens = [
                add_token(tokens_file, f"user{index}", ["frontdoor:read", "frontdoor:write"])
                for index in range(clients)
            ]
            with http_server(env, tokens_file, clients) as url:
                log(f"HTTP: {clients} sessions ({era}) to {url}, then {clients} x {calls} calls at once")

                async def over_http() -> Measured:
                    async with http_sessions(url, tokens, era) as sessions:
                        return await drive(sessions, plans, bench.certificate_id, pem, "http")

                http = anyio.run(over_http)
        params = StdioServerParameters(command=sys.executable, args=["-m", "frontdoor_mcp"], env=env)
        log(f"stdio: one session, the same {clients} x {calls} calls at once")

        async def over_stdio() -> Measured:
            async with Client(params, mode=era) as client:
                return await drive([client], plans, bench.certificate_id, pem, "stdio")

        stdio = anyio.run(over_stdio)
    finally:
        bench.stop()
    return http, stdio


# Reporting ----------------------------------------------------------------------------------------------


def rows(http: Measured, stdio: Measured, clients: int, calls: int, era: str) -> list[Row]:
    """For `run.py --load`: the latencies of both transports side by side, and the errors (target: none)."""
    figures = {m.transport: m.figures() for m in (http, stdio)}
    note = "; ".join(
        f"{name}: p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, {f['calls_per_s']:.0f} calls/s"
        for name, f in figures.items()
    )
    return [
        Row(
            "load.latency.http_vs_stdio",
            f"{clients} clients x {calls} calls at once ({era}), per call: HTTP (a session and a token each) vs "
            "stdio (one session)",
            Series("HTTP", "ms", http.latencies_ms),
            Series("stdio", "ms", stdio.latencies_ms),
            for_scale=True,
            note=note,
        ),
        Row(
            "load.errors",
            f"errors among the {clients * calls:,} calls over HTTP",
            Series("errors", "count", [float(len(http.errors))]),
            target=Target("<=", 0, "count"),
        ),
    ]


def table(http: Measured, stdio: Measured) -> str:
    lines = [
        "| transport | calls | errors | p50 ms | p90 ms | p99 ms | max ms | calls/s | wall s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for measured in (http, stdio):
        f = measured.figures()
        lines.append(
            f"| {measured.transport} | {len(measured.latencies_ms):,} | {len(measured.errors)} | "
            f"{f['p50_ms']:.1f} | {f['p90_ms']:.1f} | {f['p99_ms']:.1f} | {f['max_ms']:.1f} | "
            f"{f['calls_per_s']:.0f} | {measured.wall_s:.1f} |"
        )
    lines += ["", "| call | HTTP p50 / p99 ms | stdio p50 / p99 ms |", "|---|---:|---:|"]
    for kind in (*(kind for kind, _ in READS), *WRITES):
        cells = [
            f"{percentile(m.by_call[kind], 0.5):.1f} / {percentile(m.by_call[kind], 0.99):.1f}"
            if m.by_call.get(kind)
            else "-"
            for m in (http, stdio)
        ]
        lines.append(f"| {kind} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--era", default="legacy", help="legacy (2025-11-25 sessions) or 2026-07-28")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write every latency to this file")
    args = parser.parse_args(argv)
    seed: int = args.seed if args.seed is not None else time.time_ns()

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    log(f"seed {seed}")
    http, stdio = measure(args.clients, args.calls, args.era, seed, log)
    print(table(http, stdio), end="")
    for measured in (http, stdio):
        for error in measured.errors[:10]:
            print(f"error ({measured.transport}): {error}")
    print(
        f"Reproduce: `uv run python benchmarks/load.py --clients {args.clients} --calls {args.calls} "
        f"--era {args.era} --seed {seed}`"
    )
    if args.json is not None:
        document = {
            m.transport: {"latencies_ms": m.latencies_ms, "errors": m.errors, "wall_s": m.wall_s} for m in (http, stdio)
        }
        args.json.write_text(
            json.dumps({"seed": seed, "clients": args.clients, "calls": args.calls, "era": args.era, **document})
        )
    return 1 if http.errors or stdio.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())

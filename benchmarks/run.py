"""Benchmarks of frontdoor-mcp, side by side with references, in one run on this machine.

    uv run python benchmarks/run.py                 # the full run (2.5 min on 2 cores; about 5 once audits run)
    uv run python benchmarks/run.py --quick         # a smoke run: fewer samples, 1,000 certificates
    uv run python benchmarks/run.py --json run.json --out /tmp/benchmark-table.md
    uv run python benchmarks/run.py --load            # also 50 clients x 20 calls over HTTP beside stdio (load.py)
    uv run python benchmarks/compare.py run1.json run2.json

Prints a markdown table: every figure a median with its p10-p90 spread, beside its reference, its target
and whether it is met; then a line per unmet target. Before measuring, every compared environment is
byte-compiled, so no server pays for compiling its packages at start-up. Everything runs on loopback:
the Frontdoor API is the embedded sandbox, started in this process. The one network access is installing
`mcp-server-time` from PyPI into a temporary venv, on the first run only.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any, Final

import httpx2

import audit
import bytecode
import calls
import capabilities
import cold
import fixture
import listing
import load
import report
import servers
from results import Row, Run
from rpc_client import StdioServer

LATENCY_S: Final = 0.05
_DROPPED_SHOWN: Final = "FRONTDOOR_*, NETFOUNDRY_*, VIRTUAL_ENV, PYTHONPATH, PYTHONHOME and Python's profiling hooks"


@dataclass(frozen=True)
class Plan:
    """How many samples of each measure."""

    cold_rounds: int
    calls: int
    call_warmup: int
    csr_runs: dict[str, int]
    certificates: int
    listing_rounds: int
    fast_listing_rounds: int
    memory_rounds: int
    audit_runs: int
    audit_budget_s: float


def plan(args: argparse.Namespace) -> Plan:
    if args.quick:
        csr = {"ec-p256": 10, "ec-p384": 5, "rsa-2048": 3, "rsa-3072": 2, "rsa-4096": 1}
        return Plan(args.runs or 5, 100, 10, csr, 1_000, 3, 3, 2, 1, 30.0)
    csr = {"ec-p256": 40, "ec-p384": 20, "rsa-2048": 6, "rsa-3072": 3, "rsa-4096": 2}
    return Plan(args.runs or 15, 500, 30, csr, 10_000, 3, 5, 3, 3, 25.0)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None, help="cold-start rounds (default 15; 5 quick)")
    parser.add_argument("--quick", action="store_true", help="fewer samples and 1,000 certificates instead of 10,000")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random orders (default: from the clock)")
    parser.add_argument("--out", type=Path, default=None, help="also write the report (markdown) to this file")
    parser.add_argument("--json", type=Path, default=None, help="write every raw sample to this JSON file")
    parser.add_argument(
        "--load", action="store_true", help="also the HTTP load measure: 50 clients x 20 calls beside stdio (load.py)"
    )
    args = parser.parse_args(argv)
    if args.runs is not None and not 1 <= args.runs <= 500:
        parser.error("--runs must be between 1 and 500")
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> str:
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpus} CPUs ({usable} usable by this process), {platform.machine()}, {model}, Linux {platform.release()}"


# Bytecode -----------------------------------------------------------------------------------------------


def prepare_bytecode() -> tuple[list[bytecode.Tree], list[str]]:
    """Compile every tree the servers import from; lines saying what was done and the state after."""
    trees = servers.bytecode_trees()
    lines: list[str] = []
    for tree in trees:
        before = bytecode.state(tree.path)
        log(f"compiling {tree.name} ({before.describe()} sources had an up-to-date .pyc)")
        compiled = bytecode.compile_tree(tree)
        after = bytecode.state(tree.path)
        failed = f"; {len(compiled.failed)} cannot be compiled (syntax errors)" if compiled.failed else ""
        lines.append(f"{tree.name}: {before.describe()} up to date before, {after.describe()} after{failed}")
    return trees, lines


def bytecode_at_end(trees: list[bytecode.Tree]) -> list[str]:
    states = [(tree, bytecode.state(tree.path)) for tree in trees]
    stale = [f"{tree.name} ({state.missing:,} without one)" for tree, state in states]
    stdlib = bytecode.state(servers.stdlib_path())
    lines = [
        f"Sources without an up-to-date .pyc at the end of the run: {'; '.join(stale)}. The standard library, "
        f"shared by every server (one base interpreter) and not compiled here: {stdlib.describe()} up to date."
    ]
    changed = sum(state.missing for _, state in states)
    if changed:
        lines.append(
            f"**Warning**: {changed:,} sources changed during the run (their .pyc went stale): the figures may "
            "mix versions of the code, and starts after the change paid for compiling those modules."
        )
    return lines


# The run ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    the_plan: Plan
    rng: Random
    workdir: Path
    bench: fixture.BenchSandbox
    ours: servers.ServerSpec
    settings: capabilities.WalkSettings


def measure(ctx: Context, time_spec: servers.ServerSpec) -> list[Row]:
    the_plan, rng = ctx.the_plan, ctx.rng
    bare = servers.bare_spec(ctx.workdir)
    bare_sync = servers.bare_spec(ctx.workdir, sync=True)
    specs = [ctx.ours, time_spec, bare]
    log(f"cold start: a warm-up round, then {the_plan.cold_rounds} rounds of {', '.join(s.label for s in specs)}")
    rows = cold.rows(cold.cold_starts(specs, the_plan.cold_rounds, rng))
    with ExitStack() as stack:
        server = stack.enter_context(ctx.ours.process())
        floors = {spec.label: stack.enter_context(spec.process()) for spec in (bare, bare_sync)}
        http = stack.enter_context(ctx.bench.http())
        for process in (server, *floors.values()):
            process.initialize()
            process.list_tools()
        log(f"tool calls: {the_plan.calls} rounds of get_client_certificate, raw GET, async echo, sync echo")
        samples = calls.per_call(
            server,
            http,
            ctx.bench.item_url,
            ctx.bench.certificate_id,
            floors,
            the_plan.calls,
            the_plan.call_warmup,
            rng,
        )
        rows += calls.per_call_rows(samples)
        rows += csr_measures(ctx, server)
        rows += listing_measures(ctx, server, http)
    return rows


def csr_measures(ctx: Context, server: StdioServer) -> list[Row]:
    missing = calls.openssl_missing()
    by_key: dict[str, dict[str, list[float]]] = {}
    for key_type, runs in ctx.the_plan.csr_runs.items():
        log(f"generate_csr {key_type}: {runs} rounds beside openssl")
        by_key[key_type] = calls.csr_round_trips(
            server, key_type, runs, ctx.workdir, ctx.rng, with_openssl=missing is None
        )
    return calls.csr_rows(by_key, missing)


def listing_measures(ctx: Context, server: StdioServer, http: httpx2.Client) -> list[Row]:
    the_plan, bench, count = ctx.the_plan, ctx.bench, ctx.the_plan.certificates
    seconds = fixture.seed(bench, count)
    log(f"seeded {count:,} certificates in {seconds:.1f} s; {the_plan.fast_listing_rounds} listings, no latency")
    fast = listing.listing_rounds(server, http, bench, count, the_plan.fast_listing_rounds, ctx.rng, 0.0, warmup=1)
    log(f"memory: {the_plan.memory_rounds} fresh processes, each listing {count:,}")
    idle, peak = listing.listing_memory(ctx.ours, count, the_plan.memory_rounds)
    fixture.add_latency(bench, LATENCY_S)
    try:
        log(f"listing at {LATENCY_S * 1000:.0f} ms: {the_plan.listing_rounds} rounds")
        slow = listing.listing_rounds(server, http, bench, count, the_plan.listing_rounds, ctx.rng, LATENCY_S)
        rows = listing.listing_rows(slow, fast, count, ctx.settings)
        rows.append(listing.memory_row(idle, peak, count))
        cap = audit.cap_reason(capabilities.audit_cap(), count)
        log("audit at latency" + (f": n/a ({cap})" if cap else f": up to {the_plan.audit_runs} runs"))
        rows += audit.latency_rows(
            server, bench, count, LATENCY_S, the_plan.audit_runs, the_plan.audit_budget_s, ctx.rng, cap
        )
        limit = fixture.rate_limit_missing()
        unavailable = "; ".join(reason for reason in (cap, limit) if reason) or None
        burst = 0 if unavailable is not None else fixture.add_rate_limit(bench, audit.RATE_PER_S)
        log("audit rate-limited" + (f": n/a ({unavailable})" if unavailable else ": 1 run"))
        rows += audit.rate_limited_rows(server, bench, count, LATENCY_S, unavailable, burst)
    finally:
        fixture.clear_faults(bench)
    return rows


def run(the_plan: Plan, seed: int, started: datetime) -> tuple[list[Row], list[str], list[str], dict[str, Any]]:
    """The rows; the header and footer lines that say how they were made; the same facts as JSON values."""
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="frontdoor-mcp-bench-")))
        key_dir = workdir / "keys"
        key_dir.mkdir(mode=0o700)
        time_spec = servers.time_spec()
        trees, compiled = prepare_bytecode()
        bench = fixture.start()
        stack.callback(bench.stop)
        sandbox = bench.sandbox
        ours = servers.frontdoor_spec(sandbox.base_url, sandbox.token, sandbox.frontdoor_id, key_dir)
        settings = capabilities.walk_settings()
        ctx = Context(the_plan, Random(seed), workdir, bench, ours, settings)
        rows = measure(ctx, time_spec)
        header, facts = describe(the_plan, seed, started, ours, compiled, settings)
        return rows, header, bytecode_at_end(trees), facts
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


def describe(
    the_plan: Plan,
    seed: int,
    started: datetime,
    ours: servers.ServerSpec,
    compiled: list[str],
    settings: capabilities.WalkSettings,
) -> tuple[list[str], dict[str, Any]]:
    """The header lines, and the same facts as JSON values for `--json`."""
    python = Path(sys.executable)
    time_python = servers.time_python()
    cap = capabilities.audit_cap()
    dont_write = os.environ.get("PYTHONDONTWRITEBYTECODE")
    facts: dict[str, Any] = {
        "machine": machine(),
        "cpus": os.cpu_count(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "frontdoor_mcp": servers.package_version(python, "frontdoor-mcp"),
        "mcp": servers.package_version(python, "mcp"),
        "mcp_server_time": servers.package_version(time_python, "mcp-server-time"),
        "mcp_of_mcp_server_time": servers.package_version(time_python, "mcp"),
        "date": f"{started:%Y-%m-%dT%H:%M:%SZ}",
        "page_size": None if settings.page_size is None else settings.page_size.value,
        "concurrency": None if settings.concurrency is None else settings.concurrency.value,
        "audit_cap": None if cap is None else cap.value,
        "certificates": the_plan.certificates,
        "latency_s": LATENCY_S,
        "pythondontwritebytecode": dont_write,
    }
    lines = [
        f"Machine: {facts['machine']}.",
        f"Python {facts['python']} ({platform.python_implementation()}); frontdoor-mcp {facts['frontdoor_mcp']} "
        f"on mcp {facts['mcp']}; `mcp-server-time` {facts['mcp_server_time']} on mcp "
        f"{facts['mcp_of_mcp_server_time']}, in its own venv on the same interpreter; the bare MCPServers run in "
        "frontdoor-mcp's venv.",
        f"Bytecode: before measuring, every environment was compiled with `python -m compileall` (timestamp "
        f"`.pyc`, PYTHONDONTWRITEBYTECODE unset for that step): {'; '.join(compiled)}.",
        f"Environment: every server gets this process's environment less {_DROPPED_SHOWN}; "
        f"PYTHONDONTWRITEBYTECODE={dont_write if dont_write is not None else '(unset)'} for all; frontdoor-mcp "
        f"adds {', '.join(ours.own_variables)} (the API is the sandbox in this process, on loopback; no "
        "`--sandbox`); the others add nothing.",
        f"Server settings read from its code: `all_pages` walk {settings.describe()}; audit cap "
        f"{'not found' if cap is None else f'{cap.value:,} (`{cap.source}`)'}. Certificates seeded: "
        f"{the_plan.certificates:,}; added latency {LATENCY_S * 1000:.0f} ms per GET where stated.",
        f"Date {started:%Y-%m-%d %H:%M} UTC (start); seed {seed} (each round's order is drawn from it; "
        f"`--seed {seed}` repeats the orders).",
    ]
    return lines, facts


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally`, so no server or sandbox is left behind


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    the_plan = plan(args)
    seed: int = args.seed if args.seed is not None else time.time_ns()
    load_before = load_average()
    started = time.perf_counter()
    log(f"seed {seed}; load average {load_before}")
    rows, header, footer, facts = run(the_plan, seed, datetime.now(UTC))
    if args.load:
        clients, per_client = (10, 20) if args.quick else (50, 20)
        http, stdio = load.measure(clients, per_client, "legacy", seed, log)
        rows += load.rows(http, stdio, clients, per_client, "legacy")
    elapsed = time.perf_counter() - started
    load_after = load_average()
    header.append(f"Load average (1 / 5 / 15 min): {load_before} at the start, {load_after} at the end.")
    if args.quick:
        footer.append(
            f"Quick run: {the_plan.certificates:,} certificates and few samples, a smoke test; the targets are "
            "set for the full run (10,000 certificates), so read its verdicts as indications only."
        )
    command = "uv run python benchmarks/run.py" + (" --quick" if args.quick else "") + f" --seed {seed}"
    footer.append(f"Total benchmark time {elapsed:.0f} s. Reproduce the orders: `{command}`.")
    meta: dict[str, Any] = {
        "seed": seed,
        "quick": bool(args.quick),
        "plan": asdict(the_plan),
        "elapsed_s": elapsed,
        "load_average_start": load_before,
        "load_average_end": load_after,
        **facts,
        "header": header,
        "footer": footer,
    }
    result = Run(meta, rows)
    text = report.render(result)
    print(text, end="")
    if args.out is not None:
        args.out.write_text(text)
    if args.json is not None:
        result.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

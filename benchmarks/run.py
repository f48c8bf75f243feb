"""Benchmarks of frontdoor-mcp, side by side with references, in one run on this machine.

    uv run python benchmarks/run.py            # the full run (about 3 minutes on 2 cores)
    uv run python benchmarks/run.py --quick    # a smoke run: fewer samples, 1,000 certificates
    uv run python benchmarks/run.py --runs 25  # more cold-start rounds

Prints a markdown table of medians, each beside its reference and its target. Everything runs on
loopback: the Frontdoor API is the embedded sandbox, started in this process. The one network access
is installing `mcp-server-time` from PyPI into a temporary venv, on the first run only.
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
from dataclasses import dataclass
from pathlib import Path

import fixture
import report
import scenarios
import servers
from frontdoor_mcp.api.client import ALL_PAGES_SIZE
from rpc_client import StdioServer
from stats import Paired

LATENCY_S = 0.05


@dataclass(frozen=True)
class Plan:
    """How many samples of each measurement."""

    cold_runs: int
    calls: int
    call_warmup: int
    csr_runs: dict[str, int]
    listing_count: int
    listing_runs: int


def plan(args: argparse.Namespace) -> Plan:
    if args.quick:
        csr = {"ec-p256": 10, "ec-p384": 5, "rsa-2048": 3, "rsa-3072": 2, "rsa-4096": 1}
        return Plan(args.runs or 5, 100, 10, csr, 1_000, 2)
    csr = {"ec-p256": 40, "ec-p384": 20, "rsa-2048": 6, "rsa-3072": 3, "rsa-4096": 2}
    return Plan(args.runs or 15, 300, 30, csr, 10_000, 3)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None, help="cold-start rounds per server (default 15; 5 quick)")
    parser.add_argument("--quick", action="store_true", help="fewer samples and 1,000 certificates instead of 10,000")
    args = parser.parse_args(argv)
    if args.runs is not None and not 1 <= args.runs <= 500:
        parser.error("--runs must be between 1 and 500")
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def machine(load_before: str) -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    time_python = servers.TIME_VENV / "bin" / "python"
    return (
        f"{cpus} CPUs (nproc), {platform.machine()}, Linux {platform.release()}; "
        f"Python {platform.python_version()}; mcp {servers.package_version(Path(sys.executable), 'mcp')} "
        f"(mcp-server-time {servers.package_version(time_python, 'mcp-server-time')} on mcp "
        f"{servers.package_version(time_python, 'mcp')}); load average (1/5/15 min) {load_before} before, "
        f"{load_average()} after"
    )


def bare_calls(spec: servers.ServerSpec, the_plan: Plan) -> list[float]:
    with StdioServer(spec.argv, spec.env) as server:
        server.initialize()
        server.list_tools()
        return scenarios.echo_calls(server, the_plan.calls, the_plan.call_warmup)


def session_measurements(
    bench: fixture.BenchSandbox, spec: servers.ServerSpec, bare: servers.ServerSpec, the_plan: Plan, workdir: Path
) -> report.SessionResults:
    """Everything after the cold starts, in one frontdoor-mcp session: tool calls, CSRs, the big listing."""
    rss: dict[str, int] = {}
    with StdioServer(spec.argv, spec.env) as server, bench.http() as http:
        server.initialize()
        server.list_tools()
        rss["after initialize + tools/list"] = server.peak_rss_kib()
        log(f"tool calls: {the_plan.calls} get_client_certificate beside raw GETs")
        calls = scenarios.tool_call_overhead(
            server, http, bench.item_url, bench.certificate_id, the_plan.calls, the_plan.call_warmup
        )
        log(f"tool calls: {the_plan.calls} echo calls of the bare MCPServer")
        bare_samples = bare_calls(bare, the_plan)
        csr: dict[str, Paired] = {}
        for key_type, runs in the_plan.csr_runs.items():
            log(f"generate_csr {key_type}: {runs} rounds beside openssl")
            csr[key_type] = scenarios.csr_round_trips(server, key_type, runs, workdir)
        rss["after the get and generate_csr calls"] = server.peak_rss_kib()
        seconds = fixture.seed(bench, the_plan.listing_count)
        log(f"seeded {the_plan.listing_count:,} certificates in {seconds:.1f} s; listing at {LATENCY_S * 1000:.0f} ms")
        walk = (server, http, bench.collection_url, ALL_PAGES_SIZE, the_plan.listing_count)
        floor = scenarios.listing(*walk, runs=1)
        fixture.add_list_latency(bench, LATENCY_S)
        listing = scenarios.listing(*walk, runs=the_plan.listing_runs)
        bench.sandbox.faults.clear()
        rss[f"after listing {the_plan.listing_count:,} certificates"] = server.peak_rss_kib()
    return report.SessionResults(calls, bare_samples, csr, listing, floor, the_plan.listing_count, LATENCY_S, rss)


def run(the_plan: Plan) -> report.Results:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="frontdoor-mcp-bench-")))
        key_dir = workdir / "keys"
        key_dir.mkdir(mode=0o700)
        time_spec = servers.time_spec()
        bench = fixture.start()
        stack.callback(bench.stop)
        sandbox = bench.sandbox
        ours = servers.frontdoor_spec(sandbox.base_url, sandbox.token, sandbox.frontdoor_id, key_dir)
        bare = servers.bare_spec(workdir)
        specs = [ours, time_spec, bare]
        log(f"cold start: {the_plan.cold_runs} rounds of {', '.join(spec.label for spec in specs)}")
        cold = scenarios.cold_starts(specs, the_plan.cold_runs)
        return report.Results(cold, session_measurements(bench, ours, bare, the_plan, workdir))
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally`, so no server or sandbox is left behind


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    the_plan = plan(args)
    load_before = load_average()
    started = time.perf_counter()
    results = run(the_plan)
    elapsed = time.perf_counter() - started
    print(report.markdown(report.rows(results)))
    print()
    if args.quick:
        print("Quick run: 1,000 certificates are only 10 pages, so `all_pages` waits 2 latencies against 10")
        print("(at most about ×5, less the server's own time); the ×5 target is for the full run's 10,000")
        print("(7 waits against 100, with 16 pages in flight).")
    print(f"Machine: {machine(load_before)}.")
    command = "uv run python benchmarks/run.py" + (" --quick" if args.quick else "")
    print(f"Total benchmark time {elapsed:.0f} s. Reproduce: `{command}`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

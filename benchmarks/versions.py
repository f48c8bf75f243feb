"""This checkout against another one (an earlier commit), side by side on the same sandbox: cold start
(spawn -> initialize -> tools/list), `get_client_certificate` call by call, then listing every certificate
(`all_pages`) and the expiry audit, each of 10,000 certificates with 50 ms added to every request, under the
guide's paging shape. On a machine whose speed drifts, only such side-by-side figures say what a change did.

    git worktree add /tmp/before <commit> && (cd /tmp/before && uv sync)
    uv run python benchmarks/versions.py --before /tmp/before
    uv run python benchmarks/versions.py --before /tmp/before --listing-rounds 12 --audit-rounds 4 --seed 7

Both servers run as stdio subprocesses of their own checkouts' environments, byte-compiled first, against
one sandbox in this process (this checkout's). Each round runs both, in a fresh random order, after a discarded
warm-up; each figure is the median with its p10-p90, and the ratio is the median of the per-round ratios. The
certificates are seeded straight into the store and the first listing starts at least 7 s later: a walk that
starts in the same seconds as a bulk import reads the newest items once more to show it missed none (one
request), which a list of certificates created over time does not need.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from random import Random
from typing import Final

import audit
import bytecode
import fixture
import listing
import servers
from cold import cold_start_once
from rounds import Action, interleaved, timed
from rpc_client import StdioServer
from stats import ratios, spread

COUNT: Final = 10_000
LATENCY_S: Final = 0.05
AFTER_SEED_S: Final = 7.0


def _spec(checkout: Path, bench: fixture.BenchSandbox, key_dir: Path) -> servers.ServerSpec:
    script = checkout / ".venv" / "bin" / "frontdoor-mcp"
    if not script.exists():
        raise SystemExit(f"{script} does not exist: run `uv sync` in {checkout} first")
    base = servers.frontdoor_spec(bench.sandbox.base_url, bench.sandbox.token, bench.sandbox.frontdoor_id, key_dir)
    return servers.ServerSpec(str(checkout), (str(script),), base.env, base.own_variables)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="the other checkout (with its .venv)")
    parser.add_argument("--cold-rounds", type=int, default=20, help="cold-start rounds (default 20)")
    parser.add_argument("--calls", type=int, default=300, help="get_client_certificate calls each (default 300)")
    parser.add_argument("--listing-rounds", type=int, default=12, help="listing rounds (default 12)")
    parser.add_argument("--audit-rounds", type=int, default=4, help="audit rounds (default 4)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random orders (default: the clock)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else time.time_ns()
    rng = Random(seed)
    here = Path(__file__).resolve().parents[1]
    for checkout in (here, args.before.resolve()):  # as run.py does: no server pays for compiling at start-up
        python = checkout / ".venv" / "bin" / "python"
        for path in [*servers.site_packages(python), checkout / "server"]:
            bytecode.compile_tree(bytecode.Tree(str(path), path, python))
    bench = fixture.start()
    try:
        fixture.seed(bench, COUNT)
        seeded = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="frontdoor-versions-") as scratch:
            keys = Path(scratch)
            keys.chmod(0o700)
            specs = {"after": _spec(here, bench, keys), "before": _spec(args.before.resolve(), bench, keys)}
            cold = _cold_starts(specs, args.cold_rounds, rng)
            started = {name: spec.process() for name, spec in specs.items()}
            try:
                for server in started.values():
                    server.start()
                    server.initialize()
                per_call = _per_call(started, bench, args.calls, rng)
                time.sleep(max(0.0, AFTER_SEED_S - (time.monotonic() - seeded)))
                fixture.add_latency(bench, LATENCY_S)
                listed = _listing(started, bench, args.listing_rounds, rng)
                audited = _audits(started, bench, args.audit_rounds, rng)
            finally:
                for server in started.values():
                    server.close()
    finally:
        bench.stop()
    print(f"before: {args.before.resolve()}; after: {here}; seed {seed}")
    print(f"{COUNT:,} certificates, {LATENCY_S * 1000:.0f} ms added per request; median [p10, p90]")
    for what, samples, scale, unit in (
        ("cold start", cold, 1000, "ms"),
        ("get_client_certificate", per_call, 1000, "ms"),
        ("all_pages listing", listed, 1, "s"),
        ("expiry audit", audited, 1, "s"),
    ):
        before = spread([sample * scale for sample in samples["before"]])
        after = spread([sample * scale for sample in samples["after"]])
        ratio = spread(ratios(samples["after"], samples["before"]))
        print(
            f"  {what:<22} before {before.median:.3f} {unit} [{before.p10:.3f}, {before.p90:.3f}]  "
            f"after {after.median:.3f} {unit} [{after.p10:.3f}, {after.p90:.3f}]  "
            f"after/before x{ratio.median:.3f} [{ratio.p10:.3f}, {ratio.p90:.3f}] (n={ratio.n})"
        )
    return 0


def _cold_starts(specs: dict[str, servers.ServerSpec], rounds: int, rng: Random) -> dict[str, list[float]]:
    def action(spec: servers.ServerSpec) -> Action:
        return lambda: cold_start_once(spec).seconds

    return interleaved({name: action(spec) for name, spec in specs.items()}, rounds, rng, warmup=1)


def _per_call(
    started: dict[str, StdioServer], bench: fixture.BenchSandbox, calls: int, rng: Random
) -> dict[str, list[float]]:
    arguments = {"certificate_id": bench.certificate_id}

    def action(server: StdioServer) -> Action:
        return timed(lambda: server.call_tool("get_client_certificate", arguments))

    return interleaved({name: action(server) for name, server in started.items()}, calls, rng, warmup=20)


def _listing(
    started: dict[str, StdioServer], bench: fixture.BenchSandbox, rounds: int, rng: Random
) -> dict[str, list[float]]:
    requests: dict[str, set[int]] = {name: set() for name in started}

    def action(name: str) -> Action:
        def run() -> float:
            fixture.reset_log(bench)
            begun = time.perf_counter()
            listing.all_pages(started[name], COUNT)
            elapsed = time.perf_counter() - begun
            requests[name].add(fixture.traffic(bench, LATENCY_S).requests)
            return elapsed

        return run

    samples = interleaved({name: action(name) for name in started}, rounds, rng, warmup=1)
    print(f"list requests per listing: {', '.join(f'{n} {sorted(r)}' for n, r in sorted(requests.items()))}")
    return samples


def _audits(
    started: dict[str, StdioServer], bench: fixture.BenchSandbox, rounds: int, rng: Random
) -> dict[str, list[float]]:
    requests: dict[str, set[int]] = {name: set() for name in started}

    def action(name: str) -> Action:
        def run() -> float:
            done = audit.audit_once(started[name], bench, LATENCY_S, timeout_s=600)
            if done.error is not None or done.unreadable is not None or done.checked != COUNT:
                raise SystemExit(f"{name}: the audit did not examine {COUNT:,} certificates: {done}")
            requests[name].add(done.traffic.requests)
            return done.seconds

        return run

    samples = interleaved({name: action(name) for name in started}, rounds, rng, warmup=1)
    print(f"requests per audit: {', '.join(f'{n} {sorted(r)}' for n, r in sorted(requests.items()))}")
    return samples


if __name__ == "__main__":
    raise SystemExit(main())

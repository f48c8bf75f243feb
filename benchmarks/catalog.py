"""Does the catalog earn its place? Cold start (spawn -> initialize -> tools/list answered) of the same server
listing its tools from the committed catalog, and building every tool at start instead; beside the SDK's floor
(a bare MCPServer with one async tool).

    uv run python benchmarks/catalog.py                # 40 rounds
    uv run python benchmarks/catalog.py --rounds 60 --seed 7

The method is `run.py`'s: every environment byte-compiled first, one discarded warm-up round, then rounds in a
fresh random order, each figure the median of the per-round differences with its p10-p90. The rule the project
set: keep the catalog only if building at start costs at least 15 ms more (median) and the p10 is above zero.
Nothing here reaches a network: the servers are never asked to call the API.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from random import Random
from typing import Final

import bytecode
import servers
from cold import cold_start_once
from rounds import interleaved
from stats import differences, spread

CATALOG: Final = "frontdoor-mcp, tools/list from the catalog"
BUILT: Final = "frontdoor-mcp, every tool built at start"
KEEP_IF_SAVES_MS: Final = 15.0

_SERVER: Final = '''\
"""frontdoor-mcp over stdio as the console script serves it, listing its tools {how}."""
from frontdoor_mcp.config import load_settings
from frontdoor_mcp.server import build_server

build_server(load_settings(), catalog={catalog}).run("stdio")
'''


def frontdoor(workdir: Path, *, catalog: bool) -> servers.ServerSpec:
    script = workdir / f"frontdoor_catalog_{catalog}.py"
    how = "from the catalog" if catalog else "from every tool, built at start"
    script.write_text(_SERVER.format(how=how, catalog=catalog))
    unused = "00000000-0000-0000-0000-000000000000"  # never called: start and list only
    base = servers.frontdoor_spec("http://127.0.0.1:9/frontdoor", "unused-token", unused, workdir)
    return servers.ServerSpec(
        CATALOG if catalog else BUILT, (sys.executable, str(script)), base.env, base.own_variables
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40, help="rounds (at least 30; default 40)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random orders (default: the clock)")
    args = parser.parse_args(argv)
    rounds = max(30, args.rounds)
    seed = args.seed if args.seed is not None else time.time_ns()
    ours = Path(sys.executable)  # the three servers here all run in this venv
    for path in [*servers.site_packages(ours), servers.PROJECT_ROOT / "server"]:
        bytecode.compile_tree(bytecode.Tree(str(path), path, ours))
    with tempfile.TemporaryDirectory(prefix="frontdoor-catalog-bench-") as temporary:
        workdir = Path(temporary)
        specs = [frontdoor(workdir, catalog=True), frontdoor(workdir, catalog=False), servers.bare_spec(workdir)]
        actions = {spec.label: (lambda spec=spec: cold_start_once(spec).seconds) for spec in specs}
        samples = interleaved(actions, rounds, Random(seed), warmup=1)
    ms = {label: [value * 1000 for value in values] for label, values in samples.items()}
    saved = spread(differences(ms[BUILT], ms[CATALOG]))
    print(f"cold start, spawn -> initialize -> tools/list, {rounds} rounds in random order (seed {seed}):")
    for label, values in ms.items():
        shown = spread(values)
        print(f"  {label}: {shown.median:.1f} ms [{shown.p10:.1f} - {shown.p90:.1f}]")
    for label in (CATALOG, BUILT):
        over = spread(differences(ms[label], ms[servers.BARE_ASYNC]))
        print(f"  {label}, over the SDK's floor: {over.median:+.1f} ms [{over.p10:+.1f} - {over.p90:+.1f}]")
    print(
        f"  what the catalog saves (built - catalog, per round): {saved.median:+.1f} ms "
        f"[{saved.p10:+.1f} - {saved.p90:+.1f}]"
    )
    keep = saved.median >= KEEP_IF_SAVES_MS and saved.p10 > 0
    print(f"  keep the catalog (median >= {KEEP_IF_SAVES_MS:.0f} ms and p10 > 0): {'yes' if keep else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

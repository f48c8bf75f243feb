"""How long the sandbox's event loop stalls while a client walks 10,000 certificates (a measurement, not a test).

    uv run python -m tests.sandbox_curl.loop_lag --db file --inflight 16 --runs 3

The sandbox runs in a child process (so client and server do not share a GIL) with 10,000 seeded
certificates; a probe in its event loop sleeps 0.5 ms at a time and records how late it wakes. The client
walks pages of 100 (300 requests) and of 2000 (15), then pages of 100 while 4 writers POST. Printed: the
wall time of each walk, the writes done, and the probe's median, p99 and worst lateness (the longest stall
of the loop: how long any request could have waited for the sandbox to look at it).

To compare with another version of the sandbox, export it (`git archive <commit> server | tar -x -C DIR`)
and run this with `PYTHONPATH=DIR/server`; versions without `seed_certificates` are seeded one insert at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from multiprocessing.queues import Queue
from typing import Any

import httpx2

_PROBE_S = 0.0005
_WALKS = ((100, 300, 0), (2000, 15, 0), (100, 300, 4))  # (page size, pages, writers)


def _serve(results: Queue[Any], commands: Queue[str], on_disk: bool) -> None:
    from frontdoor_mcp.sandbox.runner import start_sandbox
    from tests.sandbox_curl.pems import certificate_pem

    sandbox = start_sandbox(db_path=os.path.join(tempfile.mkdtemp(), "sandbox.db") if on_disk else None)
    if hasattr(sandbox, "seed_certificates"):
        sandbox.seed_certificates(10_000)
    else:  # an older sandbox, for comparison
        pem = certificate_pem()
        for number in range(10_000):
            sandbox.store.insert_certificate(sandbox.frontdoor_id, f"seed-{number:05d}", pem, sandbox.username)
    loop = sandbox._server._loop  # pyright: ignore[reportPrivateUsage]  (the probe must run in the server's loop)
    assert loop is not None
    lags: list[float] = []
    probing = [False]

    async def probe() -> None:
        while probing[0]:
            started = time.perf_counter()
            await asyncio.sleep(_PROBE_S)
            lags.append(time.perf_counter() - started - _PROBE_S)

    results.put((f"{sandbox.base_url}/{sandbox.frontdoor_id}", sandbox.token))
    running = None
    while (command := commands.get()) != "quit":
        if command == "start":
            lags.clear()
            probing[0] = True
            running = asyncio.run_coroutine_threadsafe(probe(), loop)
        elif running is not None:
            probing[0] = False
            running.result()
            ordered = sorted(lags)
            results.put((ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)], ordered[-1]))
    sandbox.stop()


async def _walk(
    base: str, token: str, size: int, pages: int, inflight: int, writers: int, pem: str
) -> tuple[float, int]:
    limits = httpx2.Limits(max_connections=inflight + writers, max_keepalive_connections=inflight + writers)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, limits=limits, trust_env=False, timeout=60) as client:
        gate = asyncio.Semaphore(inflight)
        writing = [True]
        written = [0]

        async def page(number: int) -> None:
            async with gate:
                response = await client.get(f"{base}/client-certificates", params={"page": number, "size": size})
                assert response.status_code == 200

        async def writer() -> None:
            while writing[0]:
                response = await client.post(f"{base}/client-certificates", json={"name": "w", "value": pem})
                assert response.status_code == 201
                written[0] += 1

        tasks = [asyncio.create_task(writer()) for _ in range(writers)]
        started = time.perf_counter()
        await asyncio.gather(*(page(n % (10_000 // size)) for n in range(pages)))
        elapsed = time.perf_counter() - started
        writing[0] = False
        await asyncio.gather(*tasks)
    return elapsed, written[0]


def main() -> None:
    from tests.sandbox_curl.pems import certificate_pem

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["file", "memory"], default="file")
    parser.add_argument("--inflight", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    results: Queue[Any] = context.Queue()
    commands: Queue[str] = context.Queue()
    server = context.Process(target=_serve, args=(results, commands, args.db == "file"), daemon=True)
    server.start()
    base, token = results.get(timeout=120)
    pem = certificate_pem()
    for size, pages, writers in _WALKS:
        samples: list[tuple[float, int, float, float, float]] = []
        for _ in range(args.runs):
            commands.put("start")
            elapsed, written = asyncio.run(_walk(base, token, size, pages, args.inflight, writers, pem))
            commands.put("stop")
            median, p99, worst = results.get(timeout=60)
            samples.append((elapsed, written, median, p99, worst))
        walls = sorted(s[0] * 1000 for s in samples)
        worsts = sorted(s[4] * 1000 for s in samples)
        print(
            f"{args.db}, {args.inflight} in flight, {pages} pages of {size}, {writers} writers: "
            f"walk {statistics.median(walls):.0f} ms ({walls[0]:.0f}-{walls[-1]:.0f}), "
            f"writes {statistics.median(s[1] for s in samples):.0f}, "
            f"loop stall p99 {statistics.median(s[3] * 1000 for s in samples):.1f} ms, "
            f"worst {statistics.median(worsts):.1f} ms ({worsts[0]:.1f}-{worsts[-1]:.1f})"
        )
    commands.put("quit")
    server.join(timeout=10)


if __name__ == "__main__":
    main()

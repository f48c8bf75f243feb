"""The sandbox under load: seeding thousands of certificates at once, reads that never wait behind a write's
fsync, and a concurrent walk of every page that sees each certificate exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import httpx2
import pytest

from frontdoor_mcp.sandbox.certificates.routes import summary_json
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import certificate_pem

CERTS = "/client-certificates"


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with start_sandbox(db_path=tmp_path_factory.mktemp("sandbox") / "sandbox.db") as running:
        yield running


def client_of(sandbox: RunningSandbox, **options: Any) -> httpx2.Client:
    return new_client(
        base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}",
        headers={"Authorization": f"Bearer {sandbox.token}", "Accept": "application/json"},
        **options,
    )


def test_seeding_ten_thousand_takes_one_transaction() -> None:
    with start_sandbox() as sandbox:
        ids = sandbox.seed_certificates(10_000, name_prefix="bench")  # one commit, one signed PEM for all
        assert len(set(ids)) == 10_000
        rows, total = sandbox.store.list_certificates(sandbox.frontdoor_id, [("createdAt", False)], 0, 3)
        assert total == 10_000
        assert [r.id for r in rows] == ids[:3]
        assert [r.name for r in rows] == ["bench-00000", "bench-00001", "bench-00002"]
        value = sandbox.store.get_certificate(sandbox.frontdoor_id, ids[-1])
        assert value is not None
        assert value.value.startswith("-----BEGIN CERTIFICATE-----")


def test_reads_go_on_while_a_write_holds_the_database(on_disk: RunningSandbox) -> None:
    """A write transaction that does not finish (an fsync that takes its time) holds up other writes, in
    worker threads, but neither the event loop nor reads, which have their own connections."""
    existing = on_disk.seed_certificates(1)[0]
    with client_of(on_disk, timeout=5.0) as api, on_disk.store.database.write():
        assert api.get(CERTS).status_code == 200
        assert api.get(f"{CERTS}/{existing}").status_code == 200
        with client_of(on_disk, timeout=0.2) as impatient, pytest.raises(httpx2.TimeoutException):
            impatient.post(CERTS, json={"name": "waits", "value": certificate_pem()})
        assert api.get(f"{CERTS}/{existing}").status_code == 200  # the loop is free while that write waits
    with client_of(on_disk) as api:
        # Once the lock is released the waiting write goes through (its client had given up).
        deadline = time.monotonic() + 5
        while not any(c["name"] == "waits" for c in cast(dict[str, Any], api.get(CERTS).json())["content"]):
            assert time.monotonic() < deadline, "the waiting write never completed"
            threading.Event().wait(0.01)


def test_a_concurrent_walk_sees_every_certificate_once(on_disk: RunningSandbox) -> None:
    frontdoor = on_disk.add_frontdoor()
    on_disk.add_token([frontdoor], token=on_disk.token)
    seeded = set(on_disk.seed_certificates(2_000, frontdoor_id=frontdoor))
    url = f"{on_disk.base_url}/{frontdoor}{CERTS}"

    def page(number: int) -> list[str]:
        with new_client(headers={"Authorization": f"Bearer {on_disk.token}"}) as client:
            response = client.get(url, params={"page": number, "size": 100, "sort": "name,desc"})
            assert response.status_code == 200
            return [c["id"] for c in cast(dict[str, Any], response.json())["content"]]

    with ThreadPoolExecutor(max_workers=16) as pool:
        pages = list(pool.map(page, range(20)))
    walked = [cert_id for items in pages for cert_id in items]
    assert len(walked) == len(set(walked)) == 2_000
    assert set(walked) == seeded
    # Pages are read by at most two workers, single reads on the event loop: the pool stays that small.
    assert on_disk.store.database.reader_count <= 3


def test_a_page_rendered_by_sqlite_is_the_page_python_renders() -> None:
    """The list page's items are rendered by SQLite (speed); they must be the guide's summary, exactly as the
    single-resource answers render it: same fields, same instants, same text whatever the name holds."""
    with start_sandbox() as sandbox:
        for name in ('quote " and backslash \\\\', "accents é ü and 日本", "emoji 🔐", "tab\tand line\nbreak"):
            sandbox.store.insert_certificate(sandbox.frontdoor_id, name, certificate_pem(), "user-sandbox")
        sandbox.seed_certificates(3)
        rendered, total = sandbox.store.list_certificate_summaries(sandbox.frontdoor_id, [("name", True)], 0, 50)
        rows, same_total = sandbox.store.list_certificates(sandbox.frontdoor_id, [("name", True)], 0, 50)
    assert total == same_total == 7
    assert [item_id for item_id, _ in rendered] == [row.id for row in rows]
    assert [json.loads(text) for _, text in rendered] == [summary_json(row) for row in rows]

"""State survives restarts, and every acknowledged write survives `kill -9`."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import stat
import threading
import time
import uuid
from contextlib import AbstractContextManager, closing
from pathlib import Path
from typing import Any, cast

import httpx2
import pytest

from frontdoor_mcp.sandbox.runner import default_db_path, start_sandbox
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import certificate_pem, csr_pem
from tests.sandbox_curl.process import SandboxProcess, spawned

CERTS = "/client-certificates"


def _client(base_url: str, frontdoor_id: str, token: str) -> httpx2.Client:
    return new_client(
        base_url=f"{base_url}/{frontdoor_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5.0,
    )


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    first = start_sandbox(db_path=db)
    try:
        with _client(first.base_url, first.frontdoor_id, first.token) as api:
            uploaded = api.post(CERTS, json={"name": "uploaded", "value": certificate_pem()}).json()
            signed = api.post(CERTS, json={"name": "signed", "value": csr_pem()}).json()
            gone = api.post(CERTS, json={"name": "gone", "value": certificate_pem()}).json()
            assert api.delete(f"{CERTS}/{gone['id']}").status_code == 200
            before = api.get(CERTS).json()
            signed_value = api.get(f"{CERTS}/{signed['id']}").json()["value"]
    finally:
        first.stop()

    second = start_sandbox(db_path=db)  # no ids given: the database's own identity comes back
    try:
        assert (second.frontdoor_id, second.token) == (first.frontdoor_id, first.token)
        assert (second.client_id, second.client_secret) == (first.client_id, first.client_secret)
        assert second.ca_certificate_pem == first.ca_certificate_pem
        with _client(second.base_url, second.frontdoor_id, second.token) as api:
            after = api.get(CERTS).json()
            assert after == before
            assert [c["id"] for c in after["content"]] == [uploaded["id"], signed["id"]]
            assert api.get(f"{CERTS}/{signed['id']}").json()["value"] == signed_value
            assert api.get(f"{CERTS}/{gone['id']}").status_code == 404
        row = second.store.get_any_certificate(gone["id"])
        assert row is not None
        assert row.deleted_by == first.username
    finally:
        second.stop()


def test_given_frontdoor_and_token_keep_working(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    fid, token = str(uuid.uuid4()), "given-token-1"
    with start_sandbox(db_path=db, frontdoor_id=fid, token=token) as first:
        assert (first.frontdoor_id, first.token) == (fid, token)
        with _client(first.base_url, fid, token) as api:
            created = api.post(CERTS, json={"name": "kept", "value": certificate_pem()}).json()
    with start_sandbox(db_path=db) as second:
        assert second.frontdoor_id != fid  # a default identity of its own ...
        with _client(second.base_url, fid, token) as api:  # ... and the given one still works
            assert api.get(f"{CERTS}/{created['id']}").status_code == 200
    with start_sandbox(db_path=db, frontdoor_id=fid.upper(), token=token) as third:
        assert third.frontdoor_id == fid
        with _client(third.base_url, fid, token) as api:
            assert api.get(CERTS).json()["totalElements"] == 1


def test_database_file_is_owner_only_and_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    with start_sandbox(db_path=db):
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        with closing(sqlite3.connect(db)) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_default_database_lives_in_an_owner_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = default_db_path()
    assert path == tmp_path / "data" / "frontdoor-mcp" / "sandbox.db"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_stop_is_idempotent() -> None:
    sandbox = start_sandbox()
    sandbox.stop()
    sandbox.stop()
    with pytest.raises(httpx2.TransportError), new_client() as client:
        client.get(sandbox.root_url + "/openapi.json")


# kill -9 ------------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawned(db: Path, port: int, frontdoor_id: str, token: str) -> AbstractContextManager[SandboxProcess]:
    return spawned(["--db", str(db), "--port", str(port), "--frontdoor-id", frontdoor_id, "--token", token])


@pytest.mark.slow
def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    fid, token = str(uuid.uuid4()), "kill-nine-token"
    pem = certificate_pem()
    acknowledged: list[str] = []
    lock = threading.Lock()

    port = _free_port()
    base = f"http://127.0.0.1:{port}/frontdoor"
    with _spawned(db, port, fid, token) as first:
        banner = "\n".join(first.banner)
        assert f"API base URL:  {base}" in banner
        assert f"Frontdoor id:  {fid}" in banner
        assert f"Token:         {token}" in banner
        assert "curl -s -H" in banner

        def writer(index: int) -> None:
            with _client(base, fid, token) as api:
                for n in range(10_000):
                    try:
                        response = api.post(CERTS, json={"name": f"w{index}-{n}", "value": pem})
                    except httpx2.TransportError:
                        return  # the server is gone; whatever was not acknowledged may or may not exist
                    if response.status_code == 201:
                        with lock:
                            acknowledged.append(str(cast(dict[str, Any], response.json())["id"]))

        writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for thread in writers:
            thread.start()
        deadline = time.monotonic() + 5
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(first.process.pid, signal.SIGKILL)  # mid-stream: writers are still posting
        for thread in writers:
            thread.join(timeout=10)
        assert first.process.wait(timeout=5) == -signal.SIGKILL
    assert len(acknowledged) >= 20

    port = _free_port()
    base = f"http://127.0.0.1:{port}/frontdoor"
    with _spawned(db, port, fid, token) as second, _client(base, fid, token) as api:
        missing = [cid for cid in acknowledged if api.get(f"{CERTS}/{cid}").status_code != 200]
        assert missing == []
        assert api.get(CERTS, params={"size": 1}).json()["totalElements"] >= len(acknowledged)
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(timeout=10) == 0

"""Fault injection, seen from a real HTTP client: each kind, `times`, matching, the request log, the admin API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast

import httpx2
import pytest

from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import certificate_pem

LIST = "/client-certificates"


@pytest.fixture
def api(sandbox: RunningSandbox) -> Iterator[httpx2.Client]:
    with new_client(
        base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}",
        headers={"Authorization": f"Bearer {sandbox.token}", "Accept": "application/json"},
    ) as client:
        yield client


def total(api: httpx2.Client) -> int:
    return int(cast(dict[str, Any], api.get(LIST).json())["totalElements"])


def new_cert() -> dict[str, str]:
    return {"name": "faulted", "value": certificate_pem()}


def test_latency_delays_then_proceeds(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("latency", latency_s=0.3))
    started = time.monotonic()
    assert api.get(LIST).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert sandbox.faults.faults == []  # times=1: used up, so the next request is not delayed
    assert api.get(LIST).status_code == 200


@pytest.mark.parametrize(
    ("status", "error"), [(429, "too_many_requests"), (500, "internal_error"), (503, "service_unavailable")]
)
def test_status_fault_answers_without_touching_state(
    api: httpx2.Client, sandbox: RunningSandbox, status: int, error: str
) -> None:
    sandbox.faults.add(Fault("status", method="POST", status=status, retry_after="2"))
    response = api.post(LIST, json=new_cert())
    assert response.status_code == status
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/json"
    payload = cast(dict[str, Any], response.json())
    assert payload["error"] == error
    assert set(payload) == {"error", "message"}
    assert "date" in response.headers
    assert total(api) == 0
    assert api.post(LIST, json=new_cert()).status_code == 201


def test_status_fault_without_retry_after(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("status", status=502))
    response = api.get(LIST)
    assert response.status_code == 502
    assert "retry-after" not in response.headers
    assert cast(dict[str, Any], response.json())["error"] == "bad_gateway"


def test_drop_before_closes_without_response_and_changes_nothing(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("drop_before", method="POST"))
    with pytest.raises(httpx2.TransportError):
        api.post(LIST, json=new_cert())
    assert total(api) == 0
    dropped = [r for r in sandbox.faults.requests if r.method == "POST"]
    assert len(dropped) == 1
    assert dropped[0].status is None
    assert dropped[0].fault == "drop_before"


def test_drop_after_commits_the_write_then_closes(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("drop_after", method="POST"))
    with pytest.raises(httpx2.TransportError):
        api.post(LIST, json=new_cert())
    listed = cast(dict[str, Any], api.get(LIST).json())
    assert listed["totalElements"] == 1  # the unknown-outcome case: the write happened
    assert listed["content"][0]["name"] == "faulted"


def test_drop_is_seen_by_a_raw_socket_as_no_bytes(sandbox: RunningSandbox) -> None:
    import socket

    sandbox.faults.add(Fault("drop_before"))
    host, port = sandbox.root_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET /frontdoor/{sandbox.frontdoor_id}/client-certificates HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        try:
            received = sock.recv(1024)
        except ConnectionResetError:
            received = b""
    assert received == b""  # not even a status line: no 500 from uvicorn


def test_malformed_json(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("malformed_json"))
    response = api.get(LIST)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_truncated_json_is_half_the_real_body(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    api.post(LIST, json=new_cert())
    whole = api.get(LIST).content
    sandbox.faults.add(Fault("truncated_json", method="GET"))
    response = api.get(LIST)
    assert response.status_code == 200
    assert response.content == whole[: len(whole) // 2]
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_html_error_page(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("html_error", status=502))
    response = api.post(LIST, json=new_cert())
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text
    assert "502 Bad Gateway" in response.text
    assert total(api) == 0


def test_clock_offset_shifts_the_date_header(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("clock_offset", clock_offset_s=3600, times=None))
    for _ in range(2):
        response = api.get(LIST)
        assert response.status_code == 200
        skew = (parsedate_to_datetime(response.headers["date"]) - datetime.now(UTC)).total_seconds()
        assert 3590 < skew < 3610
    sandbox.faults.clear()
    skew = (parsedate_to_datetime(api.get(LIST).headers["date"]) - datetime.now(UTC)).total_seconds()
    assert abs(skew) < 10


def test_times_and_until_cleared(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("status", status=503, times=2))
    assert [api.get(LIST).status_code for _ in range(3)] == [503, 503, 200]
    sandbox.faults.add(Fault("status", status=500, times=None))
    assert [api.get(LIST).status_code for _ in range(4)] == [500] * 4
    sandbox.faults.clear()
    assert api.get(LIST).status_code == 200


def test_method_and_path_matching(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("status", method="DELETE", status=500))
    sandbox.faults.add(Fault("status", path_contains="/oauth/token", status=503))
    assert api.get(LIST).status_code == 200
    assert api.post(LIST, json=new_cert()).status_code == 201
    assert api.delete(f"{LIST}/cert-none").status_code == 500
    token = api.post(
        f"{sandbox.token_url}",
        data={"grant_type": "client_credentials"},
        auth=(sandbox.client_id, sandbox.client_secret),
    )
    assert token.status_code == 503


def test_latency_combines_with_an_outcome(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("latency", latency_s=0.2))
    sandbox.faults.add(Fault("status", status=429, retry_after="1"))
    started = time.monotonic()
    assert api.get(LIST).status_code == 429
    assert time.monotonic() - started >= 0.2


def test_request_log_counts_every_request(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault("drop_before", method="DELETE"))
    api.get(LIST)
    api.post(LIST, json=new_cert())
    api.get(f"{LIST}/cert-missing")
    with pytest.raises(httpx2.TransportError):
        api.delete(f"{LIST}/cert-missing")
    api.post(sandbox.token_url, data={"grant_type": "client_credentials"}, auth=("bad", "client"))
    faults = sandbox.faults
    assert faults.count() == 5
    assert faults.count(method="GET") == 2
    assert faults.count(method="get") == 2
    assert faults.count(method="POST") == 2
    assert faults.count(path_contains="/oauth/token") == 1
    assert faults.count(method="DELETE") == 1
    assert [r.status for r in faults.requests] == [200, 201, 404, None, 401]
    faults.clear_requests()
    assert faults.count() == 0


def test_admin_api_drives_faults_over_http(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    admin = {"X-Sandbox-Admin": sandbox.admin_token}
    faults_url = f"{sandbox.root_url}/_sandbox/faults"
    assert api.post(faults_url, json={"kind": "status"}).status_code == 401
    assert api.post(faults_url, json={"kind": "status"}, headers={"X-Sandbox-Admin": "wrong"}).status_code == 401
    bad = api.post(faults_url, json={"kind": "explode"}, headers=admin)
    assert bad.status_code == 400
    assert "kind must be one of" in cast(dict[str, Any], bad.json())["message"]
    assert api.post(faults_url, json={"kind": "status", "colour": 1}, headers=admin).status_code == 400
    assert api.post(faults_url, json={"kind": "status", "times": 0}, headers=admin).status_code == 400

    added = api.post(
        faults_url, json={"kind": "status", "status": 429, "retry_after": "7", "times": None}, headers=admin
    )
    assert added.status_code == 201
    assert cast(dict[str, Any], added.json())["fault"]["status"] == 429
    listed = cast(dict[str, Any], api.get(faults_url, headers=admin).json())
    assert len(listed["faults"]) == 1
    assert api.get(LIST).headers["retry-after"] == "7"
    assert api.get(LIST).status_code == 429  # times=None: until cleared, and admin calls are never faulted
    assert api.delete(faults_url, headers=admin).status_code == 204
    assert api.get(LIST).status_code == 200

    log = cast(dict[str, Any], api.get(f"{sandbox.root_url}/_sandbox/requests", headers=admin).json())
    assert [(r["method"], r["status"], r["fault"]) for r in log["requests"]] == [
        ("GET", 429, "status"),
        ("GET", 429, "status"),
        ("GET", 200, None),
    ]  # the control plane is not logged
    assert api.delete(f"{sandbox.root_url}/_sandbox/requests", headers=admin).status_code == 204
    assert sandbox.faults.count() == 0


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="times"):
        Fault("status", times=0)
    with pytest.raises(ValueError, match="status"):
        Fault("status", status=99)
    with pytest.raises(ValueError, match="kind"):
        Fault.from_json({"kind": "nope"})
    with pytest.raises(ValueError, match="latency_s"):
        Fault.from_json({"kind": "latency", "latency_s": "slow"})
    assert Fault.from_json({"kind": "latency", "latency_s": 1, "times": None}) == Fault(
        "latency", latency_s=1.0, times=None
    )

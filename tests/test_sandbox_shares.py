"""Shares and the frontdoor resource over real HTTP: shapes, states on the sandbox clock, validation, ingress
port conflicts, lookup by id or zId, the envZId filter, soft delete, and certificates deleted under a share."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx2
import pytest

from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.clocks import ManualClock
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import certificate_pem

Json = dict[str, Any]
SHARES = "/shares"
SHARE_ID = re.compile(r"^shr-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
Z_ID = re.compile(r"^[0-9A-Za-z]{22}$")
TCP = {"name": "postgres", "type": "tcp", "envZId": "ijcrWb-ZOq", "target": "tcp://db.internal.local:5432"}


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def shared(clock: ManualClock) -> Iterator[RunningSandbox]:
    with start_sandbox(clock=clock, share_provisioning_s=2.0) as running:
        yield running


@pytest.fixture
def api(shared: RunningSandbox) -> Iterator[httpx2.Client]:
    """A client on a fresh frontdoor of the module's sandbox (its token may use it)."""
    frontdoor_id = str(uuid.uuid4())
    shared.add_token([frontdoor_id], token=shared.token)
    with new_client(
        base_url=f"{shared.base_url}/{frontdoor_id}",
        headers={"Authorization": f"Bearer {shared.token}", "Accept": "application/json"},
    ) as client:
        yield client


def body(response: httpx2.Response) -> Json:
    return cast(Json, response.json())


def url(api: httpx2.Client, path: str) -> str:
    return str(api.base_url).rstrip("/") + path


def create(api: httpx2.Client, **fields: Any) -> Json:
    response = api.post(SHARES, json={**TCP, "ingressPort": 2100, **fields})
    assert response.status_code == 201, response.text
    return body(response)


def test_a_tcp_share_is_provisioning_then_active(
    api: httpx2.Client, shared: RunningSandbox, clock: ManualClock
) -> None:
    cert = body(api.post("/client-certificates", json={"name": "client", "value": certificate_pem()}))
    response = api.post(
        SHARES,
        json={
            **TCP,
            "ingressPort": 2101,
            "clientCertificateId": cert["id"],
            "allowedSubjects": ["CN=service-account-1,O=MyCompany"],
            "allowedCommonNamePrefixes": ["service-account-", "frontdoor-access-"],
            "requiredOrganizationalUnit": "Engineering",
            "unknownField": True,
        },
    )
    assert response.status_code == 201
    share = body(response)
    assert response.headers["location"] == url(api, f"{SHARES}/{share['id']}")
    assert SHARE_ID.match(share["id"])
    assert Z_ID.match(share["zId"])
    assert share == {
        "id": share["id"],
        "zId": share["zId"],
        "frontdoorId": cert["frontdoorId"],
        "name": "postgres",
        "type": "tcp",
        "state": "PROVISIONING",
        "envZId": "ijcrWb-ZOq",
        "shareMode": "public",
        "backendMode": "tcpTunnel",
        "target": "tcp://db.internal.local:5432",
        "ingressPort": 2101,
        "clientCertificateId": cert["id"],
        "allowedSubjects": ["CN=service-account-1,O=MyCompany"],
        "allowedCommonNamePrefixes": ["service-account-", "frontdoor-access-"],
        "requiredOrganizationalUnit": "Engineering",
        "ingressAddress": share["ingressAddress"],  # the sandbox's tests move ingress ports to free ones
        "createdAt": share["createdAt"],
        "createdBy": shared.username,
    }
    assert re.fullmatch(r"127\.0\.0\.1:\d+", share["ingressAddress"])
    clock.now += 1.9
    assert body(api.get(f"{SHARES}/{share['id']}"))["state"] == "PROVISIONING"
    clock.now += 0.2
    assert body(api.get(f"{SHARES}/{share['id']}"))["state"] == "ACTIVE"


def test_an_http_share_and_null_fields(api: httpx2.Client) -> None:
    share = body(
        api.post(
            SHARES, json={"name": "web1", "type": "http", "envZId": "env", "target": "https://app.internal:8443/x"}
        )
    )
    assert share["backendMode"] == "proxy"
    absent = {"ingressPort", "clientCertificateId", "allowedSubjects", "allowedCommonNamePrefixes"}
    assert not absent & set(share)  # Jackson NON_NULL: nulls are left out
    assert "requiredOrganizationalUnit" not in share


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": None}, "name is required"),
        ({"name": "9lives"}, "name must start with a letter and hold only letters and digits (1-63 characters)"),
        ({"name": "with-dash"}, "name must start with a letter and hold only letters and digits (1-63 characters)"),
        ({"name": "a" * 64}, "name must start with a letter and hold only letters and digits (1-63 characters)"),
        ({"type": None}, "type is required"),
        ({"type": "udp"}, "Value for type must be of enum [tcp, http]"),
        ({"envZId": None}, "envZId is required"),
        ({"envZId": " "}, "envZId must not be blank"),
        ({"target": None}, "target is required"),
        ({"target": "db.internal"}, "target must be host:port or tcp://host:port for a tcp share"),
        ({"target": "http://db:5432"}, "target must be host:port or tcp://host:port for a tcp share"),
        ({"target": "db:99999"}, "target must be host:port or tcp://host:port for a tcp share"),
        ({"target": "tcp://db:5432/path"}, "target must be host:port or tcp://host:port for a tcp share"),
        ({"ingressPort": None}, "ingressPort is required for a tcp share"),
        ({"ingressPort": 2099}, "ingressPort must be between 2100 and 2199"),
        ({"ingressPort": 2200}, "ingressPort must be between 2100 and 2199"),
        ({"ingressPort": "2100"}, "Value for ingressPort must be of integer"),
        ({"clientCertificateId": 5}, "Value for clientCertificateId must be of string"),
        ({"clientCertificateId": "cert-missing"}, "Client certificate cert-missing not found"),
        ({"allowedSubjects": "CN=a"}, "Value for allowedSubjects must be of array"),
        (
            {"allowedSubjects": ["CN=ok", "not a name", "CN=ok2", "XX=unknown"]},
            "allowedSubjects entries 2, 4 are not distinguished names (RFC 4514)",
        ),
        ({"allowedCommonNamePrefixes": ["a", 1]}, "Value for allowedCommonNamePrefixes must be of array of string"),
        ({"requiredOrganizationalUnit": "u" * 65}, "requiredOrganizationalUnit size must be between 0 and 64"),
        ({"type": "http", "target": "ftp://x"}, "target must be an http:// or https:// URL for an http share"),
        ({"type": "http", "target": "https://app"}, "ingressPort is only for tcp shares"),
    ],
)
def test_create_rejects_bad_bodies(api: httpx2.Client, change: Json, message: str) -> None:
    response = api.post(SHARES, json={**TCP, "ingressPort": 2100, **change})
    assert response.status_code == 400
    assert body(response) == {"error": "invalid_request", "message": message}


def test_allowed_subjects_are_read_without_x520_length_bounds(api: httpx2.Client) -> None:
    """A CN past 64 characters, or a three-letter C, is still a distinguished name (a certificate may carry
    one); what is not a name is refused."""
    subjects = [f"CN={'c' * 100}", "C=USA", "CN=a= b"]
    assert create(api, allowedSubjects=subjects)["allowedSubjects"] == subjects
    refused = api.post(SHARES, json={**TCP, "ingressPort": 2100, "allowedSubjects": ["C=USA", "not a dn"]})
    assert refused.status_code == 400
    assert body(refused)["message"] == "allowedSubjects entries 2 are not distinguished names (RFC 4514)"


def test_targets_that_are_accepted(api: httpx2.Client) -> None:
    for port, target in enumerate(("db.internal:5432", "tcp://10.0.0.7:22", "[::1]:5432"), start=2110):
        assert create(api, ingressPort=port, target=target)["target"] == target


def test_an_ingress_port_is_held_by_one_live_share(api: httpx2.Client, shared: RunningSandbox) -> None:
    first = create(api, ingressPort=2150)
    taken = api.post(SHARES, json={**TCP, "name": "second", "ingressPort": 2150})
    assert taken.status_code == 409
    assert body(taken) == {
        "error": "conflict",
        "message": "Ingress port 2150 is already used by another share of this frontdoor",
    }
    assert body(api.delete(f"{SHARES}/{first['id']}"))["id"] == first["id"]
    assert create(api, name="second", ingressPort=2150)["ingressPort"] == 2150  # free again after the delete
    assert shared.add_share("elsewhere", ingress_port=2150).ingress_port == 2150  # per frontdoor


def test_get_by_id_or_zid_and_404(api: httpx2.Client, shared: RunningSandbox) -> None:
    share = create(api)
    assert body(api.get(f"{SHARES}/{share['id']}")) == body(api.get(f"{SHARES}/{share['zId']}"))
    missing = api.get(f"{SHARES}/shr-1")
    assert missing.status_code == 404
    assert body(missing) == {"error": "not_found", "message": "Share shr-1 not found"}
    theirs = shared.add_share("theirs")  # the sandbox's default frontdoor
    assert api.get(f"{SHARES}/{theirs.id}").status_code == 404


def test_list_filters_by_environment_and_sorts(api: httpx2.Client) -> None:
    for port, (name, env) in enumerate((("delta", "envA"), ("alpha", "envB"), ("charlie", "envA")), start=2120):
        create(api, name=name, envZId=env, ingressPort=port)

    def names(**params: Any) -> list[str]:
        return [s["name"] for s in body(api.get(SHARES, params=params))["content"]]

    assert names() == ["delta", "alpha", "charlie"]
    assert names(sort="name,asc") == ["alpha", "charlie", "delta"]
    assert names(envZId="envA") == ["delta", "charlie"]
    assert names(envZId="nope") == []
    page = body(api.get(SHARES, params={"envZId": "envA", "size": 1}, headers={"Accept": "application/hal+json"}))
    assert [s["name"] for s in page["_embedded"]["shares"]] == ["delta"]
    assert page["_links"]["next"]["href"] == url(api, f"{SHARES}?envZId=envA&page=1&size=1&sort=createdAt,asc")
    assert page["page"]["totalElements"] == 2
    bad = api.get(SHARES, params={"sort": "target"})
    assert body(bad) == {"error": "invalid_request", "message": "No property 'target' found for type 'Share'"}


def test_delete_is_soft(api: httpx2.Client, shared: RunningSandbox) -> None:
    share = create(api)
    deleted = api.delete(f"{SHARES}/{share['zId']}")  # by zId, like a get
    assert deleted.status_code == 200
    payload = body(deleted)
    assert set(payload) == {"id", "name", "frontdoorId", "deletedAt", "deletedBy"}
    assert (payload["id"], payload["deletedBy"]) == (share["id"], shared.username)
    assert api.get(f"{SHARES}/{share['id']}").status_code == 404
    assert api.delete(f"{SHARES}/{share['id']}").status_code == 404
    assert api.patch(f"{SHARES}/{share['id']}", json={}).status_code == 405  # shares are not updated here
    assert body(api.get(SHARES))["totalElements"] == 0


def test_a_deleted_certificate_leaves_its_shares_dangling(api: httpx2.Client) -> None:
    cert = body(api.post("/client-certificates", json={"name": "pinned", "value": certificate_pem()}))
    share = create(api, clientCertificateId=cert["id"])
    assert api.delete(f"/client-certificates/{cert['id']}").status_code == 200
    assert body(api.get(f"{SHARES}/{share['id']}"))["clientCertificateId"] == cert["id"]
    refused = api.post(SHARES, json={**TCP, "ingressPort": 2199, "clientCertificateId": cert["id"]})
    assert body(refused)["message"] == f"Client certificate {cert['id']} not found"


def test_provisioning_delay_can_be_zero() -> None:
    with start_sandbox(share_provisioning_s=0) as sandbox:
        assert sandbox.add_share().ingress_port == 2100
        with new_client(headers={"Authorization": f"Bearer {sandbox.token}"}) as client:
            listed = client.get(f"{sandbox.base_url}/{sandbox.frontdoor_id}/shares").json()
        assert [s["state"] for s in listed["content"]] == ["ACTIVE"]
        assert sandbox.add_share("next").ingress_port == 2101  # test support picks the lowest free port
        with pytest.raises(ValueError, match="ingressPort must be between"):
            sandbox.add_share("bad", ingress_port=80)


# the frontdoor ----------------------------------------------------------------------------------------------


def test_the_frontdoor_resource(shared: RunningSandbox) -> None:
    with new_client(headers={"Authorization": f"Bearer {shared.token}"}) as client:
        frontdoor_url = f"{shared.base_url}/{shared.frontdoor_id}"
        plain = body(client.get(frontdoor_url))
        assert set(plain) == {"id", "name", "organizationId", "createdAt", "createdBy", "updatedAt", "updatedBy"}
        assert plain["id"] == shared.frontdoor_id
        assert (plain["createdBy"], plain["updatedAt"]) == (shared.username, plain["createdAt"])
        uuid.UUID(plain["organizationId"])
        hal = body(client.get(frontdoor_url, headers={"Accept": "application/hal+json"}))
        assert hal["_links"] == {
            "self": {"href": frontdoor_url},
            "shares": {"href": f"{frontdoor_url}/shares{{?envZId}}", "templated": True},
            "clientCertificates": {"href": f"{frontdoor_url}/client-certificates"},
            "certificateRequestTokens": {"href": f"{frontdoor_url}/certificate-request-tokens"},
        }
        other = shared.add_frontdoor()
        forbidden = client.get(f"{shared.base_url}/{other}")
        assert forbidden.status_code == 403
        assert body(forbidden) == {"error": "not_found", "message": f"Frontdoor {other} not found"}
        assert client.get(f"{shared.base_url}/{other}/shares").status_code == 403
    with new_client() as anonymous:
        assert anonymous.get(frontdoor_url).status_code == 401


def test_the_frontdoor_keeps_its_name_and_organization(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    seen: list[Json] = []
    for _ in range(2):
        with (
            start_sandbox(db_path=db) as sandbox,
            new_client(headers={"Authorization": f"Bearer {sandbox.token}"}) as c,
        ):
            seen.append(body(c.get(f"{sandbox.base_url}/{sandbox.frontdoor_id}")))
    assert seen[0] == seen[1]

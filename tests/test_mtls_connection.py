"""`test_mtls_connection` through MCP, and the sandbox's data plane it connects to: every stage a connection can
stop at, told apart (TCP; the server's certificate; the client's refused in the handshake, or after it, by the
chain or by a filter), proxying to a loopback target, shares that stop listening when deleted, ingress ports
taken on this machine, the access log; and the key, read to connect, never repeated."""

from __future__ import annotations

import dataclasses
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.sandbox.shares.ingress import _loopback_target  # pyright: ignore[reportPrivateUsage]
from frontdoor_mcp.server import build_server
from frontdoor_mcp.tools.connection import ConnectionTest
from tests.mtls import Holder, LoopbackServer, certificate, client_ca, cn, key_usage, long_cn
from tests.support import (
    CANARY_TOKEN,
    Sleeps,
    connect,
    json_response,
    mock_settings,
    ok,
    pem_body_lines,
    sandbox_settings,
    text_of,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def plane() -> Iterator[RunningSandbox]:
    with start_sandbox(token=CANARY_TOKEN, share_provisioning_s=0.0) as running:
        yield running


@pytest.fixture(scope="module")
def ca() -> Holder:
    return client_ca()


@pytest.fixture(scope="module")
def trusted_id(plane: RunningSandbox, ca: Holder) -> str:
    return plane.store.insert_certificate(plane.frontdoor_id, "client-ca", ca.pem, "tester").id


def _settings(sandbox: RunningSandbox, folder: Path) -> Any:
    return dataclasses.replace(sandbox_settings(sandbox, folder), sandbox_ca_pem=sandbox.ca_certificate_pem)


async def _test(sandbox: RunningSandbox, folder: Path, era: str, **arguments: Any) -> tuple[dict[str, Any], str]:
    async with connect(build_server(_settings(sandbox, folder)), era) as client:
        result = await client.call_tool("test_mtls_connection", arguments)
    return ok(result), text_of(result)


def _client(folder: Path, holder: Holder, stem: str = "client") -> dict[str, str]:
    certificate_path, key_path = holder.files(folder, stem)
    return {"certificate_path": certificate_path, "key_path": key_path}


async def test_a_client_the_share_trusts_gets_through_and_the_echo_names_it(
    plane: RunningSandbox, ca: Holder, trusted_id: str, tmp_path: Path, era: str
) -> None:
    share = plane.add_share("echoed", client_certificate_id=trusted_id, allowed_common_name_prefixes=["svc-"])
    client = certificate(cn("svc-echo"), issuer=ca)
    tested, text = await _test(plane, tmp_path, era, share_id=share.id, **_client(tmp_path, client))
    assert tested["connected"] is True and tested["stage"] == "connected"
    assert tested["first_line"] == "frontdoor-mcp sandbox share echoed: admitted CN=svc-echo"
    assert tested["tls_version"] == "TLSv1.3" and tested["check_verdict"] == "admit" and tested["agreement"] == "agrees"
    assert tested["server_certificate"]["subject"] == "CN=localhost"
    assert "Connected to share" in text and "predicts ADMIT: agrees" in text and "export_client_credential" in text
    assert plane.data_plane.log[-1].outcome == "admitted" and plane.data_plane.log[-1].subject == "CN=svc-echo"


@pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning")  # reading the long CN: see long_cn
async def test_a_cn_longer_than_x520s_bound_is_admitted_by_an_allowed_subject_naming_it(
    plane: RunningSandbox, ca: Holder, trusted_id: str, tmp_path: Path, era: str
) -> None:
    long_name = "svc-" + "l" * 96
    share = plane.add_share(
        "longSubject", client_certificate_id=trusted_id, allowed_subjects=[f"CN={long_name}", "C=USA"]
    )
    client = certificate(long_cn(long_name), issuer=ca)
    tested, _ = await _test(plane, tmp_path, era, share_id=share.id, **_client(tmp_path, client, "long"))
    assert tested["connected"] is True and tested["stage"] == "connected"
    assert tested["first_line"] == f"frontdoor-mcp sandbox share longSubject: admitted CN={long_name}"
    assert plane.data_plane.log[-1].outcome == "admitted" and plane.data_plane.log[-1].subject == f"CN={long_name}"


async def test_refusals_are_told_apart_by_where_they_happen(
    plane: RunningSandbox, ca: Holder, trusted_id: str, tmp_path: Path, era: str
) -> None:
    share = plane.add_share("refusing", client_certificate_id=trusted_id, required_organizational_unit="payments")
    stranger = certificate(cn("svc-1"), issuer=client_ca("Stranger CA"))
    by_chain, text = await _test(plane, tmp_path, era, share_id=share.id, **_client(tmp_path, stranger, "stranger"))
    # TLS 1.3: the server's handshake refusal reaches the client on its first read, and is named for what it is
    assert by_chain["connected"] is False and by_chain["stage"] == "handshake"
    assert by_chain["alert"] is not None and "unknown CA" in by_chain["alert"]
    assert "in its handshake" in by_chain["detail"] and "first read" in by_chain["detail"]
    assert plane.data_plane.log[-1].rule == "chain" and "predicts REFUSE: agrees" in text

    no_ou = certificate(cn("svc-1"), issuer=ca)
    by_filter, text = await _test(plane, tmp_path, era, share_id=share.id, **_client(tmp_path, no_ou, "no-ou"))
    assert (
        by_filter["connected"] is False and by_filter["stage"] == "after_handshake" and by_filter.get("alert") is None
    )
    assert "closed the connection just after the handshake" in by_filter["detail"]
    assert plane.data_plane.log[-1].rule == "requiredOrganizationalUnit"
    assert by_filter["agreement"] == "agrees"


async def test_a_server_that_refuses_in_the_handshake(tmp_path: Path, era: str, plane: RunningSandbox) -> None:
    """A TLS 1.2 server checks the client's certificate before the handshake ends: the refusal is the
    handshake's."""
    ca = client_ca("Server-side CA")
    server_certificate = certificate(cn("localhost"), issuer=ca, usage="server")
    server_files = server_certificate.files(tmp_path, "server")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(*server_files)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=ca.pem)
    with _tls_server(context) as port:
        (tmp_path / "ca.pem").write_text(ca.pem)
        stranger = certificate(cn("me"), issuer=client_ca("Unknown"))
        tested, _ = await _test(
            plane,
            tmp_path,
            era,
            address=f"127.0.0.1:{port}",
            server_name="localhost",
            ca_path=str(tmp_path / "ca.pem"),
            **_client(tmp_path, stranger),
        )
    assert tested["stage"] == "handshake" and tested["connected"] is False
    assert tested.get("alert") is not None and "tls_version" not in tested and "check_verdict" not in tested


async def test_a_certificate_file_with_its_intermediate_is_presented_whole(
    plane: RunningSandbox, ca: Holder, trusted_id: str, tmp_path: Path, era: str
) -> None:
    """The usual root, intermediate, client: the client's file holds its certificate and then the intermediate,
    and both the connection and the check follow the path to the share's certificate. Without the intermediate,
    neither finds one."""
    share = plane.add_share("viaIntermediate", client_certificate_id=trusted_id)
    intermediate = certificate(
        cn("Team Intermediate"),
        issuer=ca,
        ca=True,
        usage=None,
        key_usage_value=key_usage(digital_signature=False, cert_sign=True),
    )
    holder = certificate(cn("svc-7"), issuer=intermediate)
    alone = _client(tmp_path, holder, "alone")
    chained = _client(tmp_path, holder, "chained")
    Path(chained["certificate_path"]).write_text(holder.pem + intermediate.pem)
    through, text = await _test(plane, tmp_path, era, share_id=share.id, **chained)
    assert through["connected"] is True and through["check_verdict"] == "admit" and through["agreement"] == "agrees"
    assert "svc-7" in text
    refused, _ = await _test(plane, tmp_path, era, share_id=share.id, **alone)
    assert refused["connected"] is False and refused["check_verdict"] == "refuse" and refused["agreement"] == "agrees"


async def test_a_handshake_that_fails_for_another_reason_is_not_compared_with_the_check(
    plane: RunningSandbox, ca: Holder, trusted_id: str, tmp_path: Path, era: str
) -> None:
    """A server that does not speak TLS says nothing about the client's certificate: no "disagrees", no advice
    to look for the rule that refused it."""
    share = plane.add_share("notTls", client_certificate_id=trusted_id)
    with _greeting(b"HTTP/1.0 400 Bad Request\r\n\r\n") as port:
        tested, text = await _test(
            plane,
            tmp_path,
            era,
            share_id=share.id,
            address=f"127.0.0.1:{port}",
            **_client(tmp_path, certificate(cn("svc-1"), issuer=ca)),
        )
    assert tested["stage"] == "handshake" and tested["connected"] is False
    assert tested["check_verdict"] == "admit" and tested["agreement"] == "not_comparable"
    assert "DISAGREES" not in text and "which rule refuses it" not in text and "cannot be compared" in text


async def test_tcp_and_the_server_certificate_are_stages_of_their_own(
    plane: RunningSandbox, ca: Holder, trusted_id: str, tmp_path: Path, era: str
) -> None:
    client = _client(tmp_path, certificate(cn("svc-1"), issuer=ca))
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    refused, text = await _test(plane, tmp_path, era, address=f"127.0.0.1:{closed_port}", **client)
    assert refused["stage"] == "tcp" and refused["connected"] is False and "no TCP connection" in text

    share = plane.add_share("verified", client_certificate_id=trusted_id)
    (tmp_path / "other-ca.pem").write_text(client_ca("Not the sandbox").pem)
    unverified, _ = await _test(
        plane, tmp_path, era, share_id=share.id, ca_path=str(tmp_path / "other-ca.pem"), **client
    )
    assert unverified["stage"] == "server_certificate" and unverified["agreement"] == "not_comparable"


async def test_an_admitted_client_reaches_a_loopback_target_that_answers(
    plane: RunningSandbox, ca: Holder, trusted_id: str, tmp_path: Path
) -> None:
    with _greeting(b"hello from the target\n") as port:
        share = plane.add_share("proxied", client_certificate_id=trusted_id, target=f"tcp://127.0.0.1:{port}")
        tested, _ = await _test(
            plane, tmp_path, "legacy", share_id=share.id, **_client(tmp_path, certificate(cn("svc-1"), issuer=ca))
        )
    assert tested["first_line"] == "hello from the target"
    assert plane.data_plane.log[-1].reason == f"proxied to 127.0.0.1:{port}"


def test_the_data_plane_never_contacts_anything_but_loopback() -> None:
    assert _loopback_target("tcp://127.0.0.5:5432") == ("127.0.0.5", 5432)
    assert _loopback_target("localhost:80") == ("127.0.0.1", 80)
    assert _loopback_target("tcp://[::1]:5432") == ("::1", 5432)
    for elsewhere in ("tcp://db.internal.local:5432", "10.0.0.1:5432", "192.168.1.1:22", "8.8.8.8:53", "nope"):
        assert _loopback_target(elsewhere) is None, elsewhere


async def test_a_deleted_share_stops_listening_and_the_log_says_who_came(
    plane: RunningSandbox, ca: Holder, trusted_id: str, tmp_path: Path
) -> None:
    share = plane.add_share("shortLived", client_certificate_id=trusted_id)
    address = plane.data_plane.address(share.id)
    assert address is not None
    client = _client(tmp_path, certificate(cn("svc-1"), issuer=ca))
    await _test(plane, tmp_path, "legacy", share_id=share.id, **client)
    api = httpx2.Client(base_url=plane.root_url, headers={"Authorization": f"Bearer {plane.token}"})
    log = api.get("/_sandbox/connections", headers={"X-Sandbox-Admin": plane.admin_token}).json()["connections"]
    assert log[-1]["share_id"] == share.id and log[-1]["outcome"] == "admitted"
    assert api.delete(f"/frontdoor/{plane.frontdoor_id}/shares/{share.id}").status_code == 200
    gone, _ = await _test(plane, tmp_path, "legacy", address=address, **client)
    assert gone["stage"] == "tcp"


def test_a_fixed_ingress_port_taken_on_this_machine_is_a_conflict(ca: Holder) -> None:
    with start_sandbox(ingress_ports="fixed") as fixed, _free_ingress_port() as (held, free):
        api = httpx2.Client(
            base_url=f"{fixed.base_url}/{fixed.frontdoor_id}", headers={"Authorization": f"Bearer {fixed.token}"}
        )
        body = {"name": "fixed", "type": "tcp", "envZId": "e", "target": "db:5432"}
        taken = api.post("/shares", json=body | {"ingressPort": held})
        assert taken.status_code == 409 and "in use on this machine" in taken.json()["message"]
        listening = api.post("/shares", json=body | {"ingressPort": free})
        assert listening.status_code == 201 and "ingressAddress" not in listening.json()
        assert fixed.data_plane.address(listening.json()["id"]) == f"127.0.0.1:{free}"


async def test_the_key_must_be_the_certificates_and_is_never_repeated(
    plane: RunningSandbox, ca: Holder, trusted_id: str, tmp_path: Path
) -> None:
    share = plane.add_share("keyed", client_certificate_id=trusted_id)
    mine, theirs = certificate(cn("svc-1"), issuer=ca), certificate(cn("svc-2"), issuer=ca)
    certificate_path, _ = mine.files(tmp_path, "mine")
    _, other_key = theirs.files(tmp_path, "theirs")
    plane.data_plane.log.clear()
    async with connect(build_server(_settings(plane, tmp_path)), "legacy") as client:
        refused = await client.call_tool(
            "test_mtls_connection", {"certificate_path": certificate_path, "key_path": other_key, "share_id": share.id}
        )
        connected = await client.call_tool(
            "test_mtls_connection", {**_client(tmp_path, mine, "again"), "share_id": share.id}
        )
    assert refused.is_error and "not this certificate's key" in text_of(refused) and len(plane.data_plane.log) == 1
    said = text_of(refused) + text_of(connected) + str(connected.structured_content)
    assert not [line for line in pem_body_lines(mine.key_pem + theirs.key_pem) if line in said]


async def test_a_share_whose_host_is_unknown_needs_an_address(tmp_path: Path) -> None:
    """Outside the sandbox the API gives an ingress port, not a host."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        return json_response(200, {"id": "shr-1", "name": "remote", "type": "tcp", "ingressPort": 2105})

    ca = client_ca()
    server = build_server(mock_settings(tmp_path), transport=httpx2.MockTransport(answer), sleep=Sleeps())
    async with connect(server, "legacy") as client:
        result = await client.call_tool(
            "test_mtls_connection", {**_client(tmp_path, certificate(cn("x"), issuer=ca)), "share_id": "shr-1"}
        )
    assert result.is_error and "give address as <host>:2105" in text_of(result)


def test_the_result_model_names_every_stage() -> None:
    stages = ConnectionTest.model_json_schema()["properties"]["stage"]["enum"]
    assert stages == ["tcp", "server_certificate", "handshake", "after_handshake", "connected"]


# Helpers -------------------------------------------------------------------------------------------------


def _greeting(greeting: bytes) -> LoopbackServer:
    """A plain TCP server that greets its connection, then closes it."""
    return LoopbackServer(lambda connection: connection.sendall(greeting))


def _tls_server(context: ssl.SSLContext) -> LoopbackServer:
    """A TLS server that says hi to a client it accepts."""

    def serve(connection: socket.socket) -> None:
        with context.wrap_socket(connection, server_side=True) as tls:
            tls.sendall(b"hi\n")

    return LoopbackServer(serve)


class _free_ingress_port:
    """Two free ports of the ingress range: one held by this test (another program, as far as the sandbox can
    tell), one left free."""

    def __init__(self) -> None:
        self._held = socket.socket()
        self._ports: list[int] = []

    def __enter__(self) -> tuple[int, int]:
        for port in range(2100, 2200):
            probe = socket.socket()
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            finally:
                probe.close()
            self._ports.append(port)
            if len(self._ports) == 2:
                break
        assert len(self._ports) == 2, "no two free ports in 2100-2199 on this machine"
        self._held.bind(("127.0.0.1", self._ports[0]))
        self._held.listen(1)
        return self._ports[0], self._ports[1]

    def __exit__(self, *_: object) -> None:
        self._held.close()

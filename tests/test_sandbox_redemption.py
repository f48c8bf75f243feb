"""Redeeming a certificate request token: no credentials, the order of checks, single use under concurrency,
expiry on the sandbox clock, the issued certificate's subject and profile, and the token never echoed."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frontdoor_mcp.sandbox.request_tokens.store import RedemptionRefused
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.clocks import ManualClock
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import certificate_pem, csr_pem, new_key, pem_of, tampered_csr_pem

Json = dict[str, Any]
DETAIL_KEYS = {"id", "name", "frontdoorId", "createdAt", "createdBy", "value"}
NOT_FOUND = {"error": "not_found", "message": "Certificate request token not found"}
USED = {"error": "conflict", "message": "Certificate request token has already been used"}
EXPIRED = {"error": "gone", "message": "Certificate request token has expired"}


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def shared(clock: ManualClock) -> Iterator[RunningSandbox]:
    with start_sandbox(clock=clock) as running:
        yield running


@pytest.fixture
def lane(shared: RunningSandbox) -> RunningSandbox:
    """The module's sandbox, on a fresh frontdoor its token may use."""
    frontdoor_id = str(uuid.uuid4())
    shared.add_token([frontdoor_id], token=shared.token)
    return dataclasses.replace(shared, frontdoor_id=frontdoor_id)


@pytest.fixture
def anonymous(lane: RunningSandbox) -> Iterator[httpx2.Client]:
    """No credentials at all: what a redeemer has."""
    with new_client(base_url=f"{lane.base_url}/{lane.frontdoor_id}") as client:
        yield client


def body(response: httpx2.Response) -> Json:
    return cast(Json, response.json())


def redeem(client: httpx2.Client, token: str, csr: str | None = None, **extra: Any) -> httpx2.Response:
    return client.post(f"/client-certificates/token/{token}", json={"type": "CSR", "value": csr or csr_pem(), **extra})


def rich_csr() -> x509.CertificateSigningRequest:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "California"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Irvine"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Requested Org"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "first-ou"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "second-ou"),
            x509.NameAttribute(NameOID.COMMON_NAME, "requested.example.com"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ops@example.com"),
        ]
    )
    san = x509.SubjectAlternativeName([x509.DNSName("requested.example.com"), x509.DNSName("alt.example.com")])
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .add_extension(san, critical=False)
        .sign(new_key(), hashes.SHA256())
    )


def subject_of(pem: str) -> list[tuple[str, str]]:
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return [(a.oid.dotted_string, str(a.value)) for a in certificate.subject]


def oid(name: x509.ObjectIdentifier) -> str:
    return name.dotted_string


def test_redemption_issues_the_certificate_the_token_describes(lane: RunningSandbox, anonymous: httpx2.Client) -> None:
    token = lane.add_request_token(
        "api-service-cert",
        common_name="api.example.com",
        organization="Example Corp",
        organizational_unit="API Services",
        valid_years=2,
    )
    response = redeem(anonymous, token.token, pem_of(rich_csr()))
    assert response.status_code == 201
    issued = body(response)
    assert set(issued) == DETAIL_KEYS  # the PEM included: the redeemer cannot GET it afterwards
    assert (issued["name"], issued["createdBy"], issued["frontdoorId"]) == (
        token.name,
        token.created_by,
        lane.frontdoor_id,
    )
    assert response.headers["location"] == f"{lane.base_url}/{lane.frontdoor_id}/client-certificates/{issued['id']}"

    # The token's fields win in place (the CSR's two OUs become the token's one); C, ST, L, email and SANs stay.
    assert subject_of(issued["value"]) == [
        (oid(NameOID.COUNTRY_NAME), "US"),
        (oid(NameOID.STATE_OR_PROVINCE_NAME), "California"),
        (oid(NameOID.LOCALITY_NAME), "Irvine"),
        (oid(NameOID.ORGANIZATION_NAME), "Example Corp"),
        (oid(NameOID.ORGANIZATIONAL_UNIT_NAME), "API Services"),
        (oid(NameOID.COMMON_NAME), "api.example.com"),
        (oid(NameOID.EMAIL_ADDRESS), "ops@example.com"),
    ]
    certificate = x509.load_pem_x509_certificate(issued["value"].encode())
    certificate.verify_directly_issued_by(x509.load_pem_x509_certificate(lane.ca_certificate_pem.encode()))
    assert certificate.issuer.rfc4514_string() == "CN=NetFoundry,O=NetFoundry,L=Charlotte,ST=NC,C=US"
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == timedelta(days=2 * 365)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (usage.digital_signature, usage.key_cert_sign, usage.crl_sign, usage.key_encipherment) == (
        True,
        True,
        True,
        False,
    )
    eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["requested.example.com", "alt.example.com"]

    with new_client(headers={"Authorization": f"Bearer {lane.token}"}) as admin:
        listed = admin.get(f"{lane.base_url}/{lane.frontdoor_id}/client-certificates").json()
        assert [c["id"] for c in listed["content"]] == [issued["id"]]
        stored = admin.get(f"{lane.base_url}/{lane.frontdoor_id}/client-certificates/{issued['id']}").json()
        assert stored == issued


def test_blank_token_fields_come_from_the_csr_and_missing_ones_are_added(
    lane: RunningSandbox, anonymous: httpx2.Client
) -> None:
    only_ou = lane.add_request_token("ou-only", organizational_unit="Locked Unit")
    requested = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mine.example.com")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(requested).sign(new_key(), hashes.SHA256())
    issued = body(redeem(anonymous, only_ou.token, pem_of(csr)))
    assert subject_of(issued["value"]) == [
        (oid(NameOID.ORGANIZATIONAL_UNIT_NAME), "Locked Unit"),  # added, before the CN
        (oid(NameOID.COMMON_NAME), "mine.example.com"),  # blank on the token: the redeemer's
    ]
    certificate = x509.load_pem_x509_certificate(issued["value"].encode())
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == timedelta(days=365)

    blank = lane.add_request_token("all-blank")
    assert subject_of(body(redeem(anonymous, blank.token, pem_of(csr)))["value"]) == [
        (oid(NameOID.COMMON_NAME), "mine.example.com")
    ]


def test_no_credentials_needed_and_any_given_are_ignored(lane: RunningSandbox, anonymous: httpx2.Client) -> None:
    assert redeem(anonymous, lane.add_request_token("a").token).status_code == 201
    for header in ("Bearer not-a-real-token", "Basic !!!", "garbage"):
        token = lane.add_request_token("b").token
        response = anonymous.post(
            f"/client-certificates/token/{token}",
            json={"value": csr_pem()},  # type may be absent
            headers={"Authorization": header},
        )
        assert response.status_code == 201, header


def test_token_checks_in_order(lane: RunningSandbox, anonymous: httpx2.Client, clock: ManualClock) -> None:
    used = lane.add_request_token("used")
    assert redeem(anonymous, used.token).status_code == 201
    expired = lane.add_request_token("expired", lifetime_s=60)
    revoked = lane.add_request_token("revoked")
    assert lane.store.tokens.delete(lane.frontdoor_id, revoked.id, lane.username) is not None
    elsewhere = lane.add_request_token("elsewhere", frontdoor_id=lane.add_frontdoor())
    clock.now += 61  # past `expired`'s lifetime only

    assert redeem(anonymous, "crt_" + "0" * 32).status_code == 404
    for token, status, expected in (
        ("crt_" + "0" * 32, 404, NOT_FOUND),
        ("not-even-a-token", 404, NOT_FOUND),
        (revoked.token, 404, NOT_FOUND),
        (elsewhere.token, 404, NOT_FOUND),  # another frontdoor's token is not found here
        (used.token, 409, USED),
        (expired.token, 410, EXPIRED),
    ):
        response = redeem(anonymous, token)
        assert (response.status_code, body(response)) == (status, expected), token
        # The token checks come before the CSR's: a bad CSR with a bad token is the token's answer.
        assert redeem(anonymous, token, tampered_csr_pem()).status_code == status

    listed = lane.store.tokens.page(lane.frontdoor_id, [], 0, 20)[0]
    assert {t.name for t in listed} == {"used", "expired"}  # used and expired stay listed; revoked leaves


def test_request_checks_come_before_the_token(lane: RunningSandbox, anonymous: httpx2.Client) -> None:
    token = lane.add_request_token("fine").token
    path = f"/client-certificates/token/{token}"

    def message(response: httpx2.Response, status: int) -> str:
        assert response.status_code == status, response.text
        return str(body(response)["message"])

    bad_id = anonymous.post(f"{lane.base_url}/nope/client-certificates/token/{token}", json={"value": csr_pem()})
    assert message(bad_id, 400) == "Value for frontdoorId must be of UUID"
    assert message(anonymous.post(path, json={"value": csr_pem()}, headers={"Accept": "text/html"}), 406)
    assert message(anonymous.post(path, content=b"x", headers={"Content-Type": "text/plain"}), 415)
    assert message(anonymous.post(path, json={}), 400) == "value is required"
    assert message(anonymous.post(path, json={"value": "  "}), 400) == "value must not be blank"
    assert message(anonymous.post(path, json={"type": "PEM", "value": csr_pem()}), 400) == (
        "Value for type must be of enum [CSR]"
    )
    assert (
        message(anonymous.post(path, json={"type": 1, "value": csr_pem()}), 400) == "Value for type must be of string"
    )
    unknown = "/client-certificates/token/crt_" + "f" * 32
    assert message(anonymous.post(unknown, json={"type": "PEM", "value": csr_pem()}), 400).startswith("Value for type")
    # Then, with a good token, the CSR's own checks; none of these uses the token up.
    assert message(redeem(anonymous, token, tampered_csr_pem()), 400).endswith("signature does not verify")
    assert "does not match" in message(redeem(anonymous, token, certificate_pem()), 400)
    assert "PEM-encoded" in message(redeem(anonymous, token, "not a pem"), 400)
    assert redeem(anonymous, token).status_code == 201


def test_the_token_string_never_comes_back(lane: RunningSandbox, anonymous: httpx2.Client) -> None:
    token = lane.add_request_token("secret").token
    lane.faults.clear_requests()
    answers = [
        redeem(anonymous, token, "not a pem"),
        redeem(anonymous, token),
        redeem(anonymous, token),  # 409
        anonymous.get(f"/client-certificates/token/{token}"),  # 405
        anonymous.post(f"/client-certificates/token/{token}/extra", json={}),  # the router's 404 echoes the path
    ]
    assert [a.status_code for a in answers] == [400, 201, 409, 405, 404]
    for answer in answers:
        assert token not in answer.text
        assert token not in str(answer.headers)
    assert "crt_…[redacted]" in body(answers[-1])["message"]
    logged = [r.path for r in lane.faults.requests]
    assert logged and all(token not in path for path in logged)
    assert all(path.endswith("crt_…[redacted]") or "[redacted]/extra" in path for path in logged)


@pytest.mark.parametrize("storage", ["memory", "file"])
def test_concurrent_redemptions_exactly_one_wins(storage: str, tmp_path: Path) -> None:
    with start_sandbox(db_path=None if storage == "memory" else tmp_path / "sandbox.db") as sandbox:
        token = sandbox.add_request_token("race").token
        csr = csr_pem()
        start = threading.Barrier(8)
        statuses: list[int] = []
        lock = threading.Lock()

        def redeemer() -> None:
            with new_client(base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}") as client:
                start.wait()
                status = redeem(client, token, csr).status_code
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=redeemer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert sorted(statuses) == [201] + [409] * 7
        assert sandbox.store.list_certificates(sandbox.frontdoor_id, [], 0, 10)[1] == 1


def test_expiry_follows_the_sandbox_clock(lane: RunningSandbox, anonymous: httpx2.Client, clock: ManualClock) -> None:
    token = lane.add_request_token("week")  # the default lifetime: 7 days
    clock.now += 7 * 86400 - 1
    assert redeem(anonymous, token.token).status_code == 201
    late = lane.add_request_token("late")
    clock.now += 7 * 86400 + 1
    assert redeem(anonymous, late.token).status_code == 410
    assert lane.store.tokens.get(lane.frontdoor_id, late.id) is not None  # still there, still readable


def test_the_write_itself_refuses_a_second_redemption(lane: RunningSandbox) -> None:
    """Two redemptions that both passed the first look still meet in one write transaction: the later loses."""
    token = lane.add_request_token("twice")
    issued = lane.store.tokens.redeem(lane.frontdoor_id, token.token, lambda _: certificate_pem())
    assert issued[0].certificate_id == issued[1].id
    with pytest.raises(RedemptionRefused) as refused:
        lane.store.tokens.redeem(lane.frontdoor_id, token.token, lambda _: certificate_pem())
    assert refused.value.reason == "used"

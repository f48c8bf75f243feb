"""Shares, through the protocol against the sandbox: listed and read; a certificate change names the shares that
depend on it, in the question and in the refusal without one; the admission check's verdicts for a table of
certificates built with openssl, a customer CA and the sandbox CA; the audit marks certificates shares require."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from mcp.client.context import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitResult, ErrorData

from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.server import FrontdoorServer, build_server
from tests.support import (
    CANARY_TOKEN,
    FakeApi,
    Sleeps,
    connect,
    json_response,
    make_certificate,
    mock_settings,
    ok,
    sandbox_settings,
    text_of,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def scene() -> Iterator[RunningSandbox]:
    """A sandbox whose shares are ACTIVE at once."""
    with start_sandbox(token=CANARY_TOKEN, share_provisioning_s=0.0) as running:
        yield running


@pytest.fixture
def server(scene: RunningSandbox, tmp_path: Path) -> FrontdoorServer:
    return build_server(sandbox_settings(scene, tmp_path))


async def _upload(server: FrontdoorServer, name: str, pem: str | None = None) -> str:
    async with connect(server, "legacy") as client:
        return str(
            ok(
                await client.call_tool(
                    "upload_client_certificate", {"name": name, "certificate_pem": pem or make_certificate(name)}
                )
            )["id"]
        )


async def test_shares_are_listed_and_read_in_plain_words(server: FrontdoorServer, scene: RunningSandbox) -> None:
    cert_id = await _upload(server, "share-listed")
    share = scene.add_share("listedShare", client_certificate_id=cert_id, required_organizational_unit="payments")
    scene.add_share("plainShare")
    async with connect(server, "legacy") as client:
        listed = await client.call_tool("list_shares", {"uses_certificate_id": cert_id})
        got = await client.call_tool("get_share", {"share_id": share.id})
        plain = ok(await client.call_tool("list_shares", {"all_pages": True}))
    items = ok(listed)["items"]
    assert [item["id"] for item in items] == [share.id] and items[0]["requires_mtls"] is True
    assert f"share_id={share.id}" in text_of(listed)
    record = ok(got)
    assert record["state"] == "ACTIVE" and record["certificate"]["name"] == "share-listed"
    assert "mTLS: required" in record["mtls_in_words"] and '"payments"' in record["mtls_in_words"]
    assert any(item["requires_mtls"] is False for item in plain["items"])


def _answering(asked: list[str]):
    async def answer(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        asked.append(params.message)
        return ElicitResult(action="decline")

    return answer


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("delete_client_certificate", {}),
        ("replace_client_certificate", {"name": "swapped", "certificate_pem": make_certificate("next")}),
        ("update_client_certificate", {"certificate_pem": make_certificate("next")}),
    ],
)
async def test_a_trust_change_names_the_shares_that_depend_on_it(
    server: FrontdoorServer, scene: RunningSandbox, every_era: str, tool: str, arguments: dict[str, Any]
) -> None:
    cert_id = await _upload(server, f"depended-{tool}")
    share = scene.add_share("dependingShare", client_certificate_id=cert_id)
    asked: list[str] = []
    async with connect(server, every_era, elicitation=_answering(asked)) as client:
        declined = ok(await client.call_tool(tool, {"certificate_id": cert_id, **arguments}))
    async with connect(server, every_era) as client:
        unconfirmed = await client.call_tool(tool, {"certificate_id": cert_id, **arguments})
    for said in (asked[0], text_of(unconfirmed)):
        assert '"dependingShare"' in said and share.id in said and "ACTIVE" in said
    assert [ref["id"] for ref in declined["used_by_shares"]] == [share.id]
    if tool == "delete_client_certificate":
        assert "will stop admitting" in asked[0]
        async with connect(server, every_era) as client:
            deleted = await client.call_tool(tool, {"certificate_id": cert_id, "confirm": True})
        assert "now stop admitting" in text_of(deleted)


async def test_get_and_the_audit_say_which_shares_require_a_certificate(
    server: FrontdoorServer, scene: RunningSandbox
) -> None:
    soon = make_certificate("soon-used", days=5)
    used = await _upload(server, "soon-used", soon)
    await _upload(server, "soon-unused", make_certificate("soon-unused", days=5))
    scene.add_share("auditedShare", client_certificate_id=used)
    async with connect(server, "legacy") as client:
        got = await client.call_tool("get_client_certificate", {"certificate_id": used})
        audit = ok(await client.call_tool("find_expiring_client_certificates", {"within_days": 10}))
    assert '"auditedShare"' in text_of(got) and ok(got)["used_by_shares"][0]["name"] == "auditedShare"
    ours = [entry for entry in audit["expiring"] if entry["name"] in ("soon-used", "soon-unused")]
    assert [entry["name"] for entry in ours] == ["soon-used", "soon-unused"], "among equals, the one in use first"
    assert ours[0]["used_by_shares"][0]["name"] == "auditedShare" and ours[1]["used_by_shares"] == []


async def test_unreadable_shares_never_stop_a_certificate_operation(tmp_path: Path) -> None:
    fake = FakeApi()
    fake.seed("cert-00000000-0000-4000-8000-000000000009", "seeded")

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/shares"):
            return json_response(403, {"error": "forbidden", "message": "no"})
        return fake.handler(request)

    server = build_server(mock_settings(tmp_path), transport=httpx2.MockTransport(handler), sleep=Sleeps())
    async with connect(server, "legacy") as client:
        got = await client.call_tool(
            "get_client_certificate", {"certificate_id": "cert-00000000-0000-4000-8000-000000000009"}
        )
    assert "used_by_shares" not in ok(got) and "Which shares use it is unknown" in text_of(got)


# The admission check --------------------------------------------------------------------------------------


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def _openssl_csr(folder: Path, subject: str) -> str:
    _openssl(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        "r.csr",
        "-subj",
        subject,
        cwd=folder,
    )
    return (folder / "r.csr").read_text()


def _openssl_self_signed(folder: Path, subject: str) -> str:
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "s.key",
        "-out",
        "s.pem",
        "-days",
        "30",
        "-subj",
        subject,
        cwd=folder,
    )
    return (folder / "s.pem").read_text()


def _signed(scene: RunningSandbox, csr_pem: str, *, days_ago: int = 0) -> str:
    """Signed by the sandbox CA the way NetFoundry signs from a CSR: extended key usage serverAuth only."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    certificate = scene.ca.sign_csr(csr, now=datetime.now(UTC) - timedelta(days=days_ago))
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True)
class CustomerCa:
    """A company's own CA, made with openssl, that signs client certificates with clientAuth."""

    pem: str
    key: ec.EllipticCurvePrivateKey

    def sign(self, csr_pem: str, *, days_ago: int = 0) -> str:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        issuer = x509.load_pem_x509_certificate(self.pem.encode())
        start = datetime.now(UTC) - timedelta(days=days_ago, minutes=5)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(issuer.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _openssl_ca(folder: Path) -> CustomerCa:
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/O=Example/CN=Example Client CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )
    key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return CustomerCa((folder / "ca.pem").read_text(), key)


@pytest.fixture(scope="module")
def customer_ca(tmp_path_factory: pytest.TempPathFactory) -> CustomerCa:
    return _openssl_ca(tmp_path_factory.mktemp("customer-ca"))


@pytest.fixture(scope="module")
def admission_table(
    scene: RunningSandbox, customer_ca: CustomerCa, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Certificates made with openssl (subjects, a stranger), signed by a customer CA with clientAuth, or by the
    sandbox CA as NetFoundry signs (serverAuth only)."""
    folder = tmp_path_factory.mktemp("admission")
    good = "/O=Example/OU=payments/CN=svc-payments"
    return {
        "good": customer_ca.sign(_openssl_csr(folder, good)),
        "netfoundry signed": _signed(scene, _openssl_csr(folder, good)),
        "stranger": _openssl_self_signed(folder, good),
        "expired": customer_ca.sign(_openssl_csr(folder, good), days_ago=400),
        "other subject": customer_ca.sign(_openssl_csr(folder, "/O=Example/OU=payments/CN=svc-other")),
        "other prefix": customer_ca.sign(_openssl_csr(folder, "/O=Example/OU=payments/CN=batch-payments")),
        "other unit": customer_ca.sign(_openssl_csr(folder, "/O=Example/OU=billing/CN=svc-payments")),
        "several wrong": customer_ca.sign(_openssl_csr(folder, "/O=Example/OU=billing/CN=batch-job")),
    }


@pytest.mark.parametrize(
    ("certificate", "anchor", "share", "verdict", "failing"),
    [
        ("good", "customer", "everything", "admit", set[str]()),
        ("netfoundry signed", "sandbox", "trust only", "refuse", {"client_auth"}),
        ("stranger", "customer", "trust only", "refuse", {"trust"}),
        ("expired", "customer", "trust only", "refuse", {"validity"}),
        ("other subject", "customer", "subjects", "refuse", {"allowed_subjects"}),
        ("good", "customer", "subjects", "admit", set[str]()),
        ("other prefix", "customer", "prefixes", "refuse", {"allowed_common_name_prefixes"}),
        ("other unit", "customer", "unit", "refuse", {"required_organizational_unit"}),
        (
            "several wrong",
            "customer",
            "everything",
            "refuse",
            {"allowed_subjects", "allowed_common_name_prefixes", "required_organizational_unit"},
        ),
        ("stranger", "customer", "no mtls", "admit", set[str]()),
    ],
)
async def test_the_admission_check_gives_the_right_verdict(
    server: FrontdoorServer,
    scene: RunningSandbox,
    customer_ca: CustomerCa,
    admission_table: dict[str, str],
    certificate: str,
    anchor: str,
    share: str,
    verdict: str,
    failing: set[str],
) -> None:
    anchor_pem = customer_ca.pem if anchor == "customer" else scene.ca_certificate_pem
    anchor_id = await _upload(server, f"anchor-{share}", anchor_pem)
    filters: dict[str, Any] = {
        "everything": {
            "allowed_subjects": ["CN=svc-payments, OU=payments, O=Example"],
            "allowed_common_name_prefixes": ["svc-"],
            "required_organizational_unit": "payments",
        },
        "trust only": {},
        "subjects": {"allowed_subjects": ["CN=nobody", "CN=svc-payments,OU=payments,O=Example"]},
        "prefixes": {"allowed_common_name_prefixes": ["svc-", "api-"]},
        "unit": {"required_organizational_unit": "payments"},
        "no mtls": {},
    }[share]
    made = scene.add_share("checkedShare", client_certificate_id=None if share == "no mtls" else anchor_id, **filters)
    async with connect(server, "legacy") as client:
        result = await client.call_tool(
            "check_certificate_against_share", {"share_id": made.id, "certificate_pem": admission_table[certificate]}
        )
    check = ok(result)
    failed = {rule["rule"] for rule in check["rules"] if rule["outcome"] == "fail"}
    assert check["verdict"] == verdict and failed == failing, check["rules"]
    assert check["admitted"] is (verdict == "admit")
    assert verdict.upper() in text_of(result) and check["interpretation"]

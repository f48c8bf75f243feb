"""`frontdoor-mcp demo`: real MCP clients walk an operator's whole job against a fresh local sandbox.

The sandbox runs in this process; two `frontdoor-mcp` servers run as subprocesses and are spoken to over
stdio, as any assistant would: the operator's (with API credentials) and a recipient's (none at all, only a
key folder of their own). The walk: a certificate's lifecycle, which share trusts a certificate before it
is changed, delegated issuance with a certificate request token whose key never leaves the recipient, and
the last mile: clients through a share's data plane over real mTLS, each beside the check's verdict, and a
credential exported for a client to load.
Each call and the text the assistant reads are printed; a step that answers unexpectedly fails the demo.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult, TextContent

from frontdoor_mcp.redaction import mask_token
from frontdoor_mcp.sandbox.ca import sample_certificate_pem
from frontdoor_mcp.sandbox.lifecycle import RunningSandbox, start_sandbox

MISSING_ID = "cert-00000000-0000-4000-8000-000000000000"


@dataclass
class Walk:
    """Numbered calls across both assistants; what went unexpectedly is collected, not raised, so the whole
    walk prints before the verdict."""

    failures: list[str] = field(default_factory=list[str])
    step: int = 0

    async def call(
        self, who: str, client: Client, tool: str, arguments: dict[str, Any], *, expect_error: bool = False
    ) -> dict[str, Any]:
        self.step += 1
        shown_args = ", ".join(f"{key}={_short(value)}" for key, value in arguments.items())
        print(f"\n[{self.step}] {who}: {tool}({shown_args})")
        result = await client.call_tool(tool, arguments)
        assert isinstance(result, CallToolResult)
        text = "\n".join(block.text for block in result.content if isinstance(block, TextContent))
        marker = "error:" if result.is_error else "ok:   "
        for number, line in enumerate(text.splitlines() or [""]):
            print(f"    {marker if number == 0 else ' ' * len(marker)} {line}")
        if bool(result.is_error) != expect_error:
            self.failures.append(f"step {self.step} {tool}: {'failed' if result.is_error else 'did not fail'}")
        return dict(result.structured_content or {})

    def expect(self, holds: bool, what: str) -> None:
        if not holds:
            self.failures.append(f"after step {self.step}: expected {what}")

    @staticmethod
    def note(text: str) -> None:
        print(f"\n-- {text}")


def _short(value: Any) -> str:
    text = str(value)
    if "-----BEGIN" in text:
        return "<PEM>"
    if text.startswith("crt_"):
        return mask_token(text)  # a secret: the demo's output is as careful as the server's
    return text if len(text) <= 60 else text[:57] + "..."


def _existing_certificate(sandbox: RunningSandbox) -> str:
    """A certificate from elsewhere, as a user would upload one (its key thrown away)."""
    return sample_certificate_pem(sandbox.ca, "demo-uploaded", datetime.now(UTC))


def _server(sandbox: RunningSandbox, key_dir: Path, *, credentials: bool) -> StdioServerParameters:
    """`frontdoor-mcp` pointed at the sandbox; the operator's with the sandbox's token and frontdoor, the
    recipient's with neither (a request token is all they hold)."""
    key_dir.mkdir(mode=0o700)
    env = {"FRONTDOOR_API_URL": sandbox.base_url, "FRONTDOOR_MCP_KEY_DIR": str(key_dir)}
    if credentials:
        env |= {"FRONTDOOR_ID": sandbox.frontdoor_id, "NETFOUNDRY_API_TOKEN": sandbox.token}
    else:
        # No credential on purpose (a request token is all the recipient holds): the start-up warning about a
        # missing credential is for a person who forgot one. Errors still show.
        env["FRONTDOOR_MCP_LOG_LEVEL"] = "ERROR"
    return StdioServerParameters(command=sys.executable, args=["-m", "frontdoor_mcp"], env=env)


async def _lifecycle(walk: Walk, operator: Client, sandbox: RunningSandbox, workdir: Path) -> str:
    """Generate, create, upload, list, get, rename, replace (confirmed), delete (confirmed), inspect.
    Returns the path of the certificate the sandbox signed."""
    csr = await walk.call(
        "operator",
        operator,
        "generate_csr",
        {"common_name": "demo-client", "organization": "Example Corp", "country": "US", "key_type": "ec-p256"},
    )
    signed_path = str(workdir / "demo-client.crt.pem")
    created = await walk.call(
        "operator",
        operator,
        "create_client_certificate_from_csr",
        {"name": "demo-client", "csr_pem": csr.get("csr_pem", ""), "save_certificate_to": signed_path},
    )
    uploaded = await walk.call(
        "operator",
        operator,
        "upload_client_certificate",
        {"name": "demo-uploaded", "certificate_pem": _existing_certificate(sandbox)},
    )
    await walk.call("operator", operator, "list_client_certificates", {"sort": "name,asc"})
    created_id = created.get("id", MISSING_ID)
    uploaded_id = uploaded.get("id", MISSING_ID)
    await walk.call("operator", operator, "get_client_certificate", {"certificate_id": created_id})
    await walk.call(
        "operator", operator, "update_client_certificate", {"certificate_id": created_id, "name": "demo-client-v1"}
    )
    replace = {"certificate_id": uploaded_id, "name": "demo-uploaded-v2", "certificate_path": signed_path}
    unconfirmed = await walk.call("operator", operator, "replace_client_certificate", replace)
    walk.expect(unconfirmed.get("changed") is False, "a PEM swap to wait for confirmation")
    await walk.call("operator", operator, "replace_client_certificate", replace | {"confirm": True})
    await walk.call("operator", operator, "delete_client_certificate", {"certificate_id": uploaded_id})
    await walk.call("operator", operator, "delete_client_certificate", {"certificate_id": uploaded_id, "confirm": True})
    await walk.call("operator", operator, "get_client_certificate", {"certificate_id": MISSING_ID}, expect_error=True)
    await walk.call("operator", operator, "inspect_certificate", {"path": signed_path})
    return signed_path


async def _shares(walk: Walk, operator: Client, sandbox: RunningSandbox, signed_path: str) -> tuple[str, str]:
    """A share that trusts the issuing CA and admits only OU=payments: who it would let in, and what
    deleting the certificate it trusts would break. Returns the share's and the CA certificate's ids."""
    ca = await walk.call(
        "operator",
        operator,
        "upload_client_certificate",
        {"name": "issuing-ca", "certificate_pem": sandbox.ca_certificate_pem},
    )
    ca_id = ca.get("id", MISSING_ID)
    walk.note("The frontdoor console sets up a share paymentsDb that trusts issuing-ca and requires OU=payments.")
    share_id = await _console_creates_share(
        sandbox,
        {
            "name": "paymentsDb",
            "clientCertificateId": ca_id,
            "requiredOrganizationalUnit": "payments",
            "ingressPort": 2100,
        },
    )
    await walk.call("operator", operator, "list_shares", {"uses_certificate_id": ca_id})
    await walk.call("operator", operator, "get_client_certificate", {"certificate_id": ca_id})
    refused = await walk.call(
        "operator",
        operator,
        "check_certificate_against_share",
        {"share_id": share_id, "certificate_path": signed_path},
    )
    walk.expect(refused.get("admitted") is False, "demo-client (no OU) to be refused by paymentsDb")
    kept = await walk.call("operator", operator, "delete_client_certificate", {"certificate_id": ca_id})
    walk.expect(kept.get("deleted") is False, "a delete to wait for confirmation")
    return share_id, ca_id


async def _console_creates_share(sandbox: RunningSandbox, definition: dict[str, Any]) -> str:
    """A TCP share made the way the frontdoor console makes one: through the (sandbox's) API, not a tool of
    this server (which only reads shares). Returns its id."""
    body = {"type": "tcp", "envZId": "demoEnv", "target": "tcp://db.internal.local:5432"}
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {sandbox.token}"}) as http:
        answer = await http.post(f"{sandbox.base_url}/{sandbox.frontdoor_id}/shares", json=body | definition)
    answer.raise_for_status()
    return str(answer.json()["id"])


async def _delegation(
    walk: Walk, operator: Client, recipient: Client, workdir: Path, share_id: str, frontdoor_id: str
) -> None:
    """The operator creates a token fixing OU=payments and hands it over; the recipient, with no
    credentials, makes a key here and redeems it; the operator sees the certificate and checks it."""
    token_file = workdir / "payments-worker.token"
    created = await walk.call(
        "operator",
        operator,
        "create_certificate_request_token",
        {"name": "payments-worker", "organizational_unit": "payments", "save_token_to": str(token_file)},
    )
    token_id = created.get("id", "token-missing")
    walk.note("The token and frontdoor id go privately to the recipient, whose assistant has no API credentials.")
    token = token_file.read_text().strip() if token_file.exists() else "crt_" + "0" * 32
    certificate_path = str(workdir / "payments-worker.crt.pem")
    redemption_arguments = {
        "token": token,
        "frontdoor_id": frontdoor_id,
        "key_type": "ec-p256",
        "common_name": "payments-worker",
    }
    redeemed = await walk.call(
        "recipient",
        recipient,
        "redeem_certificate_request_token",
        redemption_arguments | {"save_certificate_to": certificate_path},
    )
    walk.expect(bool(redeemed.get("fixed_by_token")), "the token's OU to be fixed in the certificate")
    await walk.call("recipient", recipient, "redeem_certificate_request_token", redemption_arguments, expect_error=True)
    await walk.call("operator", operator, "get_certificate_request_token", {"token_id": token_id})
    walk.note(
        "Would paymentsDb let the recipient in? The check says, then the recipient tries for real (it holds the key)."
    )
    checked = await walk.call(
        "operator",
        operator,
        "check_certificate_against_share",
        {"share_id": share_id, "certificate_path": certificate_path},
    )
    failing = [rule.get("rule") for rule in checked.get("rules", []) if rule.get("outcome") == "fail"]
    walk.expect(checked.get("verdict") == "refuse" and failing == ["client_auth"], "a refusal for clientAuth only")
    share = await walk.call("operator", operator, "get_share", {"share_id": share_id})
    tried = await walk.call(
        "recipient",
        recipient,
        "test_mtls_connection",
        {
            "certificate_path": certificate_path,
            "key_path": str(redeemed.get("key_path", "")),
            "address": str(share.get("ingress_address", "127.0.0.1:1")),
            "ca_path": str(workdir / "sandbox-ca.pem"),
        },
    )
    walk.expect(tried.get("connected") is False and tried.get("alert") is not None, "the handshake to refuse it")
    walk.note(
        "Verdict and handshake agree: NetFoundry signs certificates with serverAuth only, and a TLS server refuses "
        "such a certificate from a client (OpenSSL: unsupported certificate purpose). What clients present is a "
        "certificate their own CA signed with clientAuth, under a CA the share trusts: next."
    )
    await walk.call("operator", operator, "list_client_certificates", {"sort": "createdAt,desc", "size": 3})


async def _mtls(walk: Walk, operator: Client, sandbox: RunningSandbox, workdir: Path) -> None:
    """The payments team's own CA signs client certificates (clientAuth); a share trusts it and requires
    OU=payments. A client of that OU gets through over real mTLS, one of another OU does not, and the one that
    got through is exported for a browser or curl. The check's verdict sits beside each connection."""
    team_ca = _TeamCa.create("Payments Team Client CA")
    (workdir / "payments-ca.pem").write_text(team_ca.pem)
    clients: dict[str, tuple[str, str]] = {}
    for name, unit in (("payments-client", "payments"), ("billing-client", "billing")):
        made = await walk.call("operator", operator, "generate_csr", {"common_name": name, "organizational_unit": unit})
        walk.note(f"The payments team's CA signs {name}'s CSR (clientAuth), as its own PKI would.")
        certificate_path = workdir / f"{name}.crt.pem"
        certificate_path.write_text(team_ca.sign(str(made.get("csr_pem", ""))))
        clients[name] = (str(certificate_path), str(made.get("key_path", "")))
    ca = await walk.call(
        "operator",
        operator,
        "upload_client_certificate",
        {"name": "payments-team-ca", "certificate_path": str(workdir / "payments-ca.pem")},
    )
    walk.note("The console sets up paymentsTcp: it trusts payments-team-ca and requires OU=payments.")
    share_id = await _console_creates_share(
        sandbox,
        {
            "name": "paymentsTcp",
            "clientCertificateId": ca.get("id", MISSING_ID),
            "requiredOrganizationalUnit": "payments",
            "ingressPort": 2101,
        },
    )
    for name, admitted in (("payments-client", True), ("billing-client", False)):
        certificate_path, key_path = clients[name]
        checked = await walk.call(
            "operator",
            operator,
            "check_certificate_against_share",
            {"share_id": share_id, "certificate_path": certificate_path},
        )
        tried = await walk.call(
            "operator",
            operator,
            "test_mtls_connection",
            {
                "share_id": share_id,
                "certificate_path": certificate_path,
                "key_path": key_path,
                "ca_path": str(workdir / "sandbox-ca.pem"),
            },
        )
        walk.expect(checked.get("admitted") is admitted, f"the check to {'admit' if admitted else 'refuse'} {name}")
        walk.expect(tried.get("connected") is admitted and tried.get("agreement") == "agrees", f"{name}'s handshake")
        if admitted:
            walk.expect(name in str(tried.get("first_line")), "the echo to name the subject it admitted")
    certificate_path, key_path = clients["payments-client"]
    await walk.call(
        "operator",
        operator,
        "export_client_credential",
        {
            "certificate_path": certificate_path,
            "key_path": key_path,
            "target_path": str(workdir / "payments-client.p12"),
        },
    )


@dataclass(frozen=True)
class _TeamCa:
    """A team's own CA for client certificates: what signs the certificates clients present."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, common_name: str) -> _TeamCa:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(certificate, key)

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def sign(self, csr_pem: str) -> str:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.certificate.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=90))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM).decode()


async def _walk(workdir: Path) -> list[str]:
    sandbox = start_sandbox(db_path=workdir / "sandbox.db", share_provisioning_s=0)
    try:
        walk = Walk()
        operator_server = _server(sandbox, workdir / "operator-keys", credentials=True)
        recipient_server = _server(sandbox, workdir / "recipient-keys", credentials=False)
        (workdir / "sandbox-ca.pem").write_text(sandbox.ca_certificate_pem)  # what the shares' TLS is signed by
        async with Client(operator_server) as operator, Client(recipient_server) as recipient:
            info = operator.server_info
            print(f"Connected to {info.name if info else 'server'} over stdio (protocol {operator.protocol_version}).")
            walk.note("A certificate's lifecycle.")
            signed_path = await _lifecycle(walk, operator, sandbox, workdir)
            walk.note("Which shares trust a certificate, before anyone changes it.")
            share_id, _ = await _shares(walk, operator, sandbox, signed_path)
            walk.note("Delegated issuance: the key never leaves the recipient's machine.")
            await _delegation(walk, operator, recipient, workdir, share_id, sandbox.frontdoor_id)
            walk.note("The last mile: clients through a share over real mTLS, and a credential they can load.")
            await _mtls(walk, operator, sandbox, workdir)
        return walk.failures
    finally:
        sandbox.stop()


def run_demo() -> int:
    with tempfile.TemporaryDirectory(prefix="frontdoor-demo-") as directory:
        print("frontdoor-mcp demo: an operator's job through MCP, against a fresh local sandbox.")
        failures = anyio.run(_walk, Path(directory))
    if failures:
        print("\nDemo FAILED: " + "; ".join(failures))
        return 1
    print("\nDemo complete: every step answered as expected.")
    return 0

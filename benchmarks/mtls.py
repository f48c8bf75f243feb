"""What the last mile of mTLS costs: `test_mtls_connection` (admitted and echoed; refused by OpenSSL's
verification, an alert; refused by a filter, a close) and `export_client_credential` (PKCS#12 modern and
legacy, a PEM bundle), each a whole tool call below its MCP adapter, against the sandbox's data plane.

    uv run python benchmarks/mtls.py                 # 40 rounds
    uv run python benchmarks/mtls.py --rounds 60 --seed 7

Every action runs once per round, in a fresh random order, after one discarded warm-up round; each figure is
the median with its p10-p90. A connection test includes loading the certificate and key files, checking the
key, asking the API for the share and the admission check's verdict; an export includes reading and checking
the files and writing the new ones (0600). Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any, Final, Literal

import httpx2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.sandbox.lifecycle import RunningSandbox, start_sandbox
from frontdoor_mcp.toolkit.state import AppState
from frontdoor_mcp.tools.connection import test_mtls_connection
from frontdoor_mcp.tools.local import export_client_credential
from rounds import Action, interleaved
from stats import spread

NOW: Final = datetime.now(UTC)


def _issue(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None, signer: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(minutes=5))
        .not_valid_after(NOW + timedelta(days=30))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        ).add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
    return builder.sign(signer, hashes.SHA256())


def _write(folder: Path, stem: str, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    certificate_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return str(certificate_path), str(key_path)


async def _share(sandbox: RunningSandbox, ca_pem: str) -> str:
    """A tcp share trusting the team CA, admitting only CNs that start with `payments-`, made through the
    sandbox's API as the console makes one."""
    async with httpx2.AsyncClient(
        base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}", headers={"Authorization": f"Bearer {sandbox.token}"}
    ) as http:
        certificate = (await http.post("/client-certificates", json={"name": "teamCa", "value": ca_pem})).json()
        definition = {
            "name": "paymentsDb",
            "type": "tcp",
            "envZId": "bench",
            "target": "tcp://db.internal:5432",
            "ingressPort": 2150,
            "clientCertificateId": certificate["id"],
            "allowedCommonNamePrefixes": ["payments-"],
        }
        share = await http.post("/shares", json=definition)
    share.raise_for_status()
    return str(share.json()["id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40, help="rounds (default 40)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random orders (default: the clock)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else time.time_ns()
    with tempfile.TemporaryDirectory(prefix="frontdoor-mtls-bench-") as scratch:
        folder = Path(scratch)
        sandbox = start_sandbox(db_path=folder / "sandbox.db", share_provisioning_s=0)
        try:
            figures = _measure(sandbox, folder, args.rounds, Random(seed))
        finally:
            sandbox.stop()
    print(f"mTLS last mile: {args.rounds} rounds, seed {seed}; ms, median [p10, p90]")
    for name, samples in figures.items():
        figure = spread([sample * 1000 for sample in samples])
        print(f"  {name:<44} {figure.median:7.2f} [{figure.p10:.2f}, {figure.p90:.2f}]")
    return 0


def _measure(sandbox: RunningSandbox, folder: Path, rounds: int, rng: Random) -> dict[str, list[float]]:
    ca_key, other_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _issue("Team CA", ca_key, None, ca_key)
    other_ca = _issue("Other CA", other_key, None, other_key)
    clients: dict[str, tuple[str, str]] = {}
    for stem, issuer, signer in (
        ("payments", ca, ca_key),
        ("billing", ca, ca_key),
        ("stranger", other_ca, other_key),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        clients[stem] = _write(folder, stem, _issue(f"{stem}-client", key, issuer, signer), key)
    loop = asyncio.new_event_loop()
    share_id = loop.run_until_complete(_share(sandbox, ca.public_bytes(serialization.Encoding.PEM).decode()))
    keys = folder / "keys"
    keys.mkdir(mode=0o700)
    exports = folder / "exports"
    exports.mkdir(mode=0o700)
    serial = itertools.count()

    async def with_state(work: Callable[[AppState], Coroutine[Any, Any, object]]) -> None:
        async with FrontdoorClient(sandbox.base_url, BearerToken(Secret(sandbox.token), source="bench")) as client:
            state = AppState(client, sandbox.frontdoor_id, keys, "bench", sandbox_ca_pem=sandbox.ca_certificate_pem)
            await work(state)

    def connection(stem: str, expected: str) -> Action:
        certificate_path, key_path = clients[stem]

        async def work(state: AppState) -> None:
            result = await test_mtls_connection(
                state, certificate_path=certificate_path, key_path=key_path, share_id=share_id
            )
            if result.result.stage != expected:
                raise SystemExit(f"{stem}: expected stage {expected}, got {result.result.stage}")

        return lambda: _timed(loop, with_state(work))

    def export(format_: Literal["pkcs12", "pem-bundle"], compatibility: Literal["modern", "legacy"]) -> Action:
        certificate_path, key_path = clients["payments"]

        async def work(state: AppState) -> None:
            target = exports / f"{format_}-{compatibility}-{next(serial)}.{'p12' if format_ == 'pkcs12' else 'pem'}"
            await export_client_credential(
                state,
                key_path=key_path,
                target_path=str(target),
                certificate_path=certificate_path,
                format=format_,
                compatibility=compatibility,
            )

        return lambda: _timed(loop, with_state(work))

    actions = {
        "test_mtls_connection, admitted (echo read)": connection("payments", "connected"),
        "test_mtls_connection, refused by OpenSSL": connection("stranger", "handshake"),
        "test_mtls_connection, refused by a filter": connection("billing", "after_handshake"),
        "export_client_credential, pkcs12 modern": export("pkcs12", "modern"),
        "export_client_credential, pkcs12 legacy": export("pkcs12", "legacy"),
        "export_client_credential, pem bundle": export("pem-bundle", "modern"),
    }
    try:
        return interleaved(actions, rounds, rng, warmup=1)
    finally:
        loop.close()


def _timed(loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, None]) -> float:
    started = time.perf_counter()
    loop.run_until_complete(work)
    return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())

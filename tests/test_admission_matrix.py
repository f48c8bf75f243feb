"""The admission check against the ground truth, cell by cell: a share of the sandbox trusting a certificate
of some shape, with some filters; a client presenting a certificate of some shape. Through MCP,
`test_mtls_connection` makes a real TLS connection to the share's data plane (OpenSSL verifies the client,
then the share's filters apply) and reports what `check_certificate_against_share` predicted; the data
plane's access log says what really happened. The two must agree in every cell.

The dimensions: the share's certificate (a CA; one with keyCertSign and no basic constraints; one NetFoundry
signed (serverAuth only); a CA with a clientAuth or a serverAuth extended key usage; a certificate with no CA
rights; an expired CA), the client's issuer (the share's certificate, another CA, the trusted certificate
itself), its validity, its key usage and extended key usage, and filters on subjects (escapes, long names,
lists of 500), CN prefixes (several CNs) and OUs (with commas, several OUs). A "cannot decide" is counted
apart, never as agreement; cells with filters the sandbox cannot store (a hostile API's) are planted apart
(`test_planted_unreadable_filters_are_cannot_decide`).

The whole matrix is slow (CI runs it); the default run takes every eighth cell.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import socket
import ssl
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import anyio.to_thread
import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.sandbox.shares.ingress import ConnectionRecord
from frontdoor_mcp.server import build_server
from tests.mtls import Holder, Usage, Validity, certificate, client_ca, cn, key_usage, long_cn, name, new_key
from tests.support import (
    API_BASE,
    CANARY_TOKEN,
    FRONTDOOR,
    Sleeps,
    connect,
    json_response,
    mock_settings,
    ok,
    sandbox_settings,
)

pytestmark = pytest.mark.anyio

LONG_ORGANIZATION: Final = "Example Organisation " * 55  # 1,155 characters: beyond any display cap
DECOYS: Final = 498


# The shapes ----------------------------------------------------------------------------------------------


def _anchors(sandbox: RunningSandbox) -> dict[str, Holder]:
    """The certificates a share may trust, by kind."""
    signing = key_usage(digital_signature=False, cert_sign=True)
    netfoundry_key = new_key()
    csr = x509.CertificateSigningRequestBuilder().subject_name(cn("nf-signed")).sign(netfoundry_key, hashes.SHA256())
    return {
        "ca": client_ca("Matrix CA"),
        "ca_without_basic_constraints": certificate(cn("KU-only CA"), usage=None, key_usage_value=signing),
        "netfoundry_signed": Holder(sandbox.ca.sign_csr(csr), netfoundry_key),
        "ca_with_client_auth": certificate(cn("CA clientAuth"), ca=True, usage="client", key_usage_value=signing),
        "ca_with_server_auth": certificate(cn("CA serverAuth"), ca=True, usage="server", key_usage_value=signing),
        "not_a_ca": certificate(cn("not a CA"), ca=False, usage="client"),
        "no_ca_rights": certificate(cn("no CA rights"), usage=None),
        "expired_ca": certificate(cn("Expired CA"), ca=True, usage=None, key_usage_value=signing, validity="expired"),
    }


SUBJECTS: Final[dict[str, x509.Name]] = {
    "plain": cn("svc-1"),
    "other": cn("other-1"),
    "several_cns": name((NameOID.COMMON_NAME, "svc-1"), (NameOID.COMMON_NAME, "zzz-1")),
    "ou_with_comma": name((NameOID.ORGANIZATIONAL_UNIT_NAME, "pay,ments"), (NameOID.COMMON_NAME, "svc-2")),
    "ou_partial": name((NameOID.ORGANIZATIONAL_UNIT_NAME, "pay"), (NameOID.COMMON_NAME, "svc-3")),
    "several_ous": name(
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "x"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "pay,ments"),
        (NameOID.COMMON_NAME, "svc-4"),
    ),
    "escaped_comma": name((NameOID.ORGANIZATION_NAME, "Acme"), (NameOID.COMMON_NAME, "a,b")),
    "escaped_trailing_space": name((NameOID.ORGANIZATIONAL_UNIT_NAME, "x "), (NameOID.COMMON_NAME, "svc-esc")),
    "escaped_backslash": name((NameOID.ORGANIZATION_NAME, "Acme"), (NameOID.COMMON_NAME, "c\\")),
    "long": name((NameOID.ORGANIZATION_NAME, LONG_ORGANIZATION), (NameOID.COMMON_NAME, "svc-long")),
    "no_cn": name((NameOID.ORGANIZATION_NAME, "Acme")),
}

FILTERS: Final[dict[str, dict[str, Any]]] = {
    "none": {},
    "prefixes": {"allowed_common_name_prefixes": ["svc-", "app-"]},
    "ou_with_comma": {"required_organizational_unit": "pay,ments"},
    "prefixes_and_ou": {"allowed_common_name_prefixes": ["svc-"], "required_organizational_unit": "pay,ments"},
    "subjects_console_style": {"allowed_subjects": ["CN=svc-1", "CN=other-1, O=Acme"]},
    "subjects_escaped": {"allowed_subjects": ["CN=a\\,b,O=Acme", "CN=svc-esc,OU=x\\ ", "CN=c\\\\,O=Acme"]},
    "subjects_500": {
        "allowed_subjects": [
            *(f"CN=decoy-{number},O=Acme" for number in range(DECOYS)),
            f"CN=svc-long,O={LONG_ORGANIZATION.rstrip()}\\ ",
            "CN=svc-1",
        ]
    },
}


@dataclass(frozen=True)
class Cell:
    anchor: str
    filters: str
    issuer: str
    """`anchor`, `other_ca`, or `itself` (the client presents the trusted certificate)."""
    validity: Validity
    usage: Usage
    subject: str

    @property
    def label(self) -> str:
        return "/".join(dataclasses.astuple(self))


def _cells() -> list[Cell]:
    cells: list[Cell] = []
    for anchor in (
        "ca",
        "ca_without_basic_constraints",
        "netfoundry_signed",
        "ca_with_client_auth",
        "ca_with_server_auth",
        "not_a_ca",
        "no_ca_rights",
        "expired_ca",
    ):
        for validity in ("valid", "expired", "not_yet_valid"):
            for usage in ("client", "server", "none", "both", "no_digital_signature"):
                cells.append(Cell(anchor, "none", "anchor", validity, usage, "plain"))
        cells.append(Cell(anchor, "none", "other_ca", "valid", "client", "plain"))
        cells.append(Cell(anchor, "none", "other_ca", "valid", "none", "plain"))
        cells.append(Cell(anchor, "none", "itself", "valid", "client", "plain"))
    for anchor in ("ca", "ca_without_basic_constraints", "ca_with_client_auth"):
        for filters in FILTERS:
            if filters == "none":
                continue
            for subject in SUBJECTS:
                cells.append(Cell(anchor, filters, "anchor", "valid", "client", subject))
    for anchor in ("expired_ca", "netfoundry_signed"):
        for filters in ("prefixes", "ou_with_comma", "subjects_escaped"):
            for subject in ("plain", "ou_with_comma", "escaped_comma"):
                cells.append(Cell(anchor, filters, "anchor", "valid", "client", subject))
    for subject in SUBJECTS:  # what filters do to a client whose certificate fails anyway (serverAuth only)
        cells.append(Cell("ca", "prefixes_and_ou", "anchor", "valid", "server", subject))
    return cells


CELLS: Final = _cells()


# The run -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix_sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(token=CANARY_TOKEN, share_provisioning_s=0.0) as running:
        yield running


@dataclass
class Outcome:
    cell: Cell
    truth: ConnectionRecord
    structured: dict[str, Any]


def _truth(sandbox: RunningSandbox) -> ConnectionRecord:
    deadline = time.monotonic() + 5
    while not sandbox.data_plane.log:
        assert time.monotonic() < deadline, "the data plane logged no connection"
        time.sleep(0.005)
    return sandbox.data_plane.log[-1]


async def _run(cells: list[Cell], sandbox: RunningSandbox, folder: Path) -> list[Outcome]:
    anchors = _anchors(sandbox)
    other_ca = client_ca("Some Other CA")
    shares: dict[tuple[str, str], str] = {}
    stored: dict[str, str] = {}
    for cell in cells:
        if cell.anchor not in stored:
            row = sandbox.store.insert_certificate(sandbox.frontdoor_id, cell.anchor, anchors[cell.anchor].pem, "m")
            stored[cell.anchor] = row.id
        if (cell.anchor, cell.filters) not in shares:
            share = sandbox.add_share(
                f"m{len(shares)}", client_certificate_id=stored[cell.anchor], **FILTERS[cell.filters]
            )
            shares[cell.anchor, cell.filters] = share.id
    settings = dataclasses.replace(sandbox_settings(sandbox, folder), sandbox_ca_pem=sandbox.ca_certificate_pem)
    outcomes: list[Outcome] = []
    async with connect(build_server(settings), "legacy") as client:
        for number, cell in enumerate(cells):
            if cell.issuer == "itself":
                presented = anchors[cell.anchor]
            else:
                issuer = anchors[cell.anchor] if cell.issuer == "anchor" else other_ca
                presented = certificate(SUBJECTS[cell.subject], issuer=issuer, usage=cell.usage, validity=cell.validity)
            certificate_path, key_path = presented.files(folder, f"cell{number}")
            sandbox.data_plane.log.clear()
            result = await client.call_tool(
                "test_mtls_connection",
                {
                    "certificate_path": certificate_path,
                    "key_path": key_path,
                    "share_id": shares[cell.anchor, cell.filters],
                },
            )
            outcomes.append(Outcome(cell, _truth(sandbox), ok(result)))
    return outcomes


def _judge(outcomes: list[Outcome]) -> tuple[Counter[str], list[str]]:
    """Counts (agree, disagree, cannot decide; admitted and refused in truth) and every disagreement."""
    counts: Counter[str] = Counter()
    wrong: list[str] = []
    for outcome in outcomes:
        admitted = outcome.truth.outcome == "admitted"
        counts["admitted" if admitted else "refused"] += 1
        structured = outcome.structured
        if structured["connected"] != admitted:
            said = f"the probe said connected={structured['connected']}"
            wrong.append(f"{outcome.cell.label}: {said}, truth {outcome.truth}")
        if structured["check_verdict"] == "cannot_decide":
            counts["cannot_decide"] += 1
            continue
        predicted = structured["check_verdict"] == "admit"
        if predicted == admitted:
            counts["agree"] += 1
        else:
            counts["disagree"] += 1
            wrong.append(f"{outcome.cell.label}: check {structured['check_verdict']}, truth {outcome.truth}")
    return counts, wrong


async def _matrix(cells: list[Cell], sandbox: RunningSandbox, tmp_path: Path) -> Counter[str]:
    outcomes = await _run(cells, sandbox, tmp_path)
    counts, wrong = _judge(outcomes)
    print(f"\nadmission matrix: {len(cells)} cells: {json.dumps(dict(sorted(counts.items())))}")
    assert not wrong, "\n".join(wrong)
    assert counts["agree"] + counts["cannot_decide"] == len(cells)
    return counts


def test_the_matrix_is_at_least_300_cells_of_every_kind() -> None:
    assert len(CELLS) >= 300
    assert {cell.anchor for cell in CELLS} >= {"netfoundry_signed", "not_a_ca", "expired_ca", "ca"}
    assert {cell.issuer for cell in CELLS} == {"anchor", "other_ca", "itself"}
    assert {cell.usage for cell in CELLS} >= {"client", "server", "no_digital_signature"}
    assert {cell.subject for cell in CELLS} == set(SUBJECTS)
    assert len(FILTERS["subjects_500"]["allowed_subjects"]) == 500


@pytest.mark.slow
async def test_the_check_agrees_with_real_handshakes_in_every_cell(
    matrix_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    counts = await _matrix(CELLS, matrix_sandbox, tmp_path)
    assert counts["disagree"] == 0 and counts["cannot_decide"] == 0
    assert counts["admitted"] >= 50 and counts["refused"] >= 150, counts


async def test_the_check_agrees_with_real_handshakes_in_a_sample(
    matrix_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    counts = await _matrix(CELLS[::8], matrix_sandbox, tmp_path)
    assert counts["disagree"] == 0 and counts["cannot_decide"] == 0, counts
    assert counts["admitted"] >= 5 and counts["refused"] >= 10, counts


# Paths and extensions: shapes the grid above cannot make ----------------------------------------------------
#
# Issuers a client sends along (path length constraints, an intermediate's use, rights and validity), critical
# extensions, Netscape certificate types, issuer names spelt otherwise, key strength, multi-valued names. The
# verdict comes from check_certificate_against_share through MCP (given the client's certificate file, issuers
# included); the truth from a raw TLS client at security level 0 (so that it presents even a weak key) and the
# data plane's log.

NETSCAPE_TYPE: Final = x509.ObjectIdentifier("2.16.840.1.113730.1.1")
SIGNING: Final = key_usage(digital_signature=False, cert_sign=True)


def _netscape(bits: int) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(NETSCAPE_TYPE, bytes([0x03, 0x02, 0x00, bits]))  # a one-byte BIT STRING


def _critical(oid: str = "1.3.6.1.4.1.99999.1") -> tuple[tuple[x509.ExtensionType, bool], ...]:
    return ((x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), b"\x05\x00"), True),)


def _ca(common_name: str, *, issuer: Holder | None = None, **shape: Any) -> Holder:
    """A CA (basic constraints, keyCertSign), no extended key usage unless `shape` gives one."""
    defaults: dict[str, Any] = {"issuer": issuer, "ca": True, "usage": None, "key_usage_value": SIGNING}
    return certificate(cn(common_name), **(defaults | shape))


@dataclass(frozen=True)
class PathCase:
    anchor: Holder
    presented: tuple[Holder, ...]
    """The client's certificate first (its key is the one used), then the issuers it sends along."""
    filters: dict[str, Any] = dataclasses.field(default_factory=dict[str, Any])


def _path_cases() -> dict[str, PathCase]:
    root, other = _ca("Path Root"), _ca("Path Other")
    inter = _ca("Path Inter", issuer=root)
    leaf = certificate(cn("svc-1"), issuer=inter)
    cases: dict[str, PathCase] = {
        "intermediate sent": PathCase(root, (leaf, inter)),
        "intermediate not sent": PathCase(root, (leaf,)),
        "the anchor an intermediate, the root sent too": PathCase(inter, (leaf, inter, root)),
        "another CA's intermediate sent": PathCase(other, (leaf, inter)),
    }
    for length in (0, 1):
        anchor = _ca(f"Root len {length}", path_length=length)
        middle = _ca(f"Inter under len {length}", issuer=anchor)
        cases[f"root path length {length}, one intermediate"] = PathCase(
            anchor, (certificate(cn("svc-1"), issuer=middle), middle)
        )
        first = _ca(f"First len {length}", issuer=root, path_length=length)
        second = _ca(f"Second under len {length}", issuer=first)
        cases[f"intermediate path length {length}, another below it"] = PathCase(
            root, (certificate(cn("svc-1"), issuer=second), second, first)
        )
    for label, shape in {
        "intermediate with serverAuth": {"usage": "server"},
        "intermediate with clientAuth": {"usage": "client"},
        "intermediate expired": {"validity": "expired"},
        "intermediate with a critical unknown extension": {"extensions": _critical()},
    }.items():
        middle = _ca(f"Inter {label}", issuer=root, **shape)
        cases[label] = PathCase(root, (certificate(cn("svc-1"), issuer=middle), middle))
    not_ca = certificate(cn("Inter not a CA"), issuer=root, ca=False, usage=None)
    cases["intermediate not a CA"] = PathCase(root, (certificate(cn("svc-1"), issuer=not_ca), not_ca))
    ca = _ca("Ext CA")
    own_key = new_key()
    leaf_shapes: dict[str, dict[str, Any]] = {
        "client with a critical unknown extension": {"extensions": _critical()},
        "client with a critical subject key identifier": {
            "key": own_key,
            "key_identifiers": False,
            "extensions": ((x509.SubjectKeyIdentifier.from_public_key(own_key.public_key()), True),),
        },
        "client with a critical authority information access": {
            "extensions": (
                (
                    x509.AuthorityInformationAccess(
                        [
                            x509.AccessDescription(
                                x509.oid.AuthorityInformationAccessOID.OCSP,
                                x509.UniformResourceIdentifier("http://ocsp.example"),
                            )
                        ]
                    ),
                    True,
                ),
            )
        },
        "client with a critical subject alternative name": {
            "extensions": ((x509.SubjectAlternativeName([x509.DNSName("svc-1.example")]), True),)
        },
        "client typed SSL server only (Netscape)": {"extensions": ((_netscape(0x40), False),)},
        "client typed SSL server only (Netscape), no EKU": {"usage": None, "extensions": ((_netscape(0x40), False),)},
        "client typed SSL client (Netscape)": {"extensions": ((_netscape(0x80), False),)},
        "issuer name in another case and spacing": {"issuer_name": cn("  ext   ca ")},
        "RSA 1,024-bit client key": {"key": rsa.generate_private_key(65537, 1024)},  # noqa: S505 - the point
        "RSA 2,048-bit client key": {"key": rsa.generate_private_key(65537, 2048)},
    }
    for label, leaf_shape in leaf_shapes.items():
        cases[label] = PathCase(ca, (certificate(cn("svc-1"), issuer=ca, **leaf_shape),))
    look_alike = _ca("Ext CA")  # the same name, another key
    cases["signed by a CA of the same name, no key identifiers"] = PathCase(
        ca, (certificate(cn("svc-1"), issuer=look_alike, key_identifiers=False),)
    )
    for label, anchor in {
        "anchor with a critical unknown extension": _ca("Crit CA", extensions=_critical()),
        "anchor a CA by Netscape type sslCA only": certificate(
            cn("NS CA"), usage=None, key_identifiers=False, extensions=((_netscape(0x04), False),)
        ),
        "anchor a CA by Netscape type emailCA only": certificate(
            cn("NS mail CA"), usage=None, key_identifiers=False, extensions=((_netscape(0x02), False),)
        ),
        "anchor with an RSA 1,024-bit key": _ca("Weak CA", key=rsa.generate_private_key(65537, 1024)),  # noqa: S505 - the point
    }.items():
        cases[label] = PathCase(anchor, (certificate(cn("svc-1"), issuer=anchor),))
    multi = x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme")]),
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "svc-9"),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "ops"),
                ]
            ),
        ]
    )
    long_name = long_cn("svc-" + "x" * 96)  # X.520's 64-character bound on a CN is not a TLS rule
    for label, (subject, filters) in {
        "multi-valued RDN, either order": (multi, {"allowed_subjects": ["OU=ops+CN=svc-9,O=Acme"]}),
        "multi-valued RDN, split in two": (multi, {"allowed_subjects": ["CN=svc-9,OU=ops,O=Acme"]}),
        "attribute types in lower case": (cn("svc-1"), {"allowed_subjects": ["cn=svc-1"]}),
        "an OU filter with spaces around it": (
            name((NameOID.ORGANIZATIONAL_UNIT_NAME, "ops"), (NameOID.COMMON_NAME, "svc-1")),
            {"required_organizational_unit": " ops "},
        ),
        "a CN of 100 characters, a prefix filter": (long_name, {"allowed_common_name_prefixes": ["svc-"]}),
        "a CN of 100 characters, a subject filter": (long_name, {"allowed_subjects": [f"CN=svc-{'x' * 96}"]}),
        "an = inside a value, spaced": (cn("a= b"), {"allowed_subjects": ["CN=a= b"]}),
        "an = inside a value, unspaced against spaced": (cn("a=b"), {"allowed_subjects": ["CN=a= b"]}),
        "spaces around the first =": (cn("svc-1"), {"allowed_subjects": ["CN = svc-1"]}),
    }.items():
        cases[label] = PathCase(ca, (certificate(subject, issuer=ca),), filters)
    return cases


UNDECIDABLE: Final = frozenset({"RSA 1,024-bit client key", "anchor with an RSA 1,024-bit key"})
"""Where the truth depends on the server's security level (the sandbox's is 2): the check must say so."""


def _raw_connect(address: str, chain_path: str, key_path: str) -> None:
    """Present the chain as a client at security level 0 would (any key), and read once; the log says the rest."""
    host, _, port = address.rpartition(":")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the server is not under test
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.load_cert_chain(chain_path, key_path)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.settimeout(2)
                tls.recv(64)
        except (ssl.SSLError, OSError):
            pass


async def test_paths_extensions_and_key_strength_agree_with_real_handshakes(
    matrix_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    cases = _path_cases()
    assert set(cases) >= UNDECIDABLE
    sandbox = matrix_sandbox
    counts: Counter[str] = Counter()
    wrong: list[str] = []
    async with connect(build_server(sandbox_settings(sandbox, tmp_path)), "legacy") as client:
        for number, (label, case) in enumerate(cases.items()):
            row = sandbox.store.insert_certificate(sandbox.frontdoor_id, f"p{number}", case.anchor.pem, "m")
            share = sandbox.add_share(f"path{number}", client_certificate_id=row.id, **case.filters)
            chain_path, key_path = case.presented[0].files(tmp_path, f"path{number}")
            Path(chain_path).write_text("".join(holder.pem for holder in case.presented))
            checked = ok(
                await client.call_tool(
                    "check_certificate_against_share", {"share_id": share.id, "certificate_path": chain_path}
                )
            )
            sandbox.data_plane.log.clear()
            address = sandbox.data_plane.address(share.id)
            assert address is not None
            await anyio.to_thread.run_sync(functools.partial(_raw_connect, address, chain_path, key_path))
            truth = _truth(sandbox)
            admitted = truth.outcome == "admitted"
            counts["admitted" if admitted else "refused"] += 1
            verdict = checked["verdict"]
            if label in UNDECIDABLE:
                counts["cannot_decide"] += 1
                if verdict != "cannot_decide" or admitted:
                    wrong.append(f"{label}: check {verdict}, truth {truth} (expected cannot_decide, refused)")
            elif verdict == "cannot_decide" or (verdict == "admit") != admitted:
                counts["disagree"] += 1
                wrong.append(f"{label}: check {verdict}, truth {truth}")
            else:
                counts["agree"] += 1
    print(f"\npaths and extensions: {len(cases)} cases: {json.dumps(dict(sorted(counts.items())))}")
    assert not wrong, "\n".join(wrong)
    assert counts["admitted"] >= 8 and counts["refused"] >= 15, counts


# Planted: what a hostile API could answer, which the sandbox cannot store -------------------------------------

SHARE_ID: Final = "shr-planted"
CERTIFICATE_ID: Final = "cert-00000000-0000-4000-8000-00000000000a"
PLANTED: Final[dict[str, tuple[dict[str, Any], str]]] = {
    # what the share's answer holds (beside a trusted certificate), and the verdict expected
    "subject not text beside a match": ({"allowedSubjects": [42, "CN=svc-1"]}, "cannot_decide"),
    "subject not a name": ({"allowedSubjects": "not a distinguished name"}, "cannot_decide"),
    "subject in BER hex": ({"allowedSubjects": ["CN=#0403737663"]}, "cannot_decide"),
    "prefixes an object": ({"allowedCommonNamePrefixes": {"svc-": True}}, "cannot_decide"),
    "prefixes with a null": ({"allowedCommonNamePrefixes": ["svc-", None]}, "cannot_decide"),
    "two required OUs": ({"requiredOrganizationalUnit": ["pay", "ments"]}, "cannot_decide"),
    "OU a number": ({"requiredOrganizationalUnit": 7}, "cannot_decide"),
    "unreadable filter, expired client": ({"allowedSubjects": [42]}, "refuse"),
}


@pytest.mark.parametrize("planted", list(PLANTED))
async def test_planted_unreadable_filters_are_cannot_decide(planted: str, tmp_path: Path) -> None:
    """Never ADMIT over a filter that could not be read; a rule that fails anyway still refuses."""
    fields, expected = PLANTED[planted]
    ca = client_ca()
    presented = certificate(cn("svc-1"), issuer=ca, validity="expired" if expected == "refuse" else "valid")

    def answer(request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path.endswith(f"/shares/{SHARE_ID}"):
            share = {"id": SHARE_ID, "name": "planted", "type": "tcp", "clientCertificateId": CERTIFICATE_ID, **fields}
            return json_response(200, share)
        if path.endswith(f"/client-certificates/{CERTIFICATE_ID}"):
            stored = {"id": CERTIFICATE_ID, "name": "ca", "frontdoorId": FRONTDOOR, "value": ca.pem}
            return json_response(200, stored)
        return json_response(404, {"error": "not_found", "message": "no"})

    server = build_server(mock_settings(tmp_path), transport=httpx2.MockTransport(answer), sleep=Sleeps())
    async with connect(server, "legacy") as client:
        result = await client.call_tool(
            "check_certificate_against_share", {"share_id": SHARE_ID, "certificate_pem": presented.pem}
        )
    check = ok(result)
    assert check["verdict"] == expected, check["rules"]
    assert check.get("admitted") is (None if expected == "cannot_decide" else False)
    assert API_BASE.startswith("https://")  # the planted API is a MockTransport: nothing leaves this process


def test_the_stored_anchor_certificates_round_trip_as_pem() -> None:
    """The anchors are stored as the PEM clients would upload (the sandbox keeps what it is given)."""
    pem = client_ca().pem
    assert x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.PEM).decode() == pem

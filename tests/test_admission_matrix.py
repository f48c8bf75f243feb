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
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.sandbox.shares.ingress import ConnectionRecord
from frontdoor_mcp.server import build_server
from tests.mtls import Holder, Usage, Validity, certificate, client_ca, cn, key_usage, name, new_key
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
    for number, cell in enumerate(cells):
        if cell.anchor not in stored:
            row = sandbox.store.insert_certificate(sandbox.frontdoor_id, cell.anchor, anchors[cell.anchor].pem, "m")
            stored[cell.anchor] = row.id
        if (cell.anchor, cell.filters) not in shares:
            share = sandbox.add_share(
                f"m{len(shares)}", client_certificate_id=stored[cell.anchor], **FILTERS[cell.filters]
            )
            shares[cell.anchor, cell.filters] = share.id
        _ = number
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
    assert counts["disagree"] == 0 and counts["admitted"] >= 5 and counts["refused"] >= 10, counts


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

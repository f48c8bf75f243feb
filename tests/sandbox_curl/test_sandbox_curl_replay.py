"""Every request example of the API guide, replayed with curl against the sandbox.

The commands in guide_examples.txt are the guide's, verbatim; only the host, the ids and $TOKEN are
swapped. The guide's sample PEMs are not real certificates (one is a bare public key, one is cut short,
the CSR is signed with MD2), so those examples must get 400 invalid_request; they are then replayed with
a real certificate or CSR.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest

from frontdoor_mcp.sandbox.runner import RunningSandbox
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import certificate_pem, csr_pem

GUIDE_HOST = "https://gateway.production.netfoundry.io"
GUIDE_FRONTDOOR = "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"
GUIDE_CERT = "cert-123e4567-e89b-12d3-a456-426614174000"
SUMMARY_KEYS = {"id", "name", "frontdoorId", "createdAt", "createdBy"}
DETAIL_KEYS = SUMMARY_KEYS | {"value"}
DELETED_KEYS = {"id", "name", "frontdoorId", "deletedAt", "deletedBy"}
LIST_KEYS = {"content", "pageable", "totalElements", "totalPages"}

Json = dict[str, Any]


def _examples() -> dict[str, str]:
    text = (Path(__file__).parent / "guide_examples.txt").read_text()
    parts = re.split(r"^### (\S+)$", text, flags=re.MULTILINE)
    return {name: command.strip() for name, command in zip(parts[1::2], parts[2::2], strict=True)}


EXAMPLES = _examples()


def _curl() -> str:
    found = shutil.which("curl") or ("/usr/bin/curl" if Path("/usr/bin/curl").exists() else None)
    if found is None:
        pytest.fail("curl is required for the guide replay test and was not found on PATH or at /usr/bin/curl")
    return found


def replay(
    example: str,
    sandbox: RunningSandbox,
    *,
    cert_id: str | None = None,
    value: str | None = None,
    frontdoor_id: str | None = None,
) -> tuple[int, Json]:
    """Run the guide's curl command against the sandbox; (status, JSON body)."""
    command = EXAMPLES[example].replace(GUIDE_HOST, sandbox.root_url)
    command = command.replace(GUIDE_FRONTDOOR, frontdoor_id or sandbox.frontdoor_id)
    if cert_id is not None:
        command = command.replace(GUIDE_CERT, cert_id)
    if value is not None:
        # Inside the single-quoted -d body: a JSON string literal, its newlines escaped as \n.
        command = re.sub(r'"value": "[^"]*"', lambda _: f'"value": {json.dumps(value)}', command)
    args = shlex.split(command.replace("\\\n", " "))
    assert args[0] == "curl"
    args = [_curl(), *(a.replace("$TOKEN", sandbox.token) for a in args[1:])]
    args += ["--noproxy", "*", "--max-time", "10", "-w", "\n%{http_code}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=20, check=True)
    body, _, status = result.stdout.rpartition("\n")
    return int(status), cast(Json, json.loads(body))


def upload(sandbox: RunningSandbox, name: str) -> Json:
    with new_client(headers={"Authorization": f"Bearer {sandbox.token}"}) as client:
        response = client.post(
            f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates",
            json={"name": name, "value": certificate_pem()},
        )
    assert response.status_code == 201
    return cast(Json, response.json())


def test_the_guide_has_seven_examples() -> None:
    assert list(EXAMPLES) == ["list", "get", "create_upload", "create_csr", "patch", "put", "delete"]


def test_list(sandbox: RunningSandbox) -> None:
    upload(sandbox, "service-mesh-cert")
    upload(sandbox, "api-client-prod")
    status, body = replay("list", sandbox)
    assert status == 200
    assert set(body) == LIST_KEYS
    assert body["pageable"] == {"pageNumber": 0, "pageSize": 20}
    assert (body["totalElements"], body["totalPages"]) == (2, 1)
    assert [c["name"] for c in body["content"]] == ["api-client-prod", "service-mesh-cert"]  # sort=name,asc
    assert all(set(c) == SUMMARY_KEYS for c in body["content"])


def test_get(sandbox: RunningSandbox) -> None:
    created = upload(sandbox, "api-client-prod")
    status, body = replay("get", sandbox, cert_id=created["id"])
    assert status == 200
    assert set(body) == DETAIL_KEYS
    assert body["value"].startswith("-----BEGIN CERTIFICATE-----\n")
    status, body = replay("get", sandbox)  # the guide's own certificate id does not exist here
    assert status == 404
    assert body == {"error": "not_found", "message": f"Client certificate {GUIDE_CERT} not found"}


def test_the_guides_frontdoor_is_403_with_the_guides_body(sandbox: RunningSandbox) -> None:
    status, body = replay("list", sandbox, frontdoor_id=GUIDE_FRONTDOOR)
    assert status == 403
    assert body == {"error": "not_found", "message": f"Frontdoor {GUIDE_FRONTDOOR} not found"}  # the guide's 403


def test_create_upload(sandbox: RunningSandbox) -> None:
    status, body = replay("create_upload", sandbox)  # the guide's sample is a public key, not a certificate
    assert status == 400
    assert body["error"] == "invalid_request"
    status, body = replay("create_upload", sandbox, value=certificate_pem())
    assert status == 201
    assert set(body) == SUMMARY_KEYS
    assert body["name"] == "uploaded-client-cert"
    assert body["frontdoorId"] == sandbox.frontdoor_id


def test_create_csr(sandbox: RunningSandbox) -> None:
    status, body = replay("create_csr", sandbox)  # the guide's sample CSR is MD2-signed: it does not verify
    assert status == 400
    assert body["error"] == "invalid_request"
    status, body = replay("create_csr", sandbox, value=csr_pem("generated.example.com"))
    assert status == 201
    assert set(body) == SUMMARY_KEYS
    assert body["name"] == "generated-client-cert"


def test_patch(sandbox: RunningSandbox) -> None:
    created = upload(sandbox, "api-client-prod")
    status, body = replay("patch", sandbox, cert_id=created["id"])
    assert status == 200
    assert set(body) == DETAIL_KEYS
    assert body["name"] == "updated-client-cert-name"


def test_put(sandbox: RunningSandbox) -> None:
    created = upload(sandbox, "api-client-prod")
    status, body = replay("put", sandbox, cert_id=created["id"])  # the guide's sample PEM is cut short
    assert status == 400
    assert body["error"] == "invalid_request"
    replacement = certificate_pem("replacement.example.com")
    status, body = replay("put", sandbox, cert_id=created["id"], value=replacement)
    assert status == 200
    assert set(body) == DETAIL_KEYS
    assert body["name"] == "fully-updated-client-cert"
    assert body["value"] == replacement


def test_delete(sandbox: RunningSandbox) -> None:
    created = upload(sandbox, "api-client-prod")
    status, body = replay("delete", sandbox, cert_id=created["id"])
    assert status == 200
    assert set(body) == DELETED_KEYS
    assert body["deletedBy"] == sandbox.username
    status, body = replay("delete", sandbox, cert_id=created["id"])
    assert status == 404

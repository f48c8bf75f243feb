"""The tools' operations called directly, as plain functions (no session, no adapter), against one sandbox:
what each returns, structured and as text. The protocol tests keep what only the protocol shows."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.toolkit.state import SILENT, AppState
from frontdoor_mcp.tools.certificates import (
    create_client_certificate_from_csr,
    delete_client_certificate,
    find_change_target,
    find_deletion_target,
    get_client_certificate,
    list_client_certificates,
    update_client_certificate,
    upload_client_certificate,
)
from frontdoor_mcp.tools.local import generate_csr, inspect_certificate
from tests.support import fresh_lane, make_certificate, make_csr

pytestmark = pytest.mark.anyio


@pytest.fixture
async def state(module_sandbox: RunningSandbox, tmp_path: Path) -> AsyncGenerator[AppState]:
    lane = fresh_lane(module_sandbox)
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    async with FrontdoorClient(lane.base_url, BearerToken(Secret(lane.token), source="test")) as client:
        yield AppState(client, lane.frontdoor_id, keys, "test")


async def test_upload_then_list_get_and_narrow(state: AppState) -> None:
    uploaded = await upload_client_certificate(
        state, SILENT, name="ops-upload", certificate_pem=make_certificate("ops")
    )
    assert uploaded.result.decoded is not None and uploaded.result.decoded.subject == "CN=ops"
    assert f"certificate_id={uploaded.result.id}" in uploaded.text
    again = await upload_client_certificate(state, SILENT, name="ops-upload", certificate_pem=make_certificate("ops2"))
    assert any(uploaded.result.id in warning for warning in again.result.warnings), "the name was taken"

    page = await list_client_certificates(state, SILENT, size=1)
    assert page.result.matching == 1 and page.result.next_page == 1 and page.result.total_elements == 2
    narrowed = await list_client_certificates(state, SILENT, name_contains="UPLOAD")
    assert narrowed.result.all_pages and narrowed.result.matching == 2
    none = await list_client_certificates(state, SILENT, name_contains="nothing-like-it")
    assert none.result.matching == 0 and "none" in none.text

    got = await get_client_certificate(state, certificate_id=uploaded.result.id)
    assert got.result.certificate_pem is not None and got.result.certificate_pem.strip() in got.text


async def test_generate_then_create_from_the_csr_file(state: AppState, tmp_path: Path) -> None:
    generated = await generate_csr(state, common_name="ops-client", key_type="ec-p256")
    csr_path = Path(generated.result.csr_path)
    assert csr_path.read_text() == generated.result.csr_pem and csr_path.stat().st_mode & 0o777 == 0o644
    assert f"csr_path={csr_path}" in generated.text and "PRIVATE KEY" not in generated.text
    saved = tmp_path / "ops.crt.pem"
    created = await create_client_certificate_from_csr(
        state, SILENT, name="ops-client", csr_path=str(csr_path), save_certificate_to=str(saved)
    )
    assert created.result.saved_to == str(saved)
    assert created.result.decoded is not None
    assert created.result.decoded.public_key_sha256 == generated.result.public_key_sha256
    inspected = await inspect_certificate(path=str(saved))
    assert inspected.result.kind == "certificate"


async def test_a_pem_swap_needs_consent_and_a_rename_does_not(state: AppState) -> None:
    uploaded = await upload_client_certificate(state, SILENT, name="ops-swap", certificate_pem=make_certificate("old"))
    cert_id = uploaded.result.id
    swap = await find_change_target(
        state,
        certificate_id=cert_id,
        frontdoor_id=None,
        certificate_pem=make_certificate("new"),
        certificate_path=None,
        pem_required=False,
    )
    refused = await update_client_certificate(state, SILENT, certificate_id=cert_id, target=swap, consent="required")
    assert refused.result.changed is False and "Now:" in refused.text and "New:" in refused.text
    done = await update_client_certificate(state, SILENT, certificate_id=cert_id, target=swap, consent="elicitation")
    assert done.result.changed and done.result.decoded is not None and done.result.decoded.subject == "CN=new"

    rename = await find_change_target(
        state,
        certificate_id=cert_id,
        frontdoor_id=None,
        certificate_pem=None,
        certificate_path=None,
        pem_required=False,
        name="ops-renamed",
    )
    assert not rename.swaps_pem
    with pytest.raises(ToolError, match="Nothing to update"):
        await find_change_target(
            state,
            certificate_id=cert_id,
            frontdoor_id=None,
            certificate_pem=None,
            certificate_path=None,
            pem_required=False,
        )


async def test_delete_needs_consent_and_reports_the_name_it_showed(state: AppState) -> None:
    uploaded = await upload_client_certificate(state, SILENT, name="ops-delete", certificate_pem=make_certificate())
    target = await find_deletion_target(state, certificate_id=uploaded.result.id, frontdoor_id=None)
    for consent in ("required", "declined", "cancelled"):
        kept = await delete_client_certificate(state, SILENT, uploaded.result.id, target=target, consent=consent)
        assert kept.result.deleted is False and kept.result.name == "ops-delete", consent
    deleted = await delete_client_certificate(
        state, SILENT, uploaded.result.id, target=target, consent="confirm_argument"
    )
    assert deleted.result.deleted and deleted.result.deleted_at is not None


async def test_no_frontdoor_anywhere_is_explained(state: AppState) -> None:
    without = dataclasses.replace(state, default_frontdoor_id=None)
    with pytest.raises(ToolError, match="frontdoor_id is required"):
        await list_client_certificates(without, SILENT)


async def test_a_refused_csr_sends_nothing(state: AppState, module_sandbox: RunningSandbox) -> None:
    csr, _ = make_csr("ops")
    module_sandbox.faults.clear_requests()
    with pytest.raises(ToolError, match="refused before anything was sent"):
        await create_client_certificate_from_csr(state, SILENT, name="x", csr_pem=csr.replace("A", "B", 3))
    assert module_sandbox.faults.requests == []


async def test_get_and_delete_read_the_certificate_and_its_shares_at_once_and_fail_plainly(
    state: AppState, module_sandbox: RunningSandbox
) -> None:
    """Both reads go out together; a refused id, or a missing certificate, fails as it does for any other call
    (never inside an ExceptionGroup)."""
    with pytest.raises(InvalidIdError):
        await get_client_certificate(state, certificate_id="../etc")
    with pytest.raises(ToolError, match="was not found"):
        await find_deletion_target(state, certificate_id="cert-00000000-0000-4000-8000-000000000000", frontdoor_id=None)
    uploaded = await upload_client_certificate(
        state, SILENT, name="ops-shared", certificate_pem=make_certificate("shared")
    )
    share = module_sandbox.add_share(
        "opsShare", frontdoor_id=state.default_frontdoor_id, client_certificate_id=uploaded.result.id
    )
    got = await get_client_certificate(state, certificate_id=uploaded.result.id)
    assert [ref.id for ref in got.result.used_by_shares or []] == [share.id]

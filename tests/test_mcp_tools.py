"""Every tool through an in-memory MCP client session, in both protocol eras, against the real sandbox."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from mcp_types import LoggingMessageNotificationParams

from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import FrontdoorServer, build_server
from frontdoor_mcp.tools import ALL_TOOLS
from tests.support import connect, make_certificate, make_csr, mock_settings, ok, sandbox_settings, text_of

pytestmark = pytest.mark.anyio


async def test_generate_csr_then_create_from_csr_signs_and_saves(
    server: FrontdoorServer, era: str, tmp_path: Path
) -> None:
    async with connect(server, era) as client:
        generated = ok(await client.call_tool("generate_csr", {"common_name": "api-client-prod", "country": "US"}))
        key_path = Path(generated["key_path"])
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        assert "PRIVATE KEY" not in str(generated)
        saved = tmp_path / "signed.pem"
        created = ok(
            await client.call_tool(
                "create_client_certificate_from_csr",
                {"name": "api-client-prod", "csr_pem": generated["csr_pem"], "save_certificate_to": str(saved)},
            )
        )
    assert created["id"].startswith("cert-")
    decoded = created["decoded"]
    assert decoded["issuer"] == "CN=NetFoundry,O=NetFoundry,L=Charlotte,ST=NC,C=US"
    assert "CN=api-client-prod" in decoded["subject"]
    assert decoded["extended_key_usage"] == ["serverAuth"]
    assert set(decoded["key_usage"]) == {"digital_signature", "key_cert_sign", "crl_sign"}
    assert decoded["public_key_sha256"] == generated["public_key_sha256"]
    assert 364 <= decoded["days_remaining"] <= 365
    assert saved.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600


async def test_upload_list_get_update_replace_delete(server: FrontdoorServer, era: str, tmp_path: Path) -> None:
    pem = make_certificate("uploaded-client")
    async with connect(server, era) as client:
        uploaded = ok(await client.call_tool("upload_client_certificate", {"name": "uploaded", "certificate_pem": pem}))
        cert_id = uploaded["id"]
        assert uploaded["decoded"]["subject"] == "CN=uploaded-client"

        listed = ok(await client.call_tool("list_client_certificates", {"sort": "name,asc"}))
        assert [item["id"] for item in listed["items"]] == [cert_id]
        assert listed["total_elements"] == 1 and "next_page" not in listed

        got = ok(await client.call_tool("get_client_certificate", {"certificate_id": cert_id}))
        assert got["certificate_pem"].strip() == pem.strip()
        assert got["decoded"]["fingerprint_sha256"] == uploaded["decoded"]["fingerprint_sha256"]

        renamed = ok(
            await client.call_tool("update_client_certificate", {"certificate_id": cert_id, "name": "renamed"})
        )
        assert renamed["name"] == "renamed"
        assert renamed["certificate_pem"].strip() == pem.strip()

        other = tmp_path / "other.pem"
        other.write_text(make_certificate("replacement"))
        replaced = ok(
            await client.call_tool(
                "replace_client_certificate",
                {"certificate_id": cert_id, "name": "replaced", "certificate_path": str(other), "confirm": True},
            )
        )
        assert replaced["name"] == "replaced" and replaced["decoded"]["subject"] == "CN=replacement"

        deleted = ok(await client.call_tool("delete_client_certificate", {"certificate_id": cert_id, "confirm": True}))
        assert deleted["deleted"] is True and deleted["confirmation"] == "confirm_argument"
        assert deleted["deleted_at"] and deleted["name"] == "replaced"

        gone = await client.call_tool("get_client_certificate", {"certificate_id": cert_id})
        assert gone.is_error and "list_client_certificates" in text_of(gone)
        empty = ok(await client.call_tool("list_client_certificates", {}))
        assert empty["items"] == []


async def test_list_pages_and_all_pages(server: FrontdoorServer, every_era: str, sandbox: RunningSandbox) -> None:
    pem = make_certificate()
    async with connect(server, every_era) as client:
        for number in range(7):
            ok(
                await client.call_tool(
                    "upload_client_certificate", {"name": f"cert-{number:02d}", "certificate_pem": pem}
                )
            )
        first = ok(await client.call_tool("list_client_certificates", {"size": 3, "sort": "name,desc"}))
        assert [item["name"] for item in first["items"]] == ["cert-06", "cert-05", "cert-04"]
        assert (first["total_elements"], first["total_pages"], first["next_page"]) == (7, 3, 1)
        last = ok(await client.call_tool("list_client_certificates", {"size": 3, "page": 2, "sort": "name,desc"}))
        assert [item["name"] for item in last["items"]] == ["cert-00"] and "next_page" not in last
        seen: list[float] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append(progress)

        everything = await client.call_tool(
            "list_client_certificates", {"all_pages": True, "sort": "createdAt,asc"}, progress_callback=on_progress
        )
    result = ok(everything)
    assert [item["name"] for item in result["items"]] == [f"cert-{n:02d}" for n in range(7)]
    assert result["all_pages"] is True and result["truncated"] is False
    assert seen, "all_pages sends progress notifications"


async def test_all_pages_sends_a_log_notification_to_clients_that_ask(server: FrontdoorServer, every_era: str) -> None:
    messages: list[object] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        messages.append(params.data)

    async with connect(server, every_era, logging=on_log) as client:
        ok(await client.call_tool("upload_client_certificate", {"name": "one", "certificate_pem": make_certificate()}))
        ok(await client.call_tool("list_client_certificates", {"all_pages": True}))
    assert any("Read 1 client certificates" in str(message) for message in messages)


async def test_inspect_certificate_and_csr(server: FrontdoorServer, era: str, tmp_path: Path) -> None:
    csr_pem, _ = make_csr("inspect-me")
    path = tmp_path / "cert.pem"
    path.write_text(make_certificate("on-disk"))
    async with connect(server, era) as client:
        csr = ok(await client.call_tool("inspect_certificate", {"pem": csr_pem}))
        from_file = ok(await client.call_tool("inspect_certificate", {"path": str(path)}))
    assert csr["kind"] == "csr" and csr["csr"]["signature_valid"] is True
    assert from_file["kind"] == "certificate" and from_file["certificate"]["subject"] == "CN=on-disk"


async def test_unknown_certificate_is_a_404_with_next_step(server: FrontdoorServer, era: str) -> None:
    async with connect(server, era) as client:
        result = await client.call_tool(
            "get_client_certificate", {"certificate_id": "cert-00000000-0000-4000-8000-000000000000"}
        )
    assert result.is_error
    assert "was not found" in text_of(result) and "list_client_certificates" in text_of(result)


async def test_frontdoor_the_token_cannot_use_is_a_403_message(
    server: FrontdoorServer, era: str, sandbox: RunningSandbox
) -> None:
    other = sandbox.add_frontdoor()
    async with connect(server, era) as client:
        result = await client.call_tool("list_client_certificates", {"frontdoor_id": other})
    assert result.is_error
    assert f"cannot use frontdoor {other}" in text_of(result) and "FRONTDOOR_ID" in text_of(result)


async def test_wrong_token_names_the_credential_source_not_the_value(
    sandbox: RunningSandbox, era: str, tmp_path: Path
) -> None:
    from frontdoor_mcp.api.auth import BearerToken, Secret

    wrong = "wrong-token-5d1e0c"
    server = build_server(
        sandbox_settings(sandbox, tmp_path, credential=BearerToken(Secret(wrong), source="NETFOUNDRY_API_TOKEN"))
    )
    async with connect(server, era) as client:
        result = await client.call_tool("list_client_certificates", {})
    assert result.is_error
    message = text_of(result)
    assert "401" in message and "NETFOUNDRY_API_TOKEN" in message and wrong not in message


async def test_missing_frontdoor_id_without_default_is_explained(
    sandbox: RunningSandbox, era: str, tmp_path: Path
) -> None:
    server = build_server(sandbox_settings(sandbox, tmp_path, frontdoor_id=None))
    async with connect(server, era) as client:
        result = await client.call_tool("list_client_certificates", {})
    assert result.is_error and "FRONTDOOR_ID" in text_of(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("get_client_certificate", {"certificate_id": "../../etc/passwd"}, "certificate_id"),
        ("list_client_certificates", {"frontdoor_id": "not-a-uuid"}, "frontdoor_id"),
        ("list_client_certificates", {"size": 0}, "size"),
        ("list_client_certificates", {"sort": "id,asc"}, "sort"),
        ("upload_client_certificate", {"name": "x"}, "certificate_pem"),
        ("upload_client_certificate", {"name": "x", "certificate_pem": "a", "certificate_path": "/tmp/x"}, "not both"),
        ("upload_client_certificate", {"name": "bad\nname", "certificate_pem": "x"}, "name"),
        ("update_client_certificate", {"certificate_id": "cert-abc"}, "Nothing to update"),
        ("generate_csr", {"common_name": "x", "country": "USA"}, "country"),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    server: FrontdoorServer, era: str, sandbox: RunningSandbox, tool: str, arguments: dict[str, object], expected: str
) -> None:
    before = sandbox.faults.count()
    async with connect(server, era) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert expected in text_of(result)
    assert sandbox.faults.count() == before, "no request reached the API"


async def test_private_key_in_upload_is_refused_and_not_echoed(
    server: FrontdoorServer, era: str, sandbox: RunningSandbox
) -> None:
    _, key_pem = make_csr()
    bundle = make_certificate() + key_pem
    async with connect(server, era) as client:
        result = await client.call_tool("upload_client_certificate", {"name": "leaky", "certificate_pem": bundle})
    assert result.is_error
    message = text_of(result)
    assert "private key" in message.lower()
    key_body = key_pem.splitlines()[1]
    assert key_body not in message
    assert sandbox.faults.count() == 0


async def test_generate_csr_never_overwrites(server: FrontdoorServer, era: str, tmp_path: Path) -> None:
    existing = tmp_path / "existing.key"
    existing.write_text("keep me")
    async with connect(server, era) as client:
        result = await client.call_tool("generate_csr", {"common_name": "x", "key_path": str(existing)})
    assert result.is_error
    assert existing.read_text() == "keep me"


async def test_read_only_mode_registers_no_write_tool(sandbox: RunningSandbox, tmp_path: Path, era: str) -> None:
    server = build_server(sandbox_settings(sandbox, tmp_path, read_only=True))
    async with connect(server, era) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        refused = await client.call_tool("delete_client_certificate", {"certificate_id": "cert-abc", "confirm": True})
    assert names == {definition.name for definition in ALL_TOOLS if definition.read_only}
    assert {"list_client_certificates", "get_client_certificate", "inspect_certificate", "get_share"} <= names
    assert not names & {"delete_client_certificate", "replace_client_certificate", "generate_csr"}
    assert refused.is_error


async def test_an_api_url_without_its_base_path_is_named_not_blamed_on_a_certificate(
    sandbox: RunningSandbox, tmp_path: Path, era: str
) -> None:
    """FRONTDOOR_API_URL without /frontdoor: a list answers 404 (every frontdoor has one), which is the URL's fault:
    the tool says which URL answered 404 and how to fix it, not that a certificate was not found."""
    server = build_server(sandbox_settings(sandbox, tmp_path, api_url=sandbox.root_url))
    async with connect(server, era) as client:
        listed = await client.call_tool("list_client_certificates", {})
        upload = {"name": "x", "certificate_pem": make_certificate()}
        created = await client.call_tool("upload_client_certificate", upload)
        got = await client.call_tool("get_client_certificate", {"certificate_id": "cert-1234"})
        shares = await client.call_tool("list_shares", {})
    url = f"{sandbox.root_url}/{sandbox.frontdoor_id}/client-certificates"
    for answer in (listed, created):  # the upload looks for its name first: the same GET
        text = text_of(answer)
        assert answer.is_error and f"GET {url} answered 404 (no such path)" in text, text
        assert f"FRONTDOOR_API_URL {sandbox.root_url} is wrong (it lacks the /frontdoor path)" in text
        assert "https://gateway.production.netfoundry.io/frontdoor" in text and "not found" not in text
    assert got.is_error and "does not end in /frontdoor" in text_of(got)
    # A 404 for an unknown frontdoor is documented only for the certificates (403): for shares, not a certainty.
    assert shares.is_error and f"FRONTDOOR_API_URL {sandbox.root_url} is most likely wrong" in text_of(shares)
    assert "otherwise the frontdoor id is unknown" in text_of(shares)


async def test_a_shared_key_folder_gets_advice_that_never_loosens_it(tmp_path: Path, era: str) -> None:
    """FRONTDOOR_MCP_KEY_DIR=/tmp (mode 1777): refused, and the advice is a folder of one's own, not chmod /tmp."""
    shared = tmp_path / "tmp-like"
    shared.mkdir()
    shared.chmod(0o1777)
    async with connect(build_server(mock_settings(tmp_path, key_dir=shared)), era) as client:
        refused = await client.call_tool("generate_csr", {"common_name": "c"})
    text = text_of(refused)
    assert refused.is_error and "FRONTDOOR_MCP_KEY_DIR" in text and "mkdir -m 700" in text
    assert "chmod" not in text and not list(shared.iterdir())

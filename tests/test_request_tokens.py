"""Certificate request tokens through the protocol, against the sandbox: the operator creates one; someone with
no API credentials redeems it with a key made on their machine; single use, expiry and unknown tokens each get
their sentence; the fields a token fixes win over the CSR's; the configured credentials never go to the
redemption path; a token string is shown only where it is meant to be."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import stat
import time
from pathlib import Path

import httpx2
import pytest

from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.server import FrontdoorServer, build_server
from tests.support import (
    CANARY_TOKEN,
    FAULTS,
    Emitted,
    Session,
    Sleeps,
    assert_answered,
    connect,
    everything_else,
    fault_of,
    make_csr,
    ok,
    sandbox_settings,
    text_of,
    watched,
)

pytestmark = pytest.mark.anyio

TOKEN_STRING = re.compile(r"crt_[0-9a-f]{8,}")


def _recipient(sandbox: RunningSandbox, tmp_path: Path) -> FrontdoorServer:
    """The recipient's server: no credential at all, no default frontdoor."""
    settings = sandbox_settings(sandbox, tmp_path / "recipient", credential=None, frontdoor_id=None)
    return build_server(settings)


async def test_the_delegated_lifecycle(sandbox: RunningSandbox, tmp_path: Path, every_era: str) -> None:
    operator = build_server(sandbox_settings(sandbox, tmp_path))
    (tmp_path / "recipient").mkdir()
    async with connect(operator, every_era) as client:
        created = await client.call_tool(
            "create_certificate_request_token",
            {"name": "payments-client", "organization": "Example Corp", "organizational_unit": "payments"},
        )
        record = ok(created)
        token = record["token"]
        assert TOKEN_STRING.fullmatch(token) and token in text_of(created) and "send it privately" in text_of(created)
        token_id = record["id"]
        listed = await client.call_tool("list_certificate_request_tokens", {})
        assert token not in text_of(listed) + str(listed.structured_content) and token_id in text_of(listed)
        masked = ok(await client.call_tool("get_certificate_request_token", {"token_id": token_id}))
        assert "token" not in masked and masked["token_masked"] == f"crt_…{token[-4:]}"
        updated = ok(
            await client.call_tool("update_certificate_request_token", {"token_id": token_id, "common_name": "pay-1"})
        )
        assert updated["token"]["common_name"] == "pay-1"

    async with connect(_recipient(sandbox, tmp_path), every_era) as recipient:
        redeemed = await recipient.call_tool(
            "redeem_certificate_request_token",
            {
                "token": token,
                "frontdoor_id": sandbox.frontdoor_id,
                "key_type": "ec-p256",
                "common_name": "what-the-recipient-asked",
                "save_certificate_to": str(tmp_path / "recipient" / "client.crt.pem"),
            },
        )
        certificate = ok(redeemed)
        assert token not in text_of(redeemed) + str(redeemed.structured_content)
        assert certificate["name"] == "payments-client"
        assert "CN=pay-1" in certificate["decoded"]["subject"] and "OU=payments" in certificate["decoded"]["subject"]
        assert "CN=pay-1" in certificate["fixed_by_token"], "the token's CN won over the CSR's"
        key = Path(certificate["key_path"])
        assert stat.S_IMODE(key.stat().st_mode) == 0o600 and certificate["saved_to"]
        again = await recipient.call_tool(
            "redeem_certificate_request_token",
            {"token": token, "frontdoor_id": sandbox.frontdoor_id, "csr_path": certificate["csr_path"]},
        )
        assert again.is_error and "already used" in text_of(again) and "new one" in text_of(again)

    async with connect(operator, every_era) as client:
        names = ok(await client.call_tool("list_client_certificates", {"name_contains": "payments"}))
        assert [item["id"] for item in names["items"]] == [certificate["id"]]
        revoked = ok(
            await client.call_tool("revoke_certificate_request_token", {"token_id": token_id, "confirm": True})
        )
        assert revoked["done"] is True


async def test_redemption_needs_no_credential_and_sends_none(sandbox: RunningSandbox, tmp_path: Path) -> None:
    token = sandbox.add_request_token("no-creds").token
    sent: list[httpx2.Request] = []

    class Spy(httpx2.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            sent.append(request)
            return await super().handle_async_request(request)

    server = build_server(sandbox_settings(sandbox, tmp_path), transport=Spy())  # configured with the canary
    csr, _ = make_csr("spied")
    async with connect(server, "legacy") as client:
        ok(await client.call_tool("redeem_certificate_request_token", {"token": token, "csr_pem": csr}))
    redemption = [request for request in sent if "/token/" in request.url.path]
    assert len(redemption) == 1 and "authorization" not in redemption[0].headers
    assert CANARY_TOKEN not in str(redemption[0].headers)


@pytest.mark.parametrize(
    ("case", "sentence"),
    [
        ("unknown", "was not accepted (404): it is mistyped, was revoked, or belongs to another frontdoor"),
        ("revoked", "was not accepted (404)"),
        ("expired", "has expired (410)"),
        ("another frontdoor", "belongs to another frontdoor"),
    ],
)
async def test_each_refusal_has_its_sentence(case: str, sentence: str, tmp_path: Path) -> None:
    now = [time.time()]
    with start_sandbox(token=CANARY_TOKEN, clock=lambda: now[0]) as sandbox:
        row = sandbox.add_request_token(f"case-{case}")
        token, frontdoor = row.token, sandbox.frontdoor_id
        if case == "unknown":
            token = "crt_" + "0" * 32
        elif case == "revoked":
            sandbox.store.tokens.delete(frontdoor, row.id, "user-sandbox")
        elif case == "expired":
            now[0] += 8 * 86400  # tokens live 7 days in the sandbox
        else:
            frontdoor = sandbox.add_frontdoor()
        csr, _ = make_csr(case)
        server = build_server(dataclasses.replace(sandbox_settings(sandbox, tmp_path), credential=None))
        async with connect(server, "legacy") as client:
            result = await client.call_tool(
                "redeem_certificate_request_token", {"token": token, "frontdoor_id": frontdoor, "csr_pem": csr}
            )
    assert result.is_error and sentence in text_of(result) and "Ask whoever gave you the token" in text_of(result)
    assert token not in text_of(result)


async def test_a_token_saved_to_a_file_is_not_shown(sandbox: RunningSandbox, tmp_path: Path) -> None:
    server = build_server(sandbox_settings(sandbox, tmp_path))
    target = tmp_path / "handover.token"
    async with connect(server, "legacy") as client:
        created = await client.call_tool(
            "create_certificate_request_token", {"name": "saved", "save_token_to": str(target)}
        )
    record = ok(created)
    token = target.read_text().strip()
    assert TOKEN_STRING.fullmatch(token) and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "token" not in record and token not in text_of(created) + str(created.structured_content)
    assert record["saved_to"] == str(target) and record["token_masked"].endswith(token[-4:])


async def test_reveal_shows_the_string_and_nothing_else_does(sandbox: RunningSandbox, tmp_path: Path) -> None:
    row = sandbox.add_request_token("revealed")
    token, token_id = row.token, row.id
    server = build_server(sandbox_settings(sandbox, tmp_path))
    async with connect(server, "legacy") as client:
        revealed = ok(await client.call_tool("get_certificate_request_token", {"token_id": token_id, "reveal": True}))
        everything_else = [
            await client.call_tool("list_certificate_request_tokens", {"all_pages": True}),
            await client.call_tool("get_certificate_request_token", {"token_id": token_id}),
            await client.call_tool("update_certificate_request_token", {"token_id": token_id, "name": "renamed"}),
            await client.call_tool("revoke_certificate_request_token", {"token_id": token_id}),
        ]
    assert revealed["token"] == token
    for result in everything_else:
        assert token not in text_of(result) + str(result.structured_content)


async def test_a_token_string_appears_only_where_it_is_meant_to(
    sandbox: RunningSandbox,
    every_era: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Shown in the result that creates it and in a get with reveal=true; nowhere else: not in another result,
    an error, a log line (DEBUG), or an MCP log notification, whatever fault the API answers with."""
    caplog.set_level(logging.DEBUG)
    server = build_server(sandbox_settings(sandbox, tmp_path), sleep=Sleeps())
    emitted = Emitted()
    async with watched(server, every_era, emitted) as session:
        created = await session.call("create_certificate_request_token", {"name": "canary", "organizational_unit": "x"})
        token, token_id = ok(created)["token"], ok(created)["id"]
        revealed = await session.call("get_certificate_request_token", {"token_id": token_id, "reveal": True})
        allowed = [created, revealed]
        csr, _ = make_csr("canary")
        await _every_token_tool(session, token, token_id, csr, sandbox)
        for kind in FAULTS:
            sandbox.faults.add(fault_of(kind, "GET", "certificate-request-tokens"))
            assert_answered(await session.call("list_certificate_request_tokens", {}), "list")
            sandbox.faults.add(fault_of(kind, "GET", "certificate-request-tokens/"))
            assert_answered(await session.call("get_certificate_request_token", {"token_id": token_id}), "get")
            sandbox.faults.add(fault_of(kind, "POST", "/token/"))
            spare = sandbox.add_request_token(f"spare-{kind}").token
            redeem = {"token": spare, "csr_pem": csr}
            assert_answered(await session.call("redeem_certificate_request_token", redeem), "redeem")
            sandbox.faults.add(fault_of(kind, "POST", "certificate-request-tokens"))
            assert_answered(await session.call("create_certificate_request_token", {"name": f"f-{kind}"}), "create")
            sandbox.faults.clear()
        # Where the string may still be handed in by mistake: refused, never repeated.
        for tool, arguments in (
            ("get_certificate_request_token", {"token_id": token}),
            ("create_certificate_request_token", {"name": f"name {token}\u0007"}),
            ("redeem_certificate_request_token", {"token": token + "/..", "csr_pem": csr}),
            ("list_certificate_request_tokens", {"frontdoor_id": token}),
        ):
            refused = await session.call(tool, arguments)
            assert refused.is_error and token not in text_of(refused), tool
    others = [result for result in emitted.results if all(result is not kept for kept in allowed)]
    said = "\n".join(text_of(result) + json.dumps(result.structured_content) for result in others)
    assert len(others) > 40
    assert token not in said and token not in "\n".join(emitted.logs)
    assert token not in everything_else(caplog, capfd)


async def _every_token_tool(session: Session, token: str, token_id: str, csr: str, sandbox: RunningSandbox) -> None:
    ok(await session.call("list_certificate_request_tokens", {"all_pages": True}))
    ok(await session.call("get_certificate_request_token", {"token_id": token_id}))
    ok(await session.call("update_certificate_request_token", {"token_id": token_id, "common_name": "c"}))
    ok(await session.call("redeem_certificate_request_token", {"token": token, "csr_pem": csr}))
    used = await session.call("redeem_certificate_request_token", {"token": token, "csr_pem": csr})
    assert used.is_error
    ok(await session.call("list_client_certificates", {"all_pages": True}))
    ok(await session.call("find_expiring_client_certificates", {"within_days": 400}))
    ok(await session.call("revoke_certificate_request_token", {"token_id": token_id, "confirm": True}))
    sandbox.faults.clear()

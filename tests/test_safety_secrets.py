"""Secrets (issue 4): no token, password, client secret or private key in anything the server emits.

Scanned: tool results (text and structured), MCP log notifications, Python logging at DEBUG, and the
process's stdout/stderr; in-process in both protocol eras, across every tool and every fault the sandbox
can inject, and over real stdio with the server logging at DEBUG.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from frontdoor_mcp.api.auth import BasicToken, BearerToken, ClientCredentials, Credential, Secret
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.server import build_server
from tests.support import (
    CANARY_SECRET,
    CANARY_TOKEN,
    FAULTS,
    FRONTDOOR,
    Emitted,
    Session,
    Sleeps,
    assert_answered,
    basic_pair,
    everything_else,
    fault_of,
    leaks,
    make_certificate,
    make_csr,
    mock_settings,
    ok,
    pem_body_lines,
    sandbox_settings,
    text_of,
    watched,
)

pytestmark = pytest.mark.anyio

CORPUS: Final = Path(__file__).parent / "corpus"
KEY_FILES: Final = (
    "key-p256-pkcs8.pem",
    "key-rsa-traditional.pem",
    "key-ec-traditional.pem",
    "key-encrypted-pkcs8.pem",
    "key-openssh.pem",
    "key-bare-base64.txt",
    "bundle-cert-and-key.pem",
)


def _hostile_arguments(secret: str) -> list[tuple[str, dict[str, Any], str]]:
    """(tool, arguments, the argument the error must name): each invalid, each carrying `secret`."""
    cert = "cert-123e4567-e89b-12d3-a456-426614174000"
    huge = (secret + "\n") * (70_000 // (len(secret) + 1) + 1)
    return [
        ("list_client_certificates", {"frontdoor_id": secret}, "frontdoor_id"),
        ("list_client_certificates", {"size": secret}, "size"),
        ("list_client_certificates", {"page": [secret]}, "page"),
        ("list_client_certificates", {"sort": secret}, "sort"),
        ("list_client_certificates", {"all_pages": {"k": secret}}, "all_pages"),
        ("get_client_certificate", {"certificate_id": secret}, "certificate_id"),
        ("get_client_certificate", {"certificate_id": cert, "frontdoor_id": [secret]}, "frontdoor_id"),
        ("upload_client_certificate", {"name": secret, "certificate_pem": huge}, "certificate_pem"),
        ("upload_client_certificate", {"name": "n\n" + secret, "certificate_pem": "x"}, "name"),
        ("upload_client_certificate", {"name": "n", "certificate_pem": {"pem": secret}}, "certificate_pem"),
        ("upload_client_certificate", {"name": "n", "certificate_path": [secret]}, "certificate_path"),
        ("upload_client_certificate", {"name": "n", "certificate_path": huge}, "certificate_path"),
        ("create_client_certificate_from_csr", {"name": "n", "csr_pem": huge}, "csr_pem"),
        ("create_client_certificate_from_csr", {"name": "n", "csr_pem": "x", "save_certificate_to": huge}, "save"),
        ("update_client_certificate", {"certificate_id": secret, "name": "n"}, "certificate_id"),
        ("replace_client_certificate", {"certificate_id": cert, "name": huge, "certificate_pem": "x"}, "name"),
        ("delete_client_certificate", {"certificate_id": cert, "confirm": secret}, "confirm"),
        ("generate_csr", {"common_name": huge}, "common_name"),
        ("generate_csr", {"common_name": "x", "dns_names": [huge]}, "dns_names"),
        ("generate_csr", {"common_name": "x", "ip_addresses": [huge]}, "ip_addresses"),
        ("generate_csr", {"common_name": "x", "key_type": secret}, "key_type"),
        ("generate_csr", {"common_name": "x", "email": secret}, "email"),
        ("generate_csr", {"common_name": "x", "key_path": huge}, "key_path"),
        ("inspect_certificate", {"pem": huge}, "pem"),
        ("inspect_certificate", {"path": {"p": secret}}, "path"),
        ("find_expiring_client_certificates", {"within_days": secret}, "within_days"),
    ]


async def _every_tool_through_everyfault_of(
    session: Session, sandbox: RunningSandbox, tmp_path: Path, keys: list[str]
) -> str:
    """Drive every tool, every refusal that carries a key, and every fault kind on every method. Returns
    the generated private key's PEM (read from its file), for the caller to scan for."""
    generated = ok(await session.call("generate_csr", {"common_name": "secret-scan", "country": "US"}))
    key_pem = Path(generated["key_path"]).read_text()
    signed = ok(
        await session.call(
            "create_client_certificate_from_csr",
            {"name": "from-csr", "csr_pem": generated["csr_pem"], "save_certificate_to": str(tmp_path / "s.pem")},
        )
    )
    pem = make_certificate("secret-scan")
    uploaded = ok(await session.call("upload_client_certificate", {"name": "uploaded", "certificate_pem": pem}))
    cert_id = uploaded["id"]
    ok(await session.call("list_client_certificates", {"all_pages": True}))
    ok(await session.call("get_client_certificate", {"certificate_id": signed["id"]}))
    ok(await session.call("update_client_certificate", {"certificate_id": cert_id, "name": "renamed"}))
    ok(
        await session.call(
            "replace_client_certificate", {"certificate_id": cert_id, "name": "r", "certificate_pem": pem}
        )
    )
    ok(await session.call("inspect_certificate", {"pem": generated["csr_pem"]}))
    ok(await session.call("find_expiring_client_certificates", {"within_days": 400}))
    ok(await session.call("delete_client_certificate", {"certificate_id": cert_id, "confirm": True}))

    # Keys handed in where a certificate or CSR belongs, inline and as files: refused, never echoed.
    for number, key in enumerate(keys):
        path = tmp_path / f"key-{number}.pem"
        path.write_text(key)
        for tool, arguments in (
            ("upload_client_certificate", {"name": "k", "certificate_pem": key}),
            ("upload_client_certificate", {"name": "k", "certificate_path": str(path)}),
            ("create_client_certificate_from_csr", {"name": "k", "csr_pem": key}),
            ("create_client_certificate_from_csr", {"name": "k", "csr_path": str(path)}),
            ("update_client_certificate", {"certificate_id": signed["id"], "certificate_pem": key}),
            ("replace_client_certificate", {"certificate_id": signed["id"], "name": "k", "certificate_pem": key}),
            ("inspect_certificate", {"pem": key}),
            ("inspect_certificate", {"path": str(path)}),
            ("upload_client_certificate", {"name": "k", "certificate_path": key}),  # a key where a path goes
            ("generate_csr", {"common_name": "k", "key_path": key}),
        ):
            result = await session.call(tool, arguments)
            assert result.is_error, (tool, text_of(result))
            assert_answered(result, tool)
        for tool, arguments, argument in _hostile_arguments(key):
            result = await session.call(tool, arguments)
            assert result.is_error and argument in text_of(result), (tool, argument, text_of(result))
    for tool, arguments, argument in _hostile_arguments(CANARY_TOKEN):
        result = await session.call(tool, arguments)
        assert result.is_error and argument in text_of(result), (tool, argument, text_of(result))

    # Every fault kind on every method the tools use.
    for kind in FAULTS:
        sandbox.faults.add(fault_of(kind, "GET", "client-certificates/cert-"))
        assert_answered(await session.call("get_client_certificate", {"certificate_id": signed["id"]}), "get")
        sandbox.faults.add(fault_of(kind, "GET"))
        assert_answered(await session.call("list_client_certificates", {}), "list")
        sandbox.faults.add(fault_of(kind, "POST"))
        upload = {"name": f"fault-{kind}", "certificate_pem": pem}
        assert_answered(await session.call("upload_client_certificate", upload), "upload")
        sandbox.faults.add(fault_of(kind, "PATCH"))
        rename = {"certificate_id": signed["id"], "name": f"patched-{kind}"}
        assert_answered(await session.call("update_client_certificate", rename), "update")
        sandbox.faults.add(fault_of(kind, "PUT"))
        replace = {"certificate_id": signed["id"], "name": f"put-{kind}", "certificate_pem": pem}
        assert_answered(await session.call("replace_client_certificate", replace), "replace")
        sandbox.faults.clear()
    # A refused token, with the server's clock ten minutes behind.
    sandbox.faults.add(Fault("status", method="GET", status=401))
    sandbox.faults.add(Fault("clock_offset", method="GET", clock_offset_s=-600))
    refused = await session.call("list_client_certificates", {})
    assert refused.is_error and "401" in text_of(refused)
    sandbox.faults.clear()
    for kind in FAULTS:
        sandbox.faults.add(fault_of(kind, "DELETE"))
        victim = ok(await session.call("upload_client_certificate", {"name": f"victim-{kind}", "certificate_pem": pem}))
        deleted = await session.call("delete_client_certificate", {"certificate_id": victim["id"], "confirm": True})
        assert_answered(deleted, "delete")
        sandbox.faults.clear()
    return key_pem


async def test_no_token_or_key_in_anything_emitted_across_tools_and_faults(
    sandbox: RunningSandbox,
    every_era: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    _, fresh_key = make_csr("handed-in")
    keys = [(CORPUS / name).read_text() for name in KEY_FILES] + [fresh_key]
    server = build_server(sandbox_settings(sandbox, tmp_path), sleep=Sleeps())
    emitted = Emitted()
    async with watched(server, every_era, emitted) as session:
        generated_key = await _every_tool_through_everyfault_of(session, sandbox, tmp_path, keys)

    secrets = [CANARY_TOKEN, *pem_body_lines(generated_key)]
    for key in keys:
        secrets.extend(pem_body_lines(key))
    assert len(secrets) > 40
    output = emitted.everything()
    assert len(emitted.results) > 350, "every case ran"
    assert leaks(output, secrets) == []
    assert leaks(everything_else(caplog, capfd), secrets) == []
    assert "PRIVATE KEY" not in output


def _echoing(credential_kind: str) -> tuple[Credential, list[str], httpx2.MockTransport]:
    """An API that answers every request with an error whose fields echo the Authorization header."""
    statuses = [400, 401, 403, 404, 409, 418, 429, 500, 502, 503]
    served: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        status = statuses[len(served) % len(statuses)]
        served.append(status)
        header = request.headers.get("authorization", "")
        body = {
            "error": f"bad header Authorization: {header}",
            "message": f"Rejected {header} (token {CANARY_TOKEN}) for {request.url.path}",
            "headers": dict(request.headers),
        }
        return httpx2.Response(
            status,
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json", "retry-after": "120", "x-echo": header},
        )

    if credential_kind == "basic":
        credential: Credential = BasicToken("user-7", Secret(CANARY_TOKEN), source="NETFOUNDRY_API_TOKEN")
        forms = [CANARY_TOKEN, basic_pair("user-7", CANARY_TOKEN)]
    else:
        credential = BearerToken(Secret(CANARY_TOKEN), source="NETFOUNDRY_API_TOKEN")
        forms = [CANARY_TOKEN]
    return credential, forms, httpx2.MockTransport(handler)


@pytest.mark.parametrize("credential_kind", ["bearer", "basic"])
async def test_error_bodies_echoing_the_authorization_header_are_redacted(
    every_era: str,
    tmp_path: Path,
    credential_kind: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    credential, forms, transport = _echoing(credential_kind)
    server = build_server(mock_settings(tmp_path, credential), transport=transport, sleep=Sleeps())
    pem = make_certificate()
    cert = "cert-123e4567-e89b-12d3-a456-426614174000"
    quoted = 0
    async with watched(server, every_era) as session:
        for _ in range(10):  # every status the API cycles through, for every API tool
            for tool, arguments in (
                ("list_client_certificates", {}),
                ("get_client_certificate", {"certificate_id": cert}),
                ("upload_client_certificate", {"name": "n", "certificate_pem": pem}),
                ("update_client_certificate", {"certificate_id": cert, "name": "n"}),
                ("replace_client_certificate", {"certificate_id": cert, "name": "n", "certificate_pem": pem}),
                ("delete_client_certificate", {"certificate_id": cert, "confirm": True}),
                ("find_expiring_client_certificates", {}),
            ):
                result = await session.call(tool, arguments)
                assert result.is_error
                assert_answered(result, tool)
                quoted += "redacted" in text_of(result)
    assert quoted > 0, "the API's message is still quoted, only cleaned"
    assert leaks(session.emitted.everything(), forms) == []
    assert leaks(everything_else(caplog, capfd), forms) == []


async def test_oauth_client_secret_and_access_tokens_are_never_emitted(
    every_era: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with start_sandbox(client_secret=CANARY_SECRET, token=CANARY_TOKEN) as sandbox:
        credential = ClientCredentials(
            sandbox.client_id, Secret(CANARY_SECRET), sandbox.token_url, source="NETFOUNDRY_API_ACCOUNT"
        )
        first_token = (await credential.current_token()).reveal()
        server = build_server(sandbox_settings(sandbox, tmp_path, credential=credential), sleep=Sleeps())
        async with watched(server, every_era) as session:
            pem = make_certificate()
            created = ok(await session.call("upload_client_certificate", {"name": "oauth", "certificate_pem": pem}))
            ok(await session.call("get_client_certificate", {"certificate_id": created["id"]}))
            sandbox.faults.add(Fault("status", method="GET", status=401))  # forces one renewal
            ok(await session.call("list_client_certificates", {}))
            for kind in FAULTS:
                sandbox.faults.add(fault_of(kind, "GET"))
                assert_answered(await session.call("list_client_certificates", {}), "list")
            second_token = (await credential.current_token()).reveal()
            wrong = ClientCredentials(sandbox.client_id, Secret(CANARY_SECRET + "x"), sandbox.token_url, source="env")
            refused_server = build_server(sandbox_settings(sandbox, tmp_path, credential=wrong))
            async with watched(refused_server, every_era, session.emitted) as refused:
                result = await refused.call("list_client_certificates", {})
                assert result.is_error and "access token" in text_of(result)
    assert first_token != second_token and credential.token_requests == 2
    secrets = [
        CANARY_SECRET,
        first_token,
        second_token,
        basic_pair(sandbox.client_id, CANARY_SECRET),
        basic_pair(sandbox.client_id, CANARY_SECRET + "x"),
    ]
    assert leaks(session.emitted.everything(), secrets) == []
    assert leaks(everything_else(caplog, capfd), secrets) == []


def test_reprs_and_exception_texts_hold_no_secret(sandbox: RunningSandbox, tmp_path: Path) -> None:
    credentials: list[Credential] = [
        BearerToken(Secret(CANARY_TOKEN), source="NETFOUNDRY_API_TOKEN"),
        BasicToken("user", Secret(CANARY_TOKEN), source="NETFOUNDRY_API_TOKEN"),
        ClientCredentials("client", Secret(CANARY_SECRET), "https://auth.example.test/token", source="env"),
    ]
    settings = sandbox_settings(sandbox, tmp_path)
    shown = " ".join([repr(settings), str(settings), repr(sandbox), repr(Secret(CANARY_TOKEN))])
    shown += " ".join(repr(credential) + str(credential) for credential in credentials)
    assert leaks(shown, [CANARY_TOKEN, CANARY_SECRET]) == []


# Over real stdio ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("stdio_era", ["legacy", "auto"])
async def test_stdio_server_at_debug_writes_no_secret_to_stderr(
    sandbox: RunningSandbox, tmp_path: Path, stdio_era: str
) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "frontdoor_mcp"],
        env={
            "FRONTDOOR_API_URL": sandbox.base_url,
            "NETFOUNDRY_API_TOKEN": CANARY_TOKEN,
            "FRONTDOOR_ID": sandbox.frontdoor_id,
            "FRONTDOOR_MCP_LOG_LEVEL": "DEBUG",
            "FRONTDOOR_MCP_KEY_DIR": str(tmp_path),
        },
        cwd=str(tmp_path),
    )
    _, handed_in_key = make_csr("stdio-key")
    emitted = Emitted()
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr:
        async with Client(
            stdio_client(params, errlog=stderr), mode=stdio_era, logging_callback=emitted.on_log
        ) as client:
            session = Session(client, emitted)
            generated = ok(await session.call("generate_csr", {"common_name": "stdio-secrets"}))
            created = ok(
                await session.call("create_client_certificate_from_csr", {"name": "s", "csr_pem": generated["csr_pem"]})
            )
            ok(await session.call("get_client_certificate", {"certificate_id": created["id"]}))
            sandbox.faults.add(Fault("drop_before", method="GET"))
            sandbox.faults.add(Fault("status", method="POST", status=503, retry_after="1"))
            ok(await session.call("list_client_certificates", {}))
            failed = await session.call(
                "upload_client_certificate", {"name": "x", "certificate_pem": make_certificate()}
            )
            assert failed.is_error and "503" in text_of(failed)
            bundle = make_certificate() + handed_in_key
            for tool, arguments in (
                ("upload_client_certificate", {"name": "k", "certificate_pem": bundle}),
                ("inspect_certificate", {"pem": handed_in_key}),
                ("upload_client_certificate", {"name": "k", "certificate_path": handed_in_key}),
                ("get_client_certificate", {"certificate_id": handed_in_key}),
                ("list_client_certificates", {"sort": CANARY_TOKEN}),
                # The process environment holds the token: a path into it must not bring it back.
                ("inspect_certificate", {"path": "/proc/self/environ"}),
                ("upload_client_certificate", {"name": "env", "certificate_path": "/proc/self/environ"}),
            ):
                result = await session.call(tool, arguments)
                assert result.is_error, (tool, text_of(result))
                assert_answered(result, tool)
    logged = stderr_path.read_text()
    assert "DEBUG" in logged or "GET " in logged, "the server did log at debug level"
    secrets = [CANARY_TOKEN, *pem_body_lines(handed_in_key), *pem_body_lines(Path(generated["key_path"]).read_text())]
    assert leaks(logged, secrets) == []
    assert leaks(emitted.everything(), secrets) == []


class _EchoingApi(BaseHTTPRequestHandler):
    """A real HTTP server (so the client's transport, and its DEBUG trace, is the real one) that reflects
    the Authorization header everywhere a misbehaving gateway might: error fields, body, response headers."""

    def do_GET(self) -> None:
        header = self.headers.get("Authorization", "")
        body = json.dumps(
            {"error": f"bad {header}", "message": f"Rejected {header}", "headers": dict(self.headers.items())}
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo-Authorization", header)
        self.send_header("X-Token-Seen", header.split(" ")[-1])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.slow
async def test_stdio_server_at_trace_logs_no_token_an_api_reflects_in_headers_or_body(tmp_path: Path) -> None:
    echo = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingApi)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "frontdoor_mcp"],
        env={
            "FRONTDOOR_API_URL": f"http://127.0.0.1:{echo.server_address[1]}/frontdoor",
            "NETFOUNDRY_API_TOKEN": CANARY_TOKEN,
            "FRONTDOOR_ID": FRONTDOOR,
            "FRONTDOOR_MCP_LOG_LEVEL": "TRACE",
            "FRONTDOOR_MCP_KEY_DIR": str(tmp_path),
        },
        cwd=str(tmp_path),
    )
    emitted = Emitted()
    stderr_path = tmp_path / "stderr.txt"
    try:
        with stderr_path.open("w") as stderr:
            async with Client(stdio_client(params, errlog=stderr), mode="legacy") as client:
                session = Session(client, emitted)
                for tool, arguments in (
                    ("list_client_certificates", {}),
                    ("get_client_certificate", {"certificate_id": "cert-abc"}),
                ):
                    result = await session.call(tool, arguments)
                    assert result.is_error and "400" in text_of(result)
    finally:
        echo.shutdown()
    logged = stderr_path.read_text()
    assert "X-Token-Seen" in logged, "the response headers were logged (TRACE), so this proves something"
    assert leaks(logged, [CANARY_TOKEN]) == [] and leaks(emitted.everything(), [CANARY_TOKEN]) == []

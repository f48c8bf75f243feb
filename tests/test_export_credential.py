"""`export_client_credential` and `inspect_certificate`'s `key_path`, through MCP: PKCS#12 in both protections,
loaded back by `cryptography` and by `openssl pkcs12` with the passphrase file (and what openssl says it is
encrypted with), a PEM bundle, the file rules every written file follows, and no passphrase or key in anything
the server says."""

from __future__ import annotations

import shlex
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import build_server
from tests.mtls import Holder, certificate, client_ca, cn
from tests.support import (
    Emitted,
    connect,
    mock_settings,
    ok,
    pem_body_lines,
    sandbox_settings,
    text_of,
    watched,
)

pytestmark = pytest.mark.anyio


def _openssl_info(target: Path, passphrase_file: Path) -> str:
    done = subprocess.run(
        ["openssl", "pkcs12", "-in", str(target), "-info", "-noout", "-passin", f"file:{passphrase_file}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout + done.stderr


def _runs(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0


async def _export(tmp_path: Path, **arguments: Any) -> tuple[dict[str, Any], str, Emitted]:
    emitted = Emitted()
    async with watched(build_server(mock_settings(tmp_path)), "legacy", emitted) as session:
        result = await session.call("export_client_credential", arguments)
    return ok(result), text_of(result), emitted


@pytest.fixture
def client(tmp_path: Path) -> tuple[Holder, Holder, str, str]:
    ca = client_ca()
    holder = certificate(cn("svc-export"), issuer=ca)
    certificate_path, key_path = holder.files(tmp_path, "client")
    return holder, ca, certificate_path, key_path


@pytest.mark.parametrize(
    ("compatibility", "cipher", "mac"),
    [
        ("modern", "PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256", "MAC: sha256"),
        ("legacy", "pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048", "MAC: sha1"),
    ],
)
async def test_pkcs12_loads_with_cryptography_and_openssl_using_its_passphrase_file(
    tmp_path: Path, client: tuple[Holder, Holder, str, str], compatibility: str, cipher: str, mac: str
) -> None:
    holder, ca, certificate_path, key_path = client
    chain_path = tmp_path / "chain.pem"
    chain_path.write_text(ca.pem)
    target = tmp_path / "out" / "client.p12"
    target.parent.mkdir(mode=0o700)
    exported, text, emitted = await _export(
        tmp_path,
        certificate_path=certificate_path,
        key_path=key_path,
        target_path=str(target),
        chain_path=str(chain_path),
        compatibility=compatibility,
    )
    passphrase_file = Path(exported["passphrase_path"])
    assert passphrase_file == target.with_name("client.p12.passphrase") and exported["passphrase_created"]
    for written in (target, passphrase_file):
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
    passphrase = passphrase_file.read_text().strip()
    key, loaded, extra = pkcs12.load_key_and_certificates(target.read_bytes(), passphrase.encode())
    assert loaded == holder.certificate and [item.subject for item in extra] == [ca.certificate.subject]
    assert key is not None and key.private_numbers() == holder.key.private_numbers()  # pyright: ignore
    info = _openssl_info(target, passphrase_file)
    assert cipher in info and mac in info, info
    assert exported["chain_length"] == 1 and exported["friendly_name"] == "svc-export"
    said = text + str(exported) + emitted.everything()
    assert passphrase not in said and not [line for line in pem_body_lines(holder.key_pem) if line in said]
    assert str(passphrase_file) in text and "Firefox" in text
    curl = next(use for use in exported["how_to_use"] if use.startswith("curl"))
    assert 'format="pem-bundle"' in curl and "--cert" in curl and "--key" in curl
    assert not [use for use in exported["how_to_use"] if "$(" in use or "--cert-type" in use]  # no passphrase in argv


async def test_a_passphrase_of_the_users_own_and_a_pem_bundle(
    tmp_path: Path, client: tuple[Holder, Holder, str, str]
) -> None:
    holder, _, certificate_path, key_path = client
    mine = tmp_path / "mine.passphrase"
    mine.write_text("correct horse battery staple\n")
    exported, _, _ = await _export(
        tmp_path,
        certificate_path=certificate_path,
        key_path=key_path,
        target_path=str(tmp_path / "given.p12"),
        passphrase_path=str(mine),
    )
    assert not exported["passphrase_created"] and not (tmp_path / "given.p12.passphrase").exists()
    pkcs12.load_key_and_certificates((tmp_path / "given.p12").read_bytes(), b"correct horse battery staple")

    bundle, text, _ = await _export(
        tmp_path,
        certificate_path=certificate_path,
        key_path=key_path,
        target_path=str(tmp_path / "bundle.pem"),
        format="pem-bundle",
    )
    written = (tmp_path / "bundle.pem").read_text()
    assert written == holder.pem and "PRIVATE KEY" not in written and bundle.get("passphrase_path") is None
    assert f"curl --cert {tmp_path / 'bundle.pem'} --key {key_path}" in text


async def test_a_passphrase_file_others_can_read_is_used_with_a_warning(
    tmp_path: Path, client: tuple[Holder, Holder, str, str]
) -> None:
    _, _, certificate_path, key_path = client
    shared, private = tmp_path / "shared.passphrase", tmp_path / "private.passphrase"
    for path, mode in ((shared, 0o644), (private, 0o600)):
        path.write_text("correct horse battery staple\n")
        path.chmod(mode)
    arguments = {"certificate_path": certificate_path, "key_path": key_path}
    _, warned, _ = await _export(
        tmp_path, **arguments, target_path=str(tmp_path / "a.p12"), passphrase_path=str(shared)
    )
    _, quiet, _ = await _export(
        tmp_path, **arguments, target_path=str(tmp_path / "b.p12"), passphrase_path=str(private)
    )
    assert (tmp_path / "a.p12").exists() and f"chmod 600 {shared}" in warned and "group or by others" in warned
    assert "chmod" not in quiet
    assert "correct horse" not in warned + quiet


async def test_command_lines_keep_a_path_with_a_space_one_argument(
    tmp_path: Path, client: tuple[Holder, Holder, str, str]
) -> None:
    holder, _, _, _ = client
    folder = tmp_path / "my certs"
    folder.mkdir()
    certificate_path, key_path = holder.files(folder, "client")
    arguments = {"certificate_path": certificate_path, "key_path": key_path}
    bundle = folder / "bundle.pem"
    exported, _, _ = await _export(tmp_path, **arguments, target_path=str(bundle), format="pem-bundle")
    curl = shlex.split(exported["how_to_use"][0])
    assert curl[curl.index("--cert") + 1] == str(bundle) and curl[curl.index("--key") + 1] == key_path
    assert f'proxy_ssl_certificate "{bundle}";' in exported["how_to_use"][2]

    target = folder / "client.p12"
    exported, _, _ = await _export(tmp_path, **arguments, target_path=str(target))
    check = next(use for use in exported["how_to_use"] if use.startswith("Check it: "))
    command = shlex.split(check.removeprefix("Check it: "))
    assert command[command.index("-in") + 1] == str(target)
    assert _runs(command)  # the line works as written, the passphrase read from its file


async def test_refusals_write_nothing(tmp_path: Path, client: tuple[Holder, Holder, str, str]) -> None:
    _, ca, certificate_path, _ = client
    _, other_key = certificate(cn("someone-else"), issuer=ca).files(tmp_path, "other")
    taken = tmp_path / "taken.p12"
    taken.write_bytes(b"already here")
    short = tmp_path / "short.passphrase"
    short.write_text("abc\n")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"key_path": other_key, "target_path": str(tmp_path / "a.p12")}, "not this certificate's key"),
        ({"key_path": client[3], "target_path": str(taken)}, "target_path"),
        ({"key_path": client[3], "target_path": str(tmp_path / "b.p12"), "passphrase_path": str(short)}, "8"),
        ({"key_path": certificate_path, "target_path": str(tmp_path / "c.p12")}, "key_path"),
    ]
    async with connect(build_server(mock_settings(tmp_path)), "legacy") as session:
        for arguments, said in cases:
            result = await session.call_tool(
                "export_client_credential", {"certificate_path": certificate_path, **arguments}
            )
            assert result.is_error and said in text_of(result), text_of(result)
    assert taken.read_bytes() == b"already here"
    made = [f"{stem}.p12{suffix}" for stem in "abc" for suffix in ("", ".passphrase")]
    assert not [name for name in made if (tmp_path / name).exists()]


async def test_the_certificate_may_come_from_the_api_and_names_the_pkcs12(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    ca = client_ca()
    holder = certificate(cn("svc-from-api"), issuer=ca)
    _, key_path = holder.files(tmp_path, "api")
    stored = sandbox.store.insert_certificate(sandbox.frontdoor_id, "payments-client", holder.pem, "tester")
    async with connect(build_server(sandbox_settings(sandbox, tmp_path)), "legacy") as session:
        result = await session.call_tool(
            "export_client_credential",
            {"certificate_id": stored.id, "key_path": key_path, "target_path": str(tmp_path / "api.p12")},
        )
    exported = ok(result)
    assert exported["friendly_name"] == "payments-client"
    passphrase = Path(exported["passphrase_path"]).read_text().strip().encode()
    _, loaded, _ = pkcs12.load_key_and_certificates((tmp_path / "api.p12").read_bytes(), passphrase)
    assert loaded is not None and loaded.public_bytes(serialization.Encoding.PEM).decode() == holder.pem


async def test_inspect_says_whether_a_key_is_the_certificates_or_the_csrs(tmp_path: Path) -> None:
    ca = client_ca()
    mine, theirs = certificate(cn("svc-1"), issuer=ca), certificate(cn("svc-2"), issuer=ca)
    certificate_path, key_path = mine.files(tmp_path, "mine")
    _, other_key = theirs.files(tmp_path, "theirs")
    async with connect(build_server(mock_settings(tmp_path)), "legacy") as session:
        matching = await session.call_tool("inspect_certificate", {"path": certificate_path, "key_path": key_path})
        other = await session.call_tool("inspect_certificate", {"path": certificate_path, "key_path": other_key})
        csr = ok(await session.call_tool("generate_csr", {"common_name": "csr-key"}))
        of_csr = await session.call_tool("inspect_certificate", {"path": csr["csr_path"], "key_path": csr["key_path"]})
    assert ok(matching)["key_matches"] is True and "is its key" in text_of(matching)
    assert ok(other)["key_matches"] is False and "NOT its key" in text_of(other)
    assert ok(of_csr)["kind"] == "csr" and ok(of_csr)["key_matches"] is True
    said = text_of(matching) + text_of(other) + text_of(of_csr)
    assert not [line for line in pem_body_lines(mine.key_pem + theirs.key_pem) if line in said]


async def test_over_http_neither_local_tool_nor_a_key_path_is_offered(tmp_path: Path) -> None:
    server = build_server(mock_settings(tmp_path), remote=True)
    async with connect(server, "legacy") as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert "test_mtls_connection" not in tools and "export_client_credential" not in tools
    assert "key_path" not in tools["inspect_certificate"].input_schema["properties"]

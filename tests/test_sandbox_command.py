"""`frontdoor-mcp sandbox` as a product: one definition of its options, help and version, the port kept with
the database (and a one-line exit when it is taken), the banner's client configuration, and an access log
that never prints a certificate request token."""

from __future__ import annotations

import argparse
import json
import shlex
import socket
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from frontdoor_mcp import __version__
from frontdoor_mcp.sandbox.command import banner, client_configuration
from frontdoor_mcp.sandbox.runner import add_sandbox_arguments, main, serve_forever, start_sandbox
from frontdoor_mcp.tools import ALL_TOOLS
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import csr_pem
from tests.sandbox_curl.process import spawned

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = {
    "--host",
    "--port",
    "--db",
    "--frontdoor-id",
    "--token",
    "--client-id",
    "--client-secret",
    "--token-ttl",
    "--share-provisioning-seconds",
    "--ephemeral-ingress-ports",
    "--paging",
    "--max-page-size",
    "--admin-token",
}


@contextmanager
def listening(port: int = 0) -> Generator[int, None, None]:
    """A socket holding `port` (0: any free one); yields the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen(1)
        yield int(sock.getsockname()[1])


def test_one_definition_of_the_options_with_help_for_each() -> None:
    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    options = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    assert {s for a in options for s in a.option_strings} == OPTIONS
    assert all(a.help and a.dest.startswith("sandbox_") for a in options)
    defaults = parser.parse_args([])
    assert (defaults.sandbox_host, defaults.sandbox_port, defaults.sandbox_db) == ("127.0.0.1", None, None)

    # Under a parent that has its own --db (frontdoor-mcp's --sandbox --db), the two never collide.
    parent = argparse.ArgumentParser()
    parent.add_argument("--db")
    add_sandbox_arguments(parent.add_subparsers(dest="command").add_parser("sandbox"))
    parsed = parent.parse_args(["--db", "mcp.db", "sandbox", "--db", "sandbox.db", "--port", "0"])
    assert (parsed.db, parsed.sandbox_db, parsed.sandbox_port) == ("mcp.db", "sandbox.db", 0)
    with pytest.raises(SystemExit):
        parent.parse_args(["sandbox", "--port", "70000"])


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("--version", "-V"):
        with pytest.raises(SystemExit) as exited:
            main([flag])
        assert exited.value.code == 0
        assert capsys.readouterr().out == f"frontdoor-mcp {__version__}\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert all(option in shown for option in OPTIONS)


def test_a_taken_port_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with listening() as port:
        assert serve_forever(port=port, db_path=tmp_path / "explicit.db") == 1
    message = capsys.readouterr().err
    assert message == (
        f"frontdoor-mcp sandbox: cannot start: port {port} is in use; "
        "choose another with --port N, or --port 0 for a new free one\n"
    )


def test_the_kept_port_taken_names_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "sandbox.db"
    with start_sandbox(db_path=db, port=0) as first:
        kept = int(first.root_url.rsplit(":", 1)[1])
    with listening(kept):
        assert serve_forever(port=None, db_path=db) == 1
    message = capsys.readouterr().err
    assert f"port {kept}, kept with {db}, is in use" in message
    assert "--port 0" in message
    assert message.count("\n") == 1


def test_the_printed_configuration_starts_the_server_as_it_can_start_here() -> None:
    """From a checkout, the README's first form (`uv run --directory <checkout> frontdoor-mcp`); the `uvx` form is
    the one for once the package is published."""
    with start_sandbox() as sandbox:
        here = client_configuration(sandbox)["mcpServers"]["frontdoor-sandbox"]
        published = client_configuration(sandbox, published=True)["mcpServers"]["frontdoor-sandbox"]
        printed = banner(sandbox, Path("sandbox.db"))
    assert (here["command"], here["args"]) == ("uv", ["run", "--directory", str(ROOT), "frontdoor-mcp"])
    assert (published["command"], published["args"]) == ("uvx", ["frontdoor-mcp"])
    assert here["env"] == published["env"]
    assert json.dumps({"mcpServers": {"frontdoor-sandbox": here}}, indent=2) in printed
    assert 'Once frontdoor-mcp is published on PyPI, "command": "uvx"' in printed
    oauth = printed.split("The HTTP server's OAuth mode", 1)[1].splitlines()[1:4]
    assert oauth[0].startswith("  export FRONTDOOR_API_URL=") and "NETFOUNDRY_API_TOKEN=" in oauth[0]
    started = shlex.join(["uv", "run", "--directory", str(ROOT), "frontdoor-mcp", "http"])
    assert oauth[1].startswith(f"  {started} "), "started as the client configuration starts it"
    assert oauth[2].startswith("  curl -s -u sbx-mcp-")


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_command_keeps_its_port_prints_a_client_config_and_masks_tokens(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    with spawned(["--db", str(db)]) as first:
        base_url = first.banner_value("API base URL")
        frontdoor_id = first.banner_value("Frontdoor id")
        token = first.banner_value("Token")
        assert first.banner_value("Database").startswith(str(db))
        start = first.banner.index(next(line for line in first.banner if line.startswith("{")))
        end = first.banner.index("}", start)
        config = cast(dict[str, Any], json.loads("\n".join(first.banner[start : end + 1])))
        entry = config["mcpServers"]["frontdoor-sandbox"]
        assert entry == {
            "command": "uv",
            "args": ["run", "--directory", str(ROOT), "frontdoor-mcp"],
            "env": {"FRONTDOOR_API_URL": base_url, "FRONTDOOR_ID": frontdoor_id, "NETFOUNDRY_API_TOKEN": token},
        }
        # Pasted as printed, it works: the client starts the command with exactly that env.
        pasted = StdioServerParameters(command=entry["command"], args=entry["args"], env=entry["env"], cwd=tmp_path)
        async with Client(pasted, mode="legacy") as client:
            assert len((await client.list_tools()).tools) == len(ALL_TOOLS)
            listed = await client.call_tool("list_client_certificates", {})
        assert not listed.is_error and listed.structured_content is not None
        with new_client(base_url=f"{base_url}/{frontdoor_id}", headers={"Authorization": f"Bearer {token}"}) as api:
            secret = api.post("/certificate-request-tokens", json={"name": "logged"}).json()["token"]
            redeemed = api.post(f"/client-certificates/token/{secret}", json={"type": "CSR", "value": csr_pem()})
            assert redeemed.status_code == 201
        logged = first.stop_and_collect()
    assert "/client-certificates/token/crt_…[redacted]" in logged  # the access line is there, masked
    assert secret not in logged

    with spawned(["--db", str(db)]) as second:  # no --port: the one kept with the database
        assert second.banner_value("API base URL") == base_url
        second.stop_and_collect()

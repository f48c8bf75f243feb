"""The HTTP server refuses to start unsafely: no authentication, a public bind without an allowed-host list,
stateless without shared keys, a value it does not understand; each with one line naming the variable (or
flag), exit 2, and never a secret in the message."""

from __future__ import annotations

import logging
from collections.abc import Generator
from pathlib import Path

import pytest

from frontdoor_mcp.cli import main
from frontdoor_mcp.config import ConfigError, Settings
from frontdoor_mcp.hosting.asgi import served_settings
from frontdoor_mcp.hosting.options import (
    LOOPBACK_HOSTS,
    IssuerAuth,
    TokenFileAuth,
    load_hosting_options,
)
from tests.hosting_support import make_tokens

TOKENS = {"FRONTDOOR_MCP_HTTP_TOKENS_FILE": "/srv/tokens.json"}
EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 (a setting under test; nothing binds it)
KEY = "k" * 40


def _refusal(env: dict[str, str], *, bind_known: bool = True) -> str:
    with pytest.raises(ConfigError) as raised:
        load_hosting_options(env, bind_known=bind_known)
    return str(raised.value)


def test_without_an_authentication_mode_it_does_not_start() -> None:
    message = _refusal({})
    assert "no authentication is configured" in message
    assert "FRONTDOOR_MCP_HTTP_TOKENS_FILE" in message and "FRONTDOOR_MCP_HTTP_ISSUER" in message


def test_a_public_bind_needs_an_allowed_host_list() -> None:
    message = _refusal({**TOKENS, "FRONTDOOR_MCP_HTTP_HOST": EVERY_ADDRESS})
    assert "FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS (or --allowed-host)" in message
    public = load_hosting_options(
        {**TOKENS, "FRONTDOOR_MCP_HTTP_HOST": EVERY_ADDRESS, "FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS": "mcp.example.com"}
    )
    assert public.allowed_hosts == ("mcp.example.com",)
    assert public.allowed_origins == (), "no Origin is allowed unless listed"


def test_loopback_defaults_are_spelled_out_and_an_explicit_list_replaces_them() -> None:
    assert load_hosting_options(TOKENS).allowed_hosts == LOOPBACK_HOSTS
    listed = load_hosting_options({**TOKENS, "FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS": "a.test:8443, b.test:*"})
    assert listed.allowed_hosts == ("a.test:8443", "b.test:*")


def test_under_another_server_the_allowed_hosts_are_always_required() -> None:
    assert "under another ASGI server" in _refusal(TOKENS, bind_known=False)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS", "mcp.example.com,"),
        ("FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS", "https://mcp.example.com"),
        ("FRONTDOOR_MCP_HTTP_ALLOWED_ORIGINS", "mcp.example.com"),
        ("FRONTDOOR_MCP_HTTP_PORT", "80a"),
        ("FRONTDOOR_MCP_HTTP_PORT", "70000"),
        ("FRONTDOOR_MCP_HTTP_PATH", "mcp"),
        ("FRONTDOOR_MCP_HTTP_PATH", "/.well-known/x"),
        ("FRONTDOOR_MCP_HTTP_RATE_LIMIT", "0"),
        ("FRONTDOOR_MCP_HTTP_MAX_BODY_BYTES", "1e6"),
        ("FRONTDOOR_MCP_HTTP_STATELESS", "y"),
        ("FRONTDOOR_MCP_HTTP_ALLOW_WRITES", "sure"),
        ("FRONTDOOR_MCP_LOG_FORMAT", "xml"),
    ],
)
def test_a_value_not_understood_is_named(variable: str, value: str) -> None:
    assert variable in _refusal({**TOKENS, variable: value})


def test_stateless_needs_shared_state_keys_and_never_echoes_them() -> None:
    assert "FRONTDOOR_MCP_STATE_KEYS" in _refusal({**TOKENS, "FRONTDOOR_MCP_HTTP_STATELESS": "1"})
    short = "tooshort-secret-value"
    message = _refusal({**TOKENS, "FRONTDOOR_MCP_HTTP_STATELESS": "1", "FRONTDOOR_MCP_STATE_KEYS": f"{KEY},{short}"})
    assert "at least 32" in message and short not in message and KEY not in message
    rotated = load_hosting_options(
        {**TOKENS, "FRONTDOOR_MCP_HTTP_STATELESS": "1", "FRONTDOOR_MCP_STATE_KEYS": f"{KEY}, {'n' * 64}"}
    )
    assert rotated.state_keys == (KEY, "n" * 64) and KEY not in repr(rotated)


def test_one_authentication_mode_at_a_time_and_an_issuer_needs_this_servers_url() -> None:
    issuer = {"FRONTDOOR_MCP_HTTP_ISSUER": "https://login.example.com/"}
    assert "not both" in _refusal({**TOKENS, **issuer})
    assert "FRONTDOOR_MCP_HTTP_RESOURCE_URL" in _refusal(issuer)
    assert "https://" in _refusal({**issuer, "FRONTDOOR_MCP_HTTP_RESOURCE_URL": "http://mcp.example.com/mcp"})
    options = load_hosting_options({**issuer, "FRONTDOOR_MCP_HTTP_RESOURCE_URL": "https://mcp.example.com/mcp/"})
    assert options.auth == IssuerAuth("https://login.example.com/", "https://mcp.example.com/mcp")
    assert load_hosting_options(TOKENS).auth == TokenFileAuth(Path("/srv/tokens.json"))


def test_writes_are_off_unless_allowed_and_read_only_keeps_its_meaning() -> None:
    options = load_hosting_options(TOKENS)
    assert served_settings(Settings(), options).read_only
    allowed = load_hosting_options({**TOKENS, "FRONTDOOR_MCP_HTTP_ALLOW_WRITES": "1"})
    assert not served_settings(Settings(), allowed).read_only
    with pytest.raises(ConfigError, match="contradict"):
        served_settings(Settings(read_only=True), allowed)


def test_flags_override_their_variables() -> None:
    options = load_hosting_options(
        {**TOKENS, "FRONTDOOR_MCP_HTTP_PORT": "1"}, {"FRONTDOOR_MCP_HTTP_PORT": "9000", "FRONTDOOR_MCP_HTTP_PATH": None}
    )
    assert options.port == 9000 and options.path == "/mcp"


@pytest.fixture
def root_logging() -> Generator[None]:
    """The command sets up stderr logging before it builds the server; put the test process's back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["http"], "no authentication is configured"),
        (["http", "--tokens-file", "{tokens}", "--host", EVERY_ADDRESS], "--allowed-host"),
        (["http", "--tokens-file", "{tokens}", "--stateless"], "FRONTDOOR_MCP_STATE_KEYS"),
        (["http", "--tokens-file", "{tokens}", "--allow-writes", "--read-only"], "contradict"),
        (["http", "--tokens-file", "{missing}"], "cannot be read"),
    ],
)
def test_the_command_refuses_to_start_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    for name in ("FRONTDOOR_MCP_HTTP_TOKENS_FILE", "FRONTDOOR_MCP_HTTP_ISSUER", "FRONTDOOR_MCP_STATE_KEYS"):
        monkeypatch.delenv(name, raising=False)
    tokens = make_tokens(tmp_path)
    filled = [arg.format(tokens=tokens.path, missing=tmp_path / "none.json") for arg in argv]
    with pytest.raises(SystemExit) as exited:
        main(filled)
    assert exited.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("frontdoor-mcp: ")]
    assert len(lines) == 1 and expected in lines[0]

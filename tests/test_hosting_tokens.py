"""Mode (a): the tokens file. `http-token add` prints a new token once and keeps only its hash (0600 file);
the verifier compares in constant time, names the principal by label, notices edits without a restart, and
refuses every token while the file is broken or unsafe."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from frontdoor_mcp.cli import main
from frontdoor_mcp.config import ConfigError
from frontdoor_mcp.hosting.token_file import TOKEN_PREFIX, TokenFileVerifier, add_token, remove_token
from frontdoor_mcp.redaction import KNOWN_SECRETS

pytestmark = pytest.mark.anyio


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def test_add_prints_the_token_once_and_keeps_only_its_hash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "team" / "tokens.json"
    code, out, err = _run(capsys, "http-token", "add", "alice", "--scopes", "read,frontdoor:write", "--file", str(path))
    token = out.strip()
    assert code == 0 and token.startswith(TOKEN_PREFIX) and len(token) > 40 and token not in err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert token not in path.read_text()
    entry = json.loads(path.read_text())["tokens"][0]
    assert entry["label"] == "alice" and entry["scopes"] == ["frontdoor:read", "frontdoor:write"]
    code, out, _ = _run(capsys, "http-token", "list", "--file", str(path))
    assert code == 0 and out.startswith("alice\tfrontdoor:read,frontdoor:write\t") and token not in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["add", "alice", "--scopes", "read"], "already has a token labelled alice"),
        (["add", "bob", "--scopes", "admin"], "--scopes takes one or more of"),
        (["add", "bob smith", "--scopes", "read"], "label must be"),
        (["remove", "nobody"], "has no token labelled nobody"),
    ],
)
def test_mistakes_are_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    path = tmp_path / "tokens.json"
    add_token(path, "alice", ["frontdoor:read"])
    code, out, err = _run(capsys, "http-token", *argv, "--file", str(path))
    assert code in (1, 2) and out == "" and expected in err


async def test_the_right_token_names_its_principal_and_scopes(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    token = add_token(path, "alice", ["frontdoor:read", "frontdoor:tokens"])
    verifier = TokenFileVerifier(path)
    access = await verifier.verify_token(token)
    assert access is not None and access.client_id == "alice" and access.subject == "alice"
    assert access.scopes == ["frontdoor:read", "frontdoor:tokens"]
    assert token in KNOWN_SECRETS.values(), "a bearer token that worked is redacted from every log line"
    for wrong in (token[:-1], token + "x", "", TOKEN_PREFIX, token.upper()):
        assert await verifier.verify_token(wrong) is None


async def test_edits_take_effect_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    first = add_token(path, "alice", ["frontdoor:read"])
    verifier = TokenFileVerifier(path)
    second = add_token(path, "bob", ["frontdoor:write"])
    assert await verifier.verify_token(second) is not None
    assert remove_token(path, "alice")
    assert await verifier.verify_token(first) is None


async def test_a_broken_file_refuses_every_token_until_fixed(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    token = add_token(path, "alice", ["frontdoor:read"])
    good = path.read_text()
    verifier = TokenFileVerifier(path)
    path.write_text(good.replace('"scopes": [', '"scopes": ["root", '))
    assert await verifier.verify_token(token) is None
    path.write_text(good + " ")  # fixed (and changed, so it is read again)
    assert await verifier.verify_token(token) is not None


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_file_others_may_write_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    add_token(path, "alice", ["frontdoor:read"])
    path.chmod(0o620)
    with pytest.raises(ConfigError, match="writable by group or others"):
        TokenFileVerifier(path)


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        '{"tokens": {}}',
        '{"tokens": [{"label": "a", "sha256": "00", "scopes": ["frontdoor:read"]}]}',
        '{"tokens": [{"label": "a", "sha256": "' + "0" * 64 + '", "scopes": []}]}',
    ],
)
def test_a_malformed_file_is_refused_at_start(tmp_path: Path, document: str) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(document)
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="tokens file"):
        TokenFileVerifier(path)

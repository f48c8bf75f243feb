"""The sandbox's database file: one that is not SQLite is refused in one line, and nothing is left open."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from frontdoor_mcp.sandbox.runner import main
from frontdoor_mcp.sandbox.storage import store as store_module
from frontdoor_mcp.sandbox.storage.store import Store


@pytest.fixture
def not_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 200)
    return path


def test_a_store_on_a_file_that_is_not_sqlite_closes_its_connection(
    not_sqlite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(store_module.sqlite3, "connect", recording_connect)
    with pytest.raises(sqlite3.DatabaseError):
        Store(not_sqlite)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")


def test_the_sandbox_command_on_a_file_that_is_not_sqlite_says_so_in_one_line(
    not_sqlite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(not_sqlite), "--port", "0"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert f"{not_sqlite} is not a sandbox database" in err and "Traceback" not in err

"""The SQLite file under the sandbox: one writer, readers that never wait for it, and paged queries.

Writes go through one connection guarded by one lock: a single writer makes every acknowledged write
ordered and simple to reason about. WAL with synchronous=FULL means a commit has reached the disk before
the HTTP response is sent, so an acknowledged write survives `kill -9` and power loss alike.

Reads of a file database take a connection from a pool of readers (WAL lets readers run beside the
writer), so a request never waits behind another's fsync; the pool grows to the most reads ever run at once
(the event loop's, and the page workers') and no further. An in-memory database is private to its one connection, so
there reads share the writer's connection and lock (its writes take microseconds: there is no fsync).
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from frontdoor_mcp.sandbox.storage.schema import migrate

MEMORY = ":memory:"


class Database:
    """The connections to one sandbox database. Thread-safe."""

    def __init__(self, path: str | Path = MEMORY, clock: Callable[[], float] = time.time) -> None:
        """`clock`: the wall clock (epoch seconds) the timestamps are read from."""
        self.path = str(path)
        self.in_memory = self.path == MEMORY
        self._clock = clock
        if not self.in_memory:
            # The file holds the CA key and the remembered sandbox token: owner-only from the first byte.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
        self._lock = threading.Lock()
        self._writer = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._idle_readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        try:
            with self._lock:
                self._writer.execute("PRAGMA journal_mode=WAL")
                self._writer.execute("PRAGMA synchronous=FULL")
                self._writer.execute("PRAGMA foreign_keys=ON")
                self._writer.execute("PRAGMA busy_timeout=5000")
                migrate(self._writer)
                last = self._writer.execute(
                    "SELECT MAX(m) FROM (SELECT MAX(created_us) AS m FROM certificates "
                    "UNION ALL SELECT MAX(created_us) FROM request_tokens UNION ALL SELECT MAX(created_us) FROM shares)"
                ).fetchone()[0]
        except BaseException:
            self._writer.close()  # e.g. a file that is not SQLite: no caller will ever get a Database to close
            raise
        self._last_us: int = last if isinstance(last, int) else 0

    def close(self) -> None:
        with self._lock, self._readers_lock:
            self._closed = True
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._writer.close()

    @contextmanager
    def write(self) -> Generator[sqlite3.Connection, None, None]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), serialised with every other write."""
        with self._lock:
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            self._writer.execute("COMMIT")

    @contextmanager
    def read(self) -> Generator[sqlite3.Connection, None, None]:
        """A read transaction: its statements see one snapshot (a count and its page agree)."""
        if self.in_memory:
            with self._lock:
                yield self._writer
            return
        reader = self._take_reader()
        try:
            reader.execute("BEGIN")
            try:
                yield reader
            finally:
                reader.execute("COMMIT")
        finally:
            self._idle_readers.put(reader)

    def _take_reader(self) -> sqlite3.Connection:
        """An idle reader, or a new one. Readers move between threads (the event loop's, the workers'), one
        user at a time: hence check_same_thread=False."""
        try:
            return self._idle_readers.get_nowait()
        except queue.Empty:
            pass
        reader = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        reader.execute("PRAGMA query_only=ON")
        reader.execute("PRAGMA busy_timeout=5000")
        with self._readers_lock:
            if self._closed:
                reader.close()
                raise sqlite3.ProgrammingError("the sandbox database is closed")
            self._readers.append(reader)
        return reader

    @property
    def reader_count(self) -> int:
        """How many read connections the pool holds (it grows only as far as reads ever ran at once)."""
        with self._readers_lock:
            return len(self._readers)

    def clock_us(self) -> int:
        return int(self._clock() * 1_000_000)

    def now_us(self) -> int:
        """Wall-clock microseconds, forced strictly increasing (call inside `write`) so that createdAt order
        equals insertion order across every table."""
        self._last_us = max(self.clock_us(), self._last_us + 1)
        return self._last_us


def select_page(
    db: sqlite3.Connection,
    *,
    columns: str,
    table: str,
    where: str,
    params: Sequence[object],
    orders: Sequence[tuple[str, bool]],
    order_sql: Mapping[str, tuple[str, ...]],
    offset: int,
    limit: int,
) -> tuple[list[tuple[object, ...]], int]:
    """One page of `table` rows matching `where`, in `orders` ((property, descending) pairs), and the total.

    The page's row ids are picked from the sort index alone (it covers `seq`), then only those rows are
    read: a deep page skips index entries instead of whole rows. `where`, `table`, `columns` and `order_sql`
    come from this package's constants, never from a request; `orders` are checked against `order_sql`.
    """
    terms: list[str] = []
    for prop, descending in orders:
        terms.extend(f"{column} {'DESC' if descending else 'ASC'}" for column in order_sql[prop])
    terms.append("seq ASC")  # insertion order breaks every remaining tie: pages never overlap or skip
    order_by = ", ".join(terms)
    total = db.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", tuple(params)).fetchone()[0]  # noqa: S608
    rows = db.execute(
        f"SELECT {columns} FROM {table} WHERE seq IN "  # noqa: S608 (constants; values are bound)
        f"(SELECT seq FROM {table} WHERE {where} ORDER BY {order_by} LIMIT ? OFFSET ?) ORDER BY {order_by}",
        (*params, limit, offset),
    ).fetchall()
    return rows, int(total)

"""A minimal MCP client over a subprocess's pipes: newline-delimited JSON-RPC, nothing else.

Hand-written on purpose, so that what the benchmarks time is the server, not an SDK client's own work.
Every read has a deadline; `close()` always leaves no process behind.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, cast

PROTOCOL_VERSION: Final = "2025-11-25"
_CHUNK: Final = 1 << 20
_CLOSE_WAIT_S: Final = 5.0

JsonObject = dict[str, Any]


class RpcError(RuntimeError):
    """The server answered with a JSON-RPC error, closed its stdout, or did not answer in time."""


class StdioServer:
    """One server process. `start()` returns at once: requests queue in the pipe until the server reads."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], cwd: str | Path | None = None) -> None:
        self._argv = list(argv)
        self._env = dict(env)
        self._cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None
        # stderr to a file, not a pipe: a chatty server can never block on it, and it is there on failure.
        self._stderr_fd, stderr_path = tempfile.mkstemp(prefix="frontdoor-mcp-bench-stderr-")
        self._stderr_path = Path(stderr_path)
        self._selector = selectors.DefaultSelector()
        self._buffer = bytearray()
        self._next_id = 0

    # process ------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._proc = subprocess.Popen(
            self._argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_fd,
            env=self._env,
            cwd=self._cwd,
            bufsize=0,
        )
        assert self._proc.stdout is not None
        self._selector.register(self._proc.stdout, selectors.EVENT_READ)

    @property
    def pid(self) -> int:
        return self._process().pid

    def peak_rss_kib(self) -> int:
        """`VmHWM` of the live process: its peak resident set size so far, in KiB."""
        return self._status_kib("VmHWM")

    def rss_kib(self) -> int:
        """`VmRSS` of the live process: its resident set size now, in KiB."""
        return self._status_kib("VmRSS")

    def _status_kib(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        raise RpcError(f"no {name} in /proc/<pid>/status")

    def stderr_tail(self, limit: int = 2000) -> str:
        return self._stderr_path.read_bytes()[-limit:].decode("utf-8", "replace")

    def close(self) -> None:
        """Close stdin (the MCP way to ask a stdio server to exit), then terminate, then kill."""
        proc = self._proc
        try:
            if proc is not None:
                _stop(proc)
        finally:
            self._selector.close()
            os.close(self._stderr_fd)
            self._stderr_path.unlink(missing_ok=True)

    def __enter__(self) -> StdioServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # JSON-RPC -----------------------------------------------------------------------------------------

    def request(self, method: str, params: JsonObject | None = None, timeout_s: float = 30.0) -> JsonObject:
        """Send a request and return its `result`; notifications and other traffic in between are skipped."""
        self._next_id += 1
        request_id = self._next_id
        self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}})
        deadline = time.monotonic() + timeout_s
        while True:
            message = self._receive(deadline)
            if message.get("id") == request_id and "method" not in message:
                if "error" in message:
                    raise RpcError(f"{method}: {message['error']}")
                return cast(JsonObject, message.get("result", {}))
            if "method" in message and "id" in message:  # a request from the server: we offer nothing
                error = {"code": -32601, "message": "not supported by the benchmark client"}
                self._send({"jsonrpc": "2.0", "id": message["id"], "error": error})

    def notify(self, method: str, params: JsonObject | None = None) -> None:
        message: JsonObject = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)

    def initialize(self, timeout_s: float = 60.0) -> JsonObject:
        result = self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "frontdoor-mcp-benchmarks", "version": "0"},
            },
            timeout_s=timeout_s,
        )
        self.notify("notifications/initialized")
        return result

    def list_tools(self, timeout_s: float = 30.0) -> list[JsonObject]:
        return cast(list[JsonObject], self.request("tools/list", timeout_s=timeout_s).get("tools", []))

    def call_tool(self, name: str, arguments: JsonObject, timeout_s: float = 60.0) -> JsonObject:
        """The tool's result; a result with `isError` raises, so a benchmark never times a failure."""
        result = self.call_tool_raw(name, arguments, timeout_s)
        if result.get("isError"):
            raise RpcError(f"{name} failed: {json.dumps(result.get('content'))[:500]}")
        return result

    def call_tool_raw(self, name: str, arguments: JsonObject, timeout_s: float = 60.0) -> JsonObject:
        """The tool's result as it came, `isError` or not."""
        return self.request("tools/call", {"name": name, "arguments": arguments}, timeout_s=timeout_s)

    # framing ------------------------------------------------------------------------------------------

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise RpcError("the server is not started")
        return self._proc

    def _send(self, message: JsonObject) -> None:
        stdin = self._process().stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")
        except BrokenPipeError:
            raise RpcError(f"the server exited: {self.stderr_tail()}") from None

    def _receive(self, deadline: float) -> JsonObject:
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                if line.strip():
                    return cast(JsonObject, json.loads(line))
                continue
            self._fill(deadline)

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self._selector.select(remaining):
            raise RpcError("no answer before the deadline")
        stdout = self._process().stdout
        assert stdout is not None
        chunk = os.read(stdout.fileno(), _CHUNK)
        if not chunk:
            raise RpcError(f"the server closed its stdout: {self.stderr_tail()}")
        self._buffer += chunk


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        if proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=_CLOSE_WAIT_S)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=_CLOSE_WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    finally:
        if proc.stdout is not None:
            proc.stdout.close()

"""The sandbox command in a subprocess (`python -m frontdoor_mcp.sandbox.runner ...`), its output drained
by threads, for the tests that need the real foreground command: kill -9, the kept port, the access log."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from typing import IO


class SandboxProcess:
    """A running `python -m frontdoor_mcp.sandbox.runner` with `args`; every output line kept in `output`."""

    def __init__(self, args: list[str]) -> None:
        command = [sys.executable, "-m", "frontdoor_mcp.sandbox.runner", *args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"}
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.banner: list[str] = []
        self._threads = [
            threading.Thread(target=self._drain, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for thread in self._threads:
            thread.start()

    def _drain(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self.lines.put(line)

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Until the banner's last line; the banner lines are in `banner`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                assert self.process.poll() is None, f"sandbox exited early: {self.banner}"
                continue
            self.banner.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                return
        raise AssertionError(f"sandbox not ready in {timeout}s: {self.banner}")

    def banner_value(self, label: str) -> str:
        """The value after `  <label>:` in the banner."""
        for line in self.banner:
            if line.strip().startswith(f"{label}:"):
                return line.split(":", 1)[1].strip()
        raise AssertionError(f"no {label!r} in the banner: {self.banner}")

    def stop_and_collect(self, timeout: float = 10.0) -> str:
        """SIGTERM, wait for a clean exit, and return everything it printed after the banner."""
        self.process.terminate()
        assert self.process.wait(timeout=timeout) == 0
        for thread in self._threads:
            thread.join(timeout=timeout)
        rest: list[str] = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return "".join(rest)


@contextmanager
def spawned(args: list[str]) -> Generator[SandboxProcess, None, None]:
    sandbox = SandboxProcess(args)
    try:
        sandbox.wait_ready()
        yield sandbox
    finally:
        if sandbox.process.poll() is None:
            sandbox.process.kill()
        sandbox.process.wait(timeout=10)

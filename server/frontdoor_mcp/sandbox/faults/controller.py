"""Fault injection: what a test asks the sandbox to do to requests, and the log of what it served.

Tests use it to put a client through what a real gateway does to it: slowness, 429/5xx with
Retry-After, a rate limit, connections dropped before or after the write, bodies that are not JSON or are
cut short, HTML error pages, and a skewed clock; and through what other users do to a list while it is walked
(`churn`: items created and deleted just before a page is read). Faults are matched by method and path,
applied to a given number of requests, and never to the `/_sandbox` control endpoints (which must keep
working to clear them).

This module is the model (`Fault`, `RequestRecord`) and the thread-safe `FaultController` holding them;
`faults.middleware` applies the faults to the HTTP traffic and writes the log.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, cast, get_args

from frontdoor_mcp.sandbox.faults.token_bucket import TokenBucket, retry_after_seconds

FaultKind = Literal[
    "latency",
    "status",
    "drop_before",
    "drop_after",
    "malformed_json",
    "truncated_json",
    "html_error",
    "clock_offset",
    "rate_limit",
    "churn",
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
_MODIFIERS: frozenset[FaultKind] = frozenset({"latency", "clock_offset"})
"""Kinds that combine with others; at most one of the remaining kinds (an outcome) applies to a request."""


@dataclass
class Fault:
    """One fault rule: `kind` applied to the next `times` requests (None: until cleared) whose method is
    `method` (None: any) and whose path (without the query) contains `path_contains` (None: any).

    `rate_limit` admits the matching requests through a token bucket (`rate_per_s`, `burst` at once; burst
    defaults to the whole requests per second, at least 1) and answers 429 past it, with Retry-After the
    whole seconds until a request would be admitted. Its `times` counts the requests it refuses, so a rate
    limit meant to last is given `times=None`.

    `churn` bites only list requests (GET of a collection) asking for page `from_page` or later: just before
    the page is read, the first `deletes` items in the order the request lists them are deleted and `creates`
    new ones created, as another user would while a client walks the list. Its `times` counts the pages it
    bit; it combines with any other fault."""

    kind: FaultKind
    method: str | None = None
    path_contains: str | None = None
    times: int | None = 1
    latency_s: float = 0.0
    status: int = 503
    retry_after: str | None = None
    clock_offset_s: float = 0.0
    rate_per_s: float = 0.0
    burst: int | None = None
    creates: int = 1
    deletes: int = 1
    from_page: int = 1

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1, or None for 'until cleared'")
        if not 0.0 <= self.latency_s <= 300.0:
            raise ValueError("latency_s must be between 0 and 300")
        if not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code (100-599)")
        if self.retry_after is not None and not _is_header_safe(self.retry_after):
            raise ValueError("retry_after must be a printable header value")
        if self.kind == "rate_limit" and not 0.0 < self.rate_per_s <= 1_000_000.0:
            raise ValueError("rate_per_s must be a number above 0 (requests per second) for rate_limit")
        if self.burst is not None and self.burst < 1:
            raise ValueError("burst must be at least 1, or None for the rate's whole requests per second")
        if not (0 <= self.creates <= 1000 and 0 <= self.deletes <= 1000):
            raise ValueError("creates and deletes must be between 0 and 1000")
        if self.from_page < 0:
            raise ValueError("from_page must not be negative")

    @property
    def bucket_size(self) -> int:
        """How many requests a rate limit admits at once."""
        return self.burst if self.burst is not None else max(1, math.floor(self.rate_per_s))

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path_contains is None or self.path_contains in path
        )

    @classmethod
    def from_json(cls, data: object) -> Fault:
        """A Fault from the JSON body of `POST /_sandbox/faults`; ValueError with a precise message if invalid."""
        if not isinstance(data, dict):
            raise ValueError("the fault must be a JSON object")
        obj = cast(dict[str, object], data)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(obj) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        kind = obj.get("kind")
        if not isinstance(kind, str) or kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        return cls(
            kind=kind,
            method=_opt_str(obj, "method"),
            path_contains=_opt_str(obj, "path_contains"),
            times=_opt_int(obj, "times", 1),
            latency_s=_num(obj, "latency_s", 0.0),
            status=_int(obj, "status", 503),
            retry_after=_opt_str(obj, "retry_after"),
            clock_offset_s=_num(obj, "clock_offset_s", 0.0),
            rate_per_s=_num(obj, "rate_per_s", 0.0),
            burst=_opt_int(obj, "burst", None),
            creates=_int(obj, "creates", 1),
            deletes=_int(obj, "deletes", 1),
            from_page=_int(obj, "from_page", 1),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _opt_str(obj: Mapping[str, object], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{key} must be a string or null")


def _opt_int(obj: Mapping[str, object], key: str, default: int | None) -> int | None:
    if key not in obj:
        return default
    value = obj[key]
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{key} must be an integer or null")


def _int(obj: Mapping[str, object], key: str, default: int) -> int:
    value = obj.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{key} must be an integer")


def _num(obj: Mapping[str, object], key: str, default: float) -> float:
    value = obj.get(key, default)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{key} must be a number")


def _is_header_safe(value: str) -> bool:
    return value.isprintable() and value.isascii()


@dataclass(frozen=True)
class RequestRecord:
    """One request served. `status` is None when the connection was dropped without a response; `time` is
    when it arrived, in epoch seconds by the sandbox's clock."""

    method: str
    path: str
    status: int | None
    time: float
    fault: FaultKind | None = None


@dataclass(frozen=True)
class FaultPlan:
    """What the faults say to do with one request."""

    latency: Fault | None = None
    clock: Fault | None = None
    outcome: Fault | None = None


@dataclass
class _Active:
    """A fault in force: the rule (its `times` counting down) and, for a rate limit, its bucket."""

    fault: Fault
    bucket: TokenBucket | None = None


class FaultController:
    """Thread-safe: tests drive it from their own thread while the server runs in another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: list[_Active] = []
        self._requests: list[RequestRecord] = []

    def add(self, fault: Fault) -> None:
        copy = replace(fault)  # a copy: `times` counts down here, not in the caller's object
        bucket = TokenBucket.full(fault.rate_per_s, fault.bucket_size) if fault.kind == "rate_limit" else None
        with self._lock:
            self._active.append(_Active(copy, bucket))

    def clear(self) -> None:
        """Remove every fault (the request log is kept; see clear_requests)."""
        with self._lock:
            self._active.clear()

    @property
    def faults(self) -> list[Fault]:
        """The active faults (copies), `times` showing what is left."""
        with self._lock:
            return [replace(a.fault) for a in self._active]

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self._requests
                if (method is None or r.method == method.upper()) and (path_contains is None or path_contains in r.path)
            )

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def take(self, method: str, path: str, now: float | None = None) -> FaultPlan:
        """Pick the first matching fault of each category and use up one of its `times`. A rate limit that
        admits the request leaves the outcome to the next matching fault; one that refuses it becomes the
        outcome, as a 429 with its Retry-After. `now`: the sandbox clock (rate limits run on it)."""
        moment = time.time() if now is None else now
        chosen: dict[str, tuple[_Active, Fault]] = {}
        with self._lock:
            for active in self._active:
                fault = active.fault
                if fault.kind == "churn":
                    continue  # taken by the list handlers (`take_churn`), which alone can apply it
                slot = fault.kind if fault.kind in _MODIFIERS else "outcome"
                if slot in chosen or not fault.matches(method, path):
                    continue
                if active.bucket is not None:
                    wait = active.bucket.take(moment)
                    if wait is None:
                        continue
                    fault = replace(fault, status=429, retry_after=str(retry_after_seconds(wait)))
                chosen[slot] = (active, fault)
            for active, _ in chosen.values():
                if active.fault.times is not None:
                    active.fault.times -= 1
            self._active = [a for a in self._active if a.fault.times is None or a.fault.times > 0]
        plan = {slot: fault for slot, (_, fault) in chosen.items()}
        return FaultPlan(latency=plan.get("latency"), clock=plan.get("clock_offset"), outcome=plan.get("outcome"))

    def take_churn(self, method: str, path: str, page: int) -> Fault | None:
        """The first `churn` fault matching a list request for `page` (a copy), one of its `times` used up."""
        with self._lock:
            for active in self._active:
                fault = active.fault
                if fault.kind == "churn" and page >= fault.from_page and fault.matches(method, path):
                    taken = replace(fault)  # a copy, before `times` is used up (a fault of 0 times is invalid)
                    if fault.times is not None:
                        fault.times -= 1
                    self._active = [a for a in self._active if a.fault.times is None or a.fault.times > 0]
                    return taken
        return None

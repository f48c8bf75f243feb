"""What every API handler shares: the sandbox's configuration, Spring's admission checks in Spring's order,
and running database writes off the event loop.

The order of checks is Spring's: authentication (401), then argument binding (path types, Accept, content
type, body: 400/406/415), then frontdoor access (403); the handler then looks up the resource (404) and
applies the service's own checks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from frontdoor_mcp.sandbox import access
from frontdoor_mcp.sandbox.ca import SigningCA
from frontdoor_mcp.sandbox.faults.controller import Fault, FaultController
from frontdoor_mcp.sandbox.faults.middleware import ConnectionRegistry
from frontdoor_mcp.sandbox.oauth.signing_key import SigningKey
from frontdoor_mcp.sandbox.paging import Paging, PagingControl
from frontdoor_mcp.sandbox.shares.ingress import DataPlane
from frontdoor_mcp.sandbox.storage.store import Principal, Store
from frontdoor_mcp.sandbox.web.responses import Representation, representation
from frontdoor_mcp.sandbox.web.validation import page_request, parse_frontdoor_id, read_json

T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class SandboxConfig:
    store: Store
    ca: SigningCA
    faults: FaultController
    connections: ConnectionRegistry
    admin_token: str = field(repr=False)
    token_ttl: int
    signing_key: SigningKey = field(repr=False)
    issuer: str
    """The root URL the sandbox serves at: the `iss` of its JWTs, and the issuer its metadata names."""
    clock: Callable[[], float]
    """The sandbox's one wall clock (epoch seconds): token issuing and checking, signing, timestamps, `Date`,
    token expiry, share provisioning, rate limits."""
    share_provisioning_s: float = 2.0
    """How long a new share stays PROVISIONING before it reads ACTIVE."""
    page_workers: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(2))
    """Threads that read and render pages at once."""
    data_plane: DataPlane | None = None
    """Where TCP shares listen (None: an app built without one, which only tests of the API itself do)."""
    paging: PagingControl = field(default_factory=PagingControl)
    """The shape list answers take and the largest page served (`sandbox.paging`), changeable at run time."""


@dataclass(frozen=True)
class Call(Generic[T]):
    """A request that passed every check up to frontdoor access, and its bound body."""

    principal: Principal
    frontdoor_id: str
    rep: Representation
    body: T


class Gate:
    """Admission and plumbing for the handlers of one resource; state lives in the store."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = config.store

    def now_us(self) -> int:
        return int(self.config.clock() * 1_000_000)

    async def admit(self, request: Request) -> Call[None]:
        """Authentication (401), the frontdoorId path variable (400), Accept (406), then access (403)."""
        principal, frontdoor_id, rep = self._bound(request)
        access.authorize(principal, frontdoor_id)
        return Call(principal, frontdoor_id, rep, None)

    async def admit_body(self, request: Request, bind: Callable[[object], T]) -> Call[T]:
        """As `admit`, with Content-Type and the body bound by `bind` (415/400) before access (403)."""
        principal, frontdoor_id, rep = self._bound(request)
        body = bind(await read_json(request))
        access.authorize(principal, frontdoor_id)
        return Call(principal, frontdoor_id, rep, body)

    def _bound(self, request: Request) -> tuple[Principal, str, Representation]:
        principal = access.authenticate(
            request.headers.get("authorization"),
            self.store,
            key=self.config.signing_key,
            issuer=self.config.issuer,
            now=self.config.clock(),
        )
        frontdoor_id = parse_frontdoor_id(str(request.path_params["frontdoor_id"]))
        return principal, frontdoor_id, representation(request.headers.get("accept"))

    async def unauthenticated(self, request: Request, bind: Callable[[object], T]) -> tuple[str, Representation, T]:
        """The checks of an endpoint that takes no credentials (token redemption): frontdoorId (400), Accept
        (406), Content-Type and body (415/400). Any Authorization header is neither required nor checked."""
        frontdoor_id = parse_frontdoor_id(str(request.path_params["frontdoor_id"]))
        rep = representation(request.headers.get("accept"))
        return frontdoor_id, rep, bind(await read_json(request))

    def list_paging(self, request: Request) -> tuple[Paging, int, int]:
        """The paging in force (read once, so one answer is one shape) and the page and size asked, bound as
        Spring Data binds them under that paging's largest page."""
        paging = self.config.paging.current
        page, size = page_request(
            request.query_params.get("page"), request.query_params.get("size"), paging.max_page_size
        )
        return paging, page, size

    async def churned(self, request: Request, page: int, churn: Callable[[Fault], None]) -> None:
        """Apply a `churn` fault that matches this list request (`churn` deletes and creates in the request's
        collection, in its order), before the page is read: another user at work while a client walks it."""
        fault = self.config.faults.take_churn(request.method, request.url.path, page)
        if fault is not None:
            await self.run_write(lambda: churn(fault))

    async def page_in_worker(self, work: Callable[[], T]) -> T:
        """Run `work`, a page read and rendered (up to 2000 rows: milliseconds of SQLite and JSON), in a worker
        thread, two at a time, so the event loop keeps answering other requests. Measured with 16 pages of
        2000 in flight, the loop's longest stall fell from 139-243 ms to 18-37 ms (README, "Sandbox choices"); more
        workers than two only made the threads fight the loop for the GIL."""
        return await anyio.to_thread.run_sync(work, limiter=self.config.page_workers)

    async def run_write(self, work: Callable[[], T]) -> T:
        """Run a write (and any signing it includes) in a worker thread when the database is a file, so the
        event loop serves other requests through its fsync. In memory a write takes microseconds and the
        thread hop would cost more than it saves."""
        if self.store.database.in_memory:
            return work()
        return await anyio.to_thread.run_sync(work)


def by_method(**handlers: Handler) -> Handler:
    """One endpoint per path dispatching on method, so a 405 carries the path's full Allow list."""

    async def endpoint(request: Request) -> Response:
        # HEAD is served by the GET handler (Starlette adds HEAD to a route that has GET; so does Spring).
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint

"""Every failure is a sentence for the model: what happened, and what to do next.

API failures (`describe_failure`): a value the API sent (its `message`) is quoted as data, escaped and capped;
it never becomes the sentence. No token, header or response body is ever part of a message.

Anything else (`unexpected_errors`): a crash in a tool or a resolver becomes a short message that says whether
anything may have changed, and one log line with the (redacted) traceback on stderr. Without it the SDK answers
a crash with a bare "Error executing tool <name>", which tells the model nothing about what to do next.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Generator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Final, ParamSpec, TypeVar
from urllib.parse import urlsplit

from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.shared.exceptions import MCPError

from frontdoor_mcp.api.auth import ClientCredentials, TokenRequestFailed
from frontdoor_mcp.api.errors import (
    ApiCall,
    ApiError,
    BadRequest,
    Conflict,
    ConnectFailure,
    Forbidden,
    FrontdoorError,
    NoCredential,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Resource,
    ServerError,
    TimeoutFailure,
    TransportFailure,
    Unauthorized,
    UnexpectedResponse,
)
from frontdoor_mcp.config import CREDENTIAL_LOCATIONS, DEFAULT_API_URL
from frontdoor_mcp.rules import CLOCK_SKEW_THRESHOLD_S
from frontdoor_mcp.toolkit.answers import quoted
from frontdoor_mcp.toolkit.state import AppState

DOCUMENTED_BASE_PATH: Final = "/frontdoor"
"""Every path of the API starts with it (the guide's examples, and the OpenAPI of the neighbouring APIs)."""

P = ParamSpec("P")
R = TypeVar("R")

_VALUE_MUST_BE = re.compile(
    r"^Value for (?P<prop>[A-Za-z0-9_.\[\]-]{1,64}) must be of (?P<type>[A-Za-z0-9_ .,|<>-]{1,64})$"
)
_WHAT: Final[dict[Resource, tuple[str, str]]] = {
    # resource: (what it is called, the tool that lists the current ids)
    "certificate": ("Client certificate", "list_client_certificates"),
    "token": ("Certificate request token", "list_certificate_request_tokens"),
    "share": ("Share", "list_shares"),
    "frontdoor": ("Frontdoor", "list_client_certificates"),
    "redemption": ("The certificate request token", "list_certificate_request_tokens"),
}


def tool_error(exc: FrontdoorError, state: AppState) -> ToolError:
    return ToolError(describe_failure(exc, state))


@contextmanager
def api_errors(state: AppState) -> Generator[None]:
    """Around an API call in a tool: any `FrontdoorError` leaves as the tool error that explains it."""
    try:
        yield
    except FrontdoorError as exc:
        raise tool_error(exc, state) from None


def describe_failure(exc: FrontdoorError, state: AppState) -> str:
    if isinstance(exc, NoCredential):
        return (
            "No API credential is configured, so nothing was sent. Set one of "
            f"{CREDENTIAL_LOCATIONS} in the server's environment, then restart the server."
        )
    if isinstance(exc, ApiError):
        return _describe_api_error(exc, state)
    if isinstance(exc, TokenRequestFailed):
        return (
            f"Could not obtain an access token with the credentials from {state.credential_source}: {exc.reason}. "
            "Check the client id, password and token URL (run `frontdoor-mcp doctor`)."
        )
    if isinstance(exc, OutcomeUnknown):
        lister = _WHAT[exc.call.resource or "certificate"][1] if exc.call else "list_client_certificates"
        return (
            f"The {exc.method} was sent but its outcome is unknown ({exc.reason}). Nothing was repeated. "
            f"Call {lister} (sort createdAt,desc) to see whether it took effect before trying again."
        )
    if isinstance(exc, ConnectFailure):
        return (
            f"Could not connect to the Frontdoor API at {state.client.base_url}: {exc.reason}. Nothing was sent. "
            "Check FRONTDOOR_API_URL and the network, then try again."
        )
    if isinstance(exc, TimeoutFailure):
        return f"The Frontdoor API did not answer in time ({exc.reason}). Try again in a minute."
    if isinstance(exc, TransportFailure):
        return f"The connection to the Frontdoor API failed ({exc.reason}). Try again in a minute."
    if isinstance(exc, UnexpectedResponse):
        return (
            f"The Frontdoor API answered HTTP {exc.status_code} with {exc.reason}, not the documented JSON. "
            "Try again; if it persists, the API or a proxy in front of it is failing."
        )
    return "The Frontdoor API call failed. Try again."


def _quoted(message: str | None) -> str:
    return f" The API said: {quoted(message, 200)}." if message else ""


def _describe_api_error(exc: ApiError, state: AppState) -> str:
    if isinstance(exc, BadRequest):
        match = _VALUE_MUST_BE.fullmatch(exc.message or "")
        if match:
            return (
                f"The API rejected the request (400): the value for '{match['prop']}' must be of type "
                f"{match['type']}. Correct that argument and call again."
            )
        return f"The API rejected the request as invalid (400).{_quoted(exc.message)} Correct the input and call again."
    if isinstance(exc, Unauthorized):
        return _describe_unauthorized(exc, state)
    if isinstance(exc, Forbidden):
        return (
            f"The credentials cannot use frontdoor {exc.frontdoor_id or '(unknown)'} (403: not found or not "
            "permitted). Check the frontdoor_id argument or FRONTDOOR_ID, and that the token has access to that "
            "frontdoor."
        )
    if isinstance(exc, NotFound):
        return _describe_not_found(exc, state.client.base_url)
    if isinstance(exc, Conflict):
        return (
            f"The API reported a conflict (409).{_quoted(exc.message)} Choose another name, or list to see what exists."
        )
    if isinstance(exc, RateLimited):
        return f"The API is rate limiting requests (429). {_when_to_retry(exc)}"
    if isinstance(exc, ServerError):
        return f"The Frontdoor API failed with HTTP {exc.status_code}. {_when_to_retry(exc)}"
    return f"The API answered HTTP {exc.status_code}.{_quoted(exc.message)}"


def _when_to_retry(exc: ApiError) -> str:
    if exc.retry_after is not None:
        return f"Try again in {round(exc.retry_after)} seconds."
    return "Try again in a minute."


def _describe_not_found(exc: NotFound, base_url: str) -> str:
    if exc.call is not None and (exc.call.resource_id is None or exc.call.resource == "frontdoor"):
        return wrong_base_url(exc.call, base_url)
    kind, lister = _WHAT[(exc.call.resource if exc.call else None) or "certificate"]
    what = f"{kind} {exc.resource_id}" if exc.resource_id else f"The {kind.lower()}"
    where = f"frontdoor {exc.frontdoor_id}" if exc.frontdoor_id else "the frontdoor"
    if exc.method == "DELETE":
        return (
            f"{what} is not in {where} (404), so there is nothing to delete: it was already deleted or the id is "
            f"wrong. {lister} shows the current ids.{base_path_note(base_url)}"
        )
    return (
        f"{what} was not found in {where} (404); it may have been deleted. Call {lister} to find the current ids."
        f"{base_path_note(base_url)}"
    )


def wrong_base_url(call: ApiCall, base_url: str, *, status: int = 404, shown_path: str | None = None) -> str:
    """A 404 to a path every frontdoor has (a list, a create, the frontdoor itself): what answered, why the URL is
    to blame, and the fix. The one wording of it, for the tools and for `doctor` (which shows `shown_path`: the
    request's path without the probe frontdoor id it asked for).

    For the client certificates the guide documents 403 for a frontdoor the API does not know, so what answered
    was not the Frontdoor API at its documented paths. For the other resources that 403 is not documented (the
    sandbox answers it, as a Spring API in that guide's style would): the wrong URL is then the likely reading,
    and the frontdoor id the other."""
    parts = urlsplit(base_url)
    url = f"{parts.scheme}://{parts.netloc}{shown_path or call.path}"
    missing = "" if _documented_base_path(base_url) else f" (it lacks the {DOCUMENTED_BASE_PATH} path)"
    answered = (
        f"{call.method} {url} answered {status} (no such path): every frontdoor has this path under the API's base "
        f"URL, so the configured FRONTDOOR_API_URL {base_url} is"
    )
    fix = f"Set FRONTDOOR_API_URL to the API's base URL (NetFoundry's is {DEFAULT_API_URL}) and restart the server."
    if call.resource == "certificate":
        return f"{answered} wrong{missing}. Nothing was changed. {fix}"
    return (
        f"{answered} most likely wrong{missing}; otherwise the frontdoor id is unknown to this API (check "
        f"frontdoor_id or FRONTDOOR_ID). Nothing was changed. {fix}"
    )


def base_path_note(base_url: str) -> str:
    """After a 404 for one item: when the configured URL lacks the documented base path, the 404 may be the URL's
    fault rather than the item's."""
    if _documented_base_path(base_url):
        return ""
    return (
        f" Note: FRONTDOOR_API_URL {base_url} does not end in {DOCUMENTED_BASE_PATH}, the API's documented base "
        f"path (NetFoundry's is {DEFAULT_API_URL}): that, not the id, may be why."
    )


def _documented_base_path(base_url: str) -> bool:
    return urlsplit(base_url).path.rstrip("/").endswith(DOCUMENTED_BASE_PATH)


def _describe_unauthorized(exc: ApiError, state: AppState) -> str:
    parts = [f"The API refused the credentials (401). Credential source in use: {state.credential_source}."]
    credential = state.client.credential
    if credential is None:
        parts.append(f"No credential is configured: set one of {CREDENTIAL_LOCATIONS}.")
    else:
        parts.extend(f"Noticed locally: {problem}." for problem in credential.problems())
        expiry = credential.expires_at()
        now = datetime.now(UTC)
        if expiry is not None and expiry <= now:
            minutes = int((now - expiry).total_seconds() // 60)
            parts.append(f"The token expired at {expiry:%Y-%m-%d %H:%M:%S} UTC ({minutes} minutes ago).")
    skew = clock_skew_seconds(exc.server_date)
    if skew is not None and abs(skew) > CLOCK_SKEW_THRESHOLD_S:
        direction = "ahead of" if skew > 0 else "behind"
        parts.append(
            f"This machine's clock is {abs(round(skew))} seconds {direction} the API's: fix the time synchronisation."
        )
    if isinstance(credential, ClientCredentials):
        parts.append(
            "A freshly obtained token was refused too: check that the API account belongs to this API (its token "
            "URL and FRONTDOOR_API_URL must be the same NetFoundry environment) and run `frontdoor-mcp doctor`."
        )
    else:
        parts.append("Provide a valid token (for example a fresh NETFOUNDRY_API_TOKEN) and restart the server.")
    return " ".join(parts)


def clock_skew_seconds(server_date: datetime | None, *, now: datetime | None = None) -> float | None:
    """Local clock minus the server's (positive: this machine is ahead), from a response's Date header."""
    if server_date is None:
        return None
    if server_date.tzinfo is None:
        server_date = server_date.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - server_date).total_seconds()


# Everything else ------------------------------------------------------------------------------------

_log = logging.getLogger("frontdoor_mcp.tools")

NOTHING_CHANGED: Final = (
    "frontdoor-mcp met an unexpected internal error; nothing was changed. Try again; if it happens again, "
    "the server's log (stderr) has the details."
)
OUTCOME_UNKNOWN: Final = (
    "frontdoor-mcp met an unexpected internal error, and whether the change was applied is unknown. Check "
    "the current state (list or get) before trying again; the server's log (stderr) has the details."
)


def unexpected_errors(*, writes: bool) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Wrap an async tool or resolver so that only deliberate errors (ToolError, MCPError) pass as they are.
    `writes`: the call may change something, so a crash cannot promise that nothing changed."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except (ToolError, ResourceError, MCPError):
                raise
            except Exception:
                _log.exception("unexpected error in %s", getattr(fn, "__name__", "a tool"))
                raise ToolError(OUTCOME_UNKNOWN if writes else NOTHING_CHANGED) from None

        return guarded

    return decorate

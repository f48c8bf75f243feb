"""API failures become short, trusted sentences for the model: what happened, and what to do next.

A value the API sent (its `message`) is quoted as data, escaped and capped; it never becomes the sentence.
No token, header or response body is ever part of a message.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Final

from mcp.server.mcpserver.exceptions import ToolError

from frontdoor_mcp.api.auth import ClientCredentials, TokenRequestFailed
from frontdoor_mcp.api.errors import (
    ApiError,
    BadRequest,
    Conflict,
    ConnectFailure,
    Forbidden,
    FrontdoorError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TimeoutFailure,
    TransportFailure,
    Unauthorized,
    UnexpectedResponse,
)
from frontdoor_mcp.tools.respond import quoted
from frontdoor_mcp.tools.state import AppState

SKEW_THRESHOLD_SECONDS: Final = 60.0
_VALUE_MUST_BE = re.compile(
    r"^Value for (?P<prop>[A-Za-z0-9_.\[\]-]{1,64}) must be of (?P<type>[A-Za-z0-9_ .,|<>-]{1,64})$"
)


def tool_error(exc: FrontdoorError, state: AppState, *, certificate_id: str | None = None) -> ToolError:
    return ToolError(describe_failure(exc, state, certificate_id=certificate_id))


@contextmanager
def api_errors(state: AppState, *, certificate_id: str | None = None) -> Generator[None]:
    """Around an API call in a tool: any `FrontdoorError` leaves as the tool error that explains it."""
    try:
        yield
    except FrontdoorError as exc:
        raise tool_error(exc, state, certificate_id=certificate_id) from None


def describe_failure(exc: FrontdoorError, state: AppState, *, certificate_id: str | None = None) -> str:
    if isinstance(exc, ApiError):
        return _describe_api_error(exc, state, certificate_id)
    if isinstance(exc, TokenRequestFailed):
        return (
            f"Could not obtain an access token with the credentials from {state.credential_source}: {exc.reason}. "
            "Check the client id, password and token URL (run `frontdoor-mcp doctor`)."
        )
    if isinstance(exc, OutcomeUnknown):
        return (
            f"The {exc.method} was sent but its outcome is unknown ({exc.reason}). Nothing was repeated. "
            "Call list_client_certificates (sort createdAt,desc) to see whether it took effect before trying again."
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


def _describe_api_error(exc: ApiError, state: AppState, certificate_id: str | None) -> str:
    if isinstance(exc, BadRequest):
        match = _VALUE_MUST_BE.match(exc.message or "")
        if match:
            return (
                f"The API rejected the request (400): the value for '{match['prop']}' must be of type "
                f"{match['type']}. Correct that argument and call again."
            )
        return f"The API rejected the request as invalid (400).{_quoted(exc.message)} Correct the input and call again."
    if isinstance(exc, Unauthorized):
        return _describe_unauthorized(exc, state)
    if isinstance(exc, Forbidden):
        frontdoor = _frontdoor_in(exc.path)
        return (
            f"The credentials cannot use frontdoor {frontdoor} (403: not found or not permitted). "
            "Check the frontdoor_id argument or FRONTDOOR_ID, and that the token has access to that frontdoor."
        )
    if isinstance(exc, NotFound):
        what = f"Client certificate {certificate_id}" if certificate_id else "The certificate"
        if exc.method == "DELETE":
            return (
                f"{what} is not in frontdoor {_frontdoor_in(exc.path)} (404), so there is nothing to delete: it was "
                "already deleted or the id is wrong. list_client_certificates shows the current ids."
            )
        return (
            f"{what} was not found in frontdoor {_frontdoor_in(exc.path)} (404); it may have been deleted. "
            "Call list_client_certificates to find the current ids."
        )
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


def _frontdoor_in(path: str) -> str:
    match = re.search(r"/([0-9a-fA-F-]{36})/client-certificates", path)
    return match.group(1) if match else "(unknown)"


def _describe_unauthorized(exc: ApiError, state: AppState) -> str:
    parts = [f"The API refused the credentials (401). Credential source in use: {state.credential_source}."]
    credential = state.client.credential
    if credential is None:
        parts.append(
            "No credential is configured: set NETFOUNDRY_API_TOKEN, NETFOUNDRY_API_ACCOUNT, or "
            "NETFOUNDRY_CLIENT_ID/NETFOUNDRY_PASSWORD/NETFOUNDRY_OAUTH_URL."
        )
    else:
        parts.extend(f"Noticed locally: {problem}." for problem in credential.problems())
        expiry = credential.expires_at()
        now = datetime.now(UTC)
        if expiry is not None and expiry <= now:
            minutes = int((now - expiry).total_seconds() // 60)
            parts.append(f"The token expired at {expiry:%Y-%m-%d %H:%M:%S} UTC ({minutes} minutes ago).")
    skew = clock_skew_seconds(exc.server_date)
    if skew is not None and abs(skew) > SKEW_THRESHOLD_SECONDS:
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

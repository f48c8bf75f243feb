"""Credentials as httpx2 auth flows: a bearer token, Basic `username:token`, and OAuth2 client credentials.

Secrets live in `Secret`, whose repr and str never show the value. Each credential knows the name of the
configuration it came from (`source`), so error messages can say which one is in use without the value.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from collections.abc import AsyncGenerator, Generator
from datetime import UTC, datetime
from typing import Any, Final

import anyio
import httpx2

from frontdoor_mcp.api.errors import FrontdoorError
from frontdoor_mcp.redaction import KNOWN_SECRETS
from frontdoor_mcp.rules import API_CONNECT_TIMEOUT_S, API_TIMEOUT_S

RENEW_BEFORE_SECONDS: Final = 600.0
"""Renew an OAuth token when fewer than this many seconds of validity remain (what NetFoundry's client does)."""

MIN_TOKEN_LIFETIME_SECONDS: Final = 1.0
MAX_TOKEN_LIFETIME_SECONDS: Final = 86400.0 * 366
"""A token response's `expires_in` is clamped to these: a negative, NaN or astronomical value must neither make
a token look valid forever nor crash the expiry arithmetic."""
DEFAULT_SCOPE: Final = "https://gateway.production.netfoundry.io//ignore-scope"
_OAUTH_ERROR_CODE: Final = re.compile(r"^[a-z_]{1,40}$")
"""RFC 6749 5.2 error codes (`invalid_client`, ...): safe to repeat; the free-text description is not."""


class Secret:
    """A string that never shows itself in a repr, a str, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class TokenRequestFailed(FrontdoorError):
    """The OAuth2 token endpoint refused or could not be reached. Never carries the client secret."""

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        self.reason = reason
        self.status_code = status_code
        super().__init__(None, reason)


def jwt_expiry(token: str) -> datetime | None:
    """The `exp` claim of a JWT, read without verification (for diagnosis only); None if not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims: Any = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(claims, dict):
        return None
    fields: dict[str, Any] = claims  # pyright: ignore[reportUnknownVariableType]
    exp = fields.get("exp")
    if not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, ValueError, OSError):  # 1e20, Infinity or NaN (JSON allows the last two here)
        return None


def _clamped_lifetime(seconds: float) -> float:
    if math.isnan(seconds):
        return MIN_TOKEN_LIFETIME_SECONDS  # renew soon rather than trust a nonsense lifetime
    return min(max(seconds, MIN_TOKEN_LIFETIME_SECONDS), MAX_TOKEN_LIFETIME_SECONDS)


def _oauth_error_code(response: httpx2.Response) -> str | None:
    try:
        body: Any = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    fields: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
    code = fields.get("error")
    return code if isinstance(code, str) and _OAUTH_ERROR_CODE.fullmatch(code) else None


def token_shape_problems(token: str) -> list[str]:
    """What is visibly wrong with a token's shape, said without showing the token."""
    problems: list[str] = []
    if token != token.strip():
        problems.append("the token has leading or trailing whitespace")
    if any(char.isspace() for char in token.strip()):
        problems.append("the token contains whitespace or a line break")
    if token.strip().lower().startswith(("bearer ", "basic ")):
        problems.append("the token already starts with 'Bearer ' or 'Basic ': set only the token itself")
    if not token.strip():
        problems.append("the token is empty")
    return problems


def _nonblank(*values: str) -> tuple[str, ...]:
    return tuple(value for value in values if value.strip())


class Credential(httpx2.Auth):
    """Base: a credential that can say where it came from and what is visibly wrong with it."""

    source: str = "none"

    def problems(self) -> list[str]:
        return []

    def expires_at(self) -> datetime | None:
        return None

    def secret_values(self) -> tuple[str, ...]:
        """Every form in which this credential's secrets are sent, so text from the API can be cleaned of
        them (an error body that echoes the request's headers). For redaction only: never shown."""
        return ()


class BearerToken(Credential):
    def __init__(self, token: Secret, *, source: str) -> None:
        self._token = token
        self.source = source
        KNOWN_SECRETS.add(*self.secret_values())

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal().strip()}"
        yield request

    def problems(self) -> list[str]:
        return token_shape_problems(self._token.reveal())

    def expires_at(self) -> datetime | None:
        return jwt_expiry(self._token.reveal().strip())

    def secret_values(self) -> tuple[str, ...]:
        return _nonblank(self._token.reveal(), self._token.reveal().strip())

    def __repr__(self) -> str:
        return f"BearerToken(source={self.source!r})"


class BasicToken(Credential):
    """`Authorization: Basic base64(username:token)`, as the guide allows (RFC 7617)."""

    def __init__(self, username: str, token: Secret, *, source: str) -> None:
        self._username = username
        self._token = token
        self.source = source
        KNOWN_SECRETS.add(*self.secret_values())

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        pair = f"{self._username}:{self._token.reveal().strip()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        yield request

    def problems(self) -> list[str]:
        found = token_shape_problems(self._token.reveal())
        if ":" in self._username:
            found.append("the username contains ':', which Basic auth cannot carry")
        return found

    def secret_values(self) -> tuple[str, ...]:
        token = self._token.reveal()
        pair = base64.b64encode(f"{self._username}:{token.strip()}".encode()).decode("ascii")
        return _nonblank(token, token.strip(), pair)

    def __repr__(self) -> str:
        return f"BasicToken(source={self.source!r})"


class ClientCredentials(Credential):
    """OAuth2 client-credentials grant, as NetFoundry's own client does it.

    The access token lives in memory only. It is renewed when fewer than `RENEW_BEFORE_SECONDS` of validity
    remain (or, for a token issued for less than twice that, once half its lifetime has passed), and once
    after a 401; concurrent requests share one renewal (a lock, and a re-check under it).
    """

    requires_response_body = False

    def __init__(
        self,
        client_id: str,
        password: Secret,
        token_url: str,
        *,
        source: str,
        scope: str = DEFAULT_SCOPE,
        transport: httpx2.AsyncBaseTransport | None = None,
        clock: Any = time.time,
    ) -> None:
        self._client_id = client_id
        self._password = password
        self.token_url = token_url
        self.source = source
        self._scope = scope
        self._transport = transport
        self._clock = clock
        self._token: Secret | None = None
        self._expires_at_epoch = 0.0
        self._renew_at_epoch = 0.0
        self._lock: anyio.Lock | None = None
        self.token_requests = 0
        KNOWN_SECRETS.add(*self.secret_values())

    def __repr__(self) -> str:
        return f"ClientCredentials(source={self.source!r}, client_id={self._client_id!r})"

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        raise RuntimeError("ClientCredentials works with the async client only")

    def expires_at(self) -> datetime | None:
        return datetime.fromtimestamp(self._expires_at_epoch, UTC) if self._token else None

    def secret_values(self) -> tuple[str, ...]:
        password = self._password.reveal()
        pair = base64.b64encode(f"{self._client_id}:{password}".encode()).decode("ascii")
        return _nonblank(password, pair, self._token.reveal() if self._token else "")

    async def async_auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        token = await self.current_token()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        response = yield request
        if response.status_code == 401:
            # An access token can be revoked or rotated before its exp: renew once, then let a second 401 stand.
            token = await self.current_token(stale=token)
            request.headers["Authorization"] = f"Bearer {token.reveal()}"
            yield request

    async def current_token(self, *, stale: Secret | None = None) -> Secret:
        """A valid token: the cached one unless it is near expiry or is `stale`; else one renewal for all."""
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if self._token is not None and self._clock() < self._renew_at_epoch and self._token != stale:
                return self._token
            obtained_at = self._clock()
            self._token, self._expires_at_epoch = await self._request_token()
            lifetime = self._expires_at_epoch - obtained_at
            self._renew_at_epoch = self._expires_at_epoch - min(RENEW_BEFORE_SECONDS, lifetime / 2)
            return self._token

    async def _request_token(self) -> tuple[Secret, float]:
        self.token_requests += 1
        # trust_env=False, as for the API client: no environment proxy or CA setting silently changes where
        # the client secret goes or whom it trusts to receive it.
        async with httpx2.AsyncClient(
            transport=self._transport,
            timeout=httpx2.Timeout(API_TIMEOUT_S, connect=API_CONNECT_TIMEOUT_S),
            follow_redirects=False,
            trust_env=False,
        ) as client:
            try:
                response = await client.post(
                    self.token_url,
                    auth=httpx2.BasicAuth(self._client_id, self._password.reveal()),
                    data={"grant_type": "client_credentials", "scope": self._scope},
                    headers={"Accept": "application/json"},
                )
            except httpx2.HTTPError as exc:
                raise TokenRequestFailed(f"the token endpoint could not be reached ({type(exc).__name__})") from None
        if response.status_code != 200:
            code = _oauth_error_code(response)
            raise TokenRequestFailed(
                f"the token endpoint answered HTTP {response.status_code}" + (f" ({code})" if code else ""),
                status_code=response.status_code,
            )
        try:
            body: Any = response.json()
            token = body["access_token"]
            lifetime = _clamped_lifetime(float(body.get("expires_in", 3600)))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise TokenRequestFailed("the token endpoint's answer has no access_token") from None
        if not isinstance(token, str) or not token:
            raise TokenRequestFailed("the token endpoint's answer has no access_token")
        KNOWN_SECRETS.add(token)
        expiry = jwt_expiry(token)
        expires_at = expiry.timestamp() if expiry else self._clock() + lifetime
        return Secret(token), expires_at

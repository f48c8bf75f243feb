"""Mode (b) of the HTTP server's authentication: an OAuth 2.1 resource server accepting JWT access tokens.

A token is accepted when it is signed by a key of the issuer's JWKS (an asymmetric algorithm named by the
key, never `none` or an HMAC), its `iss` is the configured issuer, its `aud` names this server's resource URL
(RFC 8707/9068), and it is within `exp`/`nbf` with a small leeway. Its scopes come from `scope` (a string,
RFC 9068) or `scp` (a list, as some issuers write it). Time is read from an injectable clock.

The JWKS is found through the issuer's metadata (RFC 8414, else OpenID discovery) unless its URL is given,
fetched without following redirects, cached, and fetched again for a key id it does not know (at most every
`REFETCH_MIN_S`, so forged key ids cannot make the server hammer the issuer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final, TypeGuard, cast
from urllib.parse import urlsplit

import anyio
import httpx2
import jwt
from mcp.server.auth.provider import AccessToken

from frontdoor_mcp.config import ConfigError
from frontdoor_mcp.hosting.callers import RefusalLog
from frontdoor_mcp.hosting.options import IssuerAuth, checked_url

logger = logging.getLogger(__name__)

LEEWAY_S: Final = 30
ALGORITHMS: Final = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)
CACHE_S: Final = 600.0
REFETCH_MIN_S: Final = 30.0
MAX_DOCUMENT_BYTES: Final = 256 * 1024
FETCH_TIMEOUT: Final = httpx2.Timeout(10.0, connect=5.0)
MAX_SCOPES: Final = 64


class IssuerKeys:
    """The issuer's signing keys by key id, from its JWKS."""

    def __init__(
        self,
        auth: IssuerAuth,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._auth = auth
        self._jwks_url = auth.jwks_url
        self._transport = transport
        self._clock = clock
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = anyio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at > CACHE_S
        unknown = self._lookup(kid) is None
        may_refetch = self._fetched_at is None or now - self._fetched_at > REFETCH_MIN_S
        if stale or (unknown and may_refetch):
            async with self._lock:
                if self._fetched_at is None or self._clock() - self._fetched_at > REFETCH_MIN_S:
                    await self._refresh()
        return self._lookup(kid)

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        self._fetched_at = self._clock()  # a failed fetch waits REFETCH_MIN_S too
        try:
            async with httpx2.AsyncClient(transport=self._transport, timeout=FETCH_TIMEOUT) as client:
                if self._jwks_url is None:
                    self._jwks_url = await self._discover(client)
                self._keys = _usable_keys(await _document(client, self._jwks_url))
        except (httpx2.HTTPError, ValueError, ConfigError) as exc:
            logger.error("the issuer's signing keys could not be fetched (%s); tokens are refused meanwhile", exc)

    async def _discover(self, client: httpx2.AsyncClient) -> str:
        issuer = self._auth.issuer
        for url in metadata_urls(issuer):
            try:
                metadata = await _document(client, url)
            except (httpx2.HTTPError, ValueError):
                continue
            if metadata.get("issuer") != issuer:
                raise ValueError(f"the metadata at {url} names another issuer")
            jwks = metadata.get("jwks_uri")
            if isinstance(jwks, str):
                return checked_url(jwks, "jwks_uri")
        raise ValueError(f"no metadata with a jwks_uri was found for the issuer {issuer}")


def metadata_urls(issuer: str) -> list[str]:
    """RFC 8414 section 3.1 (the well-known part before the issuer's path), then OpenID discovery."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    return [
        f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{path}",
        f"{issuer.rstrip('/')}/.well-known/openid-configuration",
    ]


async def _document(client: httpx2.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url, headers={"accept": "application/json"})
    if response.status_code != 200:
        raise ValueError(f"{url} answered HTTP {response.status_code}")
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"{url} answered a document too large to be metadata or a JWKS")
    document: Any = response.json()
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return cast(dict[str, Any], document)


def _usable_keys(jwks: dict[str, Any]) -> dict[str | None, jwt.PyJWK]:
    found: dict[str | None, jwt.PyJWK] = {}
    for item in cast(list[object], jwks.get("keys") or []):
        if not isinstance(item, dict) or cast(dict[str, Any], item).get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(cast(dict[str, Any], item))
        except jwt.PyJWTError:
            continue  # a key of a type or curve we do not verify with
        if key.algorithm_name in ALGORITHMS:
            found[key.key_id] = key
    if not found:
        raise ValueError("the JWKS holds no usable signing key")
    return found


class IssuerTokenVerifier:
    """The SDK's `TokenVerifier` for JWTs from one issuer, for one audience (this server's resource URL)."""

    def __init__(
        self,
        auth: IssuerAuth,
        keys: IssuerKeys | None = None,
        *,
        now: Callable[[], float] = time.time,
        refusals: RefusalLog | None = None,
    ):
        self._auth = auth
        self._keys = keys or IssuerKeys(auth)
        self._now = now
        self._refusals = refusals or RefusalLog()

    async def verify_token(self, token: str) -> AccessToken | None:
        access, refusal = await self._verified(token)
        if refusal is not None:
            self._refusals.refused(refusal)
        return access

    async def _verified(self, token: str) -> tuple[AccessToken | None, str | None]:
        """The access the token grants, or why it grants none (in our words: never a value from the token)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None, "not a JWT"
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALGORITHMS or not (kid is None or isinstance(kid, str)):
            return None, "its algorithm is not an asymmetric one this server accepts"
        key = await self._keys.key(kid)
        if key is None or key.algorithm_name != algorithm:
            return None, "it is not signed with a key of the issuer's JWKS"
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                # Checked below, on our clock and with our messages; the signature is PyJWT's.
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.PyJWTError:
            return None, "its signature does not verify"
        return self._access(token, claims)

    def _access(self, token: str, claims: dict[str, Any]) -> tuple[AccessToken | None, str | None]:
        now = self._now()
        exp, nbf = claims.get("exp"), claims.get("nbf", 0)
        if not _number(exp) or not _number(nbf):
            return None, "it has no valid exp (or nbf)"
        if now > exp + LEEWAY_S:
            return None, "it has expired"
        if now + LEEWAY_S < nbf:
            return None, "it is not valid yet (nbf)"
        if claims.get("iss") != self._auth.issuer:
            return None, "it is from another issuer (iss)"
        if not self._for_this_server(claims.get("aud")):
            return None, "it is not for this server (aud is not the resource URL)"
        subject, client = claims.get("sub"), claims.get("client_id", claims.get("azp", claims.get("sub")))
        if not isinstance(client, str) or not client or not (subject is None or isinstance(subject, str)):
            return None, "it names no client (client_id, azp or sub)"
        return AccessToken(
            token=token,
            client_id=client,
            subject=subject,
            scopes=_scopes(claims),
            expires_at=int(exp),
            resource=self._auth.resource_url,
            claims={"iss": self._auth.issuer},
        ), None

    def _for_this_server(self, audience: object) -> bool:
        audiences = cast(list[object], audience) if isinstance(audience, list) else [audience]
        wanted = self._auth.resource_url.rstrip("/")
        return any(isinstance(item, str) and item.rstrip("/") == wanted for item in audiences)


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scopes(claims: dict[str, Any]) -> list[str]:
    scope, scp = claims.get("scope"), claims.get("scp")
    if isinstance(scope, str):
        listed: list[object] = list(scope.split())
    elif isinstance(scp, list):
        listed = cast(list[object], scp)
    else:
        listed = []
    return [item for item in listed if isinstance(item, str)][:MAX_SCOPES]

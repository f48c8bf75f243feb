"""Certificate request tokens: list, create, get, update, revoke; and redemption, which needs no credentials.

A token string (`crt_...`) is a credential: whoever holds it gets a certificate. Each one the client sees, in
an answer or in an argument, joins the redaction set at once; it is kept out of reprs, paths in logs and
errors (the redemption URL carries it: its loggable path masks it).

The documentation shows the token resource's fields but not every status or body (see the README's sandbox
choices): the client takes 200 or 201, a body with or without the issued certificate's PEM, and a token
resource with or without `frontdoorId`, `createdAt`, `usedAt`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

from pydantic import AfterValidator, Field

from frontdoor_mcp.api.decoding import parsed
from frontdoor_mcp.api.errors import (
    ConnectionLost,
    FrontdoorError,
    OutcomeUnknown,
    ServerError,
    TimeoutFailure,
    UnexpectedResponse,
)
from frontdoor_mcp.api.http import ApiHttp
from frontdoor_mcp.api.models import Certificate, Deleted, Name, ShortText, WireModel
from frontdoor_mcp.api.pages import Page, read_page
from frontdoor_mcp.api.paths import Paths
from frontdoor_mcp.api.walk import ALL_PAGES_SIZE, NEWEST_FIRST, ProgressCallback, Walked, walk_pages
from frontdoor_mcp.redaction import KNOWN_SECRETS
from frontdoor_mcp.rules import WALK_MAX_ITEMS

TokenSort = str
RECOVERY_WINDOW: Final = timedelta(minutes=5)


def _secret(value: str) -> str:
    """A token string, registered for redaction the moment it is parsed from an answer."""
    KNOWN_SECRETS.add(value)
    return value


class RequestToken(WireModel):
    """A certificate request token as the API shows it. `token` is the secret; never shown unmasked except
    where a tool means to (the result that creates it, or a get with reveal=true)."""

    id: ShortText
    name: Name
    frontdoor_id: ShortText | None = Field(default=None, alias="frontdoorId")
    token: Annotated[str, Field(max_length=256), AfterValidator(_secret)] | None = Field(default=None, repr=False)
    common_name: ShortText | None = Field(default=None, alias="commonName")
    organization: ShortText | None = None
    organizational_unit: ShortText | None = Field(default=None, alias="organizationalUnit")
    expires_at: datetime | None = Field(default=None, alias="expiresAt")
    created_at: datetime | None = Field(default=None, alias="createdAt")
    created_by: ShortText | None = Field(default=None, alias="createdBy")
    used_at: datetime | None = Field(default=None, alias="usedAt")
    client_certificate_id: ShortText | None = Field(default=None, alias="clientCertificateId")


@dataclass(frozen=True)
class TokenFields:
    """The fields a create or an update sends; None: not given. For CN/O/OU an empty string clears the field
    (the redeemer's CSR then decides it)."""

    name: str | None = None
    common_name: str | None = None
    organization: str | None = None
    organizational_unit: str | None = None

    def body(self) -> dict[str, Any]:
        wire = {
            "name": self.name,
            "commonName": self.common_name,
            "organization": self.organization,
            "organizationalUnit": self.organizational_unit,
        }
        return {key: value for key, value in wire.items() if value is not None}


@dataclass(frozen=True)
class CreatedToken:
    token: RequestToken
    recovered: bool = False


class TokensApi:
    """`/frontdoor/{frontdoorId}/certificate-request-tokens`, and redemption under client-certificates."""

    def __init__(self, http: ApiHttp, paths: Paths) -> None:
        self._http = http
        self._paths = paths

    async def list(
        self, frontdoor_id: str, *, page: int = 0, size: int = 20, sort: TokenSort | None = None
    ) -> Page[RequestToken]:
        call = self._paths.tokens("GET", frontdoor_id)
        params = {"page": str(page), "size": str(size), **({"sort": sort} if sort else {})}
        return await read_page(self._http, call, params, RequestToken, "token list")

    async def list_all(
        self, frontdoor_id: str, *, sort: TokenSort | None = None, on_progress: ProgressCallback | None = None
    ) -> tuple[list[RequestToken], Walked]:
        """Every token (the first WALK_MAX_ITEMS at most), and what the walk can say of itself. Without `sort`,
        newest first, so the walk checks itself with one small read (see `api.walk`)."""
        order = sort or NEWEST_FIRST

        async def page(number: int, size: int) -> Page[RequestToken]:
            return await self.list(frontdoor_id, page=number, size=size, sort=order)

        return await walk_pages(
            page,
            key=lambda item: item.id,
            size=ALL_PAGES_SIZE,
            created_at=(lambda item: item.created_at) if order == NEWEST_FIRST else None,
            max_items=WALK_MAX_ITEMS,
            on_progress=on_progress,
        )

    async def get(self, frontdoor_id: str, token_id: str) -> RequestToken:
        call = self._paths.token("GET", frontdoor_id, token_id)
        status, body = await self._http.call(call)
        return parsed(call, status, body, RequestToken.model_validate, "token")

    async def create(self, frontdoor_id: str, fields: TokenFields, *, valid_years: int | None = None) -> CreatedToken:
        """POST once. After a lost answer, a token of this name created since is looked for: it is this call's
        (found, not made twice), or the outcome is unknown."""
        call = self._paths.tokens("POST", frontdoor_id)
        body = fields.body() | ({"validYears": valid_years} if valid_years is not None else {})
        before = {item.id for item in (await self.list(frontdoor_id, size=50, sort="createdAt,desc")).items}
        started = datetime.now(UTC)
        try:
            status, answer = await self._http.call(call, json_body=body)
            return CreatedToken(parsed(call, status, answer, RequestToken.model_validate, "created token"))
        except (TimeoutFailure, ConnectionLost, UnexpectedResponse, ServerError) as failure:
            if isinstance(failure, UnexpectedResponse) and failure.status_code >= 300:
                raise
            try:
                newest = (await self.list(frontdoor_id, size=50, sort="createdAt,desc")).items
            except FrontdoorError:
                raise OutcomeUnknown(call, "the answer was lost, and checking afterwards failed") from failure
            found = [
                item for item in newest if item.id not in before and item.name == fields.name and _near(item, started)
            ]
            if len(found) != 1:
                raise OutcomeUnknown(call, "the answer was lost, and no one token of this name appeared") from failure
            return CreatedToken(found[0], recovered=True)

    async def update(self, frontdoor_id: str, token_id: str, fields: TokenFields) -> RequestToken:
        """PATCH with the fields given (a partial update, as the client-certificates API's PATCH)."""
        call = self._paths.token("PATCH", frontdoor_id, token_id)
        status, body = await self._http.call(call, json_body=fields.body())
        return parsed(call, status, body, RequestToken.model_validate, "token")

    async def revoke(self, frontdoor_id: str, token_id: str) -> Deleted:
        call = self._paths.token("DELETE", frontdoor_id, token_id)
        status, body = await self._http.call(call)
        if body is None:
            return Deleted.model_validate({"id": call.resource_id, "frontdoorId": call.frontdoor_id})
        return parsed(call, status, body, Deleted.model_validate, "revoked token")

    async def redeem(self, frontdoor_id: str, token: str, csr_pem: str) -> Certificate:
        """Redeem `token` with a CSR: POST once, with no credentials at all (redeeming is for whoever holds
        the token, and the configured credentials never go to this path). A lost answer is not looked into:
        a redeemer may have no credentials to look with."""
        KNOWN_SECRETS.add(token)
        call, real_path = self._paths.redemption(frontdoor_id, token)
        status, body = await self._http.call(
            call, url_path=real_path, json_body={"type": "CSR", "value": csr_pem}, authenticated=False
        )
        return parsed(call, status, body, _issued, "issued certificate")


def _issued(data: Any) -> Certificate:
    """The answer to a redemption: the certificate (the sandbox adds its PEM; the documentation shows no body,
    so an answer without `value`, or in the create example's summary shape, is taken too)."""
    if not isinstance(data, Mapping):
        raise ValueError("a redemption answer must be a JSON object")
    return Certificate.model_validate(data)


def _near(item: RequestToken, started: datetime) -> bool:
    if item.created_at is None:
        return True
    created = item.created_at if item.created_at.tzinfo else item.created_at.replace(tzinfo=UTC)
    return abs(created - started) <= RECOVERY_WINDOW

"""The certificate request token endpoints, and redemption (`POST .../client-certificates/token/{token}`).

The guide documents the list, create and redeem calls and the token's fields; everything else here (status
codes, error bodies, update and delete semantics, what redemption returns) is a sandbox choice in the style
of the client-certificates guide, listed in the README ("Sandbox choices") and commented where it is made.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from cryptography.x509.oid import ObjectIdentifier
from starlette.requests import Request
from starlette.responses import Response

from frontdoor_mcp.sandbox.ca import CertificateRequest, certificate_pem
from frontdoor_mcp.sandbox.certificates.routes import certificates_url, detail_json
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.request_tokens.binding import (
    DAYS_PER_VALID_YEAR,
    TOKEN_LIFETIME_S,
    redemption_input,
    token_changes,
    token_create,
)
from frontdoor_mcp.sandbox.request_tokens.store import (
    REQUEST_TOKEN_ORDER_SQL,
    RedemptionRefused,
    TokenAlreadyUsed,
    Unredeemable,
    unredeemable,
)
from frontdoor_mcp.sandbox.request_tokens.subject import LOCKABLE, issued_subject
from frontdoor_mcp.sandbox.storage.rows import RequestTokenRow
from frontdoor_mcp.sandbox.web.endpoint import Gate
from frontdoor_mcp.sandbox.web.responses import (
    ErrorResponse,
    Json,
    api_root,
    conflict,
    deleted_json,
    iso_instant,
    json_response,
    not_found,
    one_response,
    page_response,
    without_nulls,
)
from frontdoor_mcp.sandbox.web.validation import checked_value, sort_orders

HAL_COLLECTION = "certificateRequestTokens"


def tokens_url(request: Request, frontdoor_id: str) -> str:
    return f"{api_root(request)}/frontdoor/{frontdoor_id}/certificate-request-tokens"


def token_json(row: RequestTokenRow) -> Json:
    """The token in every read: the secret `token` included (the guide's list example shows it), nulls left
    out. `usedAt` and `clientCertificateId` are sandbox additions: when and into which certificate it was
    redeemed, so a client can tell a used token from a live one without trying it."""
    return without_nulls(
        {
            "id": row.id,
            "name": row.name,
            "frontdoorId": row.frontdoor_id,
            "token": row.token,
            "commonName": row.common_name,
            "organization": row.organization,
            "organizationalUnit": row.organizational_unit,
            "expiresAt": iso_instant(row.expires_us),
            "createdAt": iso_instant(row.created_us),
            "createdBy": row.created_by,
            "usedAt": None if row.used_us is None else iso_instant(row.used_us),
            "clientCertificateId": row.certificate_id,
        }
    )


class TokenRoutes(Gate):
    async def list_page(self, request: Request) -> Response:
        call = await self.admit(request)
        paging, page, size = self.list_paging(request)
        orders = sort_orders(request.query_params.getlist("sort"), REQUEST_TOKEN_ORDER_SQL, "CertificateRequestToken")
        collection_url = tokens_url(request, call.frontdoor_id)

        def churn(fault: Fault) -> None:
            doomed, _ = self.store.tokens.page(call.frontdoor_id, orders, 0, fault.deletes)
            for row in doomed:
                self.store.tokens.delete(call.frontdoor_id, row.id, call.principal.username)
            for _ in range(fault.creates):
                self.store.tokens.create(
                    call.frontdoor_id,
                    f"churn-{uuid.uuid4().hex[:12]}",
                    {},
                    valid_years=1,
                    lifetime_s=TOKEN_LIFETIME_S,
                    username="churn",
                )

        await self.churned(request, page, churn)

        def rendered_page() -> Response:
            rows, total = self.store.tokens.page(call.frontdoor_id, orders, *paging.rows(page, size, call.rep))
            return page_response(
                call.rep,
                [token_json(row) for row in rows],
                total,
                page=page,
                size=size,
                orders=orders,
                collection_url=collection_url,
                hal_key=HAL_COLLECTION,
                shape=paging.shape,
            )

        return await self.page_in_worker(rendered_page)

    async def create(self, request: Request) -> Response:
        call = await self.admit_body(request, token_create)
        given = call.body
        row = await self.run_write(
            lambda: self.store.tokens.create(
                call.frontdoor_id,
                given.name,
                given.subject,
                valid_years=given.valid_years,
                lifetime_s=TOKEN_LIFETIME_S,
                username=call.principal.username,
            )
        )
        # 201 with Location, as a Spring controller answers a POST that creates a resource (the guide's
        # create example shows the body, not the status).
        return one_response(call.rep, token_json(row), f"{tokens_url(request, call.frontdoor_id)}/{row.id}", status=201)

    async def get(self, request: Request) -> Response:
        call = await self.admit(request)
        token_id = _token_id(request)
        row = self.store.tokens.get(call.frontdoor_id, token_id)
        if row is None:
            _not_found(token_id)
        return one_response(call.rep, token_json(row), f"{tokens_url(request, call.frontdoor_id)}/{token_id}")

    async def patch(self, request: Request) -> Response:
        return await self._update(request, replace=False)

    async def put(self, request: Request) -> Response:
        return await self._update(request, replace=True)

    async def _update(self, request: Request, *, replace: bool) -> Response:
        call = await self.admit_body(request, lambda body: token_changes(body, replace=replace))
        token_id = _token_id(request)
        try:
            row = await self.run_write(lambda: self.store.tokens.update(call.frontdoor_id, token_id, call.body))
        except TokenAlreadyUsed:
            # A used token's certificate exists: changing the definition it was issued from would misstate
            # history, so the update is a state conflict (409), as a Spring service would signal it.
            raise conflict(f"Certificate request token {token_id} has already been used") from None
        if row is None:
            _not_found(token_id)
        return one_response(call.rep, token_json(row), f"{tokens_url(request, call.frontdoor_id)}/{token_id}")

    async def delete(self, request: Request) -> Response:
        call = await self.admit(request)
        token_id = _token_id(request)
        username = call.principal.username
        row = await self.run_write(lambda: self.store.tokens.delete(call.frontdoor_id, token_id, username))
        if row is None:
            _not_found(token_id)
        # The guide's delete body, as for certificates; used tokens can be deleted too (revoking is tidying).
        return json_response(200, deleted_json(row.id, row.name, row.frontdoor_id, row.deleted_us, row.deleted_by))

    async def redeem(self, request: Request) -> Response:
        """No credentials: the token is the credential. Checks in order: frontdoorId (400), Accept (406),
        Content-Type and body (415/400), the token (404, 409, 410), then the CSR (400)."""
        frontdoor_id, rep, given = await self.unauthenticated(request, redemption_input)
        token = str(request.path_params["token"])
        reason = unredeemable(self.store.tokens.find(token), frontdoor_id, self.now_us())
        if reason is not None:
            _refused(reason)
        parsed = checked_value(given)
        assert isinstance(parsed, CertificateRequest)  # type CSR: checked_value refuses anything else

        def issue(row: RequestTokenRow) -> str:
            locked: dict[ObjectIdentifier, str] = {}
            for column, value in (
                ("common_name", row.common_name),
                ("organization", row.organization),
                ("organizational_unit", row.organizational_unit),
            ):
                if value is not None:
                    locked[LOCKABLE[column]] = value
            certificate = self.config.ca.sign_csr(
                parsed.csr,
                now=datetime.fromtimestamp(self.config.clock(), UTC),
                subject=issued_subject(parsed.csr.subject, locked),
                validity=timedelta(days=DAYS_PER_VALID_YEAR * row.valid_years),
            )
            return certificate_pem(certificate)

        try:
            _, certificate = await self.run_write(lambda: self.store.tokens.redeem(frontdoor_id, token, issue))
        except RedemptionRefused as exc:  # lost a race with another redemption, a delete or the clock
            _refused(exc.reason)
        # The certificate in the GET shape, PEM included: the redeemer has no credentials to GET it later.
        url = f"{certificates_url(request, frontdoor_id)}/{certificate.id}"
        return one_response(rep, detail_json(certificate), url, status=201)


def _refused(reason: Unredeemable) -> NoReturn:
    # Never the token string in a body. Unknown, deleted and other-frontdoor tokens are one 404, so the
    # answer does not tell which; used is a state conflict (409); expired is gone for good (410).
    if reason == "used":
        raise conflict("Certificate request token has already been used")
    if reason == "expired":
        raise ErrorResponse(410, "gone", "Certificate request token has expired")
    raise not_found("Certificate request token not found")


def _token_id(request: Request) -> str:
    return str(request.path_params["token_id"])


def _not_found(token_id: str) -> NoReturn:
    raise not_found(f"Certificate request token {token_id} not found")

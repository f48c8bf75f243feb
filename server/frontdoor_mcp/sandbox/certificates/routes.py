"""The client-certificates endpoints, as the guide describes them.

Where the guide is silent the behaviour is that of a Spring Boot REST API (Spring Security resource server,
Spring Data paging, Jackson), and the comment at that spot says so. Redemption of a request token, which
also creates a certificate, is in `request_tokens.routes`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import NoReturn

from starlette.requests import Request
from starlette.responses import Response

from frontdoor_mcp.sandbox.ca import CertificateRequest, certificate_pem, sample_certificate_pem
from frontdoor_mcp.sandbox.certificates.store import CERTIFICATE_ORDER_SQL
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.storage.rows import CertificateRow
from frontdoor_mcp.sandbox.web.endpoint import Gate
from frontdoor_mcp.sandbox.web.responses import (
    Json,
    api_root,
    deleted_json,
    iso_instant,
    json_response,
    not_found,
    one_response,
    page_response,
)
from frontdoor_mcp.sandbox.web.validation import (
    CertificateInput,
    certificate_input,
    checked_value,
    sort_orders,
)

HAL_COLLECTION = "clientCertificates"


def certificates_url(request: Request, frontdoor_id: str) -> str:
    return f"{api_root(request)}/frontdoor/{frontdoor_id}/client-certificates"


def summary_json(row: CertificateRow) -> Json:
    return {
        "id": row.id,
        "name": row.name,
        "frontdoorId": row.frontdoor_id,
        "createdAt": iso_instant(row.created_us),
        "createdBy": row.created_by,
    }


def detail_json(row: CertificateRow) -> Json:
    return {**summary_json(row), "value": row.value}


class CertificateRoutes(Gate):
    def _stored_value(self, given: CertificateInput) -> str | None:
        """The value to store: an uploaded certificate as given, a CSR replaced by the certificate signed from it."""
        parsed = checked_value(given)
        if isinstance(parsed, CertificateRequest):
            now = datetime.fromtimestamp(self.config.clock(), UTC)
            return certificate_pem(self.config.ca.sign_csr(parsed.csr, now=now))
        return given.value

    async def list_page(self, request: Request) -> Response:
        call = await self.admit(request)
        paging, page, size = self.list_paging(request)
        # Spring Data checks sort properties when it builds the query, i.e. after the access check.
        orders = sort_orders(request.query_params.getlist("sort"), CERTIFICATE_ORDER_SQL, "ClientCertificate")
        collection_url = certificates_url(request, call.frontdoor_id)

        def churn(fault: Fault) -> None:
            doomed, _ = self.store.list_certificates(call.frontdoor_id, orders, 0, fault.deletes)
            for row in doomed:
                self.store.delete_certificate(call.frontdoor_id, row.id, call.principal.username)
            now = datetime.fromtimestamp(self.config.clock(), UTC)
            for _ in range(fault.creates):
                value = sample_certificate_pem(self.config.ca, "churn.sandbox", now)
                self.store.insert_certificate(call.frontdoor_id, f"churn-{uuid.uuid4().hex[:12]}", value, "churn")

        await self.churned(request, page, churn)

        def rendered_page() -> Response:
            items, total = self.store.list_certificate_summaries(
                call.frontdoor_id, orders, *paging.rows(page, size, call.rep)
            )
            return page_response(
                call.rep,
                items,
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
        call = await self.admit_body(request, lambda body: certificate_input(body, require_all=True))
        given = call.body
        assert given.name is not None
        name = given.name

        def signed_and_stored() -> CertificateRow:
            value = self._stored_value(given)
            assert value is not None
            return self.store.insert_certificate(call.frontdoor_id, name, value, call.principal.username)

        row = await self.run_write(signed_and_stored)
        url = f"{certificates_url(request, call.frontdoor_id)}/{row.id}"
        return one_response(call.rep, summary_json(row), url, status=201)

    async def get(self, request: Request) -> Response:
        call = await self.admit(request)
        cert_id = _cert_id(request)
        row = self.store.get_certificate(call.frontdoor_id, cert_id)
        if row is None:
            _not_found(cert_id)
        return one_response(call.rep, detail_json(row), f"{certificates_url(request, call.frontdoor_id)}/{cert_id}")

    async def patch(self, request: Request) -> Response:
        return await self._update(request, require_all=False)

    async def put(self, request: Request) -> Response:
        return await self._update(request, require_all=True)

    async def _update(self, request: Request, *, require_all: bool) -> Response:
        # PATCH and PUT answer with the updated resource in the GET shape (value included): the usual
        # Spring controller returns the same DTO it serves on GET.
        call = await self.admit_body(request, lambda body: certificate_input(body, require_all=require_all))
        cert_id = _cert_id(request)
        if self.store.get_certificate(call.frontdoor_id, cert_id) is None:
            _not_found(cert_id)

        def signed_and_stored() -> CertificateRow | None:
            value = self._stored_value(call.body)
            username = call.principal.username
            return self.store.update_certificate(call.frontdoor_id, cert_id, username, name=call.body.name, value=value)

        row = await self.run_write(signed_and_stored)
        if row is None:  # deleted by someone else between the two statements
            _not_found(cert_id)
        return one_response(call.rep, detail_json(row), f"{certificates_url(request, call.frontdoor_id)}/{cert_id}")

    async def delete(self, request: Request) -> Response:
        call = await self.admit(request)  # Accept is negotiated all the same: a 406 deletes nothing
        cert_id = _cert_id(request)
        username = call.principal.username
        row = await self.run_write(lambda: self.store.delete_certificate(call.frontdoor_id, cert_id, username))
        if row is None:
            _not_found(cert_id)
        # The deleted resource has no self link to give, so both representations carry the guide's body.
        return json_response(200, deleted_json(row.id, row.name, row.frontdoor_id, row.deleted_us, row.deleted_by))


def _cert_id(request: Request) -> str:
    return str(request.path_params["certificate_id"])


def _not_found(cert_id: str) -> NoReturn:
    raise not_found(f"Client certificate {cert_id} not found")

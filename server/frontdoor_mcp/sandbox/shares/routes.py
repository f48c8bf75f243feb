"""The shares endpoints: list (filter `envZId`), get (by `id` or `zId`), create, delete.

The MCP server only reads shares; create and delete exist so tests, the demo and users can set up a scene.
The guide documents list and get, the TCP fields and the PROVISIONING/ACTIVE states; the rest is a sandbox
choice (README, "Sandbox choices"). A TCP share listens from its creation until its deletion (`ingress`).
"""

from __future__ import annotations

import socket
import uuid
from typing import NoReturn

from starlette.requests import Request
from starlette.responses import Response

from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.shares.binding import BACKEND_MODES, share_spec
from frontdoor_mcp.sandbox.shares.ingress import IngressPortInUse
from frontdoor_mcp.sandbox.shares.store import SHARE_ORDER_SQL, IngressPortTaken, ShareSpec, UnknownCertificate
from frontdoor_mcp.sandbox.storage.rows import ShareRow
from frontdoor_mcp.sandbox.web.endpoint import Gate
from frontdoor_mcp.sandbox.web.responses import (
    Json,
    api_root,
    bad_request,
    conflict,
    deleted_json,
    iso_instant,
    json_response,
    not_found,
    one_response,
    page_response,
    without_nulls,
)
from frontdoor_mcp.sandbox.web.validation import sort_orders

HAL_COLLECTION = "shares"


def shares_url(request: Request, frontdoor_id: str) -> str:
    return f"{api_root(request)}/frontdoor/{frontdoor_id}/shares"


def share_state(row: ShareRow, now_us: int, provisioning_s: float) -> str:
    """PROVISIONING until the provisioning delay has passed on the sandbox clock, then ACTIVE: computed at
    read, so a test moves a share along by moving the clock (the guide: states "like PROVISIONING and
    ACTIVE", a new share "may take a few minutes")."""
    return "ACTIVE" if now_us >= row.created_us + int(provisioning_s * 1_000_000) else "PROVISIONING"


def share_json(row: ShareRow, state: str, ingress_address: str | None = None) -> Json:
    """Nulls left out (Jackson NON_NULL); the filter lists as JSON arrays of strings. `ingress_address`: where
    the share listens when the sandbox moved its ingress ports (a sandbox field, not the API's)."""
    return without_nulls(
        {
            "id": row.id,
            "zId": row.z_id,
            "frontdoorId": row.frontdoor_id,
            "name": row.name,
            "type": row.type,
            "state": state,
            "envZId": row.env_z_id,
            "shareMode": "public",
            "backendMode": BACKEND_MODES.get(row.type),
            "target": row.target,
            "ingressPort": row.ingress_port,
            "clientCertificateId": row.client_certificate_id,
            "allowedSubjects": None if row.allowed_subjects is None else list(row.allowed_subjects),
            "allowedCommonNamePrefixes": (
                None if row.allowed_common_name_prefixes is None else list(row.allowed_common_name_prefixes)
            ),
            "requiredOrganizationalUnit": row.required_organizational_unit,
            "ingressAddress": ingress_address,
            "createdAt": iso_instant(row.created_us),
            "createdBy": row.created_by,
        }
    )


class ShareRoutes(Gate):
    def _json(self, row: ShareRow) -> Json:
        plane = self.config.data_plane
        moved = plane is not None and plane.ingress_ports == "ephemeral"
        address = plane.address(row.id) if moved and plane is not None else None
        return share_json(row, share_state(row, self.now_us(), self.config.share_provisioning_s), address)

    async def list_page(self, request: Request) -> Response:
        call = await self.admit(request)
        paging, page, size = self.list_paging(request)
        orders = sort_orders(request.query_params.getlist("sort"), SHARE_ORDER_SQL, "Share")
        env_z_id = request.query_params.get("envZId")
        collection_url = shares_url(request, call.frontdoor_id)
        filters = () if env_z_id is None else (("envZId", env_z_id),)

        def churn(fault: Fault) -> None:
            doomed, _ = self.store.shares.page(call.frontdoor_id, env_z_id, orders, 0, fault.deletes)
            for row in doomed:
                self.store.shares.delete(call.frontdoor_id, row.id, call.principal.username)
            for _ in range(fault.creates):
                name = f"churn{uuid.uuid4().hex[:12]}"
                spec = ShareSpec(name, "http", env_z_id or "sandboxEnv", "http://churn.internal.local:8080")
                self.store.shares.create(call.frontdoor_id, spec, "churn")

        await self.churned(request, page, churn)

        def rendered_page() -> Response:
            rows, total = self.store.shares.page(
                call.frontdoor_id, env_z_id, orders, *paging.rows(page, size, call.rep)
            )
            return page_response(
                call.rep,
                [self._json(row) for row in rows],
                total,
                page=page,
                size=size,
                orders=orders,
                collection_url=collection_url,
                hal_key=HAL_COLLECTION,
                filters=filters,
                shape=paging.shape,
            )

        return await self.page_in_worker(rendered_page)

    async def create(self, request: Request) -> Response:
        call = await self.admit_body(request, share_spec)
        listening = self._listen(call.frontdoor_id, call.body.ingress_port)
        try:
            row = await self.run_write(
                lambda: self.store.shares.create(call.frontdoor_id, call.body, call.principal.username)
            )
        except UnknownCertificate as exc:
            # A reference the body holds that does not resolve is a bad request, not a missing resource.
            _close(listening)
            raise bad_request(f"Client certificate {exc.certificate_id} not found") from None
        except IngressPortTaken as exc:
            _close(listening)
            raise conflict(_port_taken_by_share(exc.port)) from None
        except BaseException:
            _close(listening)
            raise
        if listening is not None and self.config.data_plane is not None:
            self.config.data_plane.serve(row, listening)
        # 201 and the share as it is now (PROVISIONING): the guide's "eventual consistency after create".
        return one_response(call.rep, self._json(row), f"{shares_url(request, call.frontdoor_id)}/{row.id}", status=201)

    def _listen(self, frontdoor_id: str, port: int | None) -> socket.socket | None:
        """The socket a new TCP share will listen on, bound before the share is stored: a port this machine
        cannot give is a 409 and nothing is stored."""
        plane = self.config.data_plane
        if plane is None or port is None:
            return None
        if self.store.shares.port_holder(frontdoor_id, port) is not None:
            raise conflict(_port_taken_by_share(port))
        try:
            return plane.bind(port)
        except IngressPortInUse:
            raise conflict(
                f"Ingress port {port} is in use on this machine (another program, or another sandbox, listens on "
                "it): choose another ingressPort"
            ) from None

    async def get(self, request: Request) -> Response:
        call = await self.admit(request)
        share_id = _share_id(request)
        row = self.store.shares.get(call.frontdoor_id, share_id)
        if row is None:
            _not_found(share_id)
        return one_response(call.rep, self._json(row), f"{shares_url(request, call.frontdoor_id)}/{row.id}")

    async def delete(self, request: Request) -> Response:
        call = await self.admit(request)
        share_id = _share_id(request)
        username = call.principal.username
        row = await self.run_write(lambda: self.store.shares.delete(call.frontdoor_id, share_id, username))
        if row is None:
            _not_found(share_id)
        if self.config.data_plane is not None:
            self.config.data_plane.close(row.id)
        return json_response(200, deleted_json(row.id, row.name, row.frontdoor_id, row.deleted_us, row.deleted_by))


def _port_taken_by_share(port: int) -> str:
    return f"Ingress port {port} is already used by another share of this frontdoor"


def _close(listening: socket.socket | None) -> None:
    if listening is not None:
        listening.close()


def _share_id(request: Request) -> str:
    return str(request.path_params["share_id"])


def _not_found(share_id: str) -> NoReturn:
    raise not_found(f"Share {share_id} not found")

"""For tests and benchmarks only (the product never calls it): setting a scene in a running sandbox without
going through HTTP.

`RunningSandbox` inherits these: request tokens (with any lifetime, for expiry tests on an injected clock),
shares, thousands of certificates in one transaction (benchmarks), and JWTs with any claims signed by the
sandbox's key. Inputs pass the same checks as the API's, so a scene is one the API could have built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from frontdoor_mcp.sandbox.ca import SigningCA, sample_certificate_pem
from frontdoor_mcp.sandbox.oauth.signing_key import SigningKey
from frontdoor_mcp.sandbox.request_tokens.binding import TOKEN_LIFETIME_S, token_create
from frontdoor_mcp.sandbox.shares.binding import INGRESS_PORT_MAX, INGRESS_PORT_MIN, share_spec
from frontdoor_mcp.sandbox.storage.rows import RequestTokenRow, ShareRow
from frontdoor_mcp.sandbox.storage.store import Store
from frontdoor_mcp.sandbox.web.responses import ErrorResponse

T = TypeVar("T")


@dataclass
class Scene:
    store: Store = field(repr=False)
    ca: SigningCA = field(repr=False)
    signing_key: SigningKey = field(repr=False)
    clock: Callable[[], float] = field(repr=False)
    frontdoor_id: str
    username: str
    issuer: str

    def mint_jwt(self, claims: dict[str, Any]) -> str:
        """A JWT with exactly `claims`, signed by the sandbox's key (expired, foreign-audience ... tokens)."""
        return self.signing_key.mint(claims)

    def seed_certificates(
        self,
        count: int,
        *,
        value: str | None = None,
        name_prefix: str = "seed",
        frontdoor_id: str | None = None,
    ) -> list[str]:
        """Insert `count` certificates in one transaction (10,000 in well under a second); their ids in
        createdAt order. `value`: the PEM they all hold (default: one the sandbox CA signed)."""
        if count < 0:
            raise ValueError("count must not be negative")
        pem = value or sample_certificate_pem(self.ca, f"{name_prefix}.sandbox", self._now())
        fid = frontdoor_id or self.frontdoor_id
        return self.store.seed_certificates(fid, count, pem, self.username, name_prefix)

    def add_request_token(
        self,
        name: str = "sandbox-token",
        *,
        common_name: str | None = None,
        organization: str | None = None,
        organizational_unit: str | None = None,
        valid_years: int = 1,
        lifetime_s: float = TOKEN_LIFETIME_S,
        frontdoor_id: str | None = None,
    ) -> RequestTokenRow:
        """A certificate request token as POST would create it, but with any lifetime (expiresAt is
        `lifetime_s` after now on the sandbox clock; 0 or less: already expired)."""
        body = {
            "name": name,
            "commonName": common_name,
            "organization": organization,
            "organizationalUnit": organizational_unit,
            "validYears": valid_years,
        }
        given = _checked(lambda: token_create(body))
        return self.store.tokens.create(
            frontdoor_id or self.frontdoor_id,
            given.name,
            given.subject,
            valid_years=given.valid_years,
            lifetime_s=lifetime_s,
            username=self.username,
        )

    def add_share(
        self,
        name: str = "sandboxShare",
        *,
        type: str = "tcp",
        env_z_id: str = "sandboxEnv",
        target: str | None = None,
        ingress_port: int | None = None,
        client_certificate_id: str | None = None,
        allowed_subjects: list[str] | None = None,
        allowed_common_name_prefixes: list[str] | None = None,
        required_organizational_unit: str | None = None,
        frontdoor_id: str | None = None,
    ) -> ShareRow:
        """A share as POST would create it (PROVISIONING for the sandbox's provisioning delay). A tcp share
        without `ingress_port` gets the lowest free one; without `target`, a private database address."""
        fid = frontdoor_id or self.frontdoor_id
        if type == "tcp" and ingress_port is None:
            ingress_port = self._free_ingress_port(fid)
        body: dict[str, object] = {
            "name": name,
            "type": type,
            "envZId": env_z_id,
            "target": target or ("tcp://db.internal.local:5432" if type == "tcp" else "http://app.internal.local:8080"),
            "ingressPort": ingress_port,
            "clientCertificateId": client_certificate_id,
            "allowedSubjects": allowed_subjects,
            "allowedCommonNamePrefixes": allowed_common_name_prefixes,
            "requiredOrganizationalUnit": required_organizational_unit,
        }
        spec = _checked(lambda: share_spec(body))
        row = self.store.shares.create(fid, spec, self.username)
        self._share_created(row)
        return row

    def _share_created(self, row: ShareRow) -> None:
        """What a running sandbox does with a share it created (a TCP one starts listening); a bare scene, nothing."""

    def _free_ingress_port(self, frontdoor_id: str) -> int:
        rows, _ = self.store.shares.page(frontdoor_id, None, [], 0, INGRESS_PORT_MAX - INGRESS_PORT_MIN + 1)
        taken = {row.ingress_port for row in rows}
        for port in range(INGRESS_PORT_MIN, INGRESS_PORT_MAX + 1):
            if port not in taken:
                return port
        raise ValueError("every ingress port of this frontdoor is taken")

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


def _checked(bind: Callable[[], T]) -> T:
    """The API's binding, its 400 turned into the ValueError a Python caller expects."""
    try:
        return bind()
    except ErrorResponse as exc:
        raise ValueError(exc.message) from None

"""URL paths of the API, built only from validated ids, each with the `ApiCall` that describes it to errors."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from frontdoor_mcp.api.errors import ApiCall
from frontdoor_mcp.api.ids import (
    validate_certificate_id,
    validate_frontdoor_id,
    validate_request_token,
    validate_share_id,
    validate_token_id,
)
from frontdoor_mcp.redaction import mask_token


def _segment(value: str) -> str:
    # The ids are already restricted to letters, digits, '-' and '_'; quoting is belt and braces.
    return quote(value, safe="")


@dataclass(frozen=True)
class Paths:
    """The paths under one API base path (e.g. `/frontdoor`)."""

    base: str

    def frontdoor(self, method: str, frontdoor_id: str) -> ApiCall:
        fid = validate_frontdoor_id(frontdoor_id)
        return ApiCall(method, f"{self.base}/{_segment(fid)}", fid, "frontdoor", fid)

    def certificates(self, method: str, frontdoor_id: str) -> ApiCall:
        fid = validate_frontdoor_id(frontdoor_id)
        return ApiCall(method, f"{self.base}/{_segment(fid)}/client-certificates", fid, "certificate")

    def certificate(self, method: str, frontdoor_id: str, certificate_id: str) -> ApiCall:
        collection = self.certificates(method, frontdoor_id)
        cid = validate_certificate_id(certificate_id)
        return ApiCall(method, f"{collection.path}/{_segment(cid)}", collection.frontdoor_id, "certificate", cid)

    def tokens(self, method: str, frontdoor_id: str) -> ApiCall:
        fid = validate_frontdoor_id(frontdoor_id)
        return ApiCall(method, f"{self.base}/{_segment(fid)}/certificate-request-tokens", fid, "token")

    def token(self, method: str, frontdoor_id: str, token_id: str) -> ApiCall:
        collection = self.tokens(method, frontdoor_id)
        tid = validate_token_id(token_id)
        return ApiCall(method, f"{collection.path}/{_segment(tid)}", collection.frontdoor_id, "token", tid)

    def redemption(self, frontdoor_id: str, token: str) -> tuple[ApiCall, str]:
        """The redemption call, whose loggable path masks the token, and the real path that carries it."""
        collection = self.certificates("POST", frontdoor_id)
        secret = validate_request_token(token)
        shown = ApiCall("POST", f"{collection.path}/token/{mask_token(secret)}", collection.frontdoor_id, "redemption")
        return shown, f"{collection.path}/token/{_segment(secret)}"

    def shares(self, method: str, frontdoor_id: str) -> ApiCall:
        fid = validate_frontdoor_id(frontdoor_id)
        return ApiCall(method, f"{self.base}/{_segment(fid)}/shares", fid, "share")

    def share(self, method: str, frontdoor_id: str, share_id: str) -> ApiCall:
        collection = self.shares(method, frontdoor_id)
        sid = validate_share_id(share_id)
        return ApiCall(method, f"{collection.path}/{_segment(sid)}", collection.frontdoor_id, "share", sid)

"""The async client of the Frontdoor API (no MCP in this layer): one connection pool, one sub-client per
resource. Every path is built from validated ids (`paths`); `ApiHttp` sends it."""

from __future__ import annotations

from datetime import datetime
from typing import Unpack

from frontdoor_mcp.api.auth import Credential
from frontdoor_mcp.api.certificates import CertificatesApi
from frontdoor_mcp.api.http import ApiHttp, HttpOptions
from frontdoor_mcp.api.paths import Paths
from frontdoor_mcp.api.shares import SharesApi
from frontdoor_mcp.api.tokens import TokensApi


class FrontdoorClient:
    def __init__(self, base_url: str, credential: Credential | None, **options: Unpack[HttpOptions]) -> None:
        self._http = ApiHttp(base_url, credential, **options)
        self.base_url = self._http.base_url
        self.credential = credential
        paths = Paths(self._http.base_path)
        self.certificates = CertificatesApi(self._http, paths)
        self.tokens = TokensApi(self._http, paths)
        self.shares = SharesApi(self._http, paths)

    @property
    def last_server_date(self) -> datetime | None:
        """The Date header of the latest answer, for clock-skew diagnosis."""
        return self._http.last_server_date

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> FrontdoorClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

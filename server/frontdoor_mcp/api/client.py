"""The async client of the Frontdoor API (no MCP in this layer): one connection pool, one sub-client per
resource. Every path is built from validated ids (`paths`); `ApiHttp` sends it.

Each sub-client (and its wire models) is imported on first use: a server starts, and answers `initialize`
and `tools/list`, without loading what no call has needed yet.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Unpack

from frontdoor_mcp.api.auth import Credential
from frontdoor_mcp.api.http import ApiHttp, HttpOptions
from frontdoor_mcp.api.paths import Paths

if TYPE_CHECKING:
    from frontdoor_mcp.api.certificates import CertificatesApi
    from frontdoor_mcp.api.request_tokens import TokensApi
    from frontdoor_mcp.api.shares import SharesApi


class FrontdoorClient:
    def __init__(self, base_url: str, credential: Credential | None, **options: Unpack[HttpOptions]) -> None:
        self._http = ApiHttp(base_url, credential, **options)
        self.base_url = self._http.base_url
        self.credential = credential
        self._paths = Paths(self._http.base_path)

    @cached_property
    def certificates(self) -> CertificatesApi:
        from frontdoor_mcp.api.certificates import CertificatesApi

        return CertificatesApi(self._http, self._paths)

    @cached_property
    def tokens(self) -> TokensApi:
        from frontdoor_mcp.api.request_tokens import TokensApi

        return TokensApi(self._http, self._paths)

    @cached_property
    def shares(self) -> SharesApi:
        from frontdoor_mcp.api.shares import SharesApi

        return SharesApi(self._http, self._paths)

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

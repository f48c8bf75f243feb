"""Shares, read only: list (filterable by environment) and get one. The shares API is documented more thinly
than the certificates API, so this client tolerates what the documentation leaves open: a list without paging
fields, a share without `id` (its `zId` names it then), the filter lists as JSON arrays or as the console's
delimited strings, and an OU as one string or a list."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final, cast

from pydantic import BeforeValidator, Field, model_validator

from frontdoor_mcp.api.decoding import parsed
from frontdoor_mcp.api.http import ApiHttp
from frontdoor_mcp.api.models import Name, ShortText, WireModel
from frontdoor_mcp.api.pages import Page, read_page
from frontdoor_mcp.api.paths import Paths
from frontdoor_mcp.api.walk import ProgressCallback, Walked, walk_pages
from frontdoor_mcp.rules import WALK_MAX_ITEMS
from frontdoor_mcp.text import cap_text

MAX_FILTER_ENTRIES: Final = 100
WALK_PAGE_SIZE: Final = 2000
"""The page size a walk of the shares asks for (Spring Data's default largest); the API's own cap wins."""
_SUBJECT_SEPARATORS: Final = re.compile(r"[;\n]")
_LIST_SEPARATORS: Final = re.compile(r"[;,\n]")


def _text_list(separators: re.Pattern[str]) -> BeforeValidator:
    """A filter as a list of strings, escaped and capped: a JSON array as is, or a delimited string split
    (subjects hold commas, so only `;` and line breaks separate them)."""

    def normalise(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            items: list[Any] = separators.split(value)
        elif isinstance(value, list):
            items = cast(list[Any], value)
        else:
            return value
        kept = [cap_text(item.strip(), 1024) for item in items if isinstance(item, str) and item.strip()]
        return kept[:MAX_FILTER_ENTRIES]

    return BeforeValidator(normalise)


Subjects = Annotated[list[str] | None, _text_list(_SUBJECT_SEPARATORS)]
Texts = Annotated[list[str] | None, _text_list(_LIST_SEPARATORS)]


class Share(WireModel):
    """A share as the API shows it; the TCP fields that say who gets in are what this server reads."""

    id: ShortText
    z_id: ShortText | None = Field(default=None, alias="zId")
    frontdoor_id: ShortText | None = Field(default=None, alias="frontdoorId")
    name: Name
    type: ShortText | None = None
    state: ShortText | None = None
    env_z_id: ShortText | None = Field(default=None, alias="envZId")
    target: ShortText | None = None
    ingress_port: int | None = Field(default=None, alias="ingressPort")
    client_certificate_id: ShortText | None = Field(default=None, alias="clientCertificateId")
    allowed_subjects: Subjects = Field(default=None, alias="allowedSubjects")
    allowed_common_name_prefixes: Texts = Field(default=None, alias="allowedCommonNamePrefixes")
    required_organizational_units: Texts = Field(default=None, alias="requiredOrganizationalUnit")
    created_at: datetime | None = Field(default=None, alias="createdAt")

    @model_validator(mode="before")
    @classmethod
    def _named_by_z_id(cls, data: Any) -> Any:
        # The documented share example has no `id`, only `zId`: then the zId is what names it.
        if isinstance(data, dict) and "id" not in data and "zId" in data:
            return {**data, "id": data["zId"]}  # pyright: ignore[reportUnknownVariableType]
        return data  # pyright: ignore[reportUnknownVariableType]

    @property
    def requires_mtls(self) -> bool:
        """The documented rule: a share that names a client certificate requires mTLS; without one, none."""
        return self.client_certificate_id is not None


class SharesApi:
    """`/frontdoor/{frontdoorId}/shares`, read only."""

    def __init__(self, http: ApiHttp, paths: Paths) -> None:
        self._http = http
        self._paths = paths

    async def list(
        self, frontdoor_id: str, *, page: int = 0, size: int = 20, env_zid: str | None = None
    ) -> Page[Share]:
        call = self._paths.shares("GET", frontdoor_id)
        params = {"page": str(page), "size": str(size), **({"envZId": env_zid} if env_zid else {})}
        return await read_page(self._http, call, params, Share, "share list")

    async def list_all(
        self, frontdoor_id: str, *, env_zid: str | None = None, on_progress: ProgressCallback | None = None
    ) -> tuple[list[Share], Walked]:
        """Every share (the first WALK_MAX_ITEMS at most), and what the walk can say of itself. The shares guide
        documents no sort, so none is asked: past one page, the walk checks itself by reading the pages twice."""

        async def page(number: int, size: int) -> Page[Share]:
            return await self.list(frontdoor_id, page=number, size=size, env_zid=env_zid)

        return await walk_pages(
            page, key=lambda item: item.id, size=WALK_PAGE_SIZE, max_items=WALK_MAX_ITEMS, on_progress=on_progress
        )

    async def get(self, frontdoor_id: str, share_id: str) -> Share:
        call = self._paths.share("GET", frontdoor_id, share_id)
        status, body = await self._http.call(call)
        return parsed(call, status, body, Share.model_validate, "share")

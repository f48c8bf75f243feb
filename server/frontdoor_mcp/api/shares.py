"""Shares, read only: list (filterable by environment) and get one. The shares API is documented more thinly
than the certificates API, so this client tolerates what the documentation leaves open: a list without paging
fields, a share without `id` (its `zId` names it then), the filter lists as JSON arrays or as the console's
delimited strings, and an OU as one string (or a list of one).

A filter is read whole: every entry, every character (an admission verdict compares them; they are capped only
where shown). An entry that is not text is never dropped: it is kept as a reason, so that a filter the API sent
in an unreadable form is never taken for a filter that is not set."""

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
from frontdoor_mcp.api.walk import ALL_PAGES_SIZE, ProgressCallback, Walked, walk_pages
from frontdoor_mcp.rules import WALK_MAX_ITEMS

_SUBJECT_SEPARATORS: Final = re.compile(r"[;\n]")
_LIST_SEPARATORS: Final = re.compile(r"[;,\n]")


class Filter(WireModel):
    """A share's filter as the API gave it: its entries, whole, and why any others could not be read."""

    entries: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    """In our words ("entry 3 is a number, not text"), never the API's value."""


def _filter(separators: re.Pattern[str] | None) -> BeforeValidator:
    """A JSON array of strings as it is; a delimited string split (subjects hold commas, so only `;` and line
    breaks separate them); `separators=None`: one value (the OU), never split."""

    def read(value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            if separators is None:
                return {"entries": (value,)}
            return {"entries": tuple(part.strip() for part in separators.split(value) if part.strip())}
        if isinstance(value, list):
            items = cast(list[Any], value)
            entries = tuple(item for item in items if isinstance(item, str))
            unreadable = tuple(
                f"entry {number} is {_kind(item)}, not text"
                for number, item in enumerate(items, start=1)
                if not isinstance(item, str)
            )
            return {"entries": entries, "unreadable": unreadable}
        return {"unreadable": (f"the value is {_kind(value)}, not a list or text",)}

    return BeforeValidator(read)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


Subjects = Annotated[Filter | None, _filter(_SUBJECT_SEPARATORS)]
Texts = Annotated[Filter | None, _filter(_LIST_SEPARATORS)]
OneText = Annotated[Filter | None, _filter(None)]


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
    required_organizational_unit: OneText = Field(default=None, alias="requiredOrganizationalUnit")
    ingress_address: ShortText | None = Field(default=None, alias="ingressAddress")
    """Where the share listens, `host:port`: a field of the sandbox's, whose ingress ports may be moved."""
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
            page, key=lambda item: item.id, size=ALL_PAGES_SIZE, max_items=WALK_MAX_ITEMS, on_progress=on_progress
        )

    async def get(self, frontdoor_id: str, share_id: str) -> Share:
        call = self._paths.share("GET", frontdoor_id, share_id)
        status, body = await self._http.call(call)
        return parsed(call, status, body, Share.model_validate, "share")

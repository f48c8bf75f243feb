"""What the tools say of a walk that is not complete, by why (`Walked.incomplete_kind`, never read from the
wording): a list that changed while it was read (call again), an API whose answers disagree with no sign of a
change (calling again would read the same: never advised), a walk past the most it reads (which were read).
Certificates, request tokens and shares, and the expiry audit, over a MockTransport that plays each API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx2
import pytest

from frontdoor_mcp.api import request_tokens as tokens_api
from frontdoor_mcp.api import shares as shares_api
from frontdoor_mcp.toolkit.state import SILENT, AppState
from frontdoor_mcp.tools import certificates as certificate_tools
from frontdoor_mcp.tools.certificates import list_client_certificates
from frontdoor_mcp.tools.expiry import find_expiring_client_certificates
from frontdoor_mcp.tools.request_tokens import list_certificate_request_tokens
from frontdoor_mcp.tools.shares import list_shares
from tests.support import FRONTDOOR, json_response, make_certificate, mock_client

pytestmark = pytest.mark.anyio

START = datetime(2026, 1, 1, tzinfo=UTC)
COUNT = 25
PEM = make_certificate("listed", days=200)
Behaviour = Literal["changing", "overcounting", "plain"]


def certificate(number: int) -> dict[str, Any]:
    return {
        "id": f"cert-00000000-0000-4000-8000-{number:012d}",
        "name": f"name-{number}",
        "frontdoorId": FRONTDOOR,
        "createdAt": (START + timedelta(seconds=number)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "createdBy": "u",
    }


def token(number: int) -> dict[str, Any]:
    return {"id": f"token-{number:04d}", "name": f"token-{number}", "frontdoorId": FRONTDOOR}


def share(number: int) -> dict[str, Any]:
    return {"zId": f"shr{number:04d}", "name": f"s{number}", "type": "http", "state": "ACTIVE"}


@dataclass
class Api:
    """Three lists of COUNT items, newest first, pages of at most 10 in the guide's shape. `changing`: the count
    reported grows by one after the first page (another user creating); `overcounting`: every page counts three
    rows more than the pages hold (soft-deleted ones, say), the same on every call."""

    behaviour: Behaviour

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if "/client-certificates/cert-" in path:
            number = int(path.rsplit("-", 1)[1])
            return json_response(200, certificate(number) | {"value": PEM})
        make: Callable[[int], dict[str, Any]] = (
            certificate if path.endswith("/client-certificates") else token if "tokens" in path else share
        )
        number, size = int(request.url.params["page"]), min(int(request.url.params["size"]), 10)
        newest_first = [make(n) for n in reversed(range(COUNT))]
        total = COUNT
        if self.behaviour == "changing" and number > 0:
            total += 1
        elif self.behaviour == "overcounting":
            total += 3
        body = {
            "content": newest_first[number * size : (number + 1) * size],
            "pageable": {"pageNumber": number, "pageSize": size},
            "totalElements": total,
            "totalPages": -(-total // size),
        }
        return json_response(200, body)


def state_for(behaviour: Behaviour) -> AppState:
    return AppState(mock_client(Api(behaviour).handler), FRONTDOOR, None, "test")


async def texts(state: AppState) -> dict[str, str]:
    """The text of every listing of every page, and of the audit."""
    return {
        "certificates": (await list_client_certificates(state, SILENT, all_pages=True)).text,
        "tokens": (await list_certificate_request_tokens(state, SILENT, all_pages=True)).text,
        "shares": (await list_shares(state, SILENT, all_pages=True)).text,
        "audit": (await find_expiring_client_certificates(state, SILENT)).text,
    }


async def test_a_list_that_changed_while_it_was_read_is_said_so_with_the_advice_to_call_again() -> None:
    said = await texts(state_for("changing"))
    changed = "the list changed while it was read (the API's count went from 25 to 26)"
    assert f"Incomplete: {changed}. Call again to read it anew." in said["certificates"]
    assert (
        f"Not every token could be read: {changed}. The list may miss some. Call again to read it anew."
        in (said["tokens"])
    )
    assert (
        f"Not every share could be read: {changed}. The list may miss some. Call again to read it anew."
        in (said["shares"])
    )
    assert said["audit"].startswith(
        f"Incomplete audit. Audited 25 certificates (the API reported 25), but the walk could not show it read every "
        f"one: {changed}.\nOf those examined, 0 have expired and 0 expire within 30 days; certificates not examined "
        "may expire too. Call again to audit anew."
    )


async def test_an_api_that_counts_otherwise_than_it_pages_is_said_so_and_calling_again_is_not_advised() -> None:
    said = await texts(state_for("overcounting"))
    disagree = (
        "the API's answers disagree with no sign that the list changed (a second reading found the same): its pages "
        "held 25 distinct items where the API reported 28"
    )
    same = "Calling again would read the same: this is how the API answers."
    assert f"Incomplete: {disagree}. {same}" in said["certificates"]
    assert f"Not every token could be read: {disagree}. The list may miss some. {same}" in said["tokens"]
    assert f"Not every share could be read: {disagree}. The list may miss some. {same}" in said["shares"]
    assert said["audit"].startswith(
        f"Incomplete audit. Audited 25 certificates (the API reported 28), but the walk could not show it read every "
        f"one: {disagree}.\nOf those examined, 0 have expired and 0 expire within 30 days; certificates not examined "
        f"may expire too. {same}"
    )
    for text in said.values():
        assert "Call again" not in text and "call again" not in text and "changed while it was read" not in text


async def test_a_walk_past_the_most_it_reads_says_which_were_read_and_not_to_call_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for module in (certificate_tools, tokens_api, shares_api):
        monkeypatch.setattr(module, "WALK_MAX_ITEMS", 20)
    state = state_for("plain")
    certificates = await list_client_certificates(state, SILENT, all_pages=True)
    tokens = await list_certificate_request_tokens(state, SILENT, all_pages=True)
    shares = await list_shares(state, SILENT, all_pages=True)
    listed = certificates.result
    assert listed.complete is False and listed.incomplete_reason == "one walk reads at most 20"
    assert (
        "Incomplete: one walk reads at most 20. Those read are the first 20 (newest first); the others were not read. "
        "Narrow with name_contains" in certificates.text
    )
    assert "20 of 20 matching client certificates (incomplete: 20 of the 25 the API reported read)" in (
        certificates.text
    )
    assert "Not every token could be read: one walk reads at most 20. The list may miss some.\n" in f"{tokens.text}\n"
    assert "Not every share could be read: one walk reads at most 20. The list may miss some.\n" in f"{shares.text}\n"
    for answer in (certificates, tokens, shares):
        assert "Call again" not in answer.text and "Calling again" not in answer.text
        assert "the rest could not be read" not in answer.text


async def test_a_count_of_0_beside_a_certificate_is_listed_and_said_not_a_crash() -> None:
    """A count that lags its pages (a cached count, say): 0, with one certificate on the first page."""

    def lagging(request: httpx2.Request) -> httpx2.Response:
        number = int(request.url.params["page"])
        content = [certificate(1)] if number == 0 else []
        return json_response(200, {"content": content, "totalElements": 0, "totalPages": 0})

    answer = await list_client_certificates(
        AppState(mock_client(lagging), FRONTDOOR, None, "test"), SILENT, all_pages=True
    )
    assert answer.result.matching == 1 and answer.result.complete is False
    assert answer.result.incomplete_reason == (
        "the API's answers disagree with no sign that the list changed (a second reading found the same): its last "
        "page (page 0) held 1 item where the API's count leaves 0"
    )
    assert "Calling again would read the same" in answer.text

"""Delete is confirmed: by elicitation when the client can be asked, else by confirm=true; in both eras."""

from __future__ import annotations

from typing import Literal

import pytest
from mcp.client.context import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitResult, ErrorData

from frontdoor_mcp.app import FrontdoorServer
from frontdoor_mcp.sandbox.runner import RunningSandbox
from tests.conftest import connect
from tests.helpers import make_certificate, ok, text_of

pytestmark = pytest.mark.anyio


async def _upload(server: FrontdoorServer, era: str) -> str:
    async with connect(server, era) as client:
        created = ok(
            await client.call_tool(
                "upload_client_certificate", {"name": "to-delete", "certificate_pem": make_certificate()}
            )
        )
    return str(created["id"])


def _answering(action: Literal["accept", "decline", "cancel"], confirm: bool, asked: list[str]):
    async def answer(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        asked.append(params.message)
        content: dict[str, str | int | float | bool | list[str] | None] | None = (
            {"confirm": confirm} if action == "accept" else None
        )
        return ElicitResult(action=action, content=content)

    return answer


@pytest.mark.parametrize(
    ("action", "confirm", "deleted", "confirmation"),
    [
        ("accept", True, True, "elicitation"),
        ("accept", False, False, "declined"),
        ("decline", False, False, "declined"),
        ("cancel", False, False, "cancelled"),
    ],
)
async def test_elicitation_outcomes(
    server: FrontdoorServer,
    era: str,
    sandbox: RunningSandbox,
    action: Literal["accept", "decline", "cancel"],
    confirm: bool,
    deleted: bool,
    confirmation: str,
) -> None:
    cert_id = await _upload(server, era)
    asked: list[str] = []
    async with connect(server, era, elicitation=_answering(action, confirm, asked)) as client:
        result = ok(await client.call_tool("delete_client_certificate", {"certificate_id": cert_id}))
        still_there = await client.call_tool("get_client_certificate", {"certificate_id": cert_id})
    assert len(asked) == 1
    assert '"to-delete"' in asked[0] and cert_id in asked[0], "the question shows the name and the id"
    assert result["deleted"] is deleted and result["confirmation"] == confirmation
    assert still_there.is_error is deleted
    assert sandbox.faults.count(method="DELETE") == (1 if deleted else 0)


async def test_without_elicitation_nothing_is_deleted_until_confirm_true(
    server: FrontdoorServer, era: str, sandbox: RunningSandbox
) -> None:
    cert_id = await _upload(server, era)
    async with connect(server, era) as client:
        unconfirmed = await client.call_tool("delete_client_certificate", {"certificate_id": cert_id})
        result = ok(unconfirmed)
        assert result["deleted"] is False and result["confirmation"] == "required"
        assert result["name"] == "to-delete"
        assert "confirm=true" in text_of(unconfirmed)
        assert sandbox.faults.count(method="DELETE") == 0
        confirmed = ok(
            await client.call_tool("delete_client_certificate", {"certificate_id": cert_id, "confirm": True})
        )
    assert confirmed["deleted"] is True and confirmed["confirmation"] == "confirm_argument"
    assert sandbox.faults.count(method="DELETE") == 1


async def test_confirm_true_does_not_answer_for_a_user_who_can_be_asked(server: FrontdoorServer, era: str) -> None:
    cert_id = await _upload(server, era)
    asked: list[str] = []
    async with connect(server, era, elicitation=_answering("decline", False, asked)) as client:
        result = ok(await client.call_tool("delete_client_certificate", {"certificate_id": cert_id, "confirm": True}))
    assert len(asked) == 1, "the user is asked even though the model said confirm=true"
    assert result["deleted"] is False and result["confirmation"] == "declined"


async def test_deleting_an_unknown_id_asks_nothing_and_says_404(server: FrontdoorServer, era: str) -> None:
    asked: list[str] = []
    async with connect(server, era, elicitation=_answering("accept", True, asked)) as client:
        result = await client.call_tool(
            "delete_client_certificate", {"certificate_id": "cert-00000000-0000-4000-8000-000000000000"}
        )
    assert result.is_error and "not found" in text_of(result) and asked == []

"""Changing trust needs the user's yes: a delete, a replace and an update that swaps the PEM are each asked by
elicitation when the client can be asked (whatever `confirm` says), else need confirm=true; decline and cancel
change nothing; a rename alone is not asked about. In both protocol eras."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pytest
from mcp.client.context import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitResult, ErrorData

from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import FrontdoorServer
from tests.support import connect, make_certificate, ok, text_of

pytestmark = pytest.mark.anyio

NEW_PEM = make_certificate("the-new-one")
Action = Literal["accept", "decline", "cancel"]


@dataclass(frozen=True)
class TrustChange:
    tool: str
    method: str
    arguments: dict[str, Any]
    done: str
    """The result field that says whether it happened."""


CHANGES = [
    TrustChange("delete_client_certificate", "DELETE", {}, "deleted"),
    TrustChange("replace_client_certificate", "PUT", {"name": "replaced", "certificate_pem": NEW_PEM}, "changed"),
    TrustChange("update_client_certificate", "PATCH", {"certificate_pem": NEW_PEM}, "changed"),
]


async def _upload(server: FrontdoorServer, era: str) -> str:
    async with connect(server, era) as client:
        created = ok(
            await client.call_tool(
                "upload_client_certificate", {"name": "trusted", "certificate_pem": make_certificate("the-old-one")}
            )
        )
    return str(created["id"])


def _answering(action: Action, confirm: bool, asked: list[str]):
    async def answer(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        asked.append(params.message)
        content: dict[str, str | int | float | bool | list[str] | None] | None = (
            {"confirm": confirm} if action == "accept" else None
        )
        return ElicitResult(action=action, content=content)

    return answer


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.tool)
@pytest.mark.parametrize(
    ("action", "confirm", "done", "confirmation"),
    [
        ("accept", True, True, "elicitation"),
        ("accept", False, False, "declined"),
        ("decline", False, False, "declined"),
        ("cancel", False, False, "cancelled"),
    ],
)
async def test_the_user_is_asked_and_the_answer_decides(
    server: FrontdoorServer,
    every_era: str,
    sandbox: RunningSandbox,
    change: TrustChange,
    action: Action,
    confirm: bool,
    done: bool,
    confirmation: str,
) -> None:
    cert_id = await _upload(server, every_era)
    asked: list[str] = []
    arguments = {"certificate_id": cert_id, **change.arguments}
    async with connect(server, every_era, elicitation=_answering(action, confirm, asked)) as client:
        result = ok(await client.call_tool(change.tool, arguments))
        after = await client.call_tool("get_client_certificate", {"certificate_id": cert_id})
    assert len(asked) == 1
    assert '"trusted"' in asked[0] and cert_id in asked[0], "the question shows the name and the id"
    assert result[change.done] is done and result["confirmation"] == confirmation
    assert result["name"] == "trusted" or done, "an unchanged result names what the user was shown"
    assert sandbox.faults.count(method=change.method) == (1 if done else 0)
    if change.method == "DELETE":
        assert after.is_error is done
    else:
        subject = ok(after)["decoded"]["subject"]
        assert subject == ("CN=the-new-one" if done else "CN=the-old-one")


@pytest.mark.parametrize("change", CHANGES[1:], ids=lambda change: change.tool)
async def test_a_pem_swap_shows_the_old_and_the_new_certificate_side_by_side(
    server: FrontdoorServer, every_era: str, change: TrustChange
) -> None:
    cert_id = await _upload(server, every_era)
    asked: list[str] = []
    async with connect(server, every_era, elicitation=_answering("decline", False, asked)) as client:
        ok(await client.call_tool(change.tool, {"certificate_id": cert_id, **change.arguments}))
    old_line, new_line = [line for line in asked[0].splitlines() if line.startswith(("Now:", "New:"))]
    assert "CN=the-old-one" in old_line and "CN=the-new-one" in new_line
    for line in (old_line, new_line):
        assert "issuer" in line and "expires" in line and "SHA-256" in line


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.tool)
async def test_without_elicitation_nothing_changes_until_confirm_true(
    server: FrontdoorServer, every_era: str, sandbox: RunningSandbox, change: TrustChange
) -> None:
    cert_id = await _upload(server, every_era)
    arguments = {"certificate_id": cert_id, **change.arguments}
    async with connect(server, every_era) as client:
        unconfirmed = await client.call_tool(change.tool, arguments)
        result = ok(unconfirmed)
        assert result[change.done] is False and result["confirmation"] == "required"
        assert result["name"] == "trusted"
        assert "confirm=true" in text_of(unconfirmed)
        assert sandbox.faults.count(method=change.method) == 0
        confirmed = ok(await client.call_tool(change.tool, {**arguments, "confirm": True}))
    assert confirmed[change.done] is True and confirmed["confirmation"] == "confirm_argument"
    assert sandbox.faults.count(method=change.method) == 1


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.tool)
async def test_confirm_true_does_not_answer_for_a_user_who_can_be_asked(
    server: FrontdoorServer, every_era: str, change: TrustChange
) -> None:
    cert_id = await _upload(server, every_era)
    asked: list[str] = []
    arguments = {"certificate_id": cert_id, **change.arguments, "confirm": True}
    async with connect(server, every_era, elicitation=_answering("decline", False, asked)) as client:
        result = ok(await client.call_tool(change.tool, arguments))
    assert len(asked) == 1, "the user is asked even though the model said confirm=true"
    assert result[change.done] is False and result["confirmation"] == "declined"


async def test_a_rename_alone_is_not_asked_about(server: FrontdoorServer, every_era: str) -> None:
    cert_id = await _upload(server, every_era)
    asked: list[str] = []
    async with connect(server, every_era, elicitation=_answering("decline", False, asked)) as client:
        result = ok(await client.call_tool("update_client_certificate", {"certificate_id": cert_id, "name": "renamed"}))
    assert asked == [] and result["changed"] is True and result["confirmation"] == "not_needed"
    assert result["name"] == "renamed"


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.tool)
async def test_an_unknown_id_asks_nothing_and_says_404(
    server: FrontdoorServer, every_era: str, change: TrustChange
) -> None:
    asked: list[str] = []
    arguments = {"certificate_id": "cert-00000000-0000-4000-8000-000000000000", **change.arguments}
    async with connect(server, every_era, elicitation=_answering("accept", True, asked)) as client:
        result = await client.call_tool(change.tool, arguments)
    assert result.is_error and "not found" in text_of(result) and asked == []

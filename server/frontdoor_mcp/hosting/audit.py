"""Accountability over HTTP: one audit line per write-tool call, on stderr, whoever made it and however it
ended: the principal (a tokens-file label or a JWT's subject), the tool, the frontdoor, the certificate or
request-token id, and the outcome. Never a token, a PEM or anything the API wrote: only ids that match their
strict shapes are shown, and the outcome is a word of ours.

It is a server middleware placed before the scope gate, so a refused attempt is recorded too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final, cast

from mcp.server.auth.provider import AccessToken
from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp_types.methods import is_input_required

from frontdoor_mcp.hosting.callers import caller_name, current_token, held_scopes
from frontdoor_mcp.toolkit.definition import ToolDef

AUDIT_LOGGER: Final = "frontdoor_mcp.audit"
_UUID: Final = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_CERTIFICATE_ID: Final = re.compile(r"^cert-[A-Za-z0-9-]{1,80}$")
_TOKEN_ID: Final = re.compile(r"^token-[A-Za-z0-9-]{1,80}$")


@dataclass(frozen=True)
class AuditRecord:
    principal: str
    tool: str
    frontdoor: str | None
    certificate: str | None
    token: str | None
    """A request token's id (`token-…`), never the token string."""
    outcome: str

    def line(self) -> str:
        fields = asdict(self)
        return "write " + " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)


class AuditTrail(ServerMiddleware[Any]):
    def __init__(
        self, tools: list[ToolDef], *, default_frontdoor: str | None = None, logger: logging.Logger | None = None
    ) -> None:
        self._writes = {tool.name: tool.scope for tool in tools if not tool.read_only}
        self._default_frontdoor = default_frontdoor
        self._logger = logger or logging.getLogger(AUDIT_LOGGER)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params or {}
        name: object = params.get("name")
        if ctx.method != "tools/call" or not isinstance(name, str) or name not in self._writes:
            return await call_next(ctx)
        token = current_token()
        arguments: object = params.get("arguments") or {}
        given: Mapping[str, Any] = cast(Mapping[str, Any], arguments) if isinstance(arguments, Mapping) else {}
        refused = self._writes[name] not in held_scopes(token)
        try:
            result = await call_next(ctx)
        except BaseException:
            self._emit(token, name, given, {}, "failed")
            raise
        self._emit(token, name, given, _structured(result), "refused-scope" if refused else _outcome(result))
        return result

    def _emit(
        self,
        token: AccessToken | None,
        tool: str,
        arguments: Mapping[str, Any],
        content: Mapping[str, Any],
        outcome: str,
    ) -> None:
        frontdoor, certificate, request_token = _ids(arguments, content)
        record = AuditRecord(
            caller_name(token), tool, frontdoor or self._default_frontdoor, certificate, request_token, outcome
        )
        self._logger.info(record.line(), extra={"audit": asdict(record)})


def _structured(result: HandlerResult) -> Mapping[str, Any]:
    if isinstance(result, Mapping):
        content: object = result.get("structuredContent")
        if isinstance(content, Mapping):
            return cast(Mapping[str, Any], content)
    return {}


def _outcome(result: HandlerResult) -> str:
    if not isinstance(result, Mapping):
        return "done"
    if is_input_required(result):
        return "asked-user"
    if result.get("isError") is True:
        return "error"
    content = _structured(result)
    for done in ("deleted", "changed", "revoked"):
        if content.get(done) is False:
            how = content.get("confirmation")
            return f"not-done:{how}" if isinstance(how, str) and how.isidentifier() else "not-done"
    return "done"


def _ids(arguments: Mapping[str, Any], content: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    frontdoor = _first(_UUID, arguments.get("frontdoor_id"), content.get("frontdoor_id"))
    certificate = _first(
        _CERTIFICATE_ID,
        arguments.get("certificate_id"),
        content.get("id"),
        content.get("certificate_id"),
        content.get("client_certificate_id"),
    )
    token = _first(_TOKEN_ID, arguments.get("token_id"), content.get("id"), content.get("token_id"))
    return frontdoor, certificate, token


def _first(shape: re.Pattern[str], *candidates: object) -> str | None:
    for candidate in candidates:
        if isinstance(candidate, str) and shape.fullmatch(candidate):
            return candidate
    return None

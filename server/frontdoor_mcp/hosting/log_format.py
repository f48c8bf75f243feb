"""stderr for a server that others use: the same redacted lines as stdio, or JSON lines
(`FRONTDOOR_MCP_LOG_FORMAT=json`) for a log pipeline; audit lines always, whatever the level."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from frontdoor_mcp.hosting.audit import AUDIT_LOGGER
from frontdoor_mcp.hosting.options import LogFormat
from frontdoor_mcp.redaction import redact


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (redacted, traceback included), and the audit
    record's fields under `audit` for audit lines."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        audit: object = getattr(record, "audit", None)
        if isinstance(audit, dict):
            line["audit"] = audit
        return json.dumps(line, ensure_ascii=False)


def configure_http_logging(handler: logging.Handler, log_format: LogFormat) -> None:
    """`handler`: the redacting stderr handler the CLI set up; JSON lines replace its text if asked. The
    audit logger speaks at INFO whatever level the rest is at: accountability is not a debugging aid."""
    if log_format == "json":
        handler.setFormatter(JsonLinesFormatter())
    logging.getLogger(AUDIT_LOGGER).setLevel(logging.INFO)

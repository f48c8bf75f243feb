"""The ASGI app from the environment alone, for a server that imports it (uvicorn with workers):

    FRONTDOOR_MCP_HTTP_TOKENS_FILE=... FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS=mcp.example.com \
    FRONTDOOR_MCP_HTTP_STATELESS=1 FRONTDOOR_MCP_STATE_KEYS=... \
    uvicorn --factory frontdoor_mcp.hosting:create_app --host 0.0.0.0 --port 8765 --workers 4

The same variables as `frontdoor-mcp http` (each flag's variable), read as strictly, with two more rules
because the app cannot see how it is served: the allowed-host list is always required (the bind address
is uvicorn's), and `FRONTDOOR_MCP_HTTP_STATELESS` must be set either way (several workers need it on, and
one worker with sessions needs it said). A configuration error prints one line and exits with uvicorn's
start-up failure code, so its supervisor stops instead of restarting the worker for ever.
"""

from __future__ import annotations

import os
from typing import Final

from starlette.applications import Starlette

from frontdoor_mcp.config import ConfigError, ProblemCollector, env_text, load_settings
from frontdoor_mcp.hosting.asgi import build_http_app, offered_over_http
from frontdoor_mcp.hosting.flags import HTTP_SETTINGS
from frontdoor_mcp.hosting.log_format import configure_http_logging
from frontdoor_mcp.hosting.options import load_hosting_options
from frontdoor_mcp.log_setup import configure_logging, print_problems, warn_if_no_credential

STARTUP_FAILURE: Final = 3
"""uvicorn's code for a worker that cannot start (`uvicorn.config.STARTUP_FAILURE`): the parent then stops."""

_logging_ready = False


def app_from_environment() -> Starlette:
    global _logging_ready
    try:
        collector = ProblemCollector()
        if env_text(os.environ, "FRONTDOOR_MCP_HTTP_STATELESS") is None:
            collector.problems.append(
                "FRONTDOOR_MCP_HTTP_STATELESS must be set for the ASGI app: 1 with several workers (then "
                "FRONTDOOR_MCP_STATE_KEYS too), 0 for one worker keeping sessions."
            )
        settings = collector.read(lambda: load_settings(other_settings=HTTP_SETTINGS), None)
        options = collector.read(lambda: load_hosting_options(os.environ, bind_known=False), None)
        if collector.problems or settings is None or options is None:
            raise ConfigError(*collector.problems)
        if not _logging_ready:
            configure_http_logging(configure_logging(settings.log_level), options.log_format)
            _logging_ready = True
        warn_if_no_credential(settings, [tool.name for tool in offered_over_http(settings, options)])
        return build_http_app(settings, options)
    except ConfigError as exc:
        print_problems(exc.problems)
        raise SystemExit(STARTUP_FAILURE) from None

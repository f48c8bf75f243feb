"""frontdoor-mcp over streamable HTTP, for a team: `frontdoor-mcp http` (the command) and `create_app` (an
ASGI app factory from the environment, for uvicorn with workers: `uvicorn --factory
frontdoor_mcp.hosting:create_app`, or `uvicorn frontdoor_mcp.hosting:app`, which builds it on first use).

Only `flags` is imported at start-up (by the CLI); everything else loads when a server is built.
"""

from __future__ import annotations

from typing import Any


def create_app() -> Any:
    """The ASGI app, configured from the environment (see docs/HOSTING.md); exits 2 with one line on a
    configuration error, like the command."""
    from frontdoor_mcp.hosting.factory import app_from_environment

    return app_from_environment()


def __getattr__(name: str) -> Any:
    # `frontdoor_mcp.hosting:app` for servers that take a module attribute; built when first asked for, so
    # importing the package (the CLI does) builds nothing.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""frontdoor-mcp: an MCP server for NetFoundry Frontdoor mTLS client certificates."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("frontdoor-mcp")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]

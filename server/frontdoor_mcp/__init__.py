"""frontdoor-mcp: an MCP server for NetFoundry Frontdoor mTLS client certificates."""

__version__ = "0.1.0"
"""The one place the version is written: pyproject.toml reads it (hatch), so start-up needs no metadata look-up."""

__all__ = ["__version__"]

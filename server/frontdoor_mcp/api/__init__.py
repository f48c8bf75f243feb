"""Typed async client of the Frontdoor client-certificates REST API (no MCP in this layer)."""

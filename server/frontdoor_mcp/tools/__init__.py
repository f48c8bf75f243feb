"""MCP tools: thin adapters that validate, call the API or pki, shape the result, and translate errors."""

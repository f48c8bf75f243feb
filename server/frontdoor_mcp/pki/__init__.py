"""Certificates, CSRs and private keys, locally: parse, describe, check, generate, store.

Pure functions over `cryptography`, with no network and no MCP. `models`, `pem` and `errors` stay free of
`cryptography` (it is slow to import) so the MCP tools can import them at start-up; the other modules are
imported only inside a tool call.
"""

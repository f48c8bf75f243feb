"""A local, faithful implementation of the Frontdoor API (the sandbox): client certificates, certificate
request tokens and their redemption, shares, the frontdoor resource, and an OAuth2 issuer.

Real HTTP on loopback (Starlette under uvicorn), state in SQLite, a signing CA named like NetFoundry's,
and fault injection for tests. Start it with `frontdoor_mcp.sandbox.runner.start_sandbox`. Nothing is
imported here, so importing the package costs nothing. Where NetFoundry's documentation is silent, the
choice made is listed in the README, under "Sandbox choices".
"""

"""A local, faithful implementation of the Frontdoor client-certificates API (the sandbox).

Real HTTP on loopback (Starlette under uvicorn), state in SQLite, a signing CA named like NetFoundry's,
and fault injection for tests. Start it with `frontdoor_mcp.sandbox.runner.start_sandbox`. Nothing is
imported here, so importing the package costs nothing.
"""

"""The sandbox's HTTP plumbing, shared by every resource: what a handler checks in Spring's order and runs
off the event loop (`endpoint`), how requests are bound and validated (`validation`) and answers shaped
(`responses`), request tokens kept out of every path shown (`token_masking`), and uvicorn serving the app on a
loopback socket (`server_thread`)."""

"""How many of the server's files a reader follows for one tool: from making the server to the tool's text.

    uv run python benchmarks/tool_path.py                              # delete_client_certificate
    uv run python benchmarks/tool_path.py --tool get_client_certificate

Makes the server and calls the tool once through an in-memory MCP session against a sandbox, with a profiler on
that thread; counts the files of `frontdoor_mcp` (the sandbox apart: it is the API's side) whose functions ran.
Module bodies run by an import are not counted (importing a module is not reading it); the functions that built
the tool, sent the request and wrote the answer are. The same script runs on an older checkout of the project
(it finds the server's module under either name), so a structure change can be measured before and after.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

import anyio
from mcp import Client

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.config import Settings
from frontdoor_mcp.sandbox.runner import start_sandbox

PACKAGE = Path(importlib.import_module("frontdoor_mcp").__file__ or "").resolve().parent


def build_server(settings: Settings) -> Any:
    for name in ("frontdoor_mcp.server", "frontdoor_mcp.app"):  # today's name, and the one before the redesign
        try:
            return importlib.import_module(name).build_server(settings)
        except ModuleNotFoundError:
            continue
    raise RuntimeError("no build_server found")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tool", default="delete_client_certificate")
    args = parser.parse_args(argv)
    with start_sandbox() as sandbox, tempfile.TemporaryDirectory() as keys:
        certificate_id = sandbox.seed_certificates(1)[0]
        settings = Settings(
            api_url=sandbox.base_url,
            frontdoor_id=sandbox.frontdoor_id,
            credential=BearerToken(Secret(sandbox.token), source="benchmark"),
            key_dir=Path(keys),
        )
        arguments: dict[str, object] = {"certificate_id": certificate_id}
        if args.tool == "delete_client_certificate":
            arguments["confirm"] = True  # a client that cannot be asked: the confirm argument decides
        touched: set[Path] = set()

        def profile(frame: FrameType, event: str, _: object) -> None:
            code = frame.f_code
            if event == "call" and code.co_flags & inspect.CO_NEWLOCALS:  # a function, not a module or class body
                path = Path(code.co_filename)
                if path.is_relative_to(PACKAGE) and not path.is_relative_to(PACKAGE / "sandbox"):
                    touched.add(path.relative_to(PACKAGE))

        async def walk() -> bool:
            sys.setprofile(profile)
            try:
                server = build_server(settings)
                async with Client(server) as client:
                    result = await client.call_tool(args.tool, arguments)
            finally:
                sys.setprofile(None)
            return not result.is_error

        answered = anyio.run(walk)
    print(f"{args.tool} ({'answered' if answered else 'FAILED'}): {len(touched)} files of frontdoor_mcp ran")
    for path in sorted(touched):
        print(f"  {path}")
    return 0 if answered else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Distribution: one version everywhere; the bundle manifest generated from the code and mapping every setting to
the environment variable the server reads; (slow) the wheel, installed in a fresh virtual environment and run
outside the checkout, and the bundle, validated and packed by the official tool and started as a host starts it.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, cast

import hatch_build
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from frontdoor_mcp import __version__
from frontdoor_mcp.cli import main
from frontdoor_mcp.config import DEFAULT_API_URL, load_settings
from frontdoor_mcp.prompt_library import load_prompts
from frontdoor_mcp.server import build_server
from frontdoor_mcp.toolkit.definition import offered
from frontdoor_mcp.tools import ALL_TOOLS
from tests.support import FRONTDOOR, connect, mock_settings

ROOT: Final = Path(__file__).resolve().parent.parent
PACKAGE: Final = ROOT / "server" / "frontdoor_mcp"
GENERATOR: Final = ROOT / "packaging" / "manifest.py"
BUNDLER: Final = ROOT / "packaging" / "bundle.py"
SERVER_VARIABLES: Final = ("FRONTDOOR_", "NETFOUNDRY_")


def manifest() -> dict[str, Any]:
    """The manifest a bundle built now would carry (it is generated, never committed)."""
    build = cast(Callable[[], dict[str, Any]], generator()["build_manifest"])
    return build()


def generator() -> dict[str, Any]:
    """packaging/manifest.py's namespace (loaded by path: `packaging` is also a library's name)."""
    return runpy.run_path(str(GENERATOR))


# One version ------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_one_version_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The package's constant is the version of the built distributions (hatch reads it), of `--version`, of the
    MCP serverInfo and of the bundle manifest."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "server/frontdoor_mcp/__init__.py"
    written = re.findall(r'^__version__ = "([^"]+)"$', (PACKAGE / "__init__.py").read_text(encoding="utf-8"), re.M)
    assert written == [__version__]

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"frontdoor-mcp {__version__}\n"

    async with connect(build_server(mock_settings(tmp_path)), "legacy") as client:
        info = client.server_info
    assert info is not None
    assert (info.name, info.version) == ("frontdoor-mcp", __version__)

    assert manifest()["version"] == __version__


# The bundle manifest, from the code ---------------------------------------------------------------------------


def test_the_manifest_lists_every_tool_and_prompt_in_one_line() -> None:
    listed = manifest()
    assert [tool["name"] for tool in listed["tools"]] == [tool.name for tool in ALL_TOOLS]
    assert [prompt["name"] for prompt in listed["prompts"]] == [prompt.name for prompt in load_prompts()]
    for entry in [*listed["tools"], *listed["prompts"]]:
        assert entry["description"].strip(), entry["name"]
        assert "\n" not in entry["description"], entry["name"]
    assert not listed["tools_generated"]
    assert not listed["prompts_generated"]


def test_the_manifest_runs_the_server_with_uv_from_the_bundled_project() -> None:
    listed = manifest()
    assert listed["manifest_version"] == "0.4"
    server = listed["server"]
    assert server["type"] == "uv"
    assert (ROOT / server["entry_point"]).is_file()
    assert server["mcp_config"]["command"] == "uv"
    assert server["mcp_config"]["args"] == ["run", "--project", "${__dirname}", "--no-dev", "--frozen", "frontdoor-mcp"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "frontdoor-mcp" in project["scripts"]
    assert listed["compatibility"]["runtimes"]["python"] == project["requires-python"]


def host_config(listed: Mapping[str, Any], user: Mapping[str, object], dirname: str = "/bundle") -> dict[str, Any]:
    """What a host makes of `server.mcp_config`, as `getMcpConfigForManifest` of `@anthropic-ai/mcpb` 2.1.2 (the
    code Claude Desktop uses; the slow bundle test runs that code itself) does it: the user's values over the
    manifest's defaults, a boolean as true/false, and each `${user_config.KEY}` replaced when there is a value,
    left as it is when there is none."""
    values: dict[str, object] = {key: option["default"] for key, option in listed["user_config"].items()}
    values.update(user)
    variables = {"__dirname": dirname} | {
        f"user_config.{key}": ("true" if value else "false") if isinstance(value, bool) else str(value)
        for key, value in values.items()
    }

    def substitute(text: str) -> str:
        for name, value in variables.items():
            text = text.replace(f"${{{name}}}", value)
        return text

    config = listed["server"]["mcp_config"]
    return {
        "command": substitute(config["command"]),
        "args": [substitute(arg) for arg in config["args"]],
        "env": {name: substitute(value) for name, value in config["env"].items()},
    }


def test_user_config_maps_to_the_servers_variables_and_every_option_has_a_default() -> None:
    listed = manifest()
    options: dict[str, dict[str, Any]] = listed["user_config"]
    env: dict[str, str] = listed["server"]["mcp_config"]["env"]
    assert env == {
        "FRONTDOOR_API_URL": "${user_config.api_url}",
        "FRONTDOOR_ID": "${user_config.frontdoor_id}",
        "NETFOUNDRY_API_TOKEN": "${user_config.api_token}",
        "NETFOUNDRY_API_ACCOUNT": "${user_config.api_account}",
        "FRONTDOOR_MCP_READ_ONLY": "${user_config.read_only}",
        "FRONTDOOR_MCP_TOOLSETS": "${user_config.toolsets}",
    }
    config_source = (PACKAGE / "config.py").read_text(encoding="utf-8")
    assert all(f'"{variable}"' in config_source for variable in env), "a variable the server does not read"
    assert set(options) == {value.removeprefix("${user_config.").removesuffix("}") for value in env.values()}
    # A host leaves an unfilled option without a default as the literal placeholder, which the server refuses.
    assert all("default" in option and option.get("required") is False for option in options.values())
    assert {key for key, option in options.items() if option.get("sensitive")} == {"api_token"}
    assert (options["api_token"]["type"], options["api_account"]["type"]) == ("string", "file")
    assert (options["read_only"]["type"], options["read_only"]["default"]) == ("boolean", False)
    assert options["api_url"]["default"] == DEFAULT_API_URL
    assert (options["toolsets"]["type"], options["toolsets"]["default"]) == ("string", "all")


def test_what_the_host_passes_is_what_the_server_reads(tmp_path: Path) -> None:
    listed = manifest()
    nothing_filled = host_config(listed, {})
    assert "${" not in json.dumps(nothing_filled)
    settings = load_settings(nothing_filled["env"], cwd=tmp_path, home=tmp_path)
    assert (settings.api_url, settings.frontdoor_id, settings.credential, settings.read_only) == (
        DEFAULT_API_URL,
        None,
        None,
        False,
    )

    token = load_settings(
        host_config(
            listed,
            {"frontdoor_id": FRONTDOOR, "api_token": "tok-0123456789", "read_only": True, "toolsets": "certificates"},
        )["env"],
        cwd=tmp_path,
        home=tmp_path,
    )
    assert (token.frontdoor_id, token.credential_source, token.read_only) == (FRONTDOOR, "NETFOUNDRY_API_TOKEN", True)
    assert token.toolsets == ("certificates",)

    account = tmp_path / "credentials.json"
    account.write_text(
        json.dumps({"clientId": "c", "password": "p", "authenticationUrl": "https://auth.example.test/oauth2/token"}),
        encoding="utf-8",
    )
    from_file = load_settings(
        host_config(listed, {"api_account": str(account), "read_only": False})["env"],
        cwd=tmp_path / "elsewhere",
        home=tmp_path / "elsewhere",
    )
    assert (from_file.credential_source, from_file.read_only) == ("NETFOUNDRY_API_ACCOUNT", False)


# The wheel, outside the checkout (slow) -------------------------------------------------------------------------


def uv() -> str | None:
    return os.environ.get("UV") or shutil.which("uv")


def outside_env(**extra: str) -> dict[str, str]:
    """This environment without anything that points at the checkout or configures the server."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(SERVER_VARIABLES) and name not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
    }
    return env | extra


def package_files() -> set[str]:
    """What the wheel must hold of the package: every file of it (no caches), and the prompts."""
    files = {
        "frontdoor_mcp/" + path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}
    }
    return files | {f"frontdoor_mcp/prompts/{path.name}" for path in (ROOT / "prompts").glob("*.md")}


def run(command: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 180) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


async def listing(params: StdioServerParameters) -> tuple[str, list[str], list[str]]:
    """The server's version, tools and prompts, over stdio."""
    async with Client(params, mode="legacy") as client:
        info = client.server_info
        tools = [tool.name for tool in (await client.list_tools()).tools]
        prompts = [prompt.name for prompt in (await client.list_prompts()).prompts]
    assert info is not None
    return info.version, tools, prompts


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    """`uv build`, then the wheel in a fresh virtual environment, run from a folder that is not the checkout:
    `--version`, `demo` (a whole lifecycle against the embedded sandbox), and `--sandbox` over stdio."""
    found = uv()
    if found is None:
        pytest.skip("uv is not on PATH")
    dist, work = tmp_path / "dist", tmp_path / "elsewhere"
    work.mkdir()
    run([found, "build", "--out-dir", str(dist), str(ROOT)], cwd=work, env=outside_env())
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    assert wheel.name == f"frontdoor_mcp-{__version__}-py3-none-any.whl"

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = email.parser.Parser().parsestr(
            archive.read(f"frontdoor_mcp-{__version__}.dist-info/METADATA").decode()
        )
    assert {name for name in names if not name.startswith("frontdoor_mcp-")} == package_files()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["Name"] == "frontdoor-mcp"
    assert metadata["Version"] == __version__
    assert metadata["Summary"] == project["description"]
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == project["requires-python"]
    assert set(metadata["Keywords"].split(",")) == set(project["keywords"])
    assert set(metadata.get_all("Classifier") or []) == set(project["classifiers"])
    assert {url.split(",")[0] for url in metadata.get_all("Project-URL") or []} == set(project["urls"])
    with tarfile.open(sdist) as archive:
        top = {Path(name).parts[1] for name in archive.getnames() if len(Path(name).parts) > 1}
    assert {"server", "prompts", "tests", "packaging", "pyproject.toml", "README.md", "LICENSE", "PKG-INFO"} <= top
    assert not top & {".ci", "benchmarks", ".venv"}

    venv = tmp_path / "venv"
    run([found, "venv", "--python", sys.executable, str(venv)], cwd=work, env=outside_env())
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    run([found, "pip", "install", "--python", str(python), str(wheel)], cwd=work, env=outside_env())
    command = str(venv / ("Scripts/frontdoor-mcp.exe" if os.name == "nt" else "bin/frontdoor-mcp"))
    env = outside_env()

    where = run([str(python), "-c", "import frontdoor_mcp; print(frontdoor_mcp.__file__)"], cwd=work, env=env)
    assert Path(where.strip()).is_relative_to(venv)
    assert run([command, "--version"], cwd=work, env=env) == f"frontdoor-mcp {__version__}\n"
    demo = run([command, "demo"], cwd=work, env=env)
    assert "Demo complete" in demo
    assert "PRIVATE KEY" not in demo

    version, tools, prompts = await listing(
        StdioServerParameters(
            command=command,
            args=["--sandbox"],
            env=outside_env(FRONTDOOR_MCP_KEY_DIR=str(tmp_path / "keys")),
            cwd=work,
        )
    )
    listed = manifest()
    assert version == __version__
    assert tools == [tool["name"] for tool in listed["tools"]]
    assert prompts == [prompt["name"] for prompt in listed["prompts"]]


# The sdist: only what git tracks (slow) --------------------------------------------------------------------------


def tracked_files(root: Path) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=60).stdout
    return [name for name in listed.decode().split("\0") if name]


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, timeout=60, capture_output=True)


def test_an_untracked_file_stops_the_build_with_a_paragraph_naming_it_and_what_to_do(tmp_path: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    (tmp_path / "kept.py").write_text("", encoding="utf-8")
    git("add", "kept.py", cwd=tmp_path)
    strays = [f"notes-{index:02}.txt" for index in range(12)]
    hatch_build.check_tracked(tmp_path, ["kept.py"])  # nothing untracked: nothing said
    with pytest.raises(hatch_build.BuildStopped) as stopped:
        hatch_build.check_tracked(tmp_path, ["kept.py", *strays])
    said = str(stopped.value)
    assert said.startswith(f"The sdist would hold files git does not track: {', '.join(strays[:10])} and 2 more.")
    assert "git add" in said and ".gitignore" in said and "remove it" in said and "Nothing was written." in said
    assert "\n" not in said, "one paragraph"


def test_a_failing_git_ls_files_is_said_with_gits_own_words(tmp_path: Path) -> None:
    with pytest.raises(hatch_build.BuildStopped) as stopped:
        hatch_build.tracked_files(tmp_path)  # not a repository
    assert f"`git ls-files` failed in {tmp_path}: fatal: not a git repository" in str(stopped.value)


@pytest.mark.slow
def test_the_sdist_holds_only_what_git_tracks(tmp_path: Path) -> None:
    """A copy of the checkout (its tracked files, in a fresh repository), with what a person leaves lying about:
    the HTTP server's "Try it" tokens file and a credentials.json (ignored: never packed), and an untracked file
    in the package (the build stops and names it). Without it, the sdist is exactly the tracked files, less
    .ci/ and benchmarks/."""
    found = uv()
    assert found is not None, "uv builds the distributions"
    checkout = tmp_path / "checkout"
    for name in tracked_files(ROOT):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, checkout / name)
    subprocess.run(["git", "init", "-q"], cwd=checkout, check=True, timeout=60)
    subprocess.run(["git", "add", "-A"], cwd=checkout, check=True, timeout=60)
    (checkout / "team-tokens.json").write_text('{"version": 1, "tokens": []}', encoding="utf-8")
    (checkout / "credentials.json").write_text('{"clientId": "c", "password": "p"}', encoding="utf-8")
    stray = checkout / "server" / "frontdoor_mcp" / "notes.txt"
    stray.write_text("not for publishing", encoding="utf-8")
    command = [found, "build", "--sdist", "--out-dir", str(tmp_path / "dist"), str(checkout)]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, env=outside_env())
    assert refused.returncode != 0
    assert "frontdoor-mcp: The sdist would hold files git does not track: server/frontdoor_mcp/notes.txt." in (
        refused.stderr
    )
    assert "Traceback" not in refused.stderr, "a paragraph, not a traceback"
    stray.unlink()
    run(command, cwd=tmp_path, env=outside_env())
    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        packed = {"/".join(Path(member.name).parts[1:]) for member in archive.getmembers() if member.isfile()}
    expected = {name for name in tracked_files(checkout) if not name.startswith((".ci/", "benchmarks/"))}
    assert packed == expected | {"PKG-INFO"}


# The bundle, with the official tool (slow) -----------------------------------------------------------------------


RESOLVE: Final = """
import { readFileSync } from "node:fs";
const [library, bundle, user] = process.argv.slice(1);
const { getMcpConfigForManifest } = await import(library);
const manifest = JSON.parse(readFileSync(`${bundle}/manifest.json`, "utf-8"));
const config = await getMcpConfigForManifest({
  manifest, extensionPath: bundle, systemDirs: {}, userConfig: JSON.parse(user), pathSeparator: "/",
});
process.stdout.write(JSON.stringify(config));
"""
"""The host's own substitution of `mcp_config` (Claude Desktop uses this code of the package)."""


def build_and_unpack_bundle(tmp_path: Path) -> Path:
    """Run packaging/bundle.py; check it validated, and that the bundle holds the project and nothing else;
    unpack it (as a host installs it) and return where."""
    out = tmp_path / "out"
    built = subprocess.run(
        [sys.executable, str(BUNDLER), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "Manifest schema validation passes!" in built.stdout
    expected = {"manifest.json", "pyproject.toml", "uv.lock", "README.md", "LICENSE"}
    expected |= {f"prompts/{path.name}" for path in (ROOT / "prompts").glob("*.md")}
    expected |= {"server/" + name for name in package_files() if not name.startswith("frontdoor_mcp/prompts/")}
    unpacked = tmp_path / "extension"
    with zipfile.ZipFile(out / f"frontdoor-mcp-{__version__}.mcpb") as archive:
        assert set(archive.namelist()) == expected
        archive.extractall(unpacked)  # noqa: S202 - every name was just checked: our own files, relative paths
    assert json.loads((unpacked / "manifest.json").read_text(encoding="utf-8")) == manifest()
    return unpacked


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_bundle_validates_packs_and_starts_as_a_host_starts_it(tmp_path: Path) -> None:
    """`packaging/bundle.py`: `mcpb validate` passes and `mcpb pack` builds the bundle, which holds the project
    and nothing else; then the host's code resolves its `mcp_config` (nothing filled in, then read-only on) and
    the resolved command serves over stdio: this version, the manifest's tools (the read-only ones when read-only),
    the manifest's prompts."""
    npx, npm, found = shutil.which("npx"), shutil.which("npm"), uv()
    if npx is None or npm is None:
        pytest.skip("npx/npm (Node.js) is not on PATH: the official bundle tool cannot run")
    if found is None:
        pytest.skip("uv is not on PATH")
    unpacked = build_and_unpack_bundle(tmp_path)

    tool = cast(str, generator()["MCPB"])
    library = tmp_path / "npm"
    run([npm, "install", "--prefix", str(library), "--no-audit", "--no-fund", tool], cwd=tmp_path, env=os.environ)
    entry = library / "node_modules" / "@anthropic-ai" / "mcpb" / "dist" / "index.js"
    node = shutil.which("node") or "node"
    listed = manifest()
    for read_only in (False, True):
        user = {"read_only": True} if read_only else {}
        resolved = json.loads(
            run(
                [node, "--input-type=module", "-e", RESOLVE, entry.as_uri(), str(unpacked), json.dumps(user)],
                cwd=tmp_path,
                env=os.environ,
            )
        )
        assert resolved == host_config(listed, user, dirname=str(unpacked))
        assert "${" not in json.dumps(resolved)
        version, tools, prompts = await listing(
            StdioServerParameters(
                command=found if resolved["command"] == "uv" else resolved["command"],
                args=resolved["args"],
                env=outside_env(**resolved["env"]),
                cwd=tmp_path,
            )
        )
        assert version == __version__
        assert tools == [tool.name for tool in offered(ALL_TOOLS, read_only=read_only)]
        assert prompts == [prompt.name for prompt in load_prompts() if not (read_only and prompt.writes)]

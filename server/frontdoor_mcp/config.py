"""Configuration from the environment (a CLI flag may override), and the credential it names.

Credential sources are looked up in the order NetFoundry's own client uses; the first one present wins:
1. `NETFOUNDRY_API_TOKEN` (a bearer token; with `FRONTDOOR_API_USERNAME`, sent as Basic `username:token`)
2. `NETFOUNDRY_API_ACCOUNT` (path to an API-account credentials.json)
3. `NETFOUNDRY_CLIENT_ID` + `NETFOUNDRY_PASSWORD` + `NETFOUNDRY_OAUTH_URL` (all three)
4. `credentials.json` in the working directory, `~/.netfoundry/`, or `/netfoundry/`
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from frontdoor_mcp.api.auth import BasicToken, BearerToken, ClientCredentials, Credential, Secret
from frontdoor_mcp.api.http import validate_api_url
from frontdoor_mcp.api.ids import InvalidIdError, validate_frontdoor_id
from frontdoor_mcp.rules import ALL_TOOLSETS, TOOLSETS, Toolset

DEFAULT_API_URL: Final = "https://gateway.production.netfoundry.io/frontdoor"
CLIENT_CREDENTIAL_VARIABLES: Final = ("NETFOUNDRY_CLIENT_ID", "NETFOUNDRY_PASSWORD", "NETFOUNDRY_OAUTH_URL")
STDIO_SETTINGS: Final = (
    "FRONTDOOR_API_URL",
    "FRONTDOOR_ID",
    "NETFOUNDRY_API_TOKEN",
    "FRONTDOOR_API_USERNAME",
    "NETFOUNDRY_API_ACCOUNT",
    *CLIENT_CREDENTIAL_VARIABLES,
    "FRONTDOOR_MCP_READ_ONLY",
    "FRONTDOOR_MCP_KEY_DIR",
    "FRONTDOOR_MCP_LOG_LEVEL",
    "FRONTDOOR_MCP_TOOLSETS",
)
"""Every variable the server's settings are read from. `load_settings` sees the environment through these names
only, so a variable read but not listed here reads as unset (and its test fails): the list cannot fall behind
the code. A FRONTDOOR_MCP_ name that is neither here nor another command's setting is refused."""
OWN_PREFIX: Final = "FRONTDOOR_MCP_"
"""Every variable named so is frontdoor-mcp's: one that is not a setting is a misspelling, never ignored."""
NEIGHBOUR_PREFIXES: Final = ("FRONTDOOR_", "NETFOUNDRY_")
"""Prefixes frontdoor-mcp shares with NetFoundry's own tools (nfctl, the Terraform provider...): a name under them
may be theirs, so only a near-miss of one of ours is refused (`MISSPELLING_RATIO`)."""
MISSPELLING_RATIO: Final = 0.9
"""How alike (difflib's ratio) a FRONTDOOR_/NETFOUNDRY_ name must be to one of ours to be taken for a misspelling
of it: NETFOUNDRY_API_TOKENS (0.98) or FRONTDOOR_READ_ONLY (0.9) are; NETFOUNDRY_CLIENT_SECRET (0.82),
NETFOUNDRY_PASSWORD_FILE (0.88) or NETFOUNDRY_NETWORK (0.76) may be another tool's and are left alone."""
SUGGESTION_RATIO: Final = 0.85
"""How alike an unknown FRONTDOOR_MCP_ name must be to a setting for "did you mean" to name it."""
_NOT_IN_A_NAME: Final = re.compile(r"[^A-Za-z0-9_]")
MAX_SHOWN_NAME_CHARS: Final = 80
MAX_CREDENTIALS_FILE_BYTES: Final = 64 * 1024
TRUE_WORDS: Final = ("1", "true", "yes", "on")
FALSE_WORDS: Final = ("0", "false", "no", "off")
LOG_LEVELS: Final = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
"""TRACE: DEBUG, and other libraries' internals too (they stay at WARNING otherwise)."""
SYSTEM_CREDENTIALS_FILE: Final = Path("/netfoundry/credentials.json")
"""The last place looked, after the working directory and `~/.netfoundry/` (what NetFoundry's client does)."""
CREDENTIAL_LOCATIONS: Final = (
    "NETFOUNDRY_API_TOKEN, NETFOUNDRY_API_ACCOUNT (a credentials.json), NETFOUNDRY_CLIENT_ID with "
    "NETFOUNDRY_PASSWORD and NETFOUNDRY_OAUTH_URL, or a credentials.json in the working directory, "
    "~/.netfoundry/ or /netfoundry/"
)
"""Every place a credential is looked for, in the order they are tried (`find_credential`), in one sentence."""


class ConfigError(ValueError):
    """A configuration problem, said by variable name; never carries a secret value. `problems`: every problem
    found, one sentence each (a start reports them all at once). `fallback`: for a start that cannot read its
    settings, what the stdio server serves meanwhile (`Settings.problems` set: it acts on nothing)."""

    def __init__(self, *problems: str, fallback: Settings | None = None) -> None:
        self.problems: tuple[str, ...] = problems
        self.fallback = fallback
        super().__init__(" ".join(problems))


@dataclass(frozen=True)
class Settings:
    api_url: str = DEFAULT_API_URL
    frontdoor_id: str | None = None
    credential: Credential | None = field(default=None, repr=False)
    read_only: bool = False
    key_dir: Path | None = None
    log_level: str = "WARNING"
    sandbox_ca_pem: str | None = field(default=None, repr=False)
    """With `--sandbox`: the sandbox's CA, which its shares' TLS certificates are signed by."""
    toolsets: tuple[Toolset, ...] = TOOLSETS
    """The groups of tools the session carries (`FRONTDOOR_MCP_TOOLSETS`), in `TOOLSETS` order."""
    problems: tuple[str, ...] = ()
    """What could not be understood. Non-empty: these are a fail-closed stand-in, and a server built from them
    acts on nothing: it answers every call with the problems (`describe_problems`)."""

    @property
    def credential_source(self) -> str:
        return self.credential.source if self.credential else "none"


T = TypeVar("T")


class ProblemCollector:
    """Reads settings one by one, keeping every problem instead of stopping at the first: a person fixes them
    all in one go, rather than meeting them one restart at a time."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def read(self, reading: Callable[[], T], otherwise: T) -> T:
        """What `reading` returns; `otherwise` (a fail-closed stand-in) when it raised a `ConfigError`."""
        try:
            return reading()
        except ConfigError as exc:
            self.problems.extend(exc.problems)
            return otherwise


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    other_settings: Collection[str] = (),
    api_url: str | None = None,
    frontdoor_id: str | None = None,
    read_only: bool | None = None,
    log_level: str | None = None,
    toolsets: str | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> Settings:
    """Settings from `env` (default: the process environment), with explicit arguments (the CLI's flags) taking
    precedence.

    Every value is read strictly, after trimming: an empty one counts as unset, and one that is not understood
    is a problem naming the variable and what it accepts; nothing falls back to a permissive default because of
    its value. Every problem is found before any is reported: a `ConfigError` carries them all, and a
    fail-closed `fallback` (read-only, no credential, `problems` set) for a stdio server to answer with.

    `other_settings`: the variables of frontdoor-mcp's other commands (the HTTP server's), which are not problems
    here: a shell that sets them for `frontdoor-mcp http` may start the stdio server too."""
    env = os.environ if env is None else env
    collector = ProblemCollector()
    collector.problems.extend(unknown_setting_problems(env, (*STDIO_SETTINGS, *other_settings)))
    env = {name: env[name] for name in STDIO_SETTINGS if name in env}
    understood = collector.read
    key_dir = env_text(env, "FRONTDOOR_MCP_KEY_DIR")
    settings = Settings(
        api_url=understood(lambda: _api_url(_given(api_url) or env_text(env, "FRONTDOOR_API_URL")), DEFAULT_API_URL),
        frontdoor_id=understood(lambda: _frontdoor_id(_given(frontdoor_id) or env_text(env, "FRONTDOOR_ID")), None),
        read_only=understood(
            lambda: read_only if read_only is not None else bool(env_bool(env, "FRONTDOOR_MCP_READ_ONLY")), True
        ),
        log_level=understood(
            lambda: _log_level(_given(log_level) or env_text(env, "FRONTDOOR_MCP_LOG_LEVEL")), "WARNING"
        ),
        toolsets=understood(
            lambda: parse_toolsets(_given(toolsets) or env_text(env, "FRONTDOOR_MCP_TOOLSETS")), TOOLSETS
        ),
        key_dir=Path(key_dir).expanduser() if key_dir else None,
        credential=understood(lambda: find_credential(env, cwd=cwd, home=home), None),
    )
    if collector.problems:
        problems = tuple(collector.problems)
        raise ConfigError(
            *problems, fallback=dataclasses.replace(settings, read_only=True, credential=None, problems=problems)
        )
    return settings


def unknown_setting_problems(env: Mapping[str, str], known: Collection[str]) -> list[str]:
    """A problem for each variable that looks like a setting of ours but is none: a misspelt one would otherwise
    be ignored, and the server run without it (`FRONTDOOR_MCP_READONLY=1` serving the write tools). Every name
    under `OWN_PREFIX` (in any case) that is not in `known`; and a FRONTDOOR_/NETFOUNDRY_ name close to one in
    `known`. Other FRONTDOOR_/NETFOUNDRY_ names are left alone: NetFoundry's own tools read that namespace too."""
    problems: list[str] = []
    upper_known = {name.upper(): name for name in known}
    for name in sorted(env):
        if name in known:
            continue
        upper = name.upper()
        shown = _NOT_IN_A_NAME.sub("?", name)[:MAX_SHOWN_NAME_CHARS]  # a name, not a value: shown, made safe
        exact = upper_known.get(upper)
        if exact is not None:
            problems.append(f"{shown} is not a setting of frontdoor-mcp: names are upper case (did you mean {exact}?).")
        elif upper.startswith(OWN_PREFIX):
            close = difflib.get_close_matches(upper, list(upper_known), n=1, cutoff=SUGGESTION_RATIO)
            hint = f" (did you mean {upper_known[close[0]]}?)" if close else ""
            problems.append(
                f"{shown} is not a setting of frontdoor-mcp{hint}: it would be ignored, so it is refused. Rename or "
                "remove it (the README's Configuration lists the settings, docs/HOSTING.md the HTTP server's)."
            )
        elif upper.startswith(NEIGHBOUR_PREFIXES):
            close = difflib.get_close_matches(upper, list(upper_known), n=1, cutoff=MISSPELLING_RATIO)
            if close:
                problems.append(
                    f"{shown} is not a setting of frontdoor-mcp but looks like a misspelling of one (did you mean "
                    f"{upper_known[close[0]]}?): it would be ignored, so it is refused. Rename or remove it."
                )
    return problems


def cannot_be_understood(problems: Sequence[str]) -> str:
    """The last line of a report of `problems` (check-config, doctor): how many, and what the server would do."""
    return f"{len(problems)} setting(s) cannot be understood: the stdio server would act on nothing."


def describe_problems(problems: Sequence[str]) -> str:
    """What a server that could not read its settings says, to a person and to the model: what is wrong (each
    problem names its variable and what it accepts), that nothing was done, and how to fix it."""
    listed = "\n".join(f"- {problem}" for problem in problems)
    return (
        "frontdoor-mcp cannot act: its configuration could not be understood, so it does nothing and sends no "
        f"request.\n{listed}\nFix each variable named above (in the environment this server is started with, e.g. the "
        '"env" of its entry in the client\'s configuration), then restart the server. '
        "`frontdoor-mcp check-config` checks a configuration without starting a server."
    )


def _api_url(given: str | None) -> str:
    try:
        return validate_api_url(given or DEFAULT_API_URL)
    except ValueError as exc:
        raise ConfigError(f"{exc} (or --api-url); NetFoundry's API is at {DEFAULT_API_URL}.") from None


def _frontdoor_id(given: str | None) -> str | None:
    if given is None:
        return None
    try:
        return validate_frontdoor_id(given, argument="FRONTDOOR_ID")
    except InvalidIdError as exc:
        raise ConfigError(f"{str(exc).removesuffix('.')} (or --frontdoor-id).") from None


def _log_level(given: str | None) -> str:
    level = (given or "WARNING").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"FRONTDOOR_MCP_LOG_LEVEL (or --log-level) must be one of {', '.join(LOG_LEVELS)}.")
    return level


def parse_toolsets(given: str | None) -> tuple[Toolset, ...]:
    """`FRONTDOOR_MCP_TOOLSETS`: toolset names separated by commas (any case, spaces around them ignored), or
    `all`; unset or empty: all. An unknown name is a problem, never skipped: a session that silently lacked
    the tools someone asked for would be a puzzle. An entry is named by its position, never echoed: the value
    may be a secret pasted into the wrong variable."""
    if given is None:
        return TOOLSETS
    names = [name.strip().lower() for name in given.split(",")]
    wrong = [
        f"entry {position} is empty" if not name else f"entry {position} is not a toolset"
        for position, name in enumerate(names, start=1)
        if name not in (*TOOLSETS, ALL_TOOLSETS)
    ]
    if wrong:
        raise ConfigError(
            f"FRONTDOOR_MCP_TOOLSETS (or --toolsets) takes toolset names separated by commas: {'; '.join(wrong)}; "
            f"the toolsets are: {', '.join(TOOLSETS)}, or {ALL_TOOLSETS}."
        )
    if ALL_TOOLSETS in names:
        return TOOLSETS
    return tuple(toolset for toolset in TOOLSETS if toolset in names)


def env_text(env: Mapping[str, str], name: str) -> str | None:
    """A variable's value, trimmed; None when it is unset or empty."""
    return _given(env.get(name))


def env_bool(env: Mapping[str, str], name: str) -> bool | None:
    """A switch: 1/true/yes/on or 0/false/no/off (any case, trimmed); None when unset or empty; anything
    else is a ConfigError, never read as "off"."""
    value = env_text(env, name)
    if value is None:
        return None
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ConfigError(
        f"{name} must be one of {', '.join(TRUE_WORDS)} (on) or {', '.join(FALSE_WORDS)} (off), or empty; "
        "its value is not one of them."
    )


def _given(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def find_credential(env: Mapping[str, str], *, cwd: Path | None = None, home: Path | None = None) -> Credential | None:
    """The first credential source present, in NetFoundry's order; None when there is none at all."""
    token = env.get("NETFOUNDRY_API_TOKEN")
    if token and token.strip():
        username = env_text(env, "FRONTDOOR_API_USERNAME")
        if username:
            return BasicToken(username, Secret(token), source="NETFOUNDRY_API_TOKEN + FRONTDOOR_API_USERNAME")
        return BearerToken(Secret(token), source="NETFOUNDRY_API_TOKEN")
    account = env_text(env, "NETFOUNDRY_API_ACCOUNT")
    if account:
        # Not shown: a value that names no file may be anything (a token pasted into the wrong variable).
        path = Path(account).expanduser()
        return _from_credentials_file(path, source="NETFOUNDRY_API_ACCOUNT", shown="the file it names")
    present = [name for name in CLIENT_CREDENTIAL_VARIABLES if env_text(env, name)]
    if present:
        missing = [name for name in CLIENT_CREDENTIAL_VARIABLES if not env_text(env, name)]
        if missing:
            raise ConfigError(
                f"{', '.join(present)} set but {', '.join(missing)} missing: client credentials need all three "
                "of NETFOUNDRY_CLIENT_ID, NETFOUNDRY_PASSWORD and NETFOUNDRY_OAUTH_URL."
            )
        return ClientCredentials(
            env["NETFOUNDRY_CLIENT_ID"].strip(),
            Secret(env["NETFOUNDRY_PASSWORD"]),
            _token_url(env["NETFOUNDRY_OAUTH_URL"].strip(), "NETFOUNDRY_OAUTH_URL"),
            source="NETFOUNDRY_CLIENT_ID/NETFOUNDRY_PASSWORD/NETFOUNDRY_OAUTH_URL",
        )
    for candidate in credential_files(cwd=cwd, home=home):
        if candidate.is_file():
            return _from_credentials_file(candidate, source=f"credentials file {candidate}", shown="the file")
    return None


def credential_files(*, cwd: Path | None = None, home: Path | None = None) -> tuple[Path, ...]:
    """The credentials.json files looked for, in order, after the variables."""
    return (
        (cwd or Path.cwd()) / "credentials.json",
        (home or Path.home()) / ".netfoundry" / "credentials.json",
        SYSTEM_CREDENTIALS_FILE,
    )


def credential_places(*, cwd: Path | None = None, home: Path | None = None) -> list[str]:
    """Every place a credential is looked for, in the order they are tried, as a person would check them."""
    return [
        "NETFOUNDRY_API_TOKEN",
        "NETFOUNDRY_API_ACCOUNT",
        "NETFOUNDRY_CLIENT_ID + NETFOUNDRY_PASSWORD + NETFOUNDRY_OAUTH_URL",
        *(str(path) for path in credential_files(cwd=cwd, home=home)),
    ]


def _token_url(url: str, variable: str) -> str:
    try:
        return validate_api_url(url)
    except ValueError:
        raise ConfigError(f"{variable} must be an https:// URL (plain http only for a loopback host)") from None


def _from_credentials_file(path: Path, *, source: str, shown: str) -> ClientCredentials:
    """An API-account credentials.json: `clientId`, `password`, `authenticationUrl`. `shown`: how a problem names
    the file."""
    try:
        if not path.is_file():
            raise ConfigError(f"{source}: {shown} is not a readable file")
        if path.stat().st_size > MAX_CREDENTIALS_FILE_BYTES:
            raise ConfigError(f"{source}: {shown} is too large to be a credentials file")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source}: {shown} cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        data: Any = json.loads(raw)
    except ValueError:
        raise ConfigError(f"{source}: {shown} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {shown} must hold a JSON object")
    fields: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
    missing = [key for key in ("clientId", "password", "authenticationUrl") if not _is_text(fields.get(key))]
    if missing:
        raise ConfigError(f"{source}: {shown} lacks {', '.join(missing)}")
    return ClientCredentials(
        fields["clientId"],
        Secret(fields["password"]),
        _token_url(fields["authenticationUrl"], f"{source} authenticationUrl"),
        source=source,
    )


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())

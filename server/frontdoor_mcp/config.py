"""Configuration from the environment (a CLI flag may override), and the credential it names.

Credential sources are looked up in the order NetFoundry's own client uses; the first one present wins:
1. `NETFOUNDRY_API_TOKEN` (a bearer token; with `FRONTDOOR_API_USERNAME`, sent as Basic `username:token`)
2. `NETFOUNDRY_API_ACCOUNT` (path to an API-account credentials.json)
3. `NETFOUNDRY_CLIENT_ID` + `NETFOUNDRY_PASSWORD` + `NETFOUNDRY_OAUTH_URL` (all three)
4. `credentials.json` in the working directory, `~/.netfoundry/`, or `/netfoundry/`
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from frontdoor_mcp.api.auth import BasicToken, BearerToken, ClientCredentials, Credential, Secret
from frontdoor_mcp.api.http import validate_api_url
from frontdoor_mcp.api.ids import InvalidIdError, validate_frontdoor_id

DEFAULT_API_URL: Final = "https://gateway.production.netfoundry.io/frontdoor"
CLIENT_CREDENTIAL_VARIABLES: Final = ("NETFOUNDRY_CLIENT_ID", "NETFOUNDRY_PASSWORD", "NETFOUNDRY_OAUTH_URL")
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
    """A configuration problem, said by variable name; never carries a secret value."""


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

    @property
    def credential_source(self) -> str:
        return self.credential.source if self.credential else "none"


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    api_url: str | None = None,
    frontdoor_id: str | None = None,
    read_only: bool | None = None,
    log_level: str | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> Settings:
    """Settings from `env` (default: the process environment), with explicit arguments taking precedence.

    Every value is read strictly, after trimming: an empty one counts as unset, and one that is not understood
    stops the start with a `ConfigError` naming the variable and what it accepts; nothing falls back to a
    permissive default because of its value."""
    env = os.environ if env is None else env
    try:
        url = validate_api_url(_given(api_url) or env_text(env, "FRONTDOOR_API_URL") or DEFAULT_API_URL)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    default_frontdoor = _given(frontdoor_id) or env_text(env, "FRONTDOOR_ID")
    if default_frontdoor is not None:
        try:
            default_frontdoor = validate_frontdoor_id(default_frontdoor, argument="FRONTDOOR_ID")
        except InvalidIdError as exc:
            raise ConfigError(str(exc)) from None
    key_dir = env_text(env, "FRONTDOOR_MCP_KEY_DIR")
    level = (_given(log_level) or env_text(env, "FRONTDOOR_MCP_LOG_LEVEL") or "WARNING").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"FRONTDOOR_MCP_LOG_LEVEL (or --log-level) must be one of {', '.join(LOG_LEVELS)}.")
    env_read_only = env_bool(env, "FRONTDOOR_MCP_READ_ONLY")
    return Settings(
        api_url=url,
        frontdoor_id=default_frontdoor,
        credential=find_credential(env, cwd=cwd, home=home),
        read_only=read_only if read_only is not None else bool(env_read_only),
        key_dir=Path(key_dir).expanduser() if key_dir else None,
        log_level=level,
    )


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
        return _from_credentials_file(Path(account).expanduser(), source="NETFOUNDRY_API_ACCOUNT")
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
            return _from_credentials_file(candidate, source=f"credentials file {candidate}")
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


def _from_credentials_file(path: Path, *, source: str) -> ClientCredentials:
    """An API-account credentials.json: `clientId`, `password`, `authenticationUrl`."""
    try:
        if not path.is_file():
            raise ConfigError(f"{source}: {path} is not a readable file")
        if path.stat().st_size > MAX_CREDENTIALS_FILE_BYTES:
            raise ConfigError(f"{source}: {path} is too large to be a credentials file")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source}: {path} cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        data: Any = json.loads(raw)
    except ValueError:
        raise ConfigError(f"{source}: {path} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {path} must hold a JSON object")
    fields: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
    missing = [key for key in ("clientId", "password", "authenticationUrl") if not _is_text(fields.get(key))]
    if missing:
        raise ConfigError(f"{source}: {path} lacks {', '.join(missing)}")
    return ClientCredentials(
        fields["clientId"],
        Secret(fields["password"]),
        _token_url(fields["authenticationUrl"], f"{source} authenticationUrl"),
        source=source,
    )


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())

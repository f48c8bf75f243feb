"""The HTTP server's settings, from the environment with a command-line flag overriding each variable.

Read as strictly as the stdio server's (`config`): a value that is not understood stops the start with one
line naming the variable (and its flag), never a permissive default. Two rules come from what the SDK does
on its own: its Host/Origin protection is on only for a loopback bind, and an empty allow list refuses
everything; so a non-loopback bind needs an explicit allowed-host list, and the loopback default is spelled
out here rather than left to the SDK.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from frontdoor_mcp.api.http import is_loopback_host
from frontdoor_mcp.config import ConfigError, ProblemCollector, env_bool, env_text
from frontdoor_mcp.hosting.flags import HTTP_SETTINGS
from frontdoor_mcp.redaction import KNOWN_SECRETS

LOOPBACK_HOSTS: Final = ("127.0.0.1:*", "localhost:*", "[::1]:*")
LOOPBACK_ORIGINS: Final = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")
SCOPES: Final = ("frontdoor:read", "frontdoor:write", "frontdoor:tokens")
DEFAULT_RATE_PER_MINUTE: Final = 600
DEFAULT_RATE_BURST: Final = 120
DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024
"""A call's arguments hold at most a few PEMs of 64 KiB each; a megabyte is room to spare, and bounded."""
MIN_STATE_KEY_CHARS: Final = 32
_HOST_ENTRY: Final = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:(\d{1,5}|\*))?$")
_PATH: Final = re.compile(r"^/[A-Za-z0-9._~/-]*$")


@dataclass(frozen=True)
class TokenFileAuth:
    """Bearer tokens listed (hashed) in a file, each with a label and scopes."""

    path: Path


@dataclass(frozen=True)
class IssuerAuth:
    """OAuth 2.1 resource server: JWTs from `issuer`, for the audience `resource_url` (this server)."""

    issuer: str
    resource_url: str
    jwks_url: str | None = None


AuthMode = TokenFileAuth | IssuerAuth
LogFormat = Literal["text", "json"]


@dataclass(frozen=True)
class HostingOptions:
    auth: AuthMode
    host: str = "127.0.0.1"
    port: int = 8765
    path: str = "/mcp"
    stateless: bool = False
    allow_writes: bool = False
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    allowed_origins: tuple[str, ...] = LOOPBACK_ORIGINS
    state_keys: tuple[str, ...] = field(default=(), repr=False)
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE
    rate_burst: int = DEFAULT_RATE_BURST
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    log_format: LogFormat = "text"
    proxy_headers: bool = False
    forwarded_allow_ips: str = "127.0.0.1"


def load_hosting_options(
    env: Mapping[str, str], overrides: Mapping[str, str | None] | None = None, *, bind_known: bool = True
) -> HostingOptions:
    """Options from `env`, each variable replaced by its flag's value in `overrides` (keyed by variable name)
    when given. `bind_known`: the bind address is ours (the `http` command); under another server (uvicorn
    with workers) it is not, so an allowed-host list is required whatever the host says."""
    given = {name: value for name, value in (overrides or {}).items() if value is not None}
    # Through the declared names only: a variable read here but not declared reads as unset (its test fails).
    merged = {name: value for name, value in {**env, **given}.items() if name in HTTP_SETTINGS}
    collector = ProblemCollector()
    read = collector.read
    host = env_text(merged, "FRONTDOOR_MCP_HTTP_HOST") or "127.0.0.1"
    loopback = bind_known and is_loopback_host(host)
    stateless = read(lambda: bool(env_bool(merged, "FRONTDOOR_MCP_HTTP_STATELESS")), False)
    state_keys = read(lambda: _state_keys(merged, required=stateless), ())
    hosts = read(lambda: _listed(merged, "FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS", _valid_host_entry), None)
    if hosts == () and not loopback:
        where = "on an address that is not a loopback one (--host)" if bind_known else "under another ASGI server"
        collector.problems.append(
            f"serving {where} needs FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS (or --allowed-host): the Host names clients "
            "use to reach this server (e.g. mcp.example.com), so a DNS-rebinding page cannot use it."
        )
    origins = read(lambda: _listed(merged, "FRONTDOOR_MCP_HTTP_ALLOWED_ORIGINS", _valid_origin), ())
    log_format = (env_text(merged, "FRONTDOOR_MCP_LOG_FORMAT") or "text").lower()
    if log_format not in ("text", "json"):
        collector.problems.append(f"FRONTDOOR_MCP_LOG_FORMAT {_flag('FRONTDOOR_MCP_LOG_FORMAT')}must be text or json.")
    options = HostingOptions(
        auth=read(lambda: _auth(merged), TokenFileAuth(Path())),
        host=host,
        port=read(lambda: _integer(merged, "FRONTDOOR_MCP_HTTP_PORT", 8765, low=0, high=65535), 0),
        path=read(lambda: _path(merged), "/mcp"),
        stateless=stateless,
        allow_writes=read(lambda: bool(env_bool(merged, "FRONTDOOR_MCP_HTTP_ALLOW_WRITES")), False),
        allowed_hosts=hosts or LOOPBACK_HOSTS,
        allowed_origins=origins or (LOOPBACK_ORIGINS if loopback else ()),
        state_keys=state_keys,
        rate_per_minute=read(
            lambda: _integer(merged, "FRONTDOOR_MCP_HTTP_RATE_LIMIT", DEFAULT_RATE_PER_MINUTE, low=1), 1
        ),
        rate_burst=read(lambda: _integer(merged, "FRONTDOOR_MCP_HTTP_RATE_BURST", DEFAULT_RATE_BURST, low=1), 1),
        max_body_bytes=read(
            lambda: _integer(merged, "FRONTDOOR_MCP_HTTP_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, low=1024), 1024
        ),
        log_format="json" if log_format == "json" else "text",
        proxy_headers=read(lambda: bool(env_bool(merged, "FRONTDOOR_MCP_HTTP_PROXY_HEADERS")), False),
        forwarded_allow_ips=env_text(merged, "FRONTDOOR_MCP_HTTP_FORWARDED_ALLOW_IPS") or "127.0.0.1",
    )
    if collector.problems:
        raise ConfigError(*collector.problems)
    return options


def _flag(name: str) -> str:
    flag = HTTP_SETTINGS.get(name, "")
    return f"(or {flag}) " if flag else ""


def _auth(env: Mapping[str, str]) -> AuthMode:
    tokens_file = env_text(env, "FRONTDOOR_MCP_HTTP_TOKENS_FILE")
    issuer = env_text(env, "FRONTDOOR_MCP_HTTP_ISSUER")
    if tokens_file and issuer:
        raise ConfigError(
            "choose one authentication mode: FRONTDOOR_MCP_HTTP_TOKENS_FILE (--tokens-file) or "
            "FRONTDOOR_MCP_HTTP_ISSUER (--issuer), not both."
        )
    if tokens_file:
        return TokenFileAuth(Path(tokens_file).expanduser())
    if issuer:
        resource = env_text(env, "FRONTDOOR_MCP_HTTP_RESOURCE_URL")
        if resource is None:
            raise ConfigError(
                "FRONTDOOR_MCP_HTTP_ISSUER needs FRONTDOOR_MCP_HTTP_RESOURCE_URL (or --resource-url): this server's "
                "public URL (e.g. https://mcp.example.com/mcp), the audience its tokens must carry."
            )
        jwks = env_text(env, "FRONTDOOR_MCP_HTTP_JWKS_URL")
        return IssuerAuth(
            issuer=checked_url(issuer, "FRONTDOOR_MCP_HTTP_ISSUER", keep_slash=True),
            resource_url=checked_url(resource, "FRONTDOOR_MCP_HTTP_RESOURCE_URL"),
            jwks_url=checked_url(jwks, "FRONTDOOR_MCP_HTTP_JWKS_URL") if jwks else None,
        )
    raise ConfigError(
        "no authentication is configured, and the HTTP server never serves without it: set "
        "FRONTDOOR_MCP_HTTP_TOKENS_FILE (--tokens-file; add tokens with `frontdoor-mcp http-token add`) or "
        "FRONTDOOR_MCP_HTTP_ISSUER (--issuer) with FRONTDOOR_MCP_HTTP_RESOURCE_URL (--resource-url)."
    )


def checked_url(value: str, name: str, *, keep_slash: bool = False) -> str:
    """An absolute https URL (plain http only for a loopback host), without credentials, query or fragment.
    An issuer is kept exactly as given (its `iss` claim is compared as a string)."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(f"{name} {_flag(name)}must be an absolute https:// URL.")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(f"{name} {_flag(name)}must use https:// (plain http only for a loopback host).")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(f"{name} {_flag(name)}must not carry credentials, a query or a fragment.")
    return value if keep_slash else value.rstrip("/")


def _path(env: Mapping[str, str]) -> str:
    path = env_text(env, "FRONTDOOR_MCP_HTTP_PATH") or "/mcp"
    if not _PATH.fullmatch(path) or path.startswith("/.well-known") or "//" in path or path == "/":
        raise ConfigError(
            "FRONTDOOR_MCP_HTTP_PATH (or --path) must be a URL path such as /mcp: a leading /, letters, digits, "
            "and . _ ~ - / (not / alone, not under /.well-known)."
        )
    return path.rstrip("/")


def _integer(env: Mapping[str, str], name: str, default: int, *, low: int, high: int | None = None) -> int:
    text = env_text(env, name)
    if text is None:
        return default
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    if not text.isdecimal() or int(text) < low or (high is not None and int(text) > high):
        raise ConfigError(f"{name} {_flag(name)}must be a whole number {bounds}.")
    return int(text)


def _listed(env: Mapping[str, str], name: str, valid: Callable[[str], bool]) -> tuple[str, ...]:
    text = env_text(env, name)
    if text is None:
        return ()
    entries = tuple(entry.strip() for entry in text.split(","))
    if not all(entry and valid(entry) for entry in entries):
        raise ConfigError(_LIST_HELP[name])
    return entries


def _valid_host_entry(entry: str) -> bool:
    match = _HOST_ENTRY.fullmatch(entry)
    port = match.group(3) if match else None
    return match is not None and (port in (None, "*") or 0 < int(port) < 65536)


def _valid_origin(entry: str) -> bool:
    scheme, _, rest = entry.partition("://")
    return scheme in ("http", "https") and _valid_host_entry(rest)


_LIST_HELP: Final = {
    "FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS": (
        "FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS (or --allowed-host) takes Host header values separated by commas: "
        "name, name:port or name:* (any port), e.g. mcp.example.com; an empty entry is not allowed."
    ),
    "FRONTDOOR_MCP_HTTP_ALLOWED_ORIGINS": (
        "FRONTDOOR_MCP_HTTP_ALLOWED_ORIGINS (or --allowed-origin) takes origins separated by commas: "
        "scheme://name, scheme://name:port or scheme://name:* (http or https), e.g. https://app.example.com."
    ),
}


def _state_keys(env: Mapping[str, str], *, required: bool) -> tuple[str, ...]:
    """The request-state keys every worker shares (the first seals; all open, for rotation). Never echoed."""
    text = env_text(env, "FRONTDOOR_MCP_STATE_KEYS")
    if text is None:
        if required:
            raise ConfigError(
                "--stateless (FRONTDOOR_MCP_HTTP_STATELESS) needs FRONTDOOR_MCP_STATE_KEYS: the same secret in every "
                "worker, so a confirmation answered to another worker can be checked. Make one with: "
                'python -c "import secrets; print(secrets.token_hex(32))"'
            )
        return ()
    keys = tuple(key.strip() for key in text.split(","))
    KNOWN_SECRETS.add(*keys)
    if any(len(key) < MIN_STATE_KEY_CHARS for key in keys):
        raise ConfigError(
            f"FRONTDOOR_MCP_STATE_KEYS holds keys separated by commas, each at least {MIN_STATE_KEY_CHARS} "
            'characters of randomness (python -c "import secrets; print(secrets.token_hex(32))"); one is shorter.'
        )
    return keys

"""`frontdoor-mcp doctor`: is this set-up going to work? Credentials, token, API, frontdoor, clock."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio

from frontdoor_mcp.api.auth import ClientCredentials, TokenRequestFailed
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.errors import Forbidden, FrontdoorError, Unauthorized
from frontdoor_mcp.config import ConfigError, Settings, load_settings

SKEW_LIMIT_SECONDS = 60.0


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


async def diagnose(settings: Settings) -> list[Check]:
    """Every check, in order; later checks are skipped when an earlier one makes them meaningless."""
    checks: list[Check] = []
    credential = settings.credential
    if credential is None:
        checks.append(Check("credentials", False, "none found: set NETFOUNDRY_API_TOKEN or NETFOUNDRY_API_ACCOUNT"))
        return checks
    problems = credential.problems()
    checks.append(Check("credentials", not problems, f"from {credential.source}" + "".join(f"; {p}" for p in problems)))
    if isinstance(credential, ClientCredentials):
        try:
            await credential.current_token()
            expiry = credential.expires_at()
            checks.append(Check("token", True, f"obtained, valid until {expiry:%Y-%m-%d %H:%M:%S} UTC"))
        except TokenRequestFailed as exc:
            checks.append(Check("token", False, f"could not be obtained: {exc.reason}"))
            return checks
    else:
        expiry = credential.expires_at()
        if expiry is not None:
            left = (expiry - datetime.now(UTC)).total_seconds()
            checks.append(
                Check(
                    "token",
                    left > 0,
                    f"expires {expiry:%Y-%m-%d %H:%M:%S} UTC"
                    if left > 0
                    else f"expired {int(-left // 60)} minutes ago",
                )
            )
    async with FrontdoorClient(settings.api_url, credential) as client:
        frontdoor = settings.frontdoor_id
        try:
            if frontdoor is None:
                checks.append(Check("frontdoor", False, "FRONTDOOR_ID is not set (tools will need frontdoor_id)"))
            else:
                page = await client.list_certificates(frontdoor, size=1)
                checks.append(Check("api", True, f"{settings.api_url} answers"))
                checks.append(Check("frontdoor", True, f"{frontdoor} visible, {page.total_elements} certificates"))
        except Unauthorized:
            checks.append(Check("api", False, "answered 401: the credentials were refused"))
        except Forbidden:
            checks.append(Check("api", True, f"{settings.api_url} answers"))
            checks.append(Check("frontdoor", False, f"{frontdoor} is not visible to these credentials (403)"))
        except FrontdoorError as exc:
            checks.append(Check("api", False, f"{settings.api_url}: {exc}"))
        if client.last_server_date is not None:
            skew = (datetime.now(UTC) - client.last_server_date).total_seconds()
            checks.append(
                Check("clock", abs(skew) <= SKEW_LIMIT_SECONDS, f"{skew:+.0f} s against the API's Date header")
            )
    return checks


def run_doctor(*, api_url: str | None = None, frontdoor_id: str | None = None) -> int:
    try:
        settings = load_settings(api_url=api_url, frontdoor_id=frontdoor_id)
    except ConfigError as exc:
        print(f"FAIL configuration: {exc}")
        return 2
    checks = anyio.run(diagnose, settings)
    for check in checks:
        print(f"{'ok  ' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    failed = [check for check in checks if not check.passed]
    print("All checks passed." if not failed else f"{len(failed)} check(s) failed.", file=sys.stderr)
    return 1 if failed else 0

"""Which shares use a certificate: read once per call (one bounded walk of the frontdoor's shares), and said
before anyone changes the trust they depend on.

Reading shares may fail where reading certificates works (a token without share permissions, a gateway that
does not serve them): that never stops the certificate operation; it is said plainly instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, Field

from frontdoor_mcp.api.errors import FrontdoorError
from frontdoor_mcp.api.models import Certificate
from frontdoor_mcp.api.shares import Share
from frontdoor_mcp.api.walk import run_together
from frontdoor_mcp.toolkit.answers import shown, shown_id
from frontdoor_mcp.toolkit.failures import describe_failure
from frontdoor_mcp.toolkit.state import AppState

SHARES_IN_WORDS: Final = 10


class ShareRef(BaseModel):
    id: str
    name: str = Field(description="The share's name (data from the API).")
    state: str | None = Field(description="Its state, e.g. ACTIVE or PROVISIONING, when the API says.")


@dataclass(frozen=True)
class ShareUsage:
    """The frontdoor's shares as read in this call, or why they could not be read; and, when read, whether the
    walk showed it read every one (`why_incomplete` says why not: the shares found are then not all)."""

    shares: tuple[Share, ...] | None
    unreadable: str | None = None
    why_incomplete: str | None = None

    @property
    def complete(self) -> bool | None:
        """True when every share was read; False when some may be missing; None when none could be read."""
        return None if self.shares is None else self.why_incomplete is None

    def using(self, certificate_id: str) -> list[ShareRef] | None:
        """The shares read that name this certificate (not all of them when the walk was incomplete); None
        when the shares could not be read."""
        if self.shares is None:
            return None
        return [ref_of(share) for share in self.shares if share.client_certificate_id == certificate_id]

    def in_words(self, certificate_id: str) -> str:
        """A sentence naming the shares that use the certificate, as far as they are known."""
        return shares_in_words(self.using(certificate_id), self.unreadable, self.why_incomplete)


async def read_share_usage(state: AppState, frontdoor_id: str) -> ShareUsage:
    try:
        shares, walked = await state.client.shares.list_all(frontdoor_id)
    except FrontdoorError as exc:
        return ShareUsage(None, describe_failure(exc, state))
    return ShareUsage(tuple(shares), why_incomplete=walked.why_incomplete)


async def certificate_and_share_usage(
    state: AppState, frontdoor_id: str, certificate_id: str
) -> tuple[Certificate, ShareUsage]:
    """The certificate and the shares that may use it, read at the same time: one round trip, not two. A
    failure to read the certificate is raised as itself (the shares are then not waited for)."""
    read: list[Certificate] = []
    usage: list[ShareUsage] = []

    async def certificate() -> None:
        read.append(await state.client.certificates.get(frontdoor_id, certificate_id))

    async def shares() -> None:
        usage.append(await read_share_usage(state, frontdoor_id))  # its failures are said, never raised

    await run_together(certificate, shares)
    return read[0], usage[0]


def ref_of(share: Share) -> ShareRef:
    return ShareRef(id=share.id, name=share.name, state=share.state)


def shares_in_words(refs: list[ShareRef] | None, unreadable: str | None = None, incomplete: str | None = None) -> str:
    """A sentence naming the shares that use a certificate, or saying it is unknown. `incomplete`: why the walk
    of the shares could not show it read every one; then "no share uses it" is never said."""
    if refs is None:
        return f"Which shares use it is unknown: the shares could not be read ({unreadable or 'no reason given'})."
    if not refs:
        if incomplete is not None:
            return (
                f"No share read uses it, but not every share could be read: {incomplete}. "
                "Whether another does is unknown."
            )
        return "No share uses it."
    named = ", ".join(
        f"{shown(ref.name)} ({shown_id(ref.id)}, {ref.state or 'state unknown'})" for ref in refs[:SHARES_IN_WORDS]
    )
    more = f" and {len(refs) - SHARES_IN_WORDS} more" if len(refs) > SHARES_IN_WORDS else ""
    found = f"Used by {len(refs)} share{'s' if len(refs) != 1 else ''}: {named}{more}."
    if incomplete is not None:
        found += f" Not every share could be read: {incomplete}. Others may use it too."
    return found


def active_shares_warning(refs: list[ShareRef] | None, *, swap: bool) -> str | None:
    """What deleting (or swapping) the certificate does to the ACTIVE shares that use it, in plain words."""
    active = [ref for ref in refs or [] if (ref.state or "").upper() == "ACTIVE"]
    if not active:
        return None
    names = ", ".join(shown(ref.name) for ref in active[:SHARES_IN_WORDS])
    if swap:
        return f"ACTIVE share(s) {names} use it: they will admit clients by the new certificate, no longer the current."
    return f"ACTIVE share(s) {names} require it: their mTLS will stop admitting the clients that present it."

"""The rules several layers share, each in one place: limits, thresholds, timeouts and the small vocabularies
(sort orders, key types) that the API client, the PEM policy and the tool schemas must agree on.

The bottom of the layers: standard library only, so the tools can import it at start-up.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

NAME_MAX_CHARS: Final = 255
"""A certificate's or token's name: 1-255 characters, as a `@Size(max = 255)` on a VARCHAR(255) column allows.
Names coming back from the API are capped at the same length."""

PEM_MAX_BYTES: Final = 64 * 1024
"""The largest PEM accepted anywhere (argument, file, API answer); a client certificate is a few kilobytes."""

PATH_MAX_CHARS: Final = 4096
"""The longest local path argument (Linux's PATH_MAX)."""

SUBJECT_FIELD_MAX_CHARS: Final = 64
"""CN, O and OU: RFC 5280's upper bound (ub-common-name and friends), so a CA never refuses them later."""

MAX_TOKEN_VALID_YEARS: Final = 10
"""The most `validYears` a token is created with."""

EXPIRY_WARNING_DAYS: Final = 30
"""A certificate with this many whole days left, or fewer, is flagged for rotation."""


def expires_soon(days_remaining: int) -> bool:
    """Whether a still-valid certificate is within the rotation window (30 days left counts)."""
    return 0 <= days_remaining <= EXPIRY_WARNING_DAYS


RESULT_BUDGET_BYTES: Final = 60_000
"""The most JSON one tool result may hold (text and structured content together): about 15k tokens. Past it,
a result keeps the first items that fit, the totals, and says how to narrow."""

PEM_IN_RESULT_MAX_BYTES: Final = 16 * 1024
"""A larger certificate is decoded but its PEM is not repeated in a result (the PEM resource serves it)."""

WALK_MAX_ITEMS: Final = 10_000
"""The most items an all-pages walk or an audit reads; a frontdoor with more is reported as such."""

CLOCK_SKEW_THRESHOLD_S: Final = 60.0
"""A clock further than this from the API's `Date` header is reported: tokens then look expired or not yet valid."""

API_TIMEOUT_S: Final = 31.0
"""How long to wait for an answer: the gateway waits about 30 s for a backend; NetFoundry's own client reads 31 s."""
API_CONNECT_TIMEOUT_S: Final = 5.0

SortOrder = Literal["name,asc", "name,desc", "createdAt,asc", "createdAt,desc"]
"""The sort orders the API documents for its lists: by `name` or `createdAt`, either direction."""
SORT_ORDERS: Final[tuple[SortOrder, ...]] = get_args(SortOrder)

KeyType = Literal["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"]
"""The keys `generate_csr` makes: the floor the public CAs use (ECDSA P-256/P-384, RSA 2048-4096)."""
KEY_TYPES: Final[tuple[KeyType, ...]] = get_args(KeyType)

Toolset = Literal["certificates", "tokens", "shares", "local"]
"""The groups of tools a session may carry (`FRONTDOOR_MCP_TOOLSETS`), in the order `tools/list` shows them:
the API's certificate tools and the expiry audit; certificate request tokens (redemption included); shares
(with the admission check); and the tools that run on this machine (keys and CSRs, inspection, a real mTLS
connection from it, credential export). A tool's toolset is its module's `ToolGroup`'s; `tests/test_toolsets.py`
pins the memberships this sentence names."""
TOOLSETS: Final[tuple[Toolset, ...]] = get_args(Toolset)
ALL_TOOLSETS: Final = "all"
"""The name that stands for every toolset (the default)."""

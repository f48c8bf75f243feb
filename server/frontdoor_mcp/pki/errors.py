"""Errors for PEM input. Messages say what is wrong and what to do, and never quote the input."""

from __future__ import annotations

from typing import Literal

PemRule = Literal[
    "size",
    "private_key",
    "block_count",
    "block_type",
    "parse",
    "signature",
    "key_strength",
    "signature_algorithm",
    "expired",
    "not_yet_valid",
]
"""Stable short ids of the checks; callers branch on these, never on message text."""


class PemError(ValueError):
    """A PEM input could not be read or described. `rule` names the check that failed."""

    rule: PemRule

    def __init__(self, rule: PemRule, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class PemPolicyError(PemError):
    """A PEM input was refused by the input policy, before anything was sent to the API."""

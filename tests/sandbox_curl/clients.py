"""HTTP clients for the sandbox tests."""

from __future__ import annotations

import ssl
from typing import Any

import httpx2

_TLS = ssl.create_default_context()
"""Shared: building a TLS context per client costs ~40 ms, and loopback HTTP never uses it anyway."""


def new_client(**kwargs: Any) -> httpx2.Client:
    """An httpx2 client that ignores proxy environment variables (the sandbox is on loopback)."""
    return httpx2.Client(trust_env=False, verify=_TLS, **kwargs)

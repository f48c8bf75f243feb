"""The annotation hints of every tool, in one place so that they are set honestly and alike."""

from __future__ import annotations

from typing import Final

from mcp_types import ToolAnnotations

API_READ: Final = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
API_CREATE: Final = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
API_UPDATE: Final = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
API_DESTRUCTIVE: Final = ToolAnnotations(
    # Deleting a certificate, and any change of its PEM, changes who the shares that use it let in.
    read_only_hint=False,
    destructive_hint=True,
    idempotent_hint=True,
    open_world_hint=True,
)
LOCAL_READ: Final = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
LOCAL_WRITE: Final = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
NETWORK_READ: Final = ToolAnnotations(
    # A connection from this machine to a host of the user's choosing: it changes nothing, anywhere.
    read_only_hint=True,
    destructive_hint=False,
    idempotent_hint=True,
    open_world_hint=True,
)
LOCAL_EXPORT: Final = ToolAnnotations(
    # A new local file each call, from a certificate that may be read from the API.
    read_only_hint=False,
    destructive_hint=False,
    idempotent_hint=False,
    open_world_hint=True,
)

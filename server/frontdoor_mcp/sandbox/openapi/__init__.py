"""The OpenAPI 3.1 description of what the sandbox serves, as a plain dict (served at `/openapi.json`).

One module per part of the API (`certificates`, `request_tokens`, `shares`, `service`), each holding its paths
and schemas; `common` has what they share. `openapi_document` puts them together.
"""

from __future__ import annotations

import copy
from typing import Any

from frontdoor_mcp.sandbox.openapi import certificates, common, request_tokens, service, shares

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Frontdoor client certificates (frontdoor-mcp sandbox)",
        "version": "1.0.0",
        "description": "A local implementation of the NetFoundry Frontdoor client-certificates API, certificate "
        "request tokens, shares and the frontdoor resource, with an OAuth2 issuer. Endpoints tagged `sandbox` "
        "exist only here, to drive fault injection from tests.",
    },
    "security": [{"bearer": []}, {"basic": []}, {"oauth2": []}],
    "tags": [{"name": "sandbox", "description": "Sandbox control; guarded by the X-Sandbox-Admin header."}],
    "paths": {**certificates.PATHS, **request_tokens.PATHS, **shares.PATHS, **service.PATHS},
    "components": {
        "schemas": {
            **common.SCHEMAS,
            **certificates.SCHEMAS,
            **request_tokens.SCHEMAS,
            **shares.SCHEMAS,
            **service.SCHEMAS,
        },
        "parameters": {
            **common.PARAMETERS,
            **certificates.PARAMETERS,
            **request_tokens.PARAMETERS,
            **shares.PARAMETERS,
        },
        "securitySchemes": service.SECURITY_SCHEMES,
    },
}


def openapi_document(server_url: str | None = None) -> dict[str, Any]:
    """A fresh copy of the document; with `server_url`, `servers` points at it."""
    document = copy.deepcopy(_DOCUMENT)
    if server_url:
        document["servers"] = [{"url": server_url}]
        flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
        flows["clientCredentials"]["tokenUrl"] = f"{server_url}/oauth/token"
    return document

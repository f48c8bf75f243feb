"""OpenAPI: the sandbox's services around the API: the OAuth issuer (token endpoint, JWKS, metadata), this
document, and the `/_sandbox` control plane."""

from __future__ import annotations

from frontdoor_mcp.sandbox.faults.controller import FAULT_KINDS
from frontdoor_mcp.sandbox.openapi.common import STRING, Doc, body, error, json_content, params, ref
from frontdoor_mcp.sandbox.paging import LARGEST_MAX_PAGE_SIZE, PAGING_SHAPES

_OAUTH_ERROR = json_content(ref("schemas", "OAuthError"))
_ADMIN = {"security": [], "tags": ["sandbox"]}
_BAD_ADMIN = error("bad admin header")

SCHEMAS: dict[str, Doc] = {
    "OAuthError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "string",
                "enum": [
                    "invalid_request",
                    "invalid_client",
                    "unsupported_grant_type",
                    "invalid_scope",
                    "invalid_target",
                    "unsupported_response_type",
                ],
            },
            "error_description": STRING,
        },
    },
    "AccessToken": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "scope"],
        "properties": {
            "access_token": {
                "type": "string",
                "description": "ES256 JWT (kid in the header) with iss, sub, client_id, aud, iat, exp, jti, scope.",
            },
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer"},
            "scope": STRING,
        },
    },
    "Fault": {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"type": "string", "enum": list(FAULT_KINDS)},
            "method": {"type": ["string", "null"]},
            "path_contains": {"type": ["string", "null"]},
            "times": {"type": ["integer", "null"], "minimum": 1, "description": "rate_limit: the 429s it gives"},
            "latency_s": {"type": "number"},
            "status": {"type": "integer"},
            "retry_after": {"type": ["string", "null"]},
            "clock_offset_s": {"type": "number"},
            "rate_per_s": {"type": "number", "exclusiveMinimum": 0, "description": "rate_limit: refill rate"},
            "burst": {"type": ["integer", "null"], "minimum": 1, "description": "rate_limit: bucket size"},
            "creates": {"type": "integer", "minimum": 0, "maximum": 1000, "description": "churn: items created"},
            "deletes": {"type": "integer", "minimum": 0, "maximum": 1000, "description": "churn: items deleted"},
            "from_page": {"type": "integer", "minimum": 0, "description": "churn: the first page it bites"},
        },
    },
    "Paging": {
        "type": "object",
        "properties": {
            "shape": {"type": "string", "enum": list(PAGING_SHAPES)},
            "max_page_size": {"type": "integer", "minimum": 1, "maximum": LARGEST_MAX_PAGE_SIZE},
        },
    },
}

PATHS: dict[str, Doc] = {
    "/oauth/token": {
        "post": {
            "operationId": "issueToken",
            "summary": "OAuth2 client credentials (client_secret_basic or client_secret_post)",
            "security": [{"clientBasic": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type"],
                            "properties": {
                                "grant_type": {"type": "string", "enum": ["client_credentials"]},
                                "scope": {"type": "string", "description": "Space-separated; default: the client's"},
                                "resource": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "uri"},
                                    "description": "RFC 8707: the token's aud (default: frontdoor, this API's)",
                                },
                                "client_id": STRING,
                                "client_secret": STRING,
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "An access token", "content": json_content(ref("schemas", "AccessToken"))},
                "400": {"description": "Bad grant, scope or resource", "content": _OAUTH_ERROR},
                "401": {"description": "Bad client", "content": _OAUTH_ERROR},
            },
        }
    },
    "/.well-known/jwks.json": {
        "get": {
            "operationId": "jwks",
            "summary": "The public key the JWTs are signed with (RFC 7517)",
            "security": [],
            "responses": {"200": {"description": "JWK Set", "content": json_content({"type": "object"})}},
        }
    },
    "/.well-known/oauth-authorization-server": {
        "get": {
            "operationId": "authorizationServerMetadata",
            "summary": "RFC 8414 metadata: issuer, token_endpoint, jwks_uri, grants, scopes",
            "security": [],
            "responses": {"200": {"description": "Metadata", "content": json_content({"type": "object"})}},
        }
    },
    "/oauth/authorize": {
        "get": {
            "operationId": "authorize",
            "summary": "Named in the metadata for parsers that require it; refuses every response type",
            "security": [],
            "responses": {"400": {"description": "unsupported_response_type", "content": _OAUTH_ERROR}},
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": json_content({"type": "object"})}},
        }
    },
    "/_sandbox/faults": {
        "parameters": params("admin"),
        "get": {
            "operationId": "sandboxListFaults",
            "summary": "Active fault rules",
            **_ADMIN,
            "responses": {"200": {"description": "Faults"}, "401": _BAD_ADMIN},
        },
        "post": {
            "operationId": "sandboxAddFault",
            "summary": "Add a fault rule",
            **_ADMIN,
            "requestBody": body("Fault"),
            "responses": {"201": {"description": "Added"}, "400": error("bad fault"), "401": _BAD_ADMIN},
        },
        "delete": {
            "operationId": "sandboxClearFaults",
            "summary": "Remove every fault rule",
            **_ADMIN,
            "responses": {"204": {"description": "Cleared"}, "401": _BAD_ADMIN},
        },
    },
    "/_sandbox/connections": {
        "parameters": params("admin"),
        "get": {
            "operationId": "sandboxConnections",
            "summary": "The shares' access log: each client connection, admitted or refused, the stage and rule "
            "that refused it, the client certificate's subject",
            **_ADMIN,
            "responses": {"200": {"description": "Connections"}, "401": _BAD_ADMIN},
        },
    },
    "/_sandbox/paging": {
        "parameters": params("admin"),
        "get": {
            "operationId": "sandboxPaging",
            "summary": "The shape list answers take and the largest page served",
            **_ADMIN,
            "responses": {"200": {"description": "Paging", "content": json_content(ref("schemas", "Paging"))}},
        },
        "put": {
            "operationId": "sandboxSetPaging",
            "summary": "Change the shape of list answers or the largest page (either or both), at once",
            **_ADMIN,
            "requestBody": body("Paging"),
            "responses": {
                "200": {"description": "Paging now", "content": json_content(ref("schemas", "Paging"))},
                "400": error("bad paging"),
                "401": _BAD_ADMIN,
            },
        },
    },
    "/_sandbox/requests": {
        "parameters": params("admin"),
        "get": {
            "operationId": "sandboxRequests",
            "summary": "The request log (method, path with tokens masked, status or null when dropped, time, fault)",
            **_ADMIN,
            "responses": {"200": {"description": "Requests"}, "401": _BAD_ADMIN},
        },
        "delete": {
            "operationId": "sandboxClearRequests",
            "summary": "Empty the request log",
            **_ADMIN,
            "responses": {"204": {"description": "Cleared"}, "401": _BAD_ADMIN},
        },
    },
}

SECURITY_SCHEMES: dict[str, Doc] = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "An API token or a JWT from /oauth/token"},
    "basic": {"type": "http", "scheme": "basic", "description": "username:token (the token is checked)"},
    "clientBasic": {"type": "http", "scheme": "basic", "description": "client_id:client_secret"},
    "oauth2": {
        "type": "oauth2",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "/oauth/token",
                "scopes": {"frontdoor.read": "read", "frontdoor.write": "write"},
            }
        },
    },
}

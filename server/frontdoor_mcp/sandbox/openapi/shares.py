"""OpenAPI: the frontdoor resource and its shares."""

from __future__ import annotations

from frontdoor_mcp.sandbox.openapi.common import (
    BODY_ERRORS,
    COMMON_ERRORS,
    INSTANT,
    STRING,
    UUID,
    Doc,
    body,
    created,
    deleted,
    deleted_response,
    error,
    one,
    page_schemas,
    params,
    ref,
    sort_parameter,
    with_links,
)

SHARE_ID: Doc = {"type": "string", "pattern": "^shr-", "example": "shr-123e4567-e89b-12d3-a456-426614174000"}
_STRINGS: Doc = {"type": "array", "items": STRING}
_NOT_FOUND: Doc = {"404": error("not_found: `Share <id> not found`")}

SCHEMAS: dict[str, Doc] = {
    "Frontdoor": {
        "type": "object",
        "required": ["id", "name", "organizationId", "createdAt"],
        "properties": {
            "id": UUID,
            "name": STRING,
            "organizationId": UUID,
            "createdAt": INSTANT,
            "createdBy": STRING,
            "updatedAt": INSTANT,
            "updatedBy": STRING,
        },
    },
    "FrontdoorHal": {
        "allOf": [
            ref("schemas", "Frontdoor"),
            {
                "type": "object",
                "properties": {
                    "_links": {
                        "type": "object",
                        "description": "self, shares (templated `{?envZId}`), clientCertificates, "
                        "certificateRequestTokens",
                        "properties": {"self": ref("schemas", "Link")},
                    }
                },
            },
        ]
    },
    "Share": {
        "type": "object",
        "description": "Null fields are left out.",
        "required": ["id", "zId", "frontdoorId", "name", "type", "state", "envZId", "shareMode", "backendMode"],
        "properties": {
            "id": SHARE_ID,
            "zId": {"type": "string", "pattern": "^[0-9A-Za-z]{22}$"},
            "frontdoorId": UUID,
            "name": STRING,
            "type": {"type": "string", "enum": ["tcp", "http"]},
            "state": {"type": "string", "enum": ["PROVISIONING", "ACTIVE"]},
            "envZId": STRING,
            "shareMode": {"type": "string", "enum": ["public"]},
            "backendMode": {"type": "string", "enum": ["tcpTunnel", "proxy"]},
            "target": STRING,
            "ingressPort": {"type": "integer", "minimum": 2100, "maximum": 2199},
            "clientCertificateId": {"type": "string", "description": "May name a deleted certificate (admits nobody)."},
            "allowedSubjects": _STRINGS,
            "allowedCommonNamePrefixes": _STRINGS,
            "requiredOrganizationalUnit": STRING,
            "createdAt": INSTANT,
            "createdBy": STRING,
        },
    },
    "ShareHal": with_links("Share"),
    "DeletedShare": deleted(SHARE_ID),
    **page_schemas("Share", "Share", "shares"),
    "CreateShare": {
        "type": "object",
        "required": ["name", "type", "envZId", "target"],
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]{0,62}$"},
            "type": {"type": "string", "enum": ["tcp", "http"]},
            "envZId": {"type": "string", "minLength": 1, "maxLength": 64},
            "target": {"type": "string", "description": "tcp: host:port or tcp://host:port; http: an http(s) URL"},
            "ingressPort": {
                "type": "integer",
                "minimum": 2100,
                "maximum": 2199,
                "description": "Required for tcp, refused for http; unique among the frontdoor's live shares.",
            },
            "clientCertificateId": {"type": "string", "description": "A live certificate of this frontdoor."},
            "allowedSubjects": _STRINGS,
            "allowedCommonNamePrefixes": _STRINGS,
            "requiredOrganizationalUnit": {"type": "string", "maxLength": 64},
        },
    },
}

PARAMETERS: dict[str, Doc] = {
    "shareId": {
        "name": "shareId",
        "in": "path",
        "required": True,
        "description": "The share's `id` or its `zId`.",
        "schema": STRING,
    },
    "envZId": {
        "name": "envZId",
        "in": "query",
        "description": "Only the shares of this environment.",
        "schema": STRING,
    },
}


PATHS: dict[str, Doc] = {
    "/frontdoor/{frontdoorId}": {
        "parameters": params("frontdoorId"),
        "get": {
            "operationId": "getFrontdoor",
            "summary": "The frontdoor (confirms it exists and the token may use it)",
            "parameters": params("accept"),
            "responses": {"200": one("The frontdoor", "Frontdoor", "FrontdoorHal"), **COMMON_ERRORS},
        },
    },
    "/frontdoor/{frontdoorId}/shares": {
        "parameters": params("frontdoorId"),
        "get": {
            "operationId": "listShares",
            "summary": "List the frontdoor's shares (not deleted)",
            "parameters": [*params("envZId", "page", "size"), sort_parameter("name", "createdAt"), *params("accept")],
            "responses": {"200": one("A page of shares", "SharePage", "SharePageHal"), **COMMON_ERRORS},
        },
        "post": {
            "operationId": "createShare",
            "summary": "Create a share (PROVISIONING, then ACTIVE after the sandbox's provisioning delay)",
            "parameters": params("accept"),
            "requestBody": body("CreateShare"),
            "responses": {
                "201": created("Created", "Share", "ShareHal"),
                **COMMON_ERRORS,
                "409": error("conflict: the ingress port is used by another share of this frontdoor"),
                **BODY_ERRORS,
            },
        },
    },
    "/frontdoor/{frontdoorId}/shares/{shareId}": {
        "parameters": params("frontdoorId", "shareId"),
        "get": {
            "operationId": "getShare",
            "summary": "Get a share by id or zId",
            "parameters": params("accept"),
            "responses": {"200": one("The share", "Share", "ShareHal"), **COMMON_ERRORS, **_NOT_FOUND},
        },
        "delete": {
            "operationId": "deleteShare",
            "summary": "Delete (soft): afterwards 404, gone from lists, its ingress port free",
            "responses": {"200": deleted_response("DeletedShare"), **COMMON_ERRORS, **_NOT_FOUND},
        },
    },
}

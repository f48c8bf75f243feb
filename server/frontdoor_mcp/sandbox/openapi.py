"""The OpenAPI 3.1 description of what the sandbox serves, as a plain dict (served at `/openapi.json`)."""

from __future__ import annotations

import copy
from typing import Any

_REF = "#/components"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"{_REF}/{kind}/{name}"}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _both_content(json_schema: dict[str, Any], hal_schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": json_schema}, "application/hal+json": {"schema": hal_schema}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json_content(_ref("schemas", "Error"))}


_STRING = {"type": "string"}
_INSTANT = {"type": "string", "format": "date-time", "example": "2024-01-15T10:30:00Z"}
_CERT_ID = {"type": "string", "pattern": "^cert-", "example": "cert-123e4567-e89b-12d3-a456-426614174000"}
_UUID = {"type": "string", "format": "uuid", "example": "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"}
_LINK = {"type": "object", "required": ["href"], "properties": {"href": {"type": "string", "format": "uri"}}}
_SELF_LINKS = {"type": "object", "required": ["self"], "properties": {"self": _ref("schemas", "Link")}}
_PEM = {
    "type": "string",
    "minLength": 1,
    "description": "PEM. A CERTIFICATE block is stored as given; a CERTIFICATE REQUEST is verified and replaced "
    "by the certificate the CA signs from it.",
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "examples": ["invalid_request", "unauthorized", "not_found"]},
            "message": _STRING,
        },
    },
    "OAuthError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "enum": ["invalid_request", "invalid_client", "unsupported_grant_type"]},
            "error_description": _STRING,
        },
    },
    "Link": _LINK,
    "ClientCertificateSummary": {
        "type": "object",
        "required": ["id", "name", "frontdoorId", "createdAt", "createdBy"],
        "properties": {
            "id": _CERT_ID,
            "name": _STRING,
            "frontdoorId": _UUID,
            "createdAt": _INSTANT,
            "createdBy": _STRING,
        },
    },
    "ClientCertificate": {
        "allOf": [
            _ref("schemas", "ClientCertificateSummary"),
            {"type": "object", "required": ["value"], "properties": {"value": {"type": "string"}}},
        ]
    },
    "ClientCertificateHal": {
        "allOf": [
            _ref("schemas", "ClientCertificate"),
            {"type": "object", "properties": {"_links": _SELF_LINKS}},
        ]
    },
    "ClientCertificateSummaryHal": {
        "allOf": [
            _ref("schemas", "ClientCertificateSummary"),
            {"type": "object", "properties": {"_links": _SELF_LINKS}},
        ]
    },
    "DeletedClientCertificate": {
        "type": "object",
        "required": ["id", "name", "frontdoorId", "deletedAt", "deletedBy"],
        "properties": {
            "id": _CERT_ID,
            "name": _STRING,
            "frontdoorId": _UUID,
            "deletedAt": _INSTANT,
            "deletedBy": _STRING,
        },
    },
    "ClientCertificatePage": {
        "type": "object",
        "required": ["content", "pageable", "totalElements", "totalPages"],
        "properties": {
            "content": {"type": "array", "items": _ref("schemas", "ClientCertificateSummary")},
            "pageable": {
                "type": "object",
                "required": ["pageNumber", "pageSize"],
                "properties": {"pageNumber": {"type": "integer"}, "pageSize": {"type": "integer"}},
            },
            "totalElements": {"type": "integer"},
            "totalPages": {"type": "integer"},
        },
    },
    "ClientCertificatePageHal": {
        "type": "object",
        "required": ["page", "_links"],
        "description": "`_embedded` is absent when the page is empty (Spring HATEOAS).",
        "properties": {
            "_embedded": {
                "type": "object",
                "properties": {
                    "clientCertificates": {"type": "array", "items": _ref("schemas", "ClientCertificateSummaryHal")}
                },
            },
            "page": {
                "type": "object",
                "required": ["size", "totalElements", "totalPages", "number"],
                "properties": {
                    "size": {"type": "integer"},
                    "totalElements": {"type": "integer"},
                    "totalPages": {"type": "integer"},
                    "number": {"type": "integer"},
                },
            },
            "_links": {
                "type": "object",
                "required": ["self"],
                "properties": {rel: _ref("schemas", "Link") for rel in ("first", "prev", "self", "next", "last")},
            },
        },
    },
    "CreateClientCertificate": {
        "type": "object",
        "required": ["name", "value"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "value": _PEM,
            "type": {"type": "string", "enum": ["PEM", "CSR"], "description": "Optional; must match the value."},
        },
    },
    "PatchClientCertificate": {
        "type": "object",
        "description": "Only the fields given change; an empty object changes nothing.",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "value": _PEM,
            "type": {"type": "string", "enum": ["PEM", "CSR"]},
        },
    },
    "AccessToken": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string", "description": "HS256 JWT with sub, iat, exp, scope."},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer"},
        },
    },
    "Fault": {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {
                "type": "string",
                "enum": [
                    "latency",
                    "status",
                    "drop_before",
                    "drop_after",
                    "malformed_json",
                    "truncated_json",
                    "html_error",
                    "clock_offset",
                ],
            },
            "method": {"type": ["string", "null"]},
            "path_contains": {"type": ["string", "null"]},
            "times": {"type": ["integer", "null"], "minimum": 1},
            "latency_s": {"type": "number"},
            "status": {"type": "integer"},
            "retry_after": {"type": ["string", "null"]},
            "clock_offset_s": {"type": "number"},
        },
    },
}

_PARAMETERS: dict[str, Any] = {
    "frontdoorId": {"name": "frontdoorId", "in": "path", "required": True, "schema": _UUID},
    "id": {"name": "id", "in": "path", "required": True, "schema": _CERT_ID},
    "page": {
        "name": "page",
        "in": "query",
        "description": "Zero-based page; invalid or negative values read as 0.",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    "size": {
        "name": "size",
        "in": "query",
        "description": "Page size; invalid or < 1 reads as 20, larger than 2000 as 2000.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 2000, "default": 20},
    },
    "sort": {
        "name": "sort",
        "in": "query",
        "description": "`property[,asc|desc]`, repeatable; properties `name` and `createdAt`. Default createdAt,asc.",
        "schema": {"type": "array", "items": {"type": "string", "example": "name,asc"}},
        "style": "form",
        "explode": True,
    },
    "accept": {
        "name": "Accept",
        "in": "header",
        "schema": {"type": "string", "enum": ["application/json", "application/hal+json"]},
    },
    "admin": {"name": "X-Sandbox-Admin", "in": "header", "required": True, "schema": {"type": "string"}},
}

_COMMON_ERRORS: dict[str, Any] = {
    "400": _error("invalid_request: `Value for <property> must be of <type>`, missing field, bad PEM or CSR"),
    "401": {
        "description": "unauthorized: Bearer token is missing or invalid",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "content": _json_content(_ref("schemas", "Error")),
    },
    "403": _error("not_found: `Frontdoor <id> not found` (the token may not use this frontdoor)"),
    "406": _error("not_acceptable: Accept names neither JSON nor HAL"),
}
_BODY_ERRORS: dict[str, Any] = {
    "413": _error("payload_too_large: body above 1 MiB"),
    "415": _error("unsupported_media_type: Content-Type is not JSON"),
}
_NOT_FOUND = {"404": _error("not_found: `Client certificate <id> not found`")}


def _params(*names: str) -> list[dict[str, str]]:
    return [_ref("parameters", n) for n in names]


def _body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": _json_content(_ref("schemas", schema_name))}


def _one(description: str, json_schema: str, hal_schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": _both_content(_ref("schemas", json_schema), _ref("schemas", hal_schema)),
    }


_PATHS: dict[str, Any] = {
    "/frontdoor/{frontdoorId}/client-certificates": {
        "parameters": _params("frontdoorId"),
        "get": {
            "operationId": "listClientCertificates",
            "summary": "List client certificates (not deleted) of a frontdoor",
            "parameters": _params("page", "size", "sort", "accept"),
            "responses": {
                "200": _one("A page of certificates (no value)", "ClientCertificatePage", "ClientCertificatePageHal"),
                **_COMMON_ERRORS,
            },
        },
        "post": {
            "operationId": "createClientCertificate",
            "summary": "Upload a certificate, or have a CSR signed (told apart by the PEM block type)",
            "parameters": _params("accept"),
            "requestBody": _body("CreateClientCertificate"),
            "responses": {
                "201": {
                    **_one("Created (no value)", "ClientCertificateSummary", "ClientCertificateSummaryHal"),
                    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                },
                **_COMMON_ERRORS,
                **_BODY_ERRORS,
            },
        },
    },
    "/frontdoor/{frontdoorId}/client-certificates/{id}": {
        "parameters": _params("frontdoorId", "id"),
        "get": {
            "operationId": "getClientCertificate",
            "summary": "Get a client certificate, with its PEM value",
            "parameters": _params("accept"),
            "responses": {
                "200": _one("The certificate", "ClientCertificate", "ClientCertificateHal"),
                **_COMMON_ERRORS,
                **_NOT_FOUND,
            },
        },
        "patch": {
            "operationId": "updateClientCertificate",
            "summary": "Change only the fields given",
            "parameters": _params("accept"),
            "requestBody": _body("PatchClientCertificate"),
            "responses": {
                "200": _one("The updated certificate", "ClientCertificate", "ClientCertificateHal"),
                **_COMMON_ERRORS,
                **_NOT_FOUND,
                **_BODY_ERRORS,
            },
        },
        "put": {
            "operationId": "replaceClientCertificate",
            "summary": "Replace the whole definition (name and value required)",
            "parameters": _params("accept"),
            "requestBody": _body("CreateClientCertificate"),
            "responses": {
                "200": _one("The updated certificate", "ClientCertificate", "ClientCertificateHal"),
                **_COMMON_ERRORS,
                **_NOT_FOUND,
                **_BODY_ERRORS,
            },
        },
        "delete": {
            "operationId": "deleteClientCertificate",
            "summary": "Delete (soft): afterwards the id is 404 and leaves lists",
            "responses": {
                "200": {
                    "description": "Deleted",
                    "content": _json_content(_ref("schemas", "DeletedClientCertificate")),
                },
                **_COMMON_ERRORS,
                **_NOT_FOUND,
            },
        },
    },
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
                                "scope": {"type": "string"},
                                "client_id": {"type": "string"},
                                "client_secret": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "An access token", "content": _json_content(_ref("schemas", "AccessToken"))},
                "400": {"description": "Bad grant", "content": _json_content(_ref("schemas", "OAuthError"))},
                "401": {"description": "Bad client", "content": _json_content(_ref("schemas", "OAuthError"))},
            },
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": _json_content({"type": "object"})}},
        }
    },
    "/_sandbox/faults": {
        "parameters": _params("admin"),
        "get": {
            "operationId": "sandboxListFaults",
            "tags": ["sandbox"],
            "summary": "Active fault rules",
            "security": [],
            "responses": {"200": {"description": "Faults"}, "401": _error("bad admin header")},
        },
        "post": {
            "operationId": "sandboxAddFault",
            "tags": ["sandbox"],
            "summary": "Add a fault rule",
            "security": [],
            "requestBody": _body("Fault"),
            "responses": {
                "201": {"description": "Added"},
                "400": _error("bad fault"),
                "401": _error("bad admin header"),
            },
        },
        "delete": {
            "operationId": "sandboxClearFaults",
            "tags": ["sandbox"],
            "summary": "Remove every fault rule",
            "security": [],
            "responses": {"204": {"description": "Cleared"}, "401": _error("bad admin header")},
        },
    },
    "/_sandbox/requests": {
        "parameters": _params("admin"),
        "get": {
            "operationId": "sandboxRequests",
            "tags": ["sandbox"],
            "summary": "The request log (method, path, status or null when dropped, time, fault)",
            "security": [],
            "responses": {"200": {"description": "Requests"}, "401": _error("bad admin header")},
        },
        "delete": {
            "operationId": "sandboxClearRequests",
            "tags": ["sandbox"],
            "summary": "Empty the request log",
            "security": [],
            "responses": {"204": {"description": "Cleared"}, "401": _error("bad admin header")},
        },
    },
}

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Frontdoor client certificates (frontdoor-mcp sandbox)",
        "version": "1.0.0",
        "description": "A local implementation of the NetFoundry Frontdoor client-certificates API. "
        "Endpoints tagged `sandbox` exist only here, to drive fault injection from tests.",
    },
    "security": [{"bearer": []}, {"basic": []}, {"oauth2": []}],
    "tags": [{"name": "sandbox", "description": "Sandbox control; guarded by the X-Sandbox-Admin header."}],
    "paths": _PATHS,
    "components": {
        "schemas": _SCHEMAS,
        "parameters": _PARAMETERS,
        "securitySchemes": {
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
        },
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

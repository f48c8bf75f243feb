"""OpenAPI: certificate request tokens, and redemption (a certificate created with a token, no credentials)."""

from __future__ import annotations

from frontdoor_mcp.sandbox.openapi.common import (
    BODY_ERRORS,
    COMMON_ERRORS,
    INSTANT,
    NAME,
    STRING,
    UUID,
    Doc,
    body,
    both_content,
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

TOKEN_ID: Doc = {"type": "string", "pattern": "^token-", "example": "token-123e4567-e89b-12d3-a456-426614174000"}
_SUBJECT_FIELD: Doc = {"type": "string", "maxLength": 64, "description": '"" clears it (left to the CSR).'}
_NOT_FOUND: Doc = {"404": error("not_found: `Certificate request token <id> not found`")}
_USED: Doc = {"409": error("conflict: `Certificate request token <id> has already been used`")}

SCHEMAS: dict[str, Doc] = {
    "CertificateRequestToken": {
        "type": "object",
        "description": "Null fields are left out. `token` is the redeemable secret, shown on every read.",
        "required": ["id", "name", "frontdoorId", "token", "expiresAt", "createdAt", "createdBy"],
        "properties": {
            "id": TOKEN_ID,
            "name": STRING,
            "frontdoorId": UUID,
            "token": {"type": "string", "pattern": "^crt_[0-9a-f]{32}$"},
            "commonName": STRING,
            "organization": STRING,
            "organizationalUnit": STRING,
            "expiresAt": {**INSTANT, "description": "7 days after creation; redemption after it is 410."},
            "createdAt": INSTANT,
            "createdBy": STRING,
            "usedAt": {**INSTANT, "description": "Sandbox addition: when it was redeemed."},
            "clientCertificateId": {"type": "string", "description": "Sandbox addition: the certificate issued."},
        },
    },
    "CertificateRequestTokenHal": with_links("CertificateRequestToken"),
    "DeletedCertificateRequestToken": deleted(TOKEN_ID),
    **page_schemas("CertificateRequestToken", "CertificateRequestToken", "certificateRequestTokens"),
    "CreateCertificateRequestToken": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": NAME,
            "commonName": _SUBJECT_FIELD,
            "organization": _SUBJECT_FIELD,
            "organizationalUnit": _SUBJECT_FIELD,
            "validYears": {
                "type": "integer",
                "minimum": 1,
                "maximum": 10,
                "default": 1,
                "description": "Validity of the certificate issued on redemption, in units of 365 days.",
            },
        },
    },
    "PatchCertificateRequestToken": {
        "type": "object",
        "description": "Only the fields given (null: not given) change.",
        "properties": {
            "name": NAME,
            "commonName": _SUBJECT_FIELD,
            "organization": _SUBJECT_FIELD,
            "organizationalUnit": _SUBJECT_FIELD,
        },
    },
    "ReplaceCertificateRequestToken": {
        "type": "object",
        "required": ["name"],
        "description": "The whole definition: a subject field absent or null is cleared.",
        "properties": {
            "name": NAME,
            "commonName": _SUBJECT_FIELD,
            "organization": _SUBJECT_FIELD,
            "organizationalUnit": _SUBJECT_FIELD,
        },
    },
    "RedeemCertificateRequestToken": {
        "type": "object",
        "required": ["value"],
        "properties": {
            "type": {"type": "string", "enum": ["CSR"], "description": "Optional."},
            "value": {"type": "string", "description": "A PEM CERTIFICATE REQUEST."},
        },
    },
}

PARAMETERS: dict[str, Doc] = {
    "tokenId": {"name": "tokenId", "in": "path", "required": True, "schema": TOKEN_ID},
    "token": {
        "name": "token",
        "in": "path",
        "required": True,
        "description": "The token string (`crt_...`), not its id.",
        "schema": {"type": "string"},
    },
}

_REDEEMED: Doc = {
    "description": "The certificate issued (with its PEM value): named as the token, subject fields set on the "
    "token replacing the CSR's, valid validYears x 365 days",
    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
    "content": both_content(ref("schemas", "ClientCertificate"), ref("schemas", "ClientCertificateHal")),
}

PATHS: dict[str, Doc] = {
    "/frontdoor/{frontdoorId}/certificate-request-tokens": {
        "parameters": params("frontdoorId"),
        "get": {
            "operationId": "listCertificateRequestTokens",
            "summary": "List the tokens (used and expired ones included; deleted ones not)",
            "parameters": [
                *params("page", "size"),
                sort_parameter("name", "createdAt", "expiresAt"),
                *params("accept"),
            ],
            "responses": {
                "200": one("A page of tokens", "CertificateRequestTokenPage", "CertificateRequestTokenPageHal"),
                **COMMON_ERRORS,
            },
        },
        "post": {
            "operationId": "createCertificateRequestToken",
            "summary": "Create a single-use token someone without credentials redeems with a CSR",
            "parameters": params("accept"),
            "requestBody": body("CreateCertificateRequestToken"),
            "responses": {
                "201": created("Created", "CertificateRequestToken", "CertificateRequestTokenHal"),
                **COMMON_ERRORS,
                **BODY_ERRORS,
            },
        },
    },
    "/frontdoor/{frontdoorId}/certificate-request-tokens/{tokenId}": {
        "parameters": params("frontdoorId", "tokenId"),
        "get": {
            "operationId": "getCertificateRequestToken",
            "summary": "Get a token",
            "parameters": params("accept"),
            "responses": {
                "200": one("The token", "CertificateRequestToken", "CertificateRequestTokenHal"),
                **COMMON_ERRORS,
                **_NOT_FOUND,
            },
        },
        "patch": {
            "operationId": "updateCertificateRequestToken",
            "summary": "Change only the fields given (not once it has been used)",
            "parameters": params("accept"),
            "requestBody": body("PatchCertificateRequestToken"),
            "responses": {
                "200": one("The updated token", "CertificateRequestToken", "CertificateRequestTokenHal"),
                **COMMON_ERRORS,
                **_NOT_FOUND,
                **_USED,
                **BODY_ERRORS,
            },
        },
        "put": {
            "operationId": "replaceCertificateRequestToken",
            "summary": "Replace the definition (not once it has been used)",
            "parameters": params("accept"),
            "requestBody": body("ReplaceCertificateRequestToken"),
            "responses": {
                "200": one("The updated token", "CertificateRequestToken", "CertificateRequestTokenHal"),
                **COMMON_ERRORS,
                **_NOT_FOUND,
                **_USED,
                **BODY_ERRORS,
            },
        },
        "delete": {
            "operationId": "deleteCertificateRequestToken",
            "summary": "Revoke (soft delete): it can no longer be redeemed; certificates issued from it stay",
            "responses": {"200": deleted_response("DeletedCertificateRequestToken"), **COMMON_ERRORS, **_NOT_FOUND},
        },
    },
    "/frontdoor/{frontdoorId}/client-certificates/token/{token}": {
        "parameters": params("frontdoorId", "token"),
        "post": {
            "operationId": "redeemCertificateRequestToken",
            "summary": "Create a client certificate from a CSR with a token; no credentials (any are ignored)",
            "security": [],
            "parameters": params("accept"),
            "requestBody": body("RedeemCertificateRequestToken"),
            "responses": {
                "201": _REDEEMED,
                "400": error(
                    "invalid_request: bad frontdoorId, body, type (`Value for type must be of enum [CSR]`) or CSR"
                ),
                "404": error("not_found: `Certificate request token not found` (unknown, revoked, other frontdoor)"),
                "406": COMMON_ERRORS["406"],
                "409": error("conflict: `Certificate request token has already been used`"),
                "410": error("gone: `Certificate request token has expired`"),
                **BODY_ERRORS,
            },
        },
    },
}

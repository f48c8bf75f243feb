"""OpenAPI: the client-certificates paths of the guide, and their schemas."""

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

CERT_ID: Doc = {"type": "string", "pattern": "^cert-", "example": "cert-123e4567-e89b-12d3-a456-426614174000"}
_PEM: Doc = {
    "type": "string",
    "minLength": 1,
    "description": "PEM. A CERTIFICATE block is stored as given; a CERTIFICATE REQUEST is verified and replaced "
    "by the certificate the CA signs from it.",
}
_NOT_FOUND: Doc = {"404": error("not_found: `Client certificate <id> not found`")}

SCHEMAS: dict[str, Doc] = {
    "ClientCertificateSummary": {
        "type": "object",
        "required": ["id", "name", "frontdoorId", "createdAt", "createdBy"],
        "properties": {"id": CERT_ID, "name": STRING, "frontdoorId": UUID, "createdAt": INSTANT, "createdBy": STRING},
    },
    "ClientCertificate": {
        "allOf": [
            ref("schemas", "ClientCertificateSummary"),
            {"type": "object", "required": ["value"], "properties": {"value": STRING}},
        ]
    },
    "ClientCertificateHal": with_links("ClientCertificate"),
    "ClientCertificateSummaryHal": with_links("ClientCertificateSummary"),
    "DeletedClientCertificate": deleted(CERT_ID),
    **page_schemas("ClientCertificate", "ClientCertificateSummary", "clientCertificates"),
    "CreateClientCertificate": {
        "type": "object",
        "required": ["name", "value"],
        "properties": {
            "name": NAME,
            "value": _PEM,
            "type": {"type": "string", "enum": ["PEM", "CSR"], "description": "Optional; must match the value."},
        },
    },
    "PatchClientCertificate": {
        "type": "object",
        "description": "Only the fields given change; an empty object changes nothing.",
        "properties": {"name": NAME, "value": _PEM, "type": {"type": "string", "enum": ["PEM", "CSR"]}},
    },
}

PARAMETERS: dict[str, Doc] = {"id": {"name": "id", "in": "path", "required": True, "schema": CERT_ID}}

PATHS: dict[str, Doc] = {
    "/frontdoor/{frontdoorId}/client-certificates": {
        "parameters": params("frontdoorId"),
        "get": {
            "operationId": "listClientCertificates",
            "summary": "List client certificates (not deleted) of a frontdoor",
            "parameters": [*params("page", "size"), sort_parameter("name", "createdAt"), *params("accept")],
            "responses": {
                "200": one("A page of certificates (no value)", "ClientCertificatePage", "ClientCertificatePageHal"),
                **COMMON_ERRORS,
            },
        },
        "post": {
            "operationId": "createClientCertificate",
            "summary": "Upload a certificate, or have a CSR signed (told apart by the PEM block type)",
            "parameters": params("accept"),
            "requestBody": body("CreateClientCertificate"),
            "responses": {
                "201": created("Created (no value)", "ClientCertificateSummary", "ClientCertificateSummaryHal"),
                **COMMON_ERRORS,
                **BODY_ERRORS,
            },
        },
    },
    "/frontdoor/{frontdoorId}/client-certificates/{id}": {
        "parameters": params("frontdoorId", "id"),
        "get": {
            "operationId": "getClientCertificate",
            "summary": "Get a client certificate, with its PEM value",
            "parameters": params("accept"),
            "responses": {
                "200": one("The certificate", "ClientCertificate", "ClientCertificateHal"),
                **COMMON_ERRORS,
                **_NOT_FOUND,
            },
        },
        "patch": {
            "operationId": "updateClientCertificate",
            "summary": "Change only the fields given",
            "parameters": params("accept"),
            "requestBody": body("PatchClientCertificate"),
            "responses": {
                "200": one("The updated certificate", "ClientCertificate", "ClientCertificateHal"),
                **COMMON_ERRORS,
                **_NOT_FOUND,
                **BODY_ERRORS,
            },
        },
        "put": {
            "operationId": "replaceClientCertificate",
            "summary": "Replace the whole definition (name and value required)",
            "parameters": params("accept"),
            "requestBody": body("CreateClientCertificate"),
            "responses": {
                "200": one("The updated certificate", "ClientCertificate", "ClientCertificateHal"),
                **COMMON_ERRORS,
                **_NOT_FOUND,
                **BODY_ERRORS,
            },
        },
        "delete": {
            "operationId": "deleteClientCertificate",
            "summary": "Delete (soft): afterwards the id is 404 and leaves lists; shares keep referring to it",
            "responses": {"200": deleted_response("DeletedClientCertificate"), **COMMON_ERRORS, **_NOT_FOUND},
        },
    },
}

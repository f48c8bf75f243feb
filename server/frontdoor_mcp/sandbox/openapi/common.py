"""Building blocks of the OpenAPI document: references, content types, the shared schemas, parameters and
error responses, and the two page shapes (Spring Data's Page and its HAL PagedModel) every list has."""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]
_REF = "#/components"


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"{_REF}/{kind}/{name}"}


def json_content(schema: Doc) -> Doc:
    return {"application/json": {"schema": schema}}


def both_content(json_schema: Doc, hal_schema: Doc) -> Doc:
    return {"application/json": {"schema": json_schema}, "application/hal+json": {"schema": hal_schema}}


def error(description: str) -> Doc:
    return {"description": description, "content": json_content(ref("schemas", "Error"))}


STRING: Doc = {"type": "string"}
INTEGER: Doc = {"type": "integer"}
INSTANT: Doc = {"type": "string", "format": "date-time", "example": "2024-01-15T10:30:00Z"}
UUID: Doc = {"type": "string", "format": "uuid", "example": "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"}
NAME: Doc = {"type": "string", "minLength": 1, "maxLength": 255}
SELF_LINKS: Doc = {"type": "object", "required": ["self"], "properties": {"self": ref("schemas", "Link")}}
LOCATION: Doc = {"Location": {"schema": {"type": "string", "format": "uri"}}}


def with_links(schema_name: str) -> Doc:
    """`schema_name` plus the `_links` (self) a HAL representation adds."""
    return {"allOf": [ref("schemas", schema_name), {"type": "object", "properties": {"_links": SELF_LINKS}}]}


def deleted(id_schema: Doc) -> Doc:
    """The guide's delete body, shared by every soft-deleted resource."""
    return {
        "type": "object",
        "required": ["id", "name", "frontdoorId", "deletedAt", "deletedBy"],
        "properties": {"id": id_schema, "name": STRING, "frontdoorId": UUID, "deletedAt": INSTANT, "deletedBy": STRING},
    }


def page_schemas(prefix: str, item: str, hal_key: str) -> dict[str, Doc]:
    """`<prefix>Page` (Spring Data's Page as JSON) and `<prefix>PageHal` (PagedModel) of `item` schemas."""
    page_links = {rel: ref("schemas", "Link") for rel in ("first", "prev", "self", "next", "last")}
    return {
        f"{prefix}Page": {
            "type": "object",
            "description": "The guide's shape (`--paging guide`, the default); the sandbox's other paging variants "
            "(`spring-dto`, `hal`, `content-only`, `array`, `unpaged`: /_sandbox/paging) answer JSON in theirs.",
            "required": ["content", "pageable", "totalElements", "totalPages"],
            "properties": {
                "content": {"type": "array", "items": ref("schemas", item)},
                "pageable": {
                    "type": "object",
                    "required": ["pageNumber", "pageSize"],
                    "properties": {"pageNumber": INTEGER, "pageSize": INTEGER},
                },
                "totalElements": INTEGER,
                "totalPages": INTEGER,
            },
        },
        f"{prefix}PageHal": {
            "type": "object",
            "required": ["page", "_links"],
            "description": "`_embedded` is absent when the page is empty (Spring HATEOAS).",
            "properties": {
                "_embedded": {
                    "type": "object",
                    "properties": {hal_key: {"type": "array", "items": with_links(item)}},
                },
                "page": {
                    "type": "object",
                    "required": ["size", "totalElements", "totalPages", "number"],
                    "properties": {"size": INTEGER, "totalElements": INTEGER, "totalPages": INTEGER, "number": INTEGER},
                },
                "_links": {"type": "object", "required": ["self"], "properties": page_links},
            },
        },
    }


SCHEMAS: dict[str, Doc] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "examples": ["invalid_request", "unauthorized", "not_found", "conflict"]},
            "message": STRING,
        },
    },
    "Link": {"type": "object", "required": ["href"], "properties": {"href": {"type": "string", "format": "uri"}}},
}

PARAMETERS: dict[str, Doc] = {
    "frontdoorId": {"name": "frontdoorId", "in": "path", "required": True, "schema": UUID},
    "page": {
        "name": "page",
        "in": "query",
        "description": "Zero-based page; invalid or negative values read as 0.",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    "size": {
        "name": "size",
        "in": "query",
        "description": "Page size; invalid or < 1 reads as 20, larger than the largest page (2000 unless "
        "--max-page-size or /_sandbox/paging says otherwise) as that.",
        "schema": {"type": "integer", "minimum": 1, "default": 20},
    },
    "accept": {
        "name": "Accept",
        "in": "header",
        "schema": {"type": "string", "enum": ["application/json", "application/hal+json"]},
    },
    "admin": {"name": "X-Sandbox-Admin", "in": "header", "required": True, "schema": {"type": "string"}},
}


def sort_parameter(*properties: str) -> Doc:
    names = " and ".join(f"`{p}`" for p in properties)
    return {
        "name": "sort",
        "in": "query",
        "description": f"`property[,asc|desc]`, repeatable; properties {names}. Default createdAt,asc.",
        "schema": {"type": "array", "items": {"type": "string", "example": "name,asc"}},
        "style": "form",
        "explode": True,
    }


COMMON_ERRORS: Doc = {
    "400": error("invalid_request: `Value for <property> must be of <type>`, a missing or invalid field"),
    "401": {
        "description": "unauthorized: Bearer token is missing or invalid",
        "headers": {"WWW-Authenticate": {"schema": STRING}},
        "content": json_content(ref("schemas", "Error")),
    },
    "403": error("not_found: `Frontdoor <id> not found` (the token may not use this frontdoor)"),
    "406": error("not_acceptable: Accept names neither JSON nor HAL"),
}
BODY_ERRORS: Doc = {
    "413": error("payload_too_large: body above 1 MiB"),
    "415": error("unsupported_media_type: Content-Type is not JSON"),
}


def params(*names: str) -> list[Doc]:
    return [ref("parameters", n) for n in names]


def body(schema_name: str) -> Doc:
    return {"required": True, "content": json_content(ref("schemas", schema_name))}


def one(description: str, json_schema: str, hal_schema: str) -> Doc:
    return {
        "description": description,
        "content": both_content(ref("schemas", json_schema), ref("schemas", hal_schema)),
    }


def created(description: str, json_schema: str, hal_schema: str) -> Doc:
    return {**one(description, json_schema, hal_schema), "headers": LOCATION}


def deleted_response(schema_name: str) -> Doc:
    return {"description": "Deleted (soft)", "content": json_content(ref("schemas", schema_name))}

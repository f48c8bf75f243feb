"""What a client sends the model of each tool, kept lean: clients pass every tool's description and input
schema to the model in every conversation, so each byte here is paid for again and again.

From the schemas pydantic generates: titles go (the property name says it), an optional argument is shown
as its type (omitting it is how one says "none"), and an output schema keeps its structure without the
per-field prose (the model reads results, not their schema; the prose stays in the code), a value that may be
null shown as an optional property of one type (a null is left out of the result instead).
"""

from __future__ import annotations

from typing import Any, Final, cast

_NULL: Final = {"type": "null"}


def lean_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    slim = _without(schema, {"title"})
    properties = cast(dict[str, dict[str, Any]], slim.get("properties", {}))
    for name, prop in properties.items():
        properties[name] = _optional_as_its_type(prop)
    return slim


def lean_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Structure and types only: a program validates a result against them; defaults do not apply to results.
    A property that may be null is instead optional (`respond` leaves a null out of the structured content):
    no `type` arrays, which some clients' validators reject, and no `anyOf` but where several types remain."""
    return _optional_instead_of_null(_without(schema, {"title", "description", "default"}))


def _optional_instead_of_null(node: Any) -> Any:
    """`{"properties": {"x": {"anyOf": [X, {"type": "null"}]}}, "required": ["x"]}` -> `{"properties": {"x": X}}`:
    a value that may be null is left out instead (`without_nulls`). So are a map's null values
    (`additionalProperties`). A list's items keep their null arm: an item is never left out."""
    if isinstance(node, list):
        return [_optional_instead_of_null(item) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    schema = cast(dict[str, Any], node)
    rewritten: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            rewritten[key] = {name: _optional_instead_of_null(sub) for name, sub in cast(dict[str, Any], value).items()}
        else:
            rewritten[key] = _optional_instead_of_null(value)
    properties = cast(dict[str, dict[str, Any]], rewritten.get("properties", {}))
    nullable = [name for name, prop in properties.items() if _NULL in prop.get("anyOf", ())]
    for name in nullable:
        properties[name] = _without_null_arm(properties[name])
    if nullable and "required" in rewritten:
        required = [name for name in cast(list[str], rewritten["required"]) if name not in nullable]
        if required:
            rewritten["required"] = required
        else:
            del rewritten["required"]
    extra = rewritten.get("additionalProperties")
    if isinstance(extra, dict) and _NULL in cast(dict[str, Any], extra).get("anyOf", ()):
        rewritten["additionalProperties"] = _without_null_arm(cast(dict[str, Any], extra))
    return rewritten


def _without_null_arm(prop: dict[str, Any]) -> dict[str, Any]:
    rest = [arm for arm in cast(list[Any], prop["anyOf"]) if arm != _NULL]
    others = {key: value for key, value in prop.items() if key != "anyOf"}
    if len(rest) == 1:
        return {**cast(dict[str, Any], rest[0]), **others}
    return {**others, "anyOf": rest}


def without_nulls(value: Any) -> Any:
    """A structured result as it is sent: every null member of an object left out (its schema says optional,
    see `lean_output_schema`); list items are kept as they are."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in cast(dict[str, Any], value).items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) if isinstance(item, dict | list) else item for item in cast(list[Any], value)]
    return value


def _optional_as_its_type(prop: dict[str, Any]) -> dict[str, Any]:
    """`{"anyOf": [X, {"type": "null"}], "default": null, ...}` -> `{...X, ...}`: an argument that may be
    left out. Validation still accepts an explicit null."""
    arms = prop.get("anyOf")
    if not isinstance(arms, list) or _NULL not in arms or prop.get("default") is not None:
        return prop
    rest = [arm for arm in cast(list[Any], arms) if arm != _NULL]
    if len(rest) != 1:
        return prop
    merged = {key: value for key, value in prop.items() if key not in ("anyOf", "default")}
    return {**cast(dict[str, Any], rest[0]), **merged}


def _without(node: Any, keys: set[str]) -> Any:
    """`node` with `keys` removed from every schema object in it. A property that happens to be named like a
    key (a field called "title") is kept: inside `properties`, the names are data, not keywords."""
    if isinstance(node, list):
        return [_without(item, keys) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    cleaned: dict[str, Any] = {}
    for key, value in cast(dict[str, Any], node).items():
        if key in keys:
            continue
        if key in ("properties", "$defs"):
            cleaned[key] = {name: _without(sub, keys) for name, sub in cast(dict[str, Any], value).items()}
        else:
            cleaned[key] = _without(value, keys)
    return cleaned

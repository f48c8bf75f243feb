"""What a client sends the model of each tool, kept lean: clients pass every tool's description and input
schema to the model in every conversation, so each byte here is paid for again and again.

From the schemas pydantic generates: titles go (the property name says it), an optional argument is shown
as its type (omitting it is how one says "none"), and an output schema keeps its structure without the
per-field prose (the model reads results, not their schema; the prose stays in the code).
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
    """Structure and types only: a program validates a result against them; defaults do not apply to results."""
    return _types_as_lists(_without(schema, {"title", "description", "default"}))


def _types_as_lists(node: Any) -> Any:
    """`{"anyOf": [{"type": "integer"}, {"type": "null"}]}` -> `{"type": ["integer", "null"]}`: the same
    schema, shorter. Only arms that are nothing but a type (and at most one `format`) are merged."""
    if isinstance(node, list):
        return [_types_as_lists(item) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    merged = {key: _types_as_lists(value) for key, value in cast(dict[str, Any], node).items()}
    arms = merged.get("anyOf")
    if isinstance(arms, list) and all(_plain_type(arm) for arm in cast(list[Any], arms)):
        typed = cast(list[dict[str, Any]], arms)
        formats = [arm["format"] for arm in typed if "format" in arm]
        if len(formats) <= 1:
            del merged["anyOf"]
            merged["type"] = [arm["type"] for arm in typed]
            if formats:
                merged["format"] = formats[0]
    return merged


def _plain_type(arm: Any) -> bool:
    if not isinstance(arm, dict):
        return False
    keys = cast(dict[str, Any], arm)
    return isinstance(keys.get("type"), str) and set(keys) <= {"type", "format"}


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

"""What a run measured: rows of raw samples, each with how it compares and its target; saved as JSON.

A row keeps every raw sample (subject, reference, and the per-round comparison computed from them), so
`report` derives every figure from the samples and `compare.py` can set two runs side by side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

from stats import Spread, differences, ratios, spread

FORMAT: Final = "frontdoor-mcp-benchmarks/1"

Unit = Literal["ms", "s", "MiB", "x", "count", "%"]
"""Samples are stored in the unit they are shown in."""
ComparisonKind = Literal["difference", "ratio", "speedup"]
"""difference: subject - reference; ratio: subject / reference; speedup: reference / subject (per round)."""
UNITS: Final[tuple[Unit, ...]] = ("ms", "s", "MiB", "x", "count", "%")
KINDS: Final[tuple[ComparisonKind, ...]] = ("difference", "ratio", "speedup")


@dataclass(frozen=True)
class Series:
    """The raw samples of one side of a row, one per round (or per call)."""

    label: str
    unit: Unit
    samples: list[float]

    def spread(self) -> Spread:
        return spread(self.samples)


@dataclass(frozen=True)
class Comparison:
    """The per-round comparison of subject and reference; the row's figure is the median of these."""

    kind: ComparisonKind
    unit: Unit
    samples: list[float]

    def spread(self) -> Spread:
        return spread(self.samples)


@dataclass(frozen=True)
class Target:
    """`op value`, applied to the median of the row's headline figure."""

    op: Literal["<=", ">="]
    value: float
    unit: Unit

    def met(self, value: float) -> bool:
        return value <= self.value if self.op == "<=" else value >= self.value


@dataclass(frozen=True)
class Row:
    """One line of the table. `na` (a reason) replaces the figures of a measure that could not be made;
    `for_scale` rows compare unlike work and carry no target; `subject_is_ours` is False when the subject
    is not frontdoor-mcp (the echo floors), so the table shows it beside the reference instead."""

    key: str
    measure: str
    subject: Series | None = None
    reference: Series | None = None
    comparison: Comparison | None = None
    target: Target | None = None
    for_scale: bool = False
    subject_is_ours: bool = True
    na: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if self.for_scale and self.target is not None:
            raise ValueError(f"{self.key}: a row for scale carries no target")

    def headline(self) -> Series | Comparison | None:
        """The figure the target is about: the comparison if there is one, else the subject."""
        if self.na is not None:
            return None
        return self.comparison or self.subject or self.reference

    def met(self) -> bool | None:
        figure = self.headline()
        if self.target is None or figure is None:
            return None
        return self.target.met(figure.spread().median)


def paired(
    key: str,
    measure: str,
    subject: Series,
    reference: Series,
    kind: ComparisonKind,
    *,
    unit: Unit | None = None,
    target: Target | None = None,
    for_scale: bool = False,
    subject_is_ours: bool = True,
    note: str | None = None,
) -> Row:
    """A row whose comparison is computed round by round from samples taken side by side."""
    if kind == "difference":
        values = differences(subject.samples, reference.samples)
    elif kind == "ratio":
        values = ratios(subject.samples, reference.samples)
    else:
        values = ratios(reference.samples, subject.samples)
    comparison = Comparison(kind, unit or (subject.unit if kind == "difference" else "x"), values)
    return Row(key, measure, subject, reference, comparison, target, for_scale, subject_is_ours, None, note)


def counted(n: int, word: str, plural: str | None = None) -> str:
    """`1 round`, `3 rounds`."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {plural or word + 's'}"


def not_available(key: str, measure: str, reason: str, target: Target | None = None) -> Row:
    return Row(key, measure, target=target, na=reason)


@dataclass
class Run:
    """A whole run: where and how it ran (`meta`, JSON values only), the rows, and the printed report."""

    meta: dict[str, Any]
    rows: list[Row] = field(default_factory=lambda: list[Row]())

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "meta": self.meta, "rows": [_row_json(row) for row in self.rows]}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")


def load(path: Path) -> Run:
    """A run saved by `Run.save`; ValueError if the file is not one."""
    data: Any = json.loads(path.read_text())
    if not isinstance(data, dict) or cast(dict[str, Any], data).get("format") != FORMAT:
        raise ValueError(f"{path}: not a benchmark run saved in the format {FORMAT}")
    body = cast(dict[str, Any], data)
    meta = body.get("meta")
    rows = body.get("rows")
    if not isinstance(meta, dict) or not isinstance(rows, list):
        raise ValueError(f"{path}: no meta or rows")
    return Run(cast(dict[str, Any], meta), [_row_from_json(item) for item in cast(list[Any], rows)])


def _row_json(row: Row) -> dict[str, Any]:
    def series(value: Series | Comparison | None) -> dict[str, Any] | None:
        if value is None:
            return None
        if isinstance(value, Series):
            return {"label": value.label, "unit": value.unit, "samples": value.samples}
        return {"kind": value.kind, "unit": value.unit, "samples": value.samples}

    target = None if row.target is None else {"op": row.target.op, "value": row.target.value, "unit": row.target.unit}
    return {
        "key": row.key,
        "measure": row.measure,
        "subject": series(row.subject),
        "reference": series(row.reference),
        "comparison": series(row.comparison),
        "target": target,
        "for_scale": row.for_scale,
        "subject_is_ours": row.subject_is_ours,
        "na": row.na,
        "note": row.note,
        "met": row.met(),
    }


def _row_from_json(item: Any) -> Row:
    if not isinstance(item, dict):
        raise ValueError("a row must be a JSON object")
    obj = cast(dict[str, Any], item)
    target = obj.get("target")
    return Row(
        key=str(obj["key"]),
        measure=str(obj["measure"]),
        subject=_series_from_json(obj.get("subject")),
        reference=_series_from_json(obj.get("reference")),
        comparison=_comparison_from_json(obj.get("comparison")),
        target=None if not isinstance(target, dict) else _target_from_json(cast(dict[str, Any], target)),
        for_scale=bool(obj.get("for_scale", False)),
        subject_is_ours=bool(obj.get("subject_is_ours", True)),
        na=None if obj.get("na") is None else str(obj["na"]),
        note=None if obj.get("note") is None else str(obj["note"]),
    )


def _samples(obj: dict[str, Any]) -> list[float]:
    values = obj.get("samples")
    if not isinstance(values, list):
        raise ValueError("samples must be a list")
    return [float(v) for v in cast(list[Any], values)]


def _unit(value: Any) -> Unit:
    for unit in UNITS:
        if value == unit:
            return unit
    raise ValueError(f"unknown unit {value!r}")


def _series_from_json(value: Any) -> Series | None:
    if not isinstance(value, dict):
        return None
    obj = cast(dict[str, Any], value)
    return Series(str(obj.get("label", "")), _unit(obj.get("unit")), _samples(obj))


def _comparison_from_json(value: Any) -> Comparison | None:
    if not isinstance(value, dict):
        return None
    obj = cast(dict[str, Any], value)
    for kind in KINDS:
        if kind == obj.get("kind"):
            return Comparison(kind, _unit(obj.get("unit")), _samples(obj))
    raise ValueError(f"unknown comparison kind {obj.get('kind')!r}")


def _target_from_json(obj: dict[str, Any]) -> Target:
    op = obj.get("op")
    if op not in ("<=", ">="):
        raise ValueError(f"unknown target operator {op!r}")
    return Target("<=" if op == "<=" else ">=", float(obj["value"]), _unit(obj.get("unit")))

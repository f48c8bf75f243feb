"""The printed report: where and how the run was made, the markdown table, and a line per unmet target.

Every figure is shown as `median [p10–p90]` of its raw samples; a difference or ratio is the median of the
per-round differences or ratios, with their own p10–p90.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from results import Comparison, Row, Run, Series, Target, Unit
from stats import Spread

_HEADER: Final = ("measure", "frontdoor-mcp", "reference", "difference or ratio", "target", "met")
LEGEND: Final = (
    "Each figure is `median [p10–p90]` over the rounds or calls named; a difference or ratio is the median "
    "[p10–p90] of the per-round differences or ratios (the two sides of a round were measured side by side, "
    "in a random order). Rows marked *for scale* compare unlike work and carry no target. A target is met when "
    'the median meets it; "spread crosses the target" says the target lies between p10 and p90.'
)


def value(number: float, unit: Unit, *, signed: bool = False, bare: bool = False) -> str:
    """`number` shown in `unit`; `bare`: without the unit's symbol (inside a spread that follows it)."""
    sign = "+" if signed else ""
    if unit == "x":
        shown = f"{number:.2f}" if abs(number) < 10 else f"{number:.1f}"
        return shown if bare else f"×{shown}"
    if unit == "ms":
        shown = f"{number:{sign}.{2 if abs(number) < 10 else 1}f}"
    elif unit == "s":
        shown = f"{number:{sign}.{3 if abs(number) < 1 else 2}f}"
    elif unit in ("MiB", "%"):
        shown = f"{number:{sign}.1f}"
    else:
        shown = f"{number:{sign},.0f}"
    return shown if bare or unit == "count" else f"{shown} {unit}"


def resolution(number: float, unit: Unit) -> float:
    """The smallest step `value` shows for `number`: two figures closer than this print the same."""
    if unit in ("ms", "x"):
        return 0.01 if abs(number) < 10 else 0.1
    if unit == "s":
        return 0.001 if abs(number) < 1 else 0.01
    if unit in ("MiB", "%"):
        return 0.1
    return 1.0


def figure(spread: Spread, unit: Unit, *, signed: bool = False) -> str:
    """`median [p10–p90]`, the unit shown once."""
    middle = value(spread.median, unit, signed=signed)
    if spread.n == 1:
        return f"{middle} (1 sample)"
    low, high = value(spread.p10, unit, signed=signed, bare=True), value(spread.p90, unit, signed=signed, bare=True)
    return f"{middle} [{low} – {high}]"


def series_cell(series: Series) -> str:
    shown = figure(series.spread(), series.unit)
    return f"{series.label} {shown}" if series.label else shown


def comparison_cell(comparison: Comparison) -> str:
    shown = figure(comparison.spread(), comparison.unit, signed=comparison.kind == "difference")
    if comparison.kind == "speedup":
        return f"{shown} faster"
    return shown


def target_cell(target: Target) -> str:
    op = "≤" if target.op == "<=" else "≥"
    signed = target.unit in ("ms", "MiB") and target.value > 0
    return f"{op} {value(target.value, target.unit, signed=signed)}"


def crosses(row: Row) -> bool:
    """Whether the target lies inside the p10–p90 spread of the row's headline samples: met or not at the
    median, a good share of the rounds said the opposite."""
    headline = row.headline()
    if row.target is None or headline is None:
        return False
    spread = headline.spread()
    return spread.n > 1 and spread.p10 < row.target.value < spread.p90


def verdict(row: Row) -> str:
    if row.na is not None:
        return "n/a" if row.target is not None else "—"
    met = row.met()
    if met is None:
        return "—"
    shown = "yes" if met else "**NO**"
    return f"{shown} (spread crosses the target)" if crosses(row) else shown


def cells(row: Row, note_number: int | None = None) -> tuple[str, str, str, str, str, str]:
    measure = f"for scale: {row.measure}" if row.for_scale else row.measure
    if note_number is not None:
        measure = f"{measure} (note {note_number})"
    target = "for scale" if row.for_scale else ("—" if row.target is None else target_cell(row.target))
    if row.na is not None:
        return (measure, f"n/a: {row.na}", "—", "—", target, verdict(row))
    ours = "—"
    others: list[str] = []
    if row.subject is not None:
        if row.subject_is_ours:
            ours = series_cell(row.subject)
        else:
            others.append(series_cell(row.subject))
    if row.reference is not None:
        others.append(series_cell(row.reference))
    joined = " vs ".join(others) if others else "—"
    difference = "—" if row.comparison is None else comparison_cell(row.comparison)
    return (measure, ours, joined, difference, target, verdict(row))


def table(rows: Sequence[Row]) -> tuple[str, list[str]]:
    """The markdown table, and the numbered notes its rows refer to."""
    lines = [_line(_HEADER), "|" + "---|" * len(_HEADER)]
    notes: list[str] = []
    for row in rows:
        number = None
        if row.note:
            notes.append(row.note)
            number = len(notes)
        lines.append(_line(cells(row, number)))
    return "\n".join(lines), [f"{number}. {note}" for number, note in enumerate(notes, start=1)]


def unmet(rows: Sequence[Row]) -> list[str]:
    """One line per target not met, and per targeted measure that could not be made."""
    lines: list[str] = []
    for row in rows:
        if row.target is None:
            continue
        if row.na is not None:
            lines.append(f"- Not measured: {row.measure}: {row.na} (target {target_cell(row.target)}).")
            continue
        headline = row.headline()
        if headline is None:
            continue
        shown = comparison_cell(headline) if isinstance(headline, Comparison) else series_cell(headline)
        if row.met() is False:
            lines.append(f"- **Not met**: {row.measure}: {shown.strip()}; target {target_cell(row.target)}.")
        elif crosses(row):
            lines.append(
                f"- Met at the median, but the target lies inside the samples' p10–p90: {row.measure}: "
                f"{shown.strip()}; target {target_cell(row.target)}."
            )
    return lines


def render(run: Run) -> str:
    meta: dict[str, Any] = run.meta
    header = [str(line) for line in meta.get("header", [])]
    shown, notes = table(run.rows)
    parts = ["\n".join(f"- {line}" for line in header), LEGEND, shown]
    if notes:
        parts.append("Notes:\n\n" + "\n".join(notes))
    misses = unmet(run.rows)
    parts.append("\n".join(misses) if misses else "Every target with a figure is met.")
    footer = [str(line) for line in meta.get("footer", [])]
    if footer:
        parts.append("\n".join(footer))
    return "\n\n".join(parts) + "\n"


def _line(row: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"

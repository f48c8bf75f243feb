"""Whether two benchmark runs agree: per measure, do the p10-p90 intervals of the two runs overlap?

    uv run python benchmarks/compare.py RUN1.json RUN2.json

Both files come from `run.py --json`. Per measure, the verdict is about its headline figure: the per-round
difference or ratio where the row has one (what its target is about), else the measured value. The two
runs agree when the p10-p90 intervals of that figure overlap, each widened by the last digit the table
shows (so two figures that print the same never disagree). The absolute figures beside it (frontdoor-mcp's,
the reference's) are compared the same way and listed when they moved: a machine that got slower moves
those while the ratios hold. A timing measured once has no spread and is not judged; a measure that is
n/a in either run, or is in one run only, is said so. Exit status: 1 when some measure disagrees, else 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

import report
from results import Comparison, Row, Run, Series, load
from stats import Spread

_TIMES: Final = ("ms", "s")


def figures(row: Row) -> list[tuple[str, Series | Comparison]]:
    """The row's absolute figures, named."""
    found: list[tuple[str, Series | Comparison]] = []
    if row.subject is not None:
        found.append(("frontdoor-mcp" if row.subject_is_ours else row.subject.label or "measured", row.subject))
    if row.reference is not None:
        found.append((row.reference.label.rstrip(":") or "reference", row.reference))
    return found


def shown(figure: Series | Comparison) -> str:
    signed = isinstance(figure, Comparison) and figure.kind == "difference"
    return report.figure(figure.spread(), figure.unit, signed=signed)


def agree(one: Series | Comparison, two: Series | Comparison) -> bool | None:
    """Whether the p10-p90 intervals overlap, widened by the shown resolution; None when either is a single
    timing (no spread to judge by) or the units differ."""
    if one.unit != two.unit:
        return None
    first, second = one.spread(), two.spread()
    if one.unit in _TIMES and min(first.n, second.n) < 2:
        return None
    return _widened(first, one).overlaps(_widened(second, two))


def _widened(spread: Spread, figure: Series | Comparison) -> Spread:
    low = spread.p10 - report.resolution(spread.p10, figure.unit) / 2
    high = spread.p90 + report.resolution(spread.p90, figure.unit) / 2
    return Spread(spread.median, low, high, spread.n)


def compare_rows(first: Row, second: Row) -> tuple[str, str, str, bool | None]:
    """The two runs' headline figures, a verdict, and whether they agree (None: not judged)."""
    if first.na is not None or second.na is not None:
        one = f"n/a: {first.na}" if first.na else _headline(first)
        two = f"n/a: {second.na}" if second.na else _headline(second)
        return one, two, "not compared (n/a)", None
    one, two = first.headline(), second.headline()
    if one is None or two is None:
        return _headline(first), _headline(second), "not compared", None
    verdict = agree(one, two)
    moved = [
        name
        for (name, a), (_, b) in zip(figures(first), figures(second), strict=False)
        if (a is not one) and agree(a, b) is False
    ]
    text = {None: "not judged (a single timing has no spread)", True: "agree", False: "**DISAGREE**"}[verdict]
    if moved:
        text += f"; moved beyond their spreads: {', '.join(moved)}"
    return shown(one), shown(two), text, verdict


def _headline(row: Row) -> str:
    headline = row.headline()
    return "—" if headline is None else shown(headline)


def compare(first: Run, second: Run) -> tuple[str, bool]:
    """A markdown table of the measures of both runs, and whether every judged measure agrees."""
    lines = [
        "| measure | run 1 | run 2 | verdict |",
        "|---|---|---|---|",
    ]
    by_key = {row.key: row for row in second.rows}
    all_agree = True
    for row in first.rows:
        other = by_key.pop(row.key, None)
        if other is None:
            lines.append(f"| {row.measure} | {_headline(row)} | (not in run 2) | not compared |")
            continue
        one, two, verdict, agreed = compare_rows(row, other)
        all_agree = all_agree and agreed is not False
        lines.append(f"| {row.measure} | {one} | {two} | {verdict} |")
    for row in by_key.values():
        lines.append(f"| {row.measure} | (not in run 1) | {_headline(row)} | not compared |")
    return "\n".join(lines), all_agree


def _seed(run: Run) -> str:
    return str(run.meta.get("seed", "?"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", type=Path, help="a run saved by `run.py --json`")
    parser.add_argument("second", type=Path, help="another run saved by `run.py --json`")
    args = parser.parse_args(argv)
    try:
        first, second = load(args.first), load(args.second)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"compare.py: {exc}", file=sys.stderr)
        return 2
    text, all_agree = compare(first, second)
    print(f"Run 1: {args.first} (seed {_seed(first)}); run 2: {args.second} (seed {_seed(second)}).")
    if bool(first.meta.get("quick")) != bool(second.meta.get("quick")):
        print("Warning: one run is --quick and the other is not; their figures measure different sizes.")
    print(
        "Each cell: the measure's headline figure, median [p10–p90]. Two runs agree on a measure when those "
        "intervals overlap."
    )
    print()
    print(text)
    print()
    print("Every judged measure agrees." if all_agree else "Some measures disagree beyond their spreads.")
    return 0 if all_agree else 1


if __name__ == "__main__":
    raise SystemExit(main())

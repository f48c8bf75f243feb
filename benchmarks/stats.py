"""Order statistics of the benchmark samples: every figure is a median with its p10-p90 spread."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def median(samples: Sequence[float]) -> float:
    return float(statistics.median(samples))


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of the samples at or below it.
    With 3 samples p10 is the smallest and p90 the largest: a few samples give a wide, honest spread."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


@dataclass(frozen=True)
class Spread:
    """The median of some samples and the p10-p90 interval around it."""

    median: float
    p10: float
    p90: float
    n: int

    def overlaps(self, other: Spread) -> bool:
        """Whether the two p10-p90 intervals share a point: the two figures agree within their spreads."""
        return self.p10 <= other.p90 and other.p10 <= self.p90


def spread(samples: Sequence[float]) -> Spread:
    if not samples:
        raise ValueError("a spread needs at least one sample")
    return Spread(median(samples), percentile(samples, 0.10), percentile(samples, 0.90), len(samples))


def differences(subject: Sequence[float], reference: Sequence[float]) -> list[float]:
    """Per-round subject - reference (samples taken side by side, in the same round)."""
    return [s - r for s, r in zip(subject, reference, strict=True)]


def ratios(subject: Sequence[float], reference: Sequence[float]) -> list[float]:
    """Per-round subject / reference."""
    return [s / r for s, r in zip(subject, reference, strict=True)]

"""Order statistics for the benchmark samples, and the paired comparisons the table reports."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def median(samples: Sequence[float]) -> float:
    return float(statistics.median(samples))


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of the samples at or below it."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Paired:
    """Interleaved samples of a subject (ours) and a reference, taken in rounds: subject[i] beside reference[i]."""

    subject: list[float]
    reference: list[float]

    def __post_init__(self) -> None:
        if not self.subject or len(self.subject) != len(self.reference):
            raise ValueError("paired samples need the same, non-zero number of subject and reference samples")

    @property
    def runs(self) -> int:
        return len(self.subject)

    def median_difference(self) -> float:
        """Median over rounds of subject - reference: robust to drift in machine load during the run."""
        return median([s - r for s, r in zip(self.subject, self.reference, strict=True)])

    def median_ratio(self) -> float:
        """Median over rounds of subject / reference."""
        return median([s / r for s, r in zip(self.subject, self.reference, strict=True)])

"""Rounds of interleaved samples: in each round every compared action runs once, in a fresh random order,
so neither a drift in machine load nor a fixed position in the round (after whom, on which cache) favours
one side. Every sample is kept; nothing is averaged here."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from random import Random

Action = Callable[[], float]
"""Runs the thing once and returns the seconds that count (an action may time only part of what it does)."""


def timed(action: Callable[[], object]) -> Action:
    """An Action timing the whole call with the monotonic high-resolution clock."""

    def run() -> float:
        started = time.perf_counter()
        action()
        return time.perf_counter() - started

    return run


def interleaved(
    actions: Mapping[str, Action],
    rounds: int,
    rng: Random,
    *,
    warmup: int = 0,
    budget_s: float | None = None,
    min_rounds: int = 1,
) -> dict[str, list[float]]:
    """`rounds` rounds of every action in a random order each (samples by name, in round order), after
    `warmup` discarded rounds. With `budget_s`, no round starts once that many seconds have gone, after at
    least `min_rounds`: the caller reports how many rounds there were, not how many were asked for."""
    names = list(actions)
    for _ in range(warmup):
        for name in _shuffled(names, rng):
            actions[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    started = time.monotonic()
    for done in range(rounds):
        if budget_s is not None and done >= min_rounds and time.monotonic() - started > budget_s:
            break
        for name in _shuffled(names, rng):
            samples[name].append(actions[name]())
    return samples


def _shuffled(names: list[str], rng: Random) -> list[str]:
    order = list(names)
    rng.shuffle(order)
    return order

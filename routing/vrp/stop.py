"""Stopping criteria for the routing engines, composable with ``|`` (either) and ``&`` (both).

A criterion is an immutable, picklable description; :meth:`StopCriterion.start` makes a fresh
checker, called once per search iteration with the best cost so far and returning True to stop
(the protocol PyVRP's solvers use). Runtime is measured from the ``t0`` given to ``start`` so that
several solver processes share one wall-clock budget. Iteration-based criteria give reproducible
results; runtime-based ones do not.

>>> stop = MaxRuntime(10) | NoImprovement(2)
>>> check = stop.start()
>>> [check(5), check(5), check(5)]
[False, False, True]
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

Checker = Callable[[float], bool]


def now() -> float:
    """The clock runtimes are measured on (monotonic; shared by processes on one machine)."""
    return time.monotonic()


class StopCriterion(ABC):
    @abstractmethod
    def start(self, t0: float | None = None) -> Checker:
        """A fresh checker; runtime counts from ``t0`` (default: now)."""

    @abstractmethod
    def max_runtime_s(self) -> float | None:
        """An upper bound on the runtime this criterion allows, or None when unbounded."""

    @abstractmethod
    def max_iterations(self) -> int | None:
        """An upper bound on the iterations this criterion allows, or None when unbounded."""

    def in_process(self) -> bool:
        """Whether the criterion must be checked in the caller's process (it reads state that
        a forked search would only hold a copy of, e.g. a cancel flag): searches then run one
        after another there instead of in processes of their own."""
        return False

    def with_iterations(self, iterations: int) -> StopCriterion:
        """This criterion with its iteration limit set to ``iterations`` (a share of a work
        limit); one without an iteration limit of its own is kept as it is."""
        return self

    def __or__(self, other: StopCriterion) -> StopCriterion:
        return AnyOf((self, other))

    def __and__(self, other: StopCriterion) -> StopCriterion:
        return AllOf((self, other))


@dataclass(frozen=True)
class MaxRuntime(StopCriterion):
    """Stop once ``seconds`` of wall-clock time have passed."""

    seconds: float

    def __post_init__(self) -> None:
        if not (self.seconds >= 0 and math.isfinite(self.seconds)):
            raise ValueError(f"MaxRuntime: seconds must be finite and >= 0, got {self.seconds}")

    def start(self, t0: float | None = None) -> Checker:
        deadline = (now() if t0 is None else t0) + self.seconds
        return lambda _cost: now() >= deadline

    def max_runtime_s(self) -> float | None:
        return self.seconds

    def max_iterations(self) -> int | None:
        return None


@dataclass(frozen=True)
class MaxIterations(StopCriterion):
    """Stop after ``count`` iterations (reproducible: a work limit, not a time limit)."""

    count: int

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError(f"MaxIterations: count must be >= 0, got {self.count}")

    def start(self, t0: float | None = None) -> Checker:
        done = 0

        def check(_cost: float) -> bool:
            nonlocal done
            done += 1
            return done > self.count

        return check

    def max_runtime_s(self) -> float | None:
        return None

    def max_iterations(self) -> int | None:
        return self.count

    def with_iterations(self, iterations: int) -> StopCriterion:
        return MaxIterations(iterations)


@dataclass(frozen=True)
class NoImprovement(StopCriterion):
    """Stop after ``iterations`` consecutive iterations without a better best cost."""

    iterations: int

    def __post_init__(self) -> None:
        if self.iterations < 0:
            raise ValueError(f"NoImprovement: iterations must be >= 0, got {self.iterations}")

    def start(self, t0: float | None = None) -> Checker:
        best = math.inf
        stale = 0

        def check(cost: float) -> bool:
            nonlocal best, stale
            if cost < best:
                best, stale = cost, 0
            else:
                stale += 1
            return stale >= self.iterations

        return check

    def max_runtime_s(self) -> float | None:
        return None

    def max_iterations(self) -> int | None:
        return None


@dataclass(frozen=True)
class AnyOf(StopCriterion):
    """Stop as soon as any part says stop."""

    parts: tuple[StopCriterion, ...]

    def start(self, t0: float | None = None) -> Checker:
        checks = [p.start(t0) for p in self.parts]
        # Every part sees every iteration, so stateful parts keep counting correctly.
        return lambda cost: any([c(cost) for c in checks])

    def in_process(self) -> bool:
        return any(p.in_process() for p in self.parts)

    def max_runtime_s(self) -> float | None:
        bounds = [b for p in self.parts if (b := p.max_runtime_s()) is not None]
        return min(bounds) if bounds else None

    def max_iterations(self) -> int | None:
        bounds = [b for p in self.parts if (b := p.max_iterations()) is not None]
        return min(bounds) if bounds else None


@dataclass(frozen=True)
class AllOf(StopCriterion):
    """Stop once every part says stop."""

    parts: tuple[StopCriterion, ...]

    def start(self, t0: float | None = None) -> Checker:
        checks = [p.start(t0) for p in self.parts]
        return lambda cost: all([c(cost) for c in checks])

    def in_process(self) -> bool:
        return any(p.in_process() for p in self.parts)

    def max_runtime_s(self) -> float | None:
        bounds = [p.max_runtime_s() for p in self.parts]
        return None if any(b is None for b in bounds) else max(b for b in bounds if b is not None)

    def max_iterations(self) -> int | None:
        bounds = [p.max_iterations() for p in self.parts]
        if any(b is None for b in bounds):
            return None
        return max(b for b in bounds if b is not None)


def work_limit(*, time_limit_s: float, iterations: int | None) -> StopCriterion:
    """An iteration limit when given (reproducible), else a wall-clock limit (not reproducible)."""
    return MaxRuntime(time_limit_s) if iterations is None else MaxIterations(iterations)


def with_runtime(stop: StopCriterion, runtime_s: float | None) -> StopCriterion:
    """``stop`` with each wall-clock limit in it set to ``runtime_s`` (a share of its budget);
    None keeps them. Iteration limits and every other part (e.g. NoImprovement) are kept."""
    return with_limits(stop, runtime_s=runtime_s)


def runtime_share(
    stop: StopCriterion, *, t0: float, weight: float, weight_left: float, floor_s: float
) -> StopCriterion:
    """One part's share of what is left of ``stop``'s runtime since ``t0``: ``weight`` out of the
    ``weight_left`` of the parts still to run (this one included), at least ``floor_s``;
    ``stop`` without a runtime limit is kept as it is."""
    budget = stop.max_runtime_s()
    if budget is None:
        return with_runtime(stop, None)
    left = max(budget - (now() - t0), 0.0)
    return with_runtime(stop, max(left * weight / max(weight_left, 1.0), floor_s))


def with_limits(
    stop: StopCriterion, *, runtime_s: float | None = None, iterations: int | None = None
) -> StopCriterion:
    """``stop`` rebuilt with each MaxRuntime set to ``runtime_s`` and each iteration limit
    to ``iterations`` (``with_iterations``: MaxIterations, or a caller's own criterion that
    counts iterations); None keeps that kind as it is. Any other criterion is kept as given,
    so splitting a budget never drops a condition."""
    if isinstance(stop, MaxRuntime) and runtime_s is not None:
        return MaxRuntime(runtime_s)
    if isinstance(stop, AnyOf | AllOf):
        parts = tuple(
            with_limits(p, runtime_s=runtime_s, iterations=iterations) for p in stop.parts
        )
        return type(stop)(parts)
    return stop if iterations is None else stop.with_iterations(iterations)

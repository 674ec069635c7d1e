"""Learning-rate schedules, built as IR from the step counter so the whole train step stays one graph.

A schedule is a callable ``schedule(step: Value) -> Value`` (``step`` is the float32 scalar count of updates
already applied, starting at 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphc import dsl as G
from graphc.ir.graph import Value

Schedule = Callable[[Value], Value]


@dataclass(frozen=True)
class constant:
    """``lr`` at every step."""

    lr: float

    def __call__(self, step: Value) -> Value:
        return G.constant(self.lr, step.dtype, graph=step.graph)


@dataclass(frozen=True)
class step_decay:
    """``lr · factor^floor(step / every)``: multiply by ``factor`` every ``every`` steps."""

    lr: float
    factor: float
    every: int

    def __call__(self, step: Value) -> Value:
        return self.lr * G.pow(G.constant(self.factor, step.dtype, graph=step.graph), G.floor(step / float(self.every)))


@dataclass(frozen=True)
class exponential_decay:
    """``lr · rate^(step / decay_steps)`` (``staircase``: the exponent is floored)."""

    lr: float
    rate: float
    decay_steps: int
    staircase: bool = False

    def __call__(self, step: Value) -> Value:
        e = step / float(self.decay_steps)
        if self.staircase:
            e = G.floor(e)
        return self.lr * G.pow(G.constant(self.rate, step.dtype, graph=step.graph), e)


def as_schedule(lr: float | Schedule) -> Schedule:
    """A schedule from a number (constant) or itself."""
    return constant(float(lr)) if isinstance(lr, int | float) else lr

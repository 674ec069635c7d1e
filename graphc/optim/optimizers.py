"""Optimizers as graph builders: each update rule is IR, so forward, backward and update compile as one step.

An optimizer declares per-parameter slots (state such as momentum buffers, initialised to zeros) and emits,
for one parameter, its new value and new slot values from the gradient, the learning rate and the step count.
Weight decay (L2, added to the gradient as ``wd · w``) is available on every optimizer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from graphc import dsl as G
from graphc.ir.graph import Value
from graphc.optim.schedules import Schedule, as_schedule


@dataclass
class Optimizer:
    """Base class. ``lr`` is a number or a schedule (:mod:`graphc.optim.schedules`)."""

    lr: float | Schedule = 0.01
    weight_decay: float = 0.0
    slot_names: tuple[str, ...] = field(default=(), init=False)

    @property
    def schedule(self) -> Schedule:
        return as_schedule(self.lr)

    def apply(
        self, param: Value, grad: Value, slots: Mapping[str, Value], lr: Value, step: Value
    ) -> tuple[Value, dict[str, Value]]:
        """New value of ``param`` and of its slots. ``step`` counts updates already applied (0 first)."""
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        return self.update(param, grad, slots, lr, step)

    def update(
        self, param: Value, grad: Value, slots: Mapping[str, Value], lr: Value, step: Value
    ) -> tuple[Value, dict[str, Value]]:
        raise NotImplementedError


@dataclass
class SGD(Optimizer):
    """``w ← w − lr · g``."""

    def update(self, param, grad, slots, lr, step):  # type: ignore[no-untyped-def, override]
        return param - lr * grad, {}


@dataclass
class Momentum(Optimizer):
    """Heavy-ball momentum ``v ← μ·v + g; w ← w − lr·v``; with ``nesterov``: ``w ← w − lr·(g + μ·v)``."""

    momentum: float = 0.9
    nesterov: bool = False

    def __post_init__(self) -> None:
        self.slot_names = ("velocity",)

    def update(self, param, grad, slots, lr, step):  # type: ignore[no-untyped-def, override]
        v = self.momentum * slots["velocity"] + grad
        direction = grad + self.momentum * v if self.nesterov else v
        return param - lr * direction, {"velocity": v}


@dataclass
class Adagrad(Optimizer):
    """``s ← s + g²; w ← w − lr · g / (√s + ε)``."""

    eps: float = 1e-8

    def __post_init__(self) -> None:
        self.slot_names = ("sum_sq",)

    def update(self, param, grad, slots, lr, step):  # type: ignore[no-untyped-def, override]
        s = slots["sum_sq"] + grad * grad
        return param - lr * grad / (G.sqrt(s) + self.eps), {"sum_sq": s}


@dataclass
class RMSProp(Optimizer):
    """``s ← ρ·s + (1−ρ)·g²; w ← w − lr · g / (√s + ε)``."""

    rho: float = 0.9
    eps: float = 1e-8

    def __post_init__(self) -> None:
        self.slot_names = ("mean_sq",)

    def update(self, param, grad, slots, lr, step):  # type: ignore[no-untyped-def, override]
        s = self.rho * slots["mean_sq"] + (1.0 - self.rho) * (grad * grad)
        return param - lr * grad / (G.sqrt(s) + self.eps), {"mean_sq": s}


@dataclass
class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction: ``m̂ = m/(1−β₁ᵗ)``, ``v̂ = v/(1−β₂ᵗ)``,
    ``w ← w − lr · m̂ / (√v̂ + ε)`` where ``t = step + 1``."""

    lr: float | Schedule = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        self.slot_names = ("m", "v")

    def update(self, param, grad, slots, lr, step):  # type: ignore[no-untyped-def, override]
        m = self.beta1 * slots["m"] + (1.0 - self.beta1) * grad
        v = self.beta2 * slots["v"] + (1.0 - self.beta2) * (grad * grad)
        t = step + 1.0
        c1 = 1.0 - G.pow(G.constant(self.beta1, step.dtype, graph=step.graph), t)
        c2 = 1.0 - G.pow(G.constant(self.beta2, step.dtype, graph=step.graph), t)
        step_size = lr * G.sqrt(c2) / c1  # folds both corrections into one scalar
        return param - step_size * m / (G.sqrt(v) + self.eps * G.sqrt(c2)), {"m": m, "v": v}

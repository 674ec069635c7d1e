"""Optimizers and schedules, as compiled IR, against NumPy reference updates."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import graphc as gc
from graphc import optim
from graphc.optim import schedules

W0 = np.array([[0.5, -1.0], [2.0, 0.25]])
TARGET = np.array([[1.0, 0.0], [0.0, 1.0]])


def _model() -> gc.train.Model:
    with gc.Graph():
        t = gc.placeholder("t", (2, 2), "float64")
        w = gc.parameter("w", (2, 2), "float64", init="zeros")
        loss = gc.sum((w - t) * (w - t) * (w + 3.0))
    return gc.train.Model(loss, inputs=[], targets=[t])


def _grad(w: np.ndarray) -> np.ndarray:
    return 2 * (w - TARGET) * (w + 3) + (w - TARGET) ** 2


def _ref_sgd(steps: int, lr: float, wd: float = 0.0) -> np.ndarray:
    w = W0.copy()
    for _ in range(steps):
        w = w - lr * (_grad(w) + wd * w)
    return w


def _ref_momentum(steps: int, lr: float, mu: float, nesterov: bool) -> np.ndarray:
    w, v = W0.copy(), np.zeros_like(W0)
    for _ in range(steps):
        g = _grad(w)
        v = mu * v + g
        w = w - lr * (g + mu * v if nesterov else v)
    return w


def _ref_adagrad(steps: int, lr: float, eps: float = 1e-8) -> np.ndarray:
    w, s = W0.copy(), np.zeros_like(W0)
    for _ in range(steps):
        g = _grad(w)
        s += g * g
        w = w - lr * g / (np.sqrt(s) + eps)
    return w


def _ref_rmsprop(steps: int, lr: float, rho: float = 0.9, eps: float = 1e-8) -> np.ndarray:
    w, s = W0.copy(), np.zeros_like(W0)
    for _ in range(steps):
        g = _grad(w)
        s = rho * s + (1 - rho) * g * g
        w = w - lr * g / (np.sqrt(s) + eps)
    return w


def _ref_adam(steps: int, lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> np.ndarray:
    w, m, v = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t in range(1, steps + 1):
        g = _grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return w


CASES: list[tuple[str, optim.Optimizer, Callable[[], np.ndarray]]] = [
    ("sgd", optim.SGD(0.01), lambda: _ref_sgd(4, 0.01)),
    ("sgd+wd", optim.SGD(0.01, weight_decay=0.1), lambda: _ref_sgd(4, 0.01, 0.1)),
    ("momentum", optim.Momentum(0.01, momentum=0.9), lambda: _ref_momentum(4, 0.01, 0.9, False)),
    ("nesterov", optim.Momentum(0.01, momentum=0.9, nesterov=True), lambda: _ref_momentum(4, 0.01, 0.9, True)),
    ("adagrad", optim.Adagrad(0.1), lambda: _ref_adagrad(4, 0.1)),
    ("rmsprop", optim.RMSProp(0.01), lambda: _ref_rmsprop(4, 0.01)),
    ("adam", optim.Adam(0.05), lambda: _ref_adam(4, 0.05)),
]


@pytest.mark.parametrize(("name", "opt", "ref"), CASES, ids=[c[0] for c in CASES])
def test_update_rule_matches_reference(name: str, opt: optim.Optimizer, ref: Callable[[], np.ndarray]) -> None:
    step = gc.train.TrainStep(_model(), opt)
    state = step.init_state(params={"w": W0})
    for _ in range(4):
        state, _ = step(state, {"t": TARGET})
    np.testing.assert_allclose(state["w"], ref(), rtol=1e-10)
    assert float(state[step.state_names[-1]]) == 4.0  # the step counter


def test_whole_step_is_one_executable_with_every_update() -> None:
    step = gc.train.TrainStep(_model(), optim.Adam(0.1))
    prog = step.executable.program
    assert {"w", *step.state_names} <= set(prog.input_names) | {"t"}
    roles = {n.tags.get("role") for n in prog.nodes}
    assert {"backward", "update"} <= roles


def test_schedules() -> None:
    with gc.Graph():
        s = gc.placeholder("s", (), "float64")
        outs = [schedules.constant(0.1)(s), schedules.step_decay(0.1, 0.5, 10)(s),
                schedules.exponential_decay(0.1, 0.5, 10)(s), schedules.exponential_decay(0.1, 0.5, 10, True)(s)]
    run = gc.compile(outs)
    for k in (0.0, 9.0, 10.0, 25.0):
        got = run({"s": np.float64(k)})
        np.testing.assert_allclose(got, [0.1, 0.1 * 0.5 ** (k // 10), 0.1 * 0.5 ** (k / 10), 0.1 * 0.5 ** (k // 10)])


def test_learning_rate_schedule_drives_the_update() -> None:
    step = gc.train.TrainStep(_model(), optim.SGD(schedules.step_decay(0.01, 0.5, 2)))
    state = step.init_state(params={"w": W0})
    w = W0.copy()
    for k in range(4):
        state, _ = step(state, {"t": TARGET})
        w = w - 0.01 * 0.5 ** (k // 2) * _grad(w)
    np.testing.assert_allclose(state["w"], w, rtol=1e-12)

"""The compiled training step: donating its state, and holding it across calls (TrainStep.bind) as fit does."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc.nn import Dense


def _model() -> gc.train.Model:
    with gc.Graph("bound"):
        x = gc.placeholder("x", (None, 4))
        y = gc.placeholder("y", (None,), "int32")
        logits = Dense(3, name="out")(Dense(8, "relu", name="h")(x))
        loss = gc.losses.softmax_cross_entropy(logits, y)
    return gc.train.Model(loss, inputs=[x], targets=[y], predictions=logits)


def _batches(rng: np.random.Generator, sizes: tuple[int, ...]) -> list[dict[str, np.ndarray]]:
    return [{"x": rng.standard_normal((n, 4)).astype(np.float32), "y": rng.integers(0, 3, n).astype(np.int32)}
            for n in sizes]


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_bound_step_follows_the_same_trajectory_as_calls(backend: str, rng: np.random.Generator) -> None:
    if backend == "jax":
        pytest.importorskip("jax")
    step = gc.train.TrainStep(_model(), gc.optim.Adam(0.05), backend)
    batches = _batches(rng, (16, 16, 5, 16))
    state = step.init_state(seed=3)
    bound = step.bind(step.init_state(seed=3))
    for batch in batches:
        state, metrics = step(state, batch)
        got = bound(batch)
        assert set(got) == {"loss", "accuracy"} and all(type(v) is float for v in got.values())
        assert got == pytest.approx(metrics, rel=1e-6)
    assert set(bound.state) == set(state) == set(step.state_names)
    for k, v in bound.state.items():
        np.testing.assert_allclose(np.asarray(v), np.asarray(state[k]), rtol=1e-6, atol=1e-7, err_msg=k)
    assert float(bound.state["opt/step"]) == len(batches)


def test_bound_step_checks_state_once_and_batches_every_call(rng: np.random.Generator) -> None:
    step = gc.train.TrainStep(_model(), gc.optim.SGD(0.1))
    state = step.init_state()
    with pytest.raises(gc.FeedError, match=r"missing feed.*'opt/step'"):
        step.bind({k: v for k, v in state.items() if k != "opt/step"})
    with pytest.raises(gc.FeedError, match=r"unexpected feed.*'extra'"):
        step.bind({**state, "extra": np.zeros(1)})
    with pytest.raises(gc.FeedError, match=r"expected shape f32\[4,8\]"):
        step.bind({**state, "h/W": np.zeros((4, 9), np.float32)})
    bound = step.bind(state)
    batch = _batches(rng, (6,))[0]
    with pytest.raises(gc.FeedError, match=r"missing feed.*'y'"):
        bound({"x": batch["x"]})
    with pytest.raises(gc.FeedError, match="carried from the previous call"):
        bound({**batch, "h/W": state["h/W"]})
    with pytest.raises(gc.FeedError, match="'y': expected dtype i32"):
        bound({**batch, "y": batch["y"].astype(np.float32)})
    assert float(bound.state["opt/step"]) == 0  # nothing ran
    bound(batch)
    assert float(bound.state["opt/step"]) == 1


def test_state_donation_policy(rng: np.random.Generator) -> None:
    """NumPy steps update state in place; JAX steps donate only on accelerators (XLA:CPU runs donated calls
    slower), unless asked explicitly — and the results are the same either way."""
    steps = {"numpy": gc.train.TrainStep(_model(), gc.optim.SGD(0.1))}
    assert steps["numpy"].executable.donate == frozenset(steps["numpy"].state_names)
    jax = pytest.importorskip("jax")
    steps["auto"] = gc.train.TrainStep(_model(), gc.optim.SGD(0.1), "jax")
    steps["forced"] = gc.train.TrainStep(_model(), gc.optim.SGD(0.1), "jax", donate=True)
    assert bool(steps["auto"].executable.donate) == (jax.default_backend() != "cpu")
    assert gc.backends.executable_class("jax").donation_pays() == (jax.default_backend() != "cpu")
    assert gc.backends.executable_class("numpy").donation_pays()
    assert steps["forced"].executable.donate == frozenset(steps["forced"].state_names)
    batches = _batches(rng, (8, 8, 8, 8))
    final = {}
    for name, step in steps.items():
        state = step.init_state(seed=1)
        if name != "numpy":
            state = {k: jax.device_put(v) for k, v in state.items()}
        for batch in batches:
            state, _ = step(state, batch)
        final[name] = {k: np.asarray(v) for k, v in state.items()}
    for name in ("auto", "forced"):
        for k, v in final[name].items():
            np.testing.assert_allclose(v, final["numpy"][k], rtol=1e-5, atol=1e-6, err_msg=f"{name}: {k}")

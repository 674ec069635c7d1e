"""Dropout and batch norm behave differently in training and inference, and the train step carries their state.

A network is built twice from the same layers — ``training=True`` for the train step, ``training=False`` for
evaluation — so both executables share parameters but contain only their own mode's nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphc as gc
from graphc.nn import BatchNorm, Conv2D, Dense, Dropout, Flatten, Sequential

Array = np.ndarray[Any, Any]


def build(rate: float = 0.5) -> tuple[gc.train.Model, gc.Value, gc.Value, gc.Graph]:
    with gc.Graph("modes") as g:
        x = gc.placeholder("x", (None, 1, 6, 6))
        y = gc.placeholder("y", (None,), "int32")
        net = Sequential(Conv2D(4, 3, padding="same", use_bias=False, name="conv"), BatchNorm(name="bn"), gc.relu,
                         Flatten(), Dropout(rate, name="drop"), Dense(3, name="out"))
        train_out, eval_out = net(x, training=True), net(x, training=False)
        model = gc.train.Model(gc.losses.softmax_cross_entropy(train_out, y), [x], [y], train_out,
                               eval_loss=gc.losses.softmax_cross_entropy(eval_out, y), eval_predictions=eval_out)
    return model, train_out, eval_out, g


def batch(n: int = 16, seed: int = 0) -> dict[str, Array]:
    rng = np.random.default_rng(seed)
    return {"x": (rng.standard_normal((n, 1, 6, 6)) * 2.0 + 3.0).astype(np.float32),
            "y": rng.integers(0, 3, n).astype(np.int32)}


def test_dropout_and_batch_norm_differ_between_train_and_eval() -> None:
    _, train_out, eval_out, g = build()
    state = gc.init_params(g, seed=0)
    data = batch()
    run_train, run_eval = gc.compile(train_out), gc.compile(eval_out)
    feeds_train = {k: v for k, v in {**state, **data}.items() if k in run_train.input_names}
    feeds_eval = {k: v for k, v in {**state, **data}.items() if k in run_eval.input_names}

    # eval mode: no randomness, no key; running statistics instead of the batch's
    assert "drop/key" in run_train.input_names and "drop/key" not in run_eval.input_names
    assert "bn/moving_mean" in run_eval.input_names and "bn/moving_mean" not in run_train.input_names
    ops_train = {n.op.name for n in gc.passes.extract(g, [train_out]).nodes}
    ops_eval = {n.op.name for n in gc.passes.extract(g, [eval_out]).nodes}
    assert "random_uniform" in ops_train and "random_uniform" not in ops_eval

    a, b = run_train(feeds_train), run_train(feeds_train)
    np.testing.assert_array_equal(a, b)  # same key: same mask (a step is reproducible)
    c = run_train({**feeds_train, "drop/key": np.int32(state["drop/key"] + 1)})
    assert not np.allclose(a, c)  # another key: another mask
    e1, e2 = run_eval(feeds_eval), run_eval(feeds_eval)
    np.testing.assert_array_equal(e1, e2)
    assert not np.allclose(a, e1)


def test_batch_norm_modes_in_detail() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (None, 2, 3, 3))
        bn = BatchNorm(momentum=0.9, eps=1e-5, name="bn")
        yt, ye = bn(x, training=True), bn(x, training=False)
    state = gc.init_params(g)
    data = (np.random.default_rng(1).standard_normal((8, 2, 3, 3)) * [[[[2.0]], [[0.5]]]] + 5.0).astype(np.float32)
    out_t = gc.compile(yt)({"x": data, **{k: state[k] for k in ("bn/gamma", "bn/beta")}})
    # training mode: normalised with the batch's own statistics
    np.testing.assert_allclose(out_t.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(out_t.var(axis=(0, 2, 3)), 1.0, rtol=1e-3)
    # inference mode: the initial running statistics (mean 0, var 1) leave the data (nearly) unchanged
    out_e = gc.compile(ye)({"x": data, **state})
    np.testing.assert_allclose(out_e, data / np.sqrt(1.0 + 1e-5), rtol=1e-6)
    # the declared updates: exponential moving averages, the variance unbiased
    updates = gc.state_updates(g)
    run_updates = gc.compile({p.name: v for p, v in updates.items()})
    new = run_updates({k: v for k, v in {"x": data, **state}.items() if k in run_updates.input_names})
    mean = data.mean(axis=(0, 2, 3))
    var = data.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(new["bn/moving_mean"], 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(new["bn/moving_var"], 0.9 + 0.1 * var, rtol=1e-5)


def test_train_step_carries_running_stats_and_key() -> None:
    model, _, _, _ = build()
    step = gc.train.TrainStep(model, gc.optim.SGD(0.1))
    names = step.state_names
    assert {"bn/moving_mean", "bn/moving_var", "drop/key"} <= set(names)
    assert not any(v.name.startswith(("bn/moving", "drop/")) for v in step.params)  # not trained by the optimizer
    state = step.init_state(seed=3)
    key0 = int(state["drop/key"])
    snapshot = {k: v.copy() for k, v in state.items()}
    s1, m1 = step(state, batch())
    assert int(s1["drop/key"]) == key0 + 1
    assert not np.allclose(s1["bn/moving_mean"], 0.0)
    s1 = {k: np.array(v, copy=True) for k, v in s1.items()}  # the step updates donated state in place
    s2, _ = step({k: v.copy() for k, v in s1.items()}, batch())
    assert int(s2["drop/key"]) == key0 + 2
    # reproducible: the same state and batch give the same step
    again, m_again = step({k: v.copy() for k, v in snapshot.items()}, batch())
    assert m_again == m1
    for k in names:
        np.testing.assert_array_equal(again[k], s1[k])
    # and the evaluator runs the inference graph with the trained running statistics
    ev = gc.train.Evaluator(model)
    assert "drop/key" not in ev.executable.input_names and "bn/moving_var" in ev.executable.input_names
    metrics = ev(s2, batch(seed=5))
    assert set(metrics) == {"loss", "accuracy"}


def test_fit_uses_train_mode_for_steps_and_eval_mode_for_validation() -> None:
    model, _, _, _ = build(rate=0.9)
    data = batch(64, seed=2)
    result = gc.train.fit(model, (data["x"], data["y"]), optimizer=gc.optim.Adam(1e-2), epochs=3, batch_size=16,
                          validation_data=(data["x"], data["y"]), progress=False)
    # with 90% dropout the training-mode loss on the same data stays well above the inference-mode loss
    assert result.history["loss"][-1] > result.history["val_loss"][-1]


def test_train_step_matches_between_backends() -> None:
    """The whole step — dropout masks from the key, batch statistics, running averages — agrees with JAX."""
    pytest.importorskip("jax")
    ref = gc.train.TrainStep(build()[0], gc.optim.Adam(1e-2))
    jx = gc.train.TrainStep(build()[0], gc.optim.Adam(1e-2), backend="jax")  # its own graph: same state names
    state = ref.init_state(seed=4)
    s_ref, s_jax = {k: v.copy() for k, v in state.items()}, {k: v.copy() for k, v in state.items()}
    for i in range(3):
        s_ref, m_ref = ref(s_ref, batch(seed=i))
        s_jax, m_jax = jx(s_jax, batch(seed=i))
        s_jax = {k: np.asarray(v) for k, v in s_jax.items()}
        assert m_ref["loss"] == pytest.approx(m_jax["loss"], rel=1e-4)
    for k in s_ref:
        np.testing.assert_allclose(s_jax[k], s_ref[k], rtol=1e-4, atol=1e-5, err_msg=k)

"""Memory planning: buffers are reused by liveness, donated state is updated in place, views are respected."""

from __future__ import annotations

import numpy as np

import graphc as gc


def test_buffers_are_reused_and_results_unchanged(rng: np.random.Generator) -> None:
    with gc.Graph():
        x = gc.placeholder("x", (64, 64), "float64")
        h = x
        for _ in range(6):
            h = gc.tanh(h @ x) * 0.5  # matmuls cannot be fused away: one intermediate each
        out = gc.sum(h)
    planned = gc.compile(out)
    plain = gc.compile(out, plan_memory=False)
    xs = rng.standard_normal((64, 64)) * 0.1
    np.testing.assert_allclose(planned({"x": xs}), plain({"x": xs}), rtol=1e-12)
    plan = planned.memory_plans()[0]
    assert len(plan.buffers) <= 3  # six same-shaped intermediates share a handful of buffers
    assert plan.planned_bytes < plan.naive_bytes


def test_outputs_never_alias_persistent_buffers() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (8,), "float64")
        y = gc.exp(x) * 2.0
        z = gc.reshape(y, (2, 4))
    run = gc.compile([y, z])
    a = run({"x": np.zeros(8)})
    b = run({"x": np.ones(8)})
    np.testing.assert_allclose(a[0], 2.0)  # the second call did not overwrite the first call's results
    np.testing.assert_allclose(b[0], 2 * np.e)
    assert not np.shares_memory(a[0], b[0])


def test_donated_state_is_updated_in_place_and_others_are_not() -> None:
    with gc.Graph():
        w = gc.parameter("w", (4,), "float64")
        g = gc.placeholder("g", (4,), "float64")
        new_w = w - 0.5 * g
    run = gc.compile(new_w, donate=("w",))
    w0 = np.ones(4)
    g0 = np.full(4, 2.0)
    out = run({"w": w0, "g": g0})
    np.testing.assert_allclose(out, 0.0)
    assert out is w0  # written into the donated buffer
    np.testing.assert_allclose(g0, 2.0)
    keep = np.ones(4)
    out2 = gc.compile(new_w)({"w": keep, "g": g0})
    assert out2 is not keep and np.all(keep == 1.0)  # without donation the input is untouched


def test_a_view_keeps_its_buffer_alive() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (4, 4), "float64")
        a = gc.exp(x) + 1.0
        t = gc.transpose(a)  # a view of a's buffer, read after a's last direct use
        b = gc.tanh(x) * 3.0
        out = t * b
    xs = np.arange(16.0).reshape(4, 4) / 16
    want = (np.exp(xs) + 1).T * np.tanh(xs) * 3
    np.testing.assert_allclose(gc.compile(out, passes="none")({"x": xs}), want, rtol=1e-12)


def test_train_step_updates_state_in_place() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 3))
        y = gc.placeholder("y", (None,), "int32")
        logits = gc.nn.Dense(4, name="d")(x)
        loss = gc.losses.softmax_cross_entropy(logits, y)
    step = gc.train.TrainStep(gc.train.Model(loss, [x], [y], logits), gc.optim.Momentum(0.1))
    state = step.init_state()
    before = {k: v for k, v in state.items()}
    new, _ = step(state, {"x": np.ones((2, 3), np.float32), "y": np.array([0, 1], np.int32)})
    assert new["d/W"] is before["d/W"]
    plan = step.executable.memory_plans()[0]
    assert plan.inplace_donations >= 4  # W, b and their velocity slots


def test_fused_kernel_writing_into_a_dying_input_reads_it_first(rng: np.random.Generator) -> None:
    """A matmul epilogue placed in the buffer of an input it also reads (directly and through a view) must
    not put the product there before that input's last read; without aliasing, it goes straight there."""
    with gc.Graph():
        x = gc.placeholder("x", (16, 16), "float64")
        w = gc.placeholder("w", (16, 16), "float64")
        a = gc.exp(x) * 0.1  # an intermediate in a planned buffer, dying in the kernel below
        y = gc.tanh(a @ w) * gc.transpose(a) + a
        z = gc.relu(y @ w + 1.0)  # y dies here: the product may not go in its buffer before the add reads y
        out = gc.sum(z * y)
    xs, ws = rng.standard_normal((16, 16)), rng.standard_normal((16, 16))
    planned, plain = gc.compile(out), gc.compile(out, plan_memory=False, passes="none")
    np.testing.assert_allclose(planned({"x": xs, "w": ws}), plain({"x": xs, "w": ws}), rtol=1e-12)
    src = planned.sources()[0]
    assert "out=out)" in src  # some kernel wrote its matmul product straight into its destination

"""graphc.grad: the backward graph is IR; fan-in, broadcasting, higher order, errors, tags, and whole networks."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc


def test_second_derivative_of_tanh() -> None:
    x_np = np.linspace(-2, 2, 7)
    with gc.Graph():
        x = gc.placeholder("x", (7,), "float64")
        d1 = gc.grad(gc.sum(gc.tanh(x)), x)
        d2 = gc.grad(gc.sum(d1), x)
    g1, g2 = gc.compile([d1, d2])({"x": x_np})
    t = np.tanh(x_np)
    np.testing.assert_allclose(g1, 1 - t**2, rtol=1e-12)
    np.testing.assert_allclose(g2, -2 * t * (1 - t**2), rtol=1e-12)


def test_fan_in_gradients_are_summed_and_broadcasts_reduced() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (3, 4), "float64")
        b = gc.placeholder("b", (4,), "float64")
        y = gc.sum((x + b) * x + b)  # x used twice, b broadcast over rows and used twice
        gx, gb = gc.grad(y, [x, b])
    x_np = np.arange(12.0).reshape(3, 4)
    b_np = np.arange(4.0)
    rx, rb = gc.compile([gx, gb])({"x": x_np, "b": b_np})
    np.testing.assert_allclose(rx, 2 * x_np + b_np)
    np.testing.assert_allclose(rb, x_np.sum(0) + 3)
    assert gb.shape == (4,)


def test_gradient_of_a_gradient_norm_penalty_matches_finite_differences(rng: np.random.Generator) -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (5, 3), "float64")
        w1 = gc.parameter("w1", (3, 4), "float64", init="xavier_normal")
        w2 = gc.parameter("w2", (4, 1), "float64", init="xavier_normal")
        loss = gc.mean(gc.tanh(x @ w1) @ w2)
        g1, g2 = gc.grad(loss, [w1, w2])
        penalty = gc.sum(g1 * g1) + gc.sum(g2 * g2)
        total = loss + 0.5 * penalty
        d = gc.grad(total, w1)
    p = gc.init_params(g, seed=3)
    x_np = rng.standard_normal((5, 3))
    f = gc.compile(total)
    got = gc.compile(d)({"x": x_np, **p})
    num = np.zeros_like(p["w1"])
    eps = 1e-6
    for idx in np.ndindex(*p["w1"].shape):
        for s in (1, -1):
            q = {**p, "w1": p["w1"].copy()}
            q["w1"][idx] += s * eps
            num[idx] += s * float(f({"x": x_np, **q})) / (2 * eps)
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-9)


def test_backward_nodes_are_tagged_and_linked() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (2, 3))
        w = gc.parameter("w", (3, 1))
        h = gc.sigmoid(x @ w)
        loss = gc.mean(h)
        n_forward = len(g.nodes)
        gw = gc.grad(loss, w)
    backward = g.nodes[n_forward:]
    assert backward and all(n.tags["role"] == "backward" for n in backward)
    forward_ops = {n.tags["grad_of"].op.name for n in backward if n.tags.get("grad_of") is not None}
    assert {"mean", "sigmoid", "matmul"} <= forward_ops
    assert gw.name == "grad/w"
    assert g.meta["gradients"][w] is gw and g.meta["losses"] == [loss]
    sig = next(n for n in backward if n.tags.get("grad_of") is h.producer)
    assert sig.loc == h.producer.loc  # backward nodes point at the forward line
    gc.verify(g)


def test_grad_errors() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (3,))
        i = gc.placeholder("i", (3,), "int32")
        other = gc.placeholder("other", (3,))
        with pytest.raises(gc.GradError, match="must be a scalar"):
            gc.grad(x * 2.0, x)
        with pytest.raises(gc.GradError, match="not floating point"):
            gc.grad(gc.sum(x), i)
        with pytest.raises(gc.GradError, match="does not depend on"):
            gc.grad(gc.sum(x), other)
        z = gc.grad(gc.sum(x), other, unused="zero")
    np.testing.assert_array_equal(gc.compile(z)({}), np.zeros(3, np.float32))


def test_symbolic_batch_mean_gradient() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 2), "float64")
        gx = gc.grad(gc.mean(x * x), x)
    run = gc.compile(gx)
    for n in (1, 4):
        x_np = np.ones((n, 2))
        np.testing.assert_allclose(run({"x": x_np}), 2 * x_np / (2 * n))


def test_whole_network_gradients_match_jax(rng: np.random.Generator) -> None:
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    with gc.Graph() as g:
        x = gc.placeholder("x", (None, 6), "float64")
        y = gc.placeholder("y", (None,), "int32")
        w1 = gc.parameter("w1", (6, 8), "float64", init="he_normal")
        b1 = gc.parameter("b1", (8,), "float64", init="normal")
        w2 = gc.parameter("w2", (8, 3), "float64", init="xavier_uniform")
        h = gc.elu(x @ w1 + b1) * gc.sigmoid(x @ w1)
        logits = gc.leaky_relu(h) @ w2
        loss = gc.losses.softmax_cross_entropy(logits, y) + 0.01 * gc.losses.l2_penalty([w1, w2])
        grads = gc.grad(loss, [w1, b1, w2])
    p = gc.init_params(g, seed=5)
    x_np = rng.standard_normal((7, 6))
    y_np = rng.integers(0, 3, 7).astype(np.int32)
    got = gc.compile(grads)({"x": x_np, "y": y_np, **p})

    def f(w1: object, b1: object, w2: object) -> object:
        z = x_np @ w1 + b1
        hh = jax.nn.elu(z) * jax.nn.sigmoid(x_np @ w1)
        lg = jax.nn.leaky_relu(hh, 0.01) @ w2
        ce = -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(lg), y_np[:, None], 1))
        return ce + 0.01 * 0.5 * (jnp.sum(w1 * w1) + jnp.sum(w2 * w2))

    with jax.enable_x64(True):  # scoped: the rest of the suite keeps JAX's 32-bit default
        want = jax.grad(f, argnums=(0, 1, 2))(p["w1"], p["b1"], p["w2"])
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-9, atol=1e-12)

"""The DSL builds the graph it says: operators, literals, scopes, indexing and reshapes, checked by running."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc


def _run(out: gc.Value | list[gc.Value], **feeds: np.ndarray) -> object:
    return gc.compile(out)(feeds)


def test_operators_match_numpy(rng: np.random.Generator) -> None:
    a_np = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    b_np = rng.uniform(0.5, 2, (4,)).astype(np.float32)
    with gc.Graph():
        a = gc.placeholder("a", (3, 4))
        b = gc.placeholder("b", (4,))
        outs = [a + b, a - b, a * b, a / b, a**2.0, 2.0**b, -a, abs(-a), 1.0 - a, 3.0 / a, a @ a.T,
                a < b, a <= b, a > b, a >= b, gc.equal(a, a), gc.not_equal(a, b)]
    got = _run(outs, a=a_np, b=b_np)
    want = [a_np + b_np, a_np - b_np, a_np * b_np, a_np / b_np, a_np**2, 2.0**b_np, -a_np, np.abs(a_np),
            1 - a_np, 3 / a_np, a_np @ a_np.T, a_np < b_np, a_np <= b_np, a_np > b_np, a_np >= b_np,
            a_np == a_np, a_np != b_np]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6)
        assert np.asarray(g).dtype == np.asarray(w).dtype


def test_a_plus_a_has_two_edges() -> None:
    with gc.Graph() as g:
        a = gc.placeholder("a", (2,))
        s = a + a
    assert s.producer is not None and s.producer.inputs == (a, a)
    assert len(g.nodes) == 1


def test_name_scopes_nest_into_names() -> None:
    with gc.Graph() as g:
        with gc.name_scope("block"), gc.name_scope("conv"):
            w = gc.parameter("W", (2, 2))
            h = gc.exp(w)
        assert w.name == "block/conv/W"
        assert h.producer is not None and h.producer.scope == "block/conv"
        assert g.scope == ""


def test_indexing_and_slicing(rng: np.random.Generator) -> None:
    x_np = rng.standard_normal((5, 4, 3)).astype(np.float32)
    with gc.Graph():
        x = gc.placeholder("x", (5, 4, 3))
        outs = [x[0], x[1:4], x[:, -1], x[..., ::2], x[None, 2, :, 1], x[::-1, 1:3]]
    for g, w in zip(_run(outs, x=x_np), [x_np[0], x_np[1:4], x_np[:, -1], x_np[..., ::2], x_np[None, 2, :, 1],
                                         x_np[::-1, 1:3]], strict=True):
        np.testing.assert_array_equal(g, w)


def test_symbolic_batch_indexing_and_reshape() -> None:
    x_np = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    with gc.Graph():
        x = gc.placeholder("x", (None, 3, 4))
        first = x[:, 0]
        flat = gc.flatten(x)
        assert flat.shape == (gc.BATCH, 12)
        with pytest.raises(gc.ShapeError, match="symbolic"):
            x[1]
    f, fl = _run([first, flat], x=x_np)
    np.testing.assert_array_equal(f, x_np[:, 0])
    np.testing.assert_array_equal(fl, x_np.reshape(2, 12))


def test_reductions_and_softmax(rng: np.random.Generator) -> None:
    x_np = rng.standard_normal((3, 5)).astype(np.float64)
    with gc.Graph():
        x = gc.placeholder("x", (None, 5), "float64")
        outs = [x.sum(), x.mean(axis=0), x.max(axis=-1, keepdims=True), gc.argmax(x), gc.softmax(x),
                gc.log_softmax(x, axis=0), gc.logsumexp(x, axis=1)]
    e = np.exp(x_np - x_np.max(1, keepdims=True))
    lse0 = np.log(np.exp(x_np).sum(0, keepdims=True))
    want = [x_np.sum(), x_np.mean(0), x_np.max(-1, keepdims=True), x_np.argmax(-1), e / e.sum(1, keepdims=True),
            x_np - lse0, np.log(np.exp(x_np).sum(1))]
    for g, w in zip(_run(outs, x=x_np), want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_activations(rng: np.random.Generator) -> None:
    x_np = rng.standard_normal((4, 6))
    with gc.Graph():
        x = gc.placeholder("x", (4, 6), "float64")
        outs = [gc.sigmoid(x), gc.tanh(x), gc.relu(x), gc.leaky_relu(x, 0.1), gc.elu(x, 0.5), gc.step(x),
                gc.step(x, threshold=0.5), gc.where(x > 0, x, 0.0), gc.maximum(x, 0.2), gc.minimum(x, 0.2)]
    want = [1 / (1 + np.exp(-x_np)), np.tanh(x_np), np.maximum(x_np, 0), np.where(x_np > 0, x_np, 0.1 * x_np),
            np.where(x_np > 0, x_np, 0.5 * np.expm1(x_np)), (x_np > 0).astype(float), (x_np > 0.5).astype(float),
            np.where(x_np > 0, x_np, 0), np.maximum(x_np, 0.2), np.minimum(x_np, 0.2)]
    for g, w in zip(_run(outs, x=x_np), want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_sigmoid_is_stable_at_extremes() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (4,))
        y = gc.sigmoid(x)
    out = _run(y, x=np.array([-1e4, -50, 50, 1e4], np.float32))
    np.testing.assert_allclose(out, [0, 0, 1, 1], atol=1e-20)


def test_concat_cast_broadcast_transpose(rng: np.random.Generator) -> None:
    a_np = rng.standard_normal((2, 3)).astype(np.float32)
    with gc.Graph():
        a = gc.placeholder("a", (2, 3))
        outs = [gc.concat([a, a * 2.0], axis=1), gc.cast(a, "int32"), gc.broadcast_to(a, (4, 2, 3)),
                gc.transpose(a), gc.expand_dims(a, 1), gc.one_hot(gc.argmax(a), 3)]
    got = _run(outs, a=a_np)
    np.testing.assert_array_equal(got[0], np.concatenate([a_np, a_np * 2], 1))
    np.testing.assert_array_equal(got[1], a_np.astype(np.int32))
    np.testing.assert_array_equal(got[2], np.broadcast_to(a_np, (4, 2, 3)))
    np.testing.assert_array_equal(got[3], a_np.T)
    assert got[4].shape == (2, 1, 3)
    np.testing.assert_array_equal(got[5], np.eye(3, dtype=np.float32)[a_np.argmax(1)])


def test_batched_matmul_broadcasts(rng: np.random.Generator) -> None:
    a_np = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b_np = rng.standard_normal((4, 5)).astype(np.float32)
    with gc.Graph():
        a = gc.placeholder("a", (2, 3, 4))
        b = gc.placeholder("b", (4, 5))
        c = a @ b
    assert c.shape == (2, 3, 5)
    np.testing.assert_allclose(_run(c, a=a_np, b=b_np), a_np @ b_np, rtol=1e-5)


def test_numpy_array_on_the_left_defers_to_values() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (3,))
        y = np.ones(3, np.float32) * x
    assert isinstance(y, gc.Value)

"""Losses: values against NumPy, and stability at extreme logits."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc import losses


def test_loss_values(rng: np.random.Generator) -> None:
    z = rng.standard_normal((5, 4))
    t = rng.uniform(0, 1, (5, 4))
    labels = rng.integers(0, 4, 5).astype(np.int32)
    with gc.Graph():
        zv = gc.placeholder("z", (None, 4), "float64")
        tv = gc.placeholder("t", (None, 4), "float64")
        lv = gc.placeholder("l", (None,), "int32")
        outs = [losses.mse(zv, tv), losses.binary_cross_entropy_with_logits(zv, tv),
                losses.softmax_cross_entropy(zv, lv), losses.softmax_cross_entropy(zv, gc.one_hot(lv, 4, "float64")),
                losses.l1_penalty([zv, tv]), losses.l2_penalty([zv])]
    got = gc.compile(outs)({"z": z, "t": t, "l": labels})
    s = 1 / (1 + np.exp(-z))
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    ce = -logp[np.arange(5), labels].mean()
    want = [np.mean((z - t) ** 2), np.mean(-(t * np.log(s) + (1 - t) * np.log(1 - s))), ce, ce,
            np.abs(z).sum() + np.abs(t).sum(), 0.5 * (z * z).sum()]
    np.testing.assert_allclose(got, want, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_losses_and_gradients_are_finite_at_huge_logits(dtype: str) -> None:
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype)
    with gc.Graph():
        zv = gc.placeholder("z", (2, 3), dtype)
        ce = losses.softmax_cross_entropy(zv, gc.constant(np.array([1, 0], np.int32)))
        bce = losses.binary_cross_entropy_with_logits(zv, gc.constant(np.ones((2, 3), dtype)))
        grads = gc.grad(ce + bce, zv)
    out = gc.compile([ce, bce, grads])({"z": z})
    for o in out:
        assert np.all(np.isfinite(o))
    # -log p of the labelled class: 2e4 in row 0; 2e4 + log 2 in row 1 (two classes tie at the max)
    assert float(out[0]) == pytest.approx((2e4 + 2e4 + np.log(2)) / 2, rel=1e-6)


def test_integer_labels_shape_is_checked() -> None:
    with gc.Graph():
        z = gc.placeholder("z", (None, 3))
        y = gc.placeholder("y", (None, 3), "int32")
        with pytest.raises(gc.ShapeError, match="integer labels"):
            losses.softmax_cross_entropy(z, y)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_integer_label_loss_and_gradient_match_the_one_hot_form(backend: str, rng: np.random.Generator) -> None:
    """The fused softmax_xent op against the primitive one-hot form, labels out of range included (both
    count as loss 0, gradient 0), with a class axis after two leading axes; and second derivatives."""
    if backend == "jax":
        pytest.importorskip("jax")
    z = rng.standard_normal((3, 4, 5))
    labels = rng.integers(-2, 7, (3, 4)).astype(np.int32)
    labels[0, :3] = (-1, 5, 2)  # below, above, inside
    with gc.Graph():
        zv = gc.placeholder("z", (3, 4, 5), "float64")
        lv = gc.placeholder("l", (3, 4), "int32")
        fused = losses.softmax_cross_entropy(zv, lv)
        prim = losses.softmax_cross_entropy(zv, gc.one_hot(lv, 5, "float64"))
        g_fused, g_prim = gc.grad(fused, zv), gc.grad(prim, zv)
        # second order: the gradient of the squared gradient norm
        h_fused = gc.grad(gc.sum(g_fused * g_fused), zv)
        h_prim = gc.grad(gc.sum(g_prim * g_prim), zv)
    run = gc.compile([fused, prim, g_fused, g_prim, h_fused, h_prim], backend=backend)
    got = [np.asarray(a) for a in run({"z": z, "l": labels})]
    for a, b in zip(got[::2], got[1::2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert np.all(got[2][0, :2] == 0)  # out-of-range rows carry no gradient
    per_example = np.asarray(gc.compile(gc.softmax_xent(zv, lv), backend=backend)({"z": z, "l": labels}))
    assert per_example.shape == (3, 4) and per_example[0, 0] == 0 and per_example[0, 1] == 0


def test_softmax_xent_rejects_bad_labels() -> None:
    with gc.Graph():
        z = gc.placeholder("z", (None, 3))
        with pytest.raises(gc.ShapeError, match="labels of shape"):
            gc.softmax_xent(z, gc.placeholder("y", (None, 2), "int32"))
        with pytest.raises(gc.GraphcError, match="labels must be integers"):
            gc.softmax_xent(z, gc.placeholder("f", (None,), "float32"))

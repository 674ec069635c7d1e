"""Convolution, pooling and padding against direct loop-based NumPy references (slow and obvious on purpose).

The registry tests already check every op's shape rule, VJP (finite differences) and NumPy/JAX parity; these
tests pin the *values* to the textbook definitions: cross-correlation without kernel flip, zero padding,
stride and dilation; max pooling with −∞ padding whose gradient goes to the first maximum; average pooling that
counts padding; TensorFlow-style "same" padding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphc as gc

Array = np.ndarray[Any, Any]


def ref_conv2d(x: Array, w: Array, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)) -> Array:
    n = x.shape[0]
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), padding[:2], padding[2:]))
    oh = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            for p in range(kh):
                for q in range(kw):
                    patch = xp[:, :, i * stride[0] + p * dilation[0], j * stride[1] + q * dilation[1]]  # (n, c)
                    y[:, :, i, j] += patch @ w[:, :, p, q].T
    return y


def ref_conv2d_grads(x: Array, w: Array, g: Array, stride, padding, dilation) -> tuple[Array, Array]:
    """Gradients of sum(g * conv(x, w)) by scattering each output's contribution (loops)."""
    kh, kw = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), padding[:2], padding[2:]))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(g.shape[2]):
        for j in range(g.shape[3]):
            for p in range(kh):
                for q in range(kw):
                    r, s = i * stride[0] + p * dilation[0], j * stride[1] + q * dilation[1]
                    dxp[:, :, r, s] += g[:, :, i, j] @ w[:, :, p, q]
                    dw[:, :, p, q] += g[:, :, i, j].T @ xp[:, :, r, s]
    h, wd = x.shape[2:]
    return dxp[:, :, padding[0]:padding[0] + h, padding[2]:padding[2] + wd], dw


def ref_pool(x: Array, kernel, stride, padding, kind: str) -> Array:
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), padding[:2], padding[2:]), constant_values=fill)
    oh = (xp.shape[2] - kernel[0]) // stride[0] + 1
    ow = (xp.shape[3] - kernel[1]) // stride[1] + 1
    y = np.zeros((*x.shape[:2], oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * stride[0]:i * stride[0] + kernel[0], j * stride[1]:j * stride[1] + kernel[1]]
            y[:, :, i, j] = win.max(axis=(2, 3)) if kind == "max" else win.mean(axis=(2, 3))
    return y


def ref_max_pool_grad(x: Array, g: Array, kernel, stride, padding) -> Array:
    """Each window's gradient to its first maximum in row-major order."""
    xp = np.pad(x, ((0, 0), (0, 0), padding[:2], padding[2:]), constant_values=-np.inf)
    dxp = np.zeros_like(xp)
    for a in range(x.shape[0]):
        for b in range(x.shape[1]):
            for i in range(g.shape[2]):
                for j in range(g.shape[3]):
                    r0, s0 = i * stride[0], j * stride[1]
                    win = xp[a, b, r0:r0 + kernel[0], s0:s0 + kernel[1]]
                    p, q = np.unravel_index(np.argmax(win), win.shape)
                    dxp[a, b, r0 + p, s0 + q] += g[a, b, i, j]
    return dxp[:, :, padding[0]:padding[0] + x.shape[2], padding[2]:padding[2] + x.shape[3]]


GEOMETRIES = [
    dict(stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)),
    dict(stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1)),
    dict(stride=(2, 2), padding=(1, 0, 0, 1), dilation=(1, 1)),
    dict(stride=(2, 1), padding=(0, 2, 1, 1), dilation=(2, 2)),
    dict(stride=(3, 2), padding=(2, 2, 0, 0), dilation=(1, 3)),
]


@pytest.mark.parametrize("geo", GEOMETRIES)
@pytest.mark.parametrize("kernel", [(3, 3), (2, 3), (1, 1)])
def test_conv2d_and_its_gradients_match_the_definition(geo: dict[str, Any], kernel: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 8))
    w = rng.standard_normal((4, 3, *kernel))
    with gc.Graph():
        xv = gc.placeholder("x", (None, 3, 9, 8), "float64")
        wv = gc.placeholder("w", (4, 3, *kernel), "float64")
        y = gc.conv2d(xv, wv, stride=geo["stride"], padding=geo["padding"], dilation=geo["dilation"])
        gy = gc.placeholder("g", y.shape, "float64")
        dx, dw = gc.grad(gc.sum(y * gy), [xv, wv])
    expected = ref_conv2d(x, w, **geo)
    g = rng.standard_normal(expected.shape)
    got_y, got_dx, got_dw = gc.compile([y, dx, dw])({"x": x, "w": w, "g": g})
    np.testing.assert_allclose(got_y, expected, rtol=1e-12, atol=1e-12)
    ref_dx, ref_dw = ref_conv2d_grads(x, w, g, **geo)
    np.testing.assert_allclose(got_dx, ref_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_dw, ref_dw, rtol=1e-12, atol=1e-12)


def test_conv2d_is_cross_correlation_with_bias() -> None:
    """A kernel with a single 1 at (0, 0) shifts the image: no flip (a true convolution would shift the other
    way). The bias is added per output channel."""
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    w = np.zeros((2, 1, 2, 2), np.float32)
    w[0, 0, 0, 0] = 1.0
    w[1, 0, 1, 1] = 1.0
    with gc.Graph():
        bias = gc.constant(np.array([0.0, 100.0], np.float32))
        y = gc.conv2d(gc.placeholder("x", (1, 1, 4, 4)), gc.constant(w), bias)
    out = gc.compile(y)({"x": x})
    np.testing.assert_array_equal(out[0, 0], x[0, 0, :3, :3])
    np.testing.assert_array_equal(out[0, 1], x[0, 0, 1:, 1:] + 100.0)
    assert out.dtype == np.float32


@pytest.mark.parametrize(("size", "kernel", "stride", "dilation"),
                         [(8, 3, 1, 1), (8, 3, 2, 1), (7, 3, 2, 1), (7, 2, 2, 1), (9, 3, 1, 2), (5, 4, 3, 1)])
def test_same_padding_gives_ceil_of_size_over_stride(size: int, kernel: int, stride: int, dilation: int) -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 2, size, size + 1))
        w = gc.parameter("w", (3, 2, kernel, kernel))
        y = gc.conv2d(x, w, stride=stride, padding="same", dilation=dilation)
        p = gc.max_pool2d(x, kernel, stride, padding="same") if kernel <= 3 else None
    assert y.shape[2:] == (-(-size // stride), -(-(size + 1) // stride))
    if p is not None:
        assert p.shape[2:] == y.shape[2:]
    pads = y.producer.attrs["padding"]  # type: ignore[union-attr]
    assert pads[1] - pads[0] in (0, 1) and pads[3] - pads[2] in (0, 1)  # the extra one goes bottom/right


POOLS = [((2, 2), (2, 2), (0, 0, 0, 0)), ((3, 3), (2, 2), (1, 1, 1, 1)), ((2, 3), (1, 2), (1, 0, 0, 1)),
         ((3, 2), (3, 2), (0, 0, 0, 0)), ((2, 2), (2, 2), (1, 1, 0, 1))]


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOLS)
@pytest.mark.parametrize("size", [(6, 6), (7, 5)])
def test_pooling_matches_the_definition(kernel: Any, stride: Any, padding: Any, size: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, *size))
    with gc.Graph():
        xv = gc.placeholder("x", (None, 3, *size), "float64")
        mp = gc.max_pool2d(xv, kernel, stride, padding)
        ap = gc.avg_pool2d(xv, kernel, stride, padding)
        gm = gc.placeholder("gm", mp.shape, "float64")
        ga = gc.placeholder("ga", ap.shape, "float64")
        dmax, davg = gc.grad(gc.sum(mp * gm), xv), gc.grad(gc.sum(ap * ga), xv)
    ref_max = ref_pool(x, kernel, stride, padding, "max")
    g = rng.standard_normal(ref_max.shape)
    out = gc.compile([mp, ap, dmax, davg])({"x": x, "gm": g, "ga": g})
    np.testing.assert_allclose(out[0], ref_max, rtol=1e-12)
    np.testing.assert_allclose(out[1], ref_pool(x, kernel, stride, padding, "avg"), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out[2], ref_max_pool_grad(x, g, kernel, stride, padding), rtol=1e-12)
    # avg pooling is linear: its gradient is the adjoint, <g, avg(x)> = <avg_grad(g), x>
    np.testing.assert_allclose(np.sum(out[3] * x), np.sum(g * out[1]), rtol=1e-10)


def test_max_pool_gradient_goes_to_the_first_of_tied_maxima() -> None:
    """After a ReLU whole windows are 0: each window gives its gradient to one element, the first in row-major
    order, never to all of them."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = 1.0  # a tie at the top-left window's maximum
    with gc.Graph():
        xv = gc.placeholder("x", (1, 1, 4, 4), "float64")
        dx = gc.grad(gc.sum(gc.max_pool2d(xv, 2) * gc.constant(np.arange(1.0, 5.0).reshape(1, 1, 2, 2))), xv)
        overlapping = gc.grad(gc.sum(gc.max_pool2d(xv, 2, stride=1)), xv)
    got, got_overlap = gc.compile([dx, overlapping])({"x": x})
    want = np.zeros((4, 4))
    want[0, 1], want[0, 2], want[2, 0], want[2, 2] = 1.0, 2.0, 3.0, 4.0
    np.testing.assert_array_equal(got[0, 0], want)
    assert got_overlap.sum() == 9.0  # nine windows, one unit of gradient each


def test_max_pool_ties_agree_with_jax() -> None:
    pytest.importorskip("jax")
    rng = np.random.default_rng(3)
    x = np.maximum(rng.integers(-2, 2, (2, 3, 7, 7)), 0).astype(np.float32)  # many ties
    with gc.Graph():
        xv = gc.placeholder("x", (None, 3, 7, 7))
        outs = []
        for kernel, stride, padding in POOLS:
            y = gc.max_pool2d(xv, kernel, stride, padding)
            outs.append(gc.grad(gc.sum(y * y), xv))
    for r, j in zip(gc.compile(outs)({"x": x}), gc.compile(outs, backend="jax")({"x": x}), strict=True):
        np.testing.assert_allclose(np.asarray(j), r, rtol=1e-6)


def test_global_avg_pool_and_pad() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    with gc.Graph():
        xv = gc.placeholder("x", (None, 4, 5, 6))
        gap = gc.global_avg_pool(xv)
        padded = gc.pad(xv, [(0, 0), (1, 0), (2, 3), (0, 1)], value=-1.5)
        same = gc.pad(xv, [(0, 0)] * 4)
        dpad = gc.grad(gc.sum(padded * padded), xv)
    assert same is xv and gap.shape == (gc.BATCH, 4)
    out = gc.compile([gap, padded, dpad])({"x": x})
    np.testing.assert_allclose(out[0], x.mean(axis=(2, 3)), rtol=1e-6)
    np.testing.assert_array_equal(out[1], np.pad(x, [(0, 0), (1, 0), (2, 3), (0, 1)], constant_values=-1.5))
    np.testing.assert_allclose(out[2], 2 * x, rtol=1e-6)


def test_bad_geometry_is_reported_at_build_time() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 3, 8, 8))
        with pytest.raises(gc.ShapeError, match="3 channels but the kernel"):
            gc.conv2d(x, gc.parameter("w", (4, 2, 3, 3)))
        with pytest.raises(gc.ShapeError, match="does not fit"):
            gc.conv2d(x, gc.parameter("w2", (4, 3, 9, 9)))
        with pytest.raises(gc.ShapeError, match="exceeds half"):
            gc.max_pool2d(x, 2, padding=2)
        with pytest.raises(gc.ShapeError, match="symbolic"):
            gc.pad(x, [(1, 0), (0, 0), (0, 0), (0, 0)])
        with pytest.raises(gc.ShapeError, match="static"):
            gc.conv2d(gc.placeholder("y", (None, 3, "H", 8)), gc.parameter("w3", (4, 3, 3, 3)))
        with pytest.raises(gc.ShapeError, match="padding"):
            gc.conv2d(x, gc.parameter("w4", (4, 3, 3, 3)), padding="full")


@pytest.mark.parametrize(("n", "c"), [(1, 1), (2, 3)])
def test_kernels_return_fresh_arrays(n: int, c: int) -> None:
    """The NumPy kernels reuse workspace buffers internally; no result may alias one (or an input), or the next
    call — or the memory planner — would overwrite it."""
    from graphc.backends.numpy import runtime_conv as rt

    rng = np.random.default_rng(4)
    geo = ((1, 1), (1, 1, 1, 1), (1, 1))
    pool = ((2, 2), (2, 2), (0, 0, 0, 0))
    w = rng.standard_normal((2, c, 3, 3))

    def results(x: Array) -> list[Array]:
        g = rng.standard_normal((n, 2, 4, 4))
        gp = rng.standard_normal((n, c, 2, 2))
        return [rt.conv2d(x, w, *geo), rt.conv2d_input_grad(g, w, (4, 4), *geo),
                rt.conv2d_kernel_grad(x, g, (3, 3), *geo), rt.max_pool2d(x, *pool),
                rt.max_pool2d_grad(x, gp, *pool), rt.avg_pool2d(x, *pool), rt.avg_pool2d_grad(gp, (4, 4), *pool),
                rt.pad(x, (0, 0, 0, 0, 1, 1, 0, 0), 0.0)]

    x1, x2 = rng.standard_normal((n, c, 4, 4)), rng.standard_normal((n, c, 4, 4))
    first = results(x1)
    kept = [r.copy() for r in first]
    second = results(x2)
    for a, k, b in zip(first, kept, second, strict=True):
        np.testing.assert_array_equal(a, k)
        assert not np.shares_memory(a, b) and not np.shares_memory(a, x1)

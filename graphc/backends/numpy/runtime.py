"""NumPy helpers that generated programs call for ops with no single NumPy function.

Each helper is numerically careful (stable sigmoid/softmax) and keeps the input dtype.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from graphc.backends.numpy import runtime_conv as conv  # noqa: F401 - generated code calls _rt.conv.*

Array = np.ndarray[Any, Any]


def sigmoid(x: Array, out: Array | None = None) -> Array:
    """``1/(1+exp(-x))``; ``out`` may be ``x`` itself.

    For very negative ``x``, ``exp(-x)`` overflows to inf and the reciprocal gives the correct limit 0, so the
    overflow is expected and silenced (this form is about twice as fast as ``0.5·(1+tanh(x/2))`` in NumPy,
    whose tanh is much slower than its exp).
    """
    with np.errstate(over="ignore"):
        t = np.negative(x, out=out)
        if t.ndim == 0:  # NumPy scalars cannot be written in place
            return 1 / (1 + np.exp(t))
        np.exp(t, out=t)
        t += 1
        np.divide(t.dtype.type(1), t, out=t)  # NumPy's float32 reciprocal loop is ~1.8x slower than this
    return t


def step(x: Array, threshold: Any, out: Array | None = None) -> Array:
    if out is None:
        return (x > threshold).astype(x.dtype)
    np.greater(x, threshold, out=out)  # bool into float: True → 1
    return out


def leaky_relu(x: Array, alpha: Any, out: Array | None = None) -> Array:
    # max(x, αx) equals leaky ReLU for 0 ≤ α ≤ 1; the where form also covers other α
    if 0 <= alpha <= 1:
        return np.maximum(x, np.multiply(x, alpha), out=out)
    r = np.where(x > 0, x, x * alpha)
    if out is None:
        return r
    np.copyto(out, r)
    return out


def elu(x: Array, alpha: Any, out: Array | None = None) -> Array:
    neg = np.expm1(np.minimum(x, 0)) * alpha
    r = np.where(x > 0, x, neg)
    if out is None:
        return r
    np.copyto(out, r)
    return out


# The ufunc reductions below are np.max/np.sum without their Python wrappers (which cost more than the work
# on the small arrays these ops usually see).


def softmax(x: Array, axis: int) -> Array:
    z = np.subtract(x, np.maximum.reduce(x, axis=axis, keepdims=True))
    np.exp(z, out=z)
    z /= np.add.reduce(z, axis=axis, keepdims=True)
    return z


def log_softmax(x: Array, axis: int) -> Array:
    z = np.subtract(x, np.maximum.reduce(x, axis=axis, keepdims=True))
    lse = np.add.reduce(np.exp(z), axis=axis, keepdims=True)
    np.log(lse, out=lse)
    z -= lse
    return z


def softmax_xent(logits: Array, labels: Array) -> tuple[Array, Array]:
    """Per-example softmax cross-entropy over the last axis and its gradient ``softmax - one_hot`` (the
    ``softmax_xent`` op). Labels outside ``[0, classes)`` give loss 0 and gradient 0.

    Works on a classes-major copy ``(classes, examples)``: with few classes, reductions along a short last
    axis cost NumPy a loop per row, while over the first axis each is one vectorised pass across examples.
    The gradient comes back as the transposed view of that buffer (strided reads are fine for what follows).
    """
    c = logits.shape[-1]
    lab = labels.reshape(-1)
    zt = logits.reshape(-1, c).T.copy()
    n = zt.shape[1]
    np.subtract(zt, np.maximum.reduce(zt, axis=0), out=zt)
    e = np.exp(zt)
    s = np.add.reduce(e, axis=0)
    loss = np.log(s)
    np.divide(e, s, out=e)
    # Flat position of (label, example) in the (classes, n) buffers; one call that also rejects labels outside
    # [0, classes), which then take the slower masked path.
    try:
        idx = np.ravel_multi_index((lab, _arange(n)), (c, n))
        valid = None
    except ValueError:
        valid = (lab >= 0) & (lab < c)
        idx = np.ravel_multi_index((np.where(valid, lab, 0), _arange(n)), (c, n))
    loss -= zt.reshape(-1)[idx]
    e.reshape(-1)[idx] -= 1
    if valid is not None:
        loss *= valid
        e *= valid
    return loss.reshape(labels.shape), e.T.reshape(logits.shape)


def unslice(g: Array, shape: tuple[int, ...], index: tuple[slice, ...]) -> Array:
    out = np.zeros(shape, dtype=g.dtype)
    out[index] = g
    return out


def one_hot(labels: Array, depth: int, dtype: np.dtype[Any]) -> Array:
    out = np.equal(labels[..., None], _arange(depth))
    return out.astype(dtype)


@functools.lru_cache(maxsize=64)
def _arange(n: int) -> Array:
    """A cached read-only ``np.arange(n)`` (class indices, row indices)."""
    indices = np.arange(n)
    indices.setflags(write=False)
    return indices


def int_sum(x: Array, axis: tuple[int, ...], keepdims: bool) -> Array:
    """``np.sum`` promotes small ints to the platform int; graphc keeps the input dtype."""
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)

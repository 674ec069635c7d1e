"""NumPy helpers that generated programs call for ops with no single NumPy function.

Each helper is numerically careful (stable sigmoid/softmax) and keeps the input dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.backends.numpy import runtime_conv as conv  # noqa: F401 - generated code calls _rt.conv.*

Array = np.ndarray[Any, Any]


def sigmoid(x: Array, out: Array | None = None) -> Array:
    """``1/(1+exp(-x))`` as ``0.5·(1 + tanh(x/2))``: stable for large |x|, one transcendental call. ``out`` may
    be ``x`` itself."""
    half = x.dtype.type(0.5)
    out = np.multiply(x, half, out=out)
    if out.ndim == 0:  # NumPy scalars cannot be written in place
        return (np.tanh(out) + 1) * half
    np.tanh(out, out=out)
    out += 1
    out *= half
    return out


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


def softmax(x: Array, axis: int) -> Array:
    z = x - np.max(x, axis=axis, keepdims=True)
    np.exp(z, out=z)
    z /= np.sum(z, axis=axis, keepdims=True)
    return z


def log_softmax(x: Array, axis: int) -> Array:
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def unslice(g: Array, shape: tuple[int, ...], index: tuple[slice, ...]) -> Array:
    out = np.zeros(shape, dtype=g.dtype)
    out[index] = g
    return out


def one_hot(labels: Array, depth: int, dtype: np.dtype[Any]) -> Array:
    return (labels[..., None] == np.arange(depth)).astype(dtype)


def int_sum(x: Array, axis: tuple[int, ...], keepdims: bool) -> Array:
    """``np.sum`` promotes small ints to the platform int; graphc keeps the input dtype."""
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)

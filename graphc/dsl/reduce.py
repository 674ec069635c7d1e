"""Reductions and the softmax family."""

from __future__ import annotations

import math
from typing import Any

from graphc.dsl.axes import normalize_axes, normalize_axis
from graphc.dsl.builder import lift
from graphc.ir.graph import Value
from graphc.ir.types import Sym


def _reduce(op: str, x: Any, axis: Any, keepdims: bool) -> Value:
    v = lift(x)
    axes = normalize_axes(axis, v, op)
    if not axes and not keepdims:
        return v
    return v.graph.emit(op, (v,), {"axis": axes, "keepdims": keepdims})[0]


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Value:
    """Sum over ``axis`` (``None``: all axes)."""
    return _reduce("sum", x, axis, keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Value:
    """Mean over ``axis`` (``None``: all axes); works over symbolic (batch) dimensions."""
    return _reduce("mean", x, axis, keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Value:
    """Maximum over ``axis``; the gradient is shared equally among tied maxima."""
    return _reduce("max", x, axis, keepdims)


def argmax(x: Any, axis: int = -1) -> Value:
    """Index (int64) of the maximum along one axis; not differentiable."""
    v = lift(x)
    return v.graph.emit("argmax", (v,), {"axis": normalize_axis(axis, v.ndim, v, "argmax")})[0]


def softmax(x: Any, axis: int = -1) -> Value:
    """``exp(x) / sum(exp(x))`` along ``axis``, computed stably (max subtracted)."""
    v = lift(x)
    return v.graph.emit("softmax", (v,), {"axis": normalize_axis(axis, v.ndim, v, "softmax")})[0]


def softmax_xent(logits: Any, labels: Any) -> Value:
    """Per-example softmax cross-entropy ``logsumexp(logits) - logits[label]`` over the last axis, for integer
    ``labels`` of shape ``logits.shape[:-1]``; computed stably, as one op whose gradient is ``softmax -
    one_hot``. A label outside ``[0, classes)`` contributes loss 0 and gradient 0 (as a one-hot zero row
    would)."""
    x, y = lift(logits), lift(labels)
    return x.graph.emit("softmax_xent", (x, y))[0]


def log_softmax(x: Any, axis: int = -1) -> Value:
    """``x - logsumexp(x)`` along ``axis``, computed stably."""
    v = lift(x)
    return v.graph.emit("log_softmax", (v,), {"axis": normalize_axis(axis, v.ndim, v, "log_softmax")})[0]


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Value:
    """``log(sum(exp(x)))`` over ``axis``, computed stably (the max is subtracted first)."""
    from graphc.dsl.elementwise import exp, log, stop_gradient
    from graphc.dsl.layout import reshape

    v = lift(x)
    axes = normalize_axes(axis, v, "logsumexp")
    m = stop_gradient(max(v, axes, keepdims=True))
    out = log(sum(exp(v - m), axes, keepdims=True)) + m
    if keepdims:
        return out
    return reshape(out, tuple(d for i, d in enumerate(v.shape) if i not in axes))


def count(x: Value, axes: tuple[int, ...]) -> Value | float:
    """The number of elements ``x`` has along ``axes``: a Python number when static, else a ``dimsize`` node."""
    dims = tuple(x.shape[a] for a in axes)
    if all(isinstance(d, int) for d in dims):
        return float(math.prod(dims))  # type: ignore[arg-type]
    static = math.prod(d for d in dims if isinstance(d, int))
    syms = tuple(d for d in dims if isinstance(d, Sym))
    n = x.graph.emit("dimsize", (), {"dims": syms, "dtype": x.dtype})[0]
    return n * float(static) if static != 1 else n

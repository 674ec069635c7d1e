"""Convolutional building blocks: convolution, pooling, padding and batch normalisation, on NCHW tensors.

Layouts: images are ``(N, C, H, W)`` (the batch may be symbolic; channels and spatial sizes are static), kernels
``(C_out, C_in, KH, KW)``. ``padding`` arguments accept ``"valid"`` (none), ``"same"`` (output size
``⌈size / stride⌉``, the extra row/column going to the bottom/right as in TensorFlow), an int (all four sides),
a pair ``(ph, pw)`` (both sides of each axis) or a quadruple ``(top, bottom, left, right)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from graphc.dsl.builder import lift
from graphc.dsl.elementwise import sqrt
from graphc.dsl.layout import reshape
from graphc.dsl.reduce import mean
from graphc.errors import ShapeError
from graphc.ir.graph import Value
from graphc.ir.source import capture

Padding = str | int | Sequence[int]


def _pair(v: int | Sequence[int], what: str, op: str) -> tuple[int, int]:
    vals = (v, v) if isinstance(v, int) else tuple(v)
    if len(vals) != 2 or not all(isinstance(i, int) and not isinstance(i, bool) for i in vals):
        raise ShapeError(f"{op}: {what} must be an int or a pair of ints, got {v!r}", loc=capture())
    return vals  # type: ignore[return-value]


def _same(x: Value, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int], op: str
          ) -> tuple[int, int, int, int]:
    pads: list[int] = []
    for size, k, s, d in zip(x.shape[2:], kernel, stride, dilation, strict=True):
        if not isinstance(size, int):
            raise ShapeError(f"{op}: padding='same' needs static spatial sizes, got {x.type}", loc=capture())
        total = max((math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0)
        pads += [total // 2, total - total // 2]
    return tuple(pads)  # type: ignore[return-value]


def resolve_padding(x: Value, padding: Padding, kernel: tuple[int, int], stride: tuple[int, int],
                    dilation: tuple[int, int] = (1, 1), op: str = "conv2d") -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` for any accepted ``padding`` argument (see the module docstring)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if x.ndim != 4:
                raise ShapeError(f"{op}: input must be rank 4 (N, C, H, W), got {x.type}", loc=capture())
            return _same(x, kernel, stride, dilation, op)
        raise ShapeError(f"{op}: padding must be 'same', 'valid' or ints, got {padding!r}", loc=capture())
    vals: tuple[int, ...] = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
    if isinstance(padding, bool):
        vals = ()
    if len(vals) == 2:
        return (vals[0], vals[0], vals[1], vals[1])
    if len(vals) == 4:
        return (vals[0], vals[1], vals[2], vals[3])
    raise ShapeError(f"{op}: padding {padding!r} must be an int, (ph, pw) or (top, bottom, left, right)",
                     loc=capture())


def conv2d(x: Any, w: Any, b: Any = None, *, stride: int | Sequence[int] = 1, padding: Padding = "valid",
           dilation: int | Sequence[int] = 1) -> Value:
    """2-D cross-correlation (no kernel flip) of NCHW ``x`` with OIHW ``w``, plus the bias ``b`` (C_out,) if given.

    ``y[n,o,i,j] = Σ_{c,p,q} x_pad[n, c, i·sh + p·dh, j·sw + q·dw] · w[o,c,p,q] + b[o]``.
    """
    xv, wv = lift(x), lift(w)
    st, dil = _pair(stride, "stride", "conv2d"), _pair(dilation, "dilation", "conv2d")
    kernel = tuple(wv.shape[2:]) if wv.ndim == 4 else (1, 1)
    pads = resolve_padding(xv, padding, kernel, st, dil)  # type: ignore[arg-type]
    y = xv.graph.emit("conv2d", (xv, wv), {"stride": st, "padding": pads, "dilation": dil})[0]
    if b is None:
        return y
    bv = lift(b, like=y)
    return y + reshape(bv, (-1, 1, 1))


def _pool(op: str, x: Any, kernel: int | Sequence[int], stride: int | Sequence[int] | None, padding: Padding
          ) -> Value:
    v = lift(x)
    k = _pair(kernel, "kernel", op)
    s = k if stride is None else _pair(stride, "stride", op)
    pads = resolve_padding(v, padding, k, s, op=op)
    return v.graph.emit(op, (v,), {"kernel": k, "stride": s, "padding": pads})[0]


def max_pool2d(x: Any, kernel: int | Sequence[int] = 2, stride: int | Sequence[int] | None = None,
               padding: Padding = "valid") -> Value:
    """Maximum over each window (``stride`` defaults to the kernel size; padding counts as −∞, at most half the
    window per side). The gradient goes to the first maximum of each window."""
    return _pool("max_pool2d", x, kernel, stride, padding)


def avg_pool2d(x: Any, kernel: int | Sequence[int] = 2, stride: int | Sequence[int] | None = None,
               padding: Padding = "valid") -> Value:
    """Mean over each window (``stride`` defaults to the kernel size; padding counts as zeros in the mean)."""
    return _pool("avg_pool2d", x, kernel, stride, padding)


def global_avg_pool(x: Any, keepdims: bool = False) -> Value:
    """Mean over the spatial axes: ``(N, C, H, W) → (N, C)`` (``(N, C, 1, 1)`` with ``keepdims``)."""
    v = lift(x)
    if v.ndim != 4:
        raise ShapeError(f"global_avg_pool: input must be rank 4 (N, C, H, W), got {v.type}", loc=capture())
    return mean(v, (2, 3), keepdims=keepdims)


def pad(x: Any, pads: Sequence[tuple[int, int]] | Sequence[Sequence[int]], value: float = 0.0) -> Value:
    """Pad with the constant ``value``: ``pads`` holds one ``(before, after)`` pair per axis (as ``numpy.pad``).

    Symbolic (batch) axes cannot be padded. Nothing is emitted when every pad is zero.
    """
    v = lift(x)
    pairs = [tuple(p) for p in pads]
    if len(pairs) != v.ndim or any(len(p) != 2 for p in pairs):
        raise ShapeError(f"pad: need one (before, after) pair per axis of {v.type}, got {pads!r}", loc=capture())
    flat = tuple(int(i) for p in pairs for i in p)
    if not any(flat):
        return v
    return v.graph.emit("pad", (v,), {"pads": flat, "value": value})[0]


def moments(x: Any, axes: Sequence[int], keepdims: bool = False) -> tuple[Value, Value]:
    """Mean and (biased) variance of ``x`` over ``axes``."""
    v = lift(x)
    m = mean(v, tuple(axes), keepdims=True)
    d = v - m
    var = mean(d * d, tuple(axes), keepdims=keepdims)
    if not keepdims:
        m = reshape(m, tuple(s for i, s in enumerate(v.shape) if i not in {a % v.ndim for a in axes}))
    return m, var


def batch_norm(x: Any, gamma: Any, beta: Any, mean: Any, var: Any, *, eps: float = 1e-5, axis: int = 1
               ) -> Value:
    """``(x − mean) / √(var + eps) · gamma + beta`` with the per-channel vectors (C,) applied along ``axis``.

    Pass the batch's statistics (:func:`moments`) in training mode and the running averages in inference mode;
    :class:`graphc.nn.BatchNorm` does both and keeps the running averages as state.
    """
    v = lift(x)
    ax = axis % v.ndim
    bshape = tuple(-1 if i == ax else 1 for i in range(v.ndim))
    g, b, m, s2 = (reshape(lift(t, like=v), bshape) for t in (gamma, beta, mean, var))
    scale = g / sqrt(s2 + eps)  # per channel: one small vector, so the big tensor sees one multiply-add
    return (v - m) * scale + b

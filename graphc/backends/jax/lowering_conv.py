"""JAX lowerings of the convolution, pooling, padding and random ops; importing this module adds them to
:data:`graphc.backends.jax.lowering.TABLE`.

Convolutions are ``lax.conv_general_dilated`` with NCHW/OIHW/NCHW dimension numbers; pooling is
``lax.reduce_window``. The gradient ops are the exact adjoints of those computations, obtained with
``jax.vjp``/``jax.jvp`` while tracing, so XLA sees its own transposed convolution and ``select_and_scatter``
(which, like the NumPy kernels, route a tied window's gradient to its first maximum in row-major order).
Random numbers use the uint32 hash defined in :mod:`graphc.ir.ops.random`, bit for bit as the NumPy kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from graphc.backends.jax.lowering import TABLE, LowerCtx
from graphc.ir.opdef import Attrs

_NCHW = ("NCHW", "OIHW", "NCHW")
_NHWC = ("NHWC", "OIHW", "NHWC")


def pad_pairs(padding: Sequence[int]) -> list[tuple[int, int]]:
    """graphc's (top, bottom, left, right) padding as XLA's per-axis (low, high) pairs."""
    return [(padding[0], padding[1]), (padding[2], padding[3])]


def conv_fn(attrs: Attrs, ctx: LowerCtx, channels_last: bool = False) -> Callable[[Any, Any], Any]:
    """conv2d of an NCHW (or, with ``channels_last``, NHWC) input with an OIHW kernel, in the input's layout."""
    numbers = _NHWC if channels_last else _NCHW

    def conv(x: Any, w: Any) -> Any:
        return lax.conv_general_dilated(
            x, w, window_strides=attrs["stride"], padding=pad_pairs(attrs["padding"]), rhs_dilation=attrs["dilation"],
            dimension_numbers=numbers, precision=ctx.precision,
        )

    return conv


def _conv2d(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    return conv_fn(attrs, ctx)(*args)


def conv_input_grad(g: Any, w: Any, attrs: Attrs, ctx: LowerCtx, channels_last: bool = False) -> Any:
    """conv2d's input gradient, the exact adjoint of :func:`conv_fn` (``g`` and the result in its layout)."""
    n, c, (h, wd) = g.shape[0], w.shape[1], attrs["input_hw"]
    x = jnp.zeros((n, h, wd, c) if channels_last else (n, c, h, wd), g.dtype)  # only its shape matters: linear
    conv = conv_fn(attrs, ctx, channels_last)
    _, pullback = jax.vjp(lambda x: conv(x, w), x)
    return pullback(g)[0]


def conv_kernel_grad(x: Any, g: Any, attrs: Attrs, ctx: LowerCtx, channels_last: bool = False) -> Any:
    """conv2d's kernel gradient (OIHW) from ``x`` and ``g`` in :func:`conv_fn`'s layout."""
    o, c = (g.shape[-1], x.shape[-1]) if channels_last else (g.shape[1], x.shape[1])
    w = jnp.zeros((o, c, *attrs["kernel_hw"]), g.dtype)
    conv = conv_fn(attrs, ctx, channels_last)
    _, pullback = jax.vjp(lambda w: conv(x, w), w)
    return pullback(g)[0]


def _conv2d_input_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    g, w = args
    return conv_input_grad(g, w, attrs, ctx)


def _conv2d_kernel_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, g = args
    return conv_kernel_grad(x, g, attrs, ctx)


def _pad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    p = attrs["pads"]
    config = [(p[2 * i], p[2 * i + 1], 0) for i in range(x.ndim)]
    return lax.pad(x, np.asarray(attrs["value"], dtype=x.dtype), config)


# -- pooling ---------------------------------------------------------------------------------------------------


def _window(attrs: Attrs, channels_last: bool) -> dict[str, Any]:
    """``reduce_window`` arguments pooling the spatial axes: 2, 3 (NCHW) or 1, 2 (NHWC)."""
    def spatial(pair: Sequence[Any], fill: Any) -> tuple[Any, ...]:
        return (fill, *pair, fill) if channels_last else (fill, fill, *pair)

    return {
        "window_dimensions": spatial(attrs["kernel"], 1),
        "window_strides": spatial(attrs["stride"], 1),
        "padding": spatial(pad_pairs(attrs["padding"]), (0, 0)),
    }


def max_pool_fn(attrs: Attrs, channels_last: bool = False) -> Callable[[Any], Any]:
    """Max pooling (−∞ padding) as ``reduce_window``; its VJP is ``select_and_scatter`` (first maximum)."""
    def pool(x: Any) -> Any:
        return lax.reduce_window(x, np.asarray(-np.inf, dtype=x.dtype), lax.max, **_window(attrs, channels_last))

    return pool


def sum_pool_fn(attrs: Attrs, channels_last: bool = False) -> Callable[[Any], Any]:
    """Window sums (zero padding) as ``reduce_window``."""
    def pool(x: Any) -> Any:
        return lax.reduce_window(x, np.asarray(0, dtype=x.dtype), lax.add, **_window(attrs, channels_last))

    return pool


def _max_pool2d(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    return max_pool_fn(attrs)(args[0])


def max_pool_grad(x: Any, g: Any, attrs: Attrs, channels_last: bool = False) -> Any:
    """max_pool2d's input gradient: ``select_and_scatter_add``, routing each window's gradient to its first
    maximum in row-major order (``x``, ``g`` and the result in the layout ``channels_last`` names)."""
    _, pullback = jax.vjp(max_pool_fn(attrs, channels_last), x)
    return pullback(g)[0]


def max_pool_gather(x: Any, c: Any, attrs: Attrs, channels_last: bool = False) -> Any:
    """The value of ``c`` at each window's first maximum of ``x`` (the tangent of max pooling)."""
    return jax.jvp(max_pool_fn(attrs, channels_last), (x,), (c,))[1]


def pool_scale(x: Any, attrs: Attrs) -> Any:
    """``1 / (kh·kw)`` in ``x``'s dtype: average pooling counts padding."""
    kh, kw = attrs["kernel"]
    return np.asarray(1.0 / (kh * kw), dtype=x.dtype)


def avg_pool_grad(g: Any, attrs: Attrs, channels_last: bool = False) -> Any:
    """avg_pool2d's input gradient, the adjoint of the scaled window sums (``g`` and the result in the layout
    ``channels_last`` names)."""
    spatial = tuple(attrs["input_hw"])
    n, c = (g.shape[0], g.shape[-1]) if channels_last else g.shape[:2]
    x = jnp.zeros((n, *spatial, c) if channels_last else (n, c, *spatial), g.dtype)  # only its shape matters
    _, pullback = jax.vjp(sum_pool_fn(attrs, channels_last), x)
    return pullback(g * pool_scale(g, attrs))[0]


def _max_pool2d_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, g = args
    return max_pool_grad(x, g, attrs)


def _max_pool2d_gather(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, c = args
    return max_pool_gather(x, c, attrs)


def _avg_pool2d(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    return sum_pool_fn(attrs)(x) * pool_scale(x, attrs)


def _avg_pool2d_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    return avg_pool_grad(args[0], attrs)


# -- random --------------------------------------------------------------------------------------------------


def _u32(v: int) -> Any:
    return np.uint32(v)


def _mix(x: Any) -> Any:
    x = x ^ (x >> _u32(16))
    x = x * _u32(0x7FEB352D)
    x = x ^ (x >> _u32(15))
    x = x * _u32(0x846CA68B)
    return x ^ (x >> _u32(16))


def _random_uniform(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (key,) = args
    shape = ctx.dims(attrs["shape"])
    salt = _mix(jnp.asarray(attrs["salt"] % 2**32, dtype=jnp.uint32))
    s = _mix(salt + lax.bitcast_convert_type(key, jnp.uint32))
    idx = lax.iota(jnp.uint32, int(np.prod(shape)))
    bits = _mix(_mix(idx ^ s) + s) >> _u32(8)
    dtype = attrs["dtype"].numpy
    return (bits.astype(dtype) * np.asarray(2.0**-24, dtype=dtype)).reshape(shape)


TABLE["conv2d"] = _conv2d
TABLE["conv2d_input_grad"] = _conv2d_input_grad
TABLE["conv2d_kernel_grad"] = _conv2d_kernel_grad
TABLE["pad"] = _pad
TABLE["max_pool2d"] = _max_pool2d
TABLE["max_pool2d_grad"] = _max_pool2d_grad
TABLE["max_pool2d_gather"] = _max_pool2d_gather
TABLE["avg_pool2d"] = _avg_pool2d
TABLE["avg_pool2d_grad"] = _avg_pool2d_grad
TABLE["random_uniform"] = _random_uniform

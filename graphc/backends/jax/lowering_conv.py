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


def pad_pairs(padding: Sequence[int]) -> list[tuple[int, int]]:
    """graphc's (top, bottom, left, right) padding as XLA's per-axis (low, high) pairs."""
    return [(padding[0], padding[1]), (padding[2], padding[3])]


def _conv_fn(attrs: Attrs, ctx: LowerCtx) -> Callable[[Any, Any], Any]:
    def conv(x: Any, w: Any) -> Any:
        return lax.conv_general_dilated(
            x, w, window_strides=attrs["stride"], padding=pad_pairs(attrs["padding"]), rhs_dilation=attrs["dilation"],
            dimension_numbers=_NCHW, precision=ctx.precision,
        )

    return conv


def _conv2d(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    return _conv_fn(attrs, ctx)(*args)


def _conv2d_input_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    g, w = args
    conv = _conv_fn(attrs, ctx)
    x = jnp.zeros((g.shape[0], w.shape[1], *attrs["input_hw"]), g.dtype)  # only its shape matters: conv is linear
    _, pullback = jax.vjp(lambda x: conv(x, w), x)
    return pullback(g)[0]


def _conv2d_kernel_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, g = args
    conv = _conv_fn(attrs, ctx)
    w = jnp.zeros((g.shape[1], x.shape[1], *attrs["kernel_hw"]), g.dtype)
    _, pullback = jax.vjp(lambda w: conv(x, w), w)
    return pullback(g)[0]


def _pad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    p = attrs["pads"]
    config = [(p[2 * i], p[2 * i + 1], 0) for i in range(x.ndim)]
    return lax.pad(x, np.asarray(attrs["value"], dtype=x.dtype), config)


# -- pooling ---------------------------------------------------------------------------------------------------


def _window(attrs: Attrs) -> dict[str, Any]:
    return {
        "window_dimensions": (1, 1, *attrs["kernel"]),
        "window_strides": (1, 1, *attrs["stride"]),
        "padding": ((0, 0), (0, 0), *pad_pairs(attrs["padding"])),
    }


def _max_fn(attrs: Attrs) -> Callable[[Any], Any]:
    def pool(x: Any) -> Any:
        return lax.reduce_window(x, np.asarray(-np.inf, dtype=x.dtype), lax.max, **_window(attrs))

    return pool


def _sum_fn(attrs: Attrs) -> Callable[[Any], Any]:
    def pool(x: Any) -> Any:
        return lax.reduce_window(x, np.asarray(0, dtype=x.dtype), lax.add, **_window(attrs))

    return pool


def _max_pool2d(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    return _max_fn(attrs)(args[0])


def _max_pool2d_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, g = args
    _, pullback = jax.vjp(_max_fn(attrs), x)  # select_and_scatter_add: first maximum of each window
    return pullback(g)[0]


def _max_pool2d_gather(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, c = args
    return jax.jvp(_max_fn(attrs), (x,), (c,))[1]  # the tangent of each window's first maximum


def _scale(x: Any, attrs: Attrs) -> Any:
    kh, kw = attrs["kernel"]
    return np.asarray(1.0 / (kh * kw), dtype=x.dtype)


def _avg_pool2d(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    return _sum_fn(attrs)(x) * _scale(x, attrs)


def _avg_pool2d_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (g,) = args
    x = jnp.zeros((*g.shape[:2], *attrs["input_hw"]), g.dtype)
    _, pullback = jax.vjp(_sum_fn(attrs), x)
    return pullback(g * _scale(g, attrs))[0]


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

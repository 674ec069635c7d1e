"""Channels-last lowerings of convolution and pooling (used where ``LowerCtx.channels_last`` is set).

Importing this module adds them to :data:`graphc.backends.jax.layout.LAYOUT_TABLE`, together with the
layout-agnostic ops (elementwise, reductions, fused nodes), which compute on whichever layout their operands
have. Each convolution and pooling lowering takes operands in either layout and returns a
:class:`~graphc.backends.jax.layout.ChannelsLast` result (the kernel gradient, an OIHW array, is returned as
is). Semantics are those of the NCHW lowerings in ``lowering_conv``:

* convolution is ``lax.conv_general_dilated`` with NHWC/OIHW dimension numbers (an im2col product — slices
  concatenated, one ``dot_general`` — measured no faster on XLA:CPU); its two gradients are its exact adjoints
  (``jax.vjp`` while tracing);
* pooling windows that tile the image (kernel = stride, no padding — every course network) are a reshape to
  ``(n, oh, kh, ow, kw, c)`` blocks; ``max_pool2d_grad``/``max_pool2d_gather`` route to each window's *first*
  maximum in row-major order, as the NumPy kernels and ``select_and_scatter`` do, through an explicit
  first-hit mask. Other windows use ``reduce_window`` over the NHWC axes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax import lax

from graphc.backends.jax.layout import LAYOUT_TABLE, ChannelsLast, elementwise, logical, nhwc, reduction
from graphc.backends.jax.lowering import TABLE, LowerCtx
from graphc.backends.jax.lowering_conv import (
    avg_pool_grad,
    conv_fn,
    conv_input_grad,
    conv_kernel_grad,
    max_pool_fn,
    max_pool_gather,
    max_pool_grad,
    pool_scale,
    sum_pool_fn,
)
from graphc.ir.opdef import Attrs, OpKind, all_ops

# -- convolution -------------------------------------------------------------------------------------------------


def _conv2d(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, w = args
    return ChannelsLast(conv_fn(attrs, ctx, channels_last=True)(nhwc(x), logical(w)))


def _conv2d_input_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    g, w = args
    return ChannelsLast(conv_input_grad(nhwc(g), logical(w), attrs, ctx, channels_last=True))


def _conv2d_kernel_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, g = args
    return conv_kernel_grad(nhwc(x), nhwc(g), attrs, ctx, channels_last=True)


# -- pooling -----------------------------------------------------------------------------------------------------


def _tiles(attrs: Attrs) -> bool:
    """Whether the windows tile the image: no overlap, no padding (the remainder rows/columns are dropped)."""
    return tuple(attrs["kernel"]) == tuple(attrs["stride"]) and not any(attrs["padding"])


def _blocks(x: Any, attrs: Attrs) -> Any:
    """NHWC ``x`` cropped to whole windows and split into ``(n, oh, kh, ow, kw, c)`` blocks."""
    n, h, w, c = x.shape
    kh, kw = attrs["kernel"]
    oh, ow = h // kh, w // kw
    return jnp.reshape(x[:, : oh * kh, : ow * kw, :], (n, oh, kh, ow, kw, c))


def _unblock(blocks: Any, hw: Sequence[int]) -> Any:
    """Blocks back to NHWC, zero-filled to the full ``hw`` where the windows dropped a remainder."""
    n, oh, kh, ow, kw, c = blocks.shape
    x = jnp.reshape(blocks, (n, oh * kh, ow * kw, c))
    h, w = hw
    if (h, w) == (oh * kh, ow * kw):
        return x
    return lax.pad(x, np.zeros((), x.dtype), [(0, 0, 0), (0, h - oh * kh, 0), (0, w - ow * kw, 0), (0, 0, 0)])


def _first_max(blocks: Any) -> Any:
    """Boolean mask of each window's first maximum in row-major order (ties go to the earliest), as NumPy's
    ``argmax`` picks it. (A mask built from ``x == max`` with a running "taken" flag per window position,
    fused by XLA:CPU (jaxlib 0.10), gave wrong gradients under ``jit`` though right ones eagerly; ``argmax``
    then ``one_hot`` is correct in both and as fast.)"""
    n, oh, kh, ow, kw, c = blocks.shape
    windows = jnp.reshape(jnp.transpose(blocks, (0, 1, 3, 5, 2, 4)), (n, oh, ow, c, kh * kw))
    first = jnp.argmax(windows, axis=-1)[..., None] == jnp.arange(kh * kw)
    return jnp.transpose(jnp.reshape(first, (n, oh, ow, c, kh, kw)), (0, 1, 4, 2, 5, 3))


def _max_pool2d(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x = nhwc(args[0])
    if _tiles(attrs):
        return ChannelsLast(jnp.max(_blocks(x, attrs), axis=(2, 4)))
    return ChannelsLast(max_pool_fn(attrs, channels_last=True)(x))


def _max_pool2d_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, g = nhwc(args[0]), nhwc(args[1])
    if _tiles(attrs):
        blocks = _blocks(x, attrs)
        routed = jnp.where(_first_max(blocks), g[:, :, None, :, None, :], np.zeros((), g.dtype))
        return ChannelsLast(_unblock(routed, x.shape[1:3]))
    return ChannelsLast(max_pool_grad(x, g, attrs, channels_last=True))


def _max_pool2d_gather(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, c = nhwc(args[0]), nhwc(args[1])
    if _tiles(attrs):
        mask = _first_max(_blocks(x, attrs))
        return ChannelsLast(jnp.sum(jnp.where(mask, _blocks(c, attrs), np.zeros((), c.dtype)), axis=(2, 4)))
    return ChannelsLast(max_pool_gather(x, c, attrs, channels_last=True))


def _avg_pool2d(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x = nhwc(args[0])
    total = jnp.sum(_blocks(x, attrs), axis=(2, 4)) if _tiles(attrs) else sum_pool_fn(attrs, channels_last=True)(x)
    return ChannelsLast(total * pool_scale(x, attrs))


def _avg_pool2d_grad(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    g = nhwc(args[0])
    if not _tiles(attrs):
        return ChannelsLast(avg_pool_grad(g, attrs, channels_last=True))
    g = g * pool_scale(g, attrs)
    n, oh, ow, c = g.shape
    kh, kw = attrs["kernel"]
    spread = jnp.broadcast_to(g[:, :, None, :, None, :], (n, oh, kh, ow, kw, c))
    return ChannelsLast(_unblock(spread, tuple(attrs["input_hw"])))


OPS: dict[str, Callable[[Sequence[Any], Attrs, LowerCtx], Any]] = {
    "conv2d": _conv2d,
    "conv2d_input_grad": _conv2d_input_grad,
    "conv2d_kernel_grad": _conv2d_kernel_grad,
    "max_pool2d": _max_pool2d,
    "max_pool2d_grad": _max_pool2d_grad,
    "max_pool2d_gather": _max_pool2d_gather,
    "avg_pool2d": _avg_pool2d,
    "avg_pool2d_grad": _avg_pool2d_grad,
}
"""The ops lowered here (to channels-last results, but for the kernel gradient: an OIHW array)."""
LAYOUT_TABLE.update(OPS)

# The layout-agnostic ops follow their operands' layout: every elementwise op, the reductions, and fused nodes
# (whose body's nodes choose their layouts themselves).
for _name, _def in all_ops().items():
    if _def.kind is OpKind.ELEMENTWISE:
        LAYOUT_TABLE[_name] = elementwise(TABLE[_name])
for _op in ("sum", "mean", "max"):
    LAYOUT_TABLE[_op] = reduction(TABLE[_op])
LAYOUT_TABLE["fused"] = TABLE["fused"]

"""Channels-last execution of NCHW convolution networks on XLA:CPU.

graphc's convolution and pooling ops are NCHW, the layout of the course and of the NumPy backend. On XLA:CPU
an NCHW training step spends its time in layout changes around each convolution and in ``reduce_window`` /
``select_and_scatter`` for pooling; the same W3 step written channels-last with pooling as reshapes ran in
0.32× the hand-NumPy time against 0.54× for NCHW (hand-written ``jax.jit`` variants, side by side; channels-last
with ``reduce_window`` pooling: 0.40×, NCHW convolutions with reshape pooling: 0.57×).

So the lowering may hold a 4-D value *channels-last*: the environment then stores a :class:`ChannelsLast`
wrapping the NHWC transpose of the value. The ops that can take such values are in :data:`LAYOUT_TABLE`:
convolution and pooling (``lowering_channels_last``, which return channels-last results), and every elementwise
op and the sum/mean/max reductions (wrapped by :func:`elementwise` and :func:`reduction` below, registered there
too), which compute on whichever layout their operands have. Every other
consumer sees the NCHW array, transposed once and cached. The IR never
changes — this is a lowering detail, like XLA's own layout assignment — and is used only where
``LowerCtx.channels_last`` is set (by default on CPU), so accelerator lowerings are the plain NCHW ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from graphc.ir.opdef import Attrs

TO_NHWC = (0, 2, 3, 1)  # storage axis i holds logical (NCHW) axis TO_NHWC[i]
TO_NCHW = (0, 3, 1, 2)


class ChannelsLast:
    """A 4-D NCHW value held as its NHWC transpose ``data``; ``shape`` is the logical (NCHW) shape."""

    __slots__ = ("_logical", "data")

    def __init__(self, data: Any) -> None:
        self.data = data
        self._logical: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        n, h, w, c = self.data.shape
        return (n, c, h, w)

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    def logical(self) -> Any:
        """The NCHW array (one transpose, made once)."""
        if self._logical is None:
            self._logical = jnp.transpose(self.data, TO_NCHW)
        return self._logical


def logical(x: Any) -> Any:
    """``x`` in the layout the IR gives it."""
    return x.logical() if isinstance(x, ChannelsLast) else x


def nhwc(x: Any) -> Any:
    """The NHWC array of a 4-D value, whichever way it is held."""
    return x.data if isinstance(x, ChannelsLast) else jnp.transpose(x, TO_NHWC)


LayoutLowering = Callable[[Sequence[Any], Attrs, Any], Any]
# op name -> a lowering that accepts ChannelsLast operands; it returns None to decline (the caller then lowers
# the node from NCHW operands with the plain table)
LAYOUT_TABLE: dict[str, LayoutLowering] = {}


def _as_storage(x: Any) -> Any:
    """An operand of an elementwise op on channels-last data, in storage order (broadcasting preserved)."""
    if isinstance(x, ChannelsLast):
        return x.data
    ndim = np.ndim(x)
    if ndim == 0:
        return x
    if ndim < 4:  # right-aligned broadcasting: give it the leading unit axes first
        x = jnp.reshape(x, (1,) * (4 - ndim) + tuple(x.shape))
    return jnp.transpose(x, TO_NHWC)


def elementwise(plain: LayoutLowering) -> LayoutLowering:
    """The channels-last form of an elementwise lowering: computes in storage order when an operand is
    channels-last and the result is 4-D."""

    def lower(args: Sequence[Any], attrs: Attrs, ctx: Any) -> Any:
        if not any(isinstance(a, ChannelsLast) for a in args) or max(len(logical_shape(a)) for a in args) != 4:
            return None
        return ChannelsLast(plain([_as_storage(a) for a in args], attrs, ctx))

    return lower


def logical_shape(x: Any) -> tuple[int, ...]:
    return x.shape if isinstance(x, ChannelsLast) else tuple(np.shape(x))


def reduction(plain: LayoutLowering) -> LayoutLowering:
    """The channels-last form of a reduction with ``axis`` (a normalised tuple) and ``keepdims`` attributes."""

    def lower(args: Sequence[Any], attrs: Attrs, ctx: Any) -> Any:
        (x,) = args
        if not isinstance(x, ChannelsLast):
            return None
        storage_axes = tuple(sorted(TO_NHWC.index(a) for a in attrs["axis"]))  # the IR's normalised axes
        out = plain([x.data], Attrs({**attrs, "axis": storage_axes}), ctx)
        if attrs["keepdims"]:
            return ChannelsLast(out)
        kept = [TO_NHWC[i] for i in range(4) if i not in storage_axes]  # logical axis of each result axis
        order = tuple(int(i) for i in np.argsort(kept))
        return out if order == tuple(range(len(kept))) else jnp.transpose(out, order)

    return lower

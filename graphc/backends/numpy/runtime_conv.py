"""NumPy kernels for convolution, pooling, padding and counter-based random numbers.

Generated programs reach these as ``_rt.conv.<name>`` (re-exported by :mod:`graphc.backends.numpy.runtime`).

No Python loop runs over pixels or batch elements. Convolutions work in a channels-first, batch-last layout
(C, H, W, N): the batch becomes the innermost, contiguous axis of every patch row, so the copies stay long even
for the tiny images of course-sized models. A convolution is *im2col* — a strided window view of the padded
input (``sliding_window_view``), copied once into a (C·KH·KW, OH·OW·N) patch matrix — then **one GEMM**; the
kernel gradient is one GEMM of the cotangent with the same patches. The input gradient is one GEMM producing
per-patch gradients, then *col2im*: a loop over the ``kh·kw`` kernel offsets, each one whole-array strided add.
Pooling folds whole-array ufuncs (``maximum``, ``add``) over the kernel offsets — NumPy's own reductions over a
tiny window axis are an order of magnitude slower — and its gradients write (or, for overlapping windows, add)
into the same strided per-offset views.

Every function returns a fresh array (never a view of an argument or of a workspace buffer), which the memory
planner relies on.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Array = np.ndarray[Any, Any]
Pair = tuple[int, int]
Quad = tuple[int, int, int, int]


# -- shared geometry -------------------------------------------------------------------------------------------


def _pad_hw(x: Array, padding: Quad, value: Any = 0) -> Array:
    """NCHW ``x`` with its last two axes padded by (top, bottom, left, right); ``x`` itself when nothing is."""
    top, bottom, left, right = padding
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def _windows(xp: Array, kernel: Pair, stride: Pair, dilation: Pair = (1, 1), axis: int = 2) -> Array:
    """A view of every window of an already padded input whose spatial axes are ``axis``, ``axis + 1``: those
    two axes become the window positions (OH, OW) and (KH, KW) is appended (no copy)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    view = sliding_window_view(xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(axis, axis + 1))
    index = [slice(None)] * view.ndim
    index[axis], index[axis + 1], index[-2], index[-1] = slice(None, None, sh), slice(None, None, sw), \
        slice(None, None, dh), slice(None, None, dw)
    return view[tuple(index)]


def _col2im(cols: Array, out: Array, axis: int, stride: Pair, dilation: Pair = (1, 1)) -> None:
    """The adjoint of taking windows: ``out`` (zeros, padded) += every window's values, in place.

    ``cols[p, q]`` holds the values at kernel offset (p, q) of every window, shaped like ``out`` with the
    spatial axes (``axis``, ``axis + 1``) replaced by the window positions (OH, OW). Loops over the kernel offsets
    only; each iteration is one strided whole-array add.
    """
    kh, kw = cols.shape[:2]
    oh, ow = cols.shape[2 + axis], cols.shape[3 + axis]
    (sh, sw), (dh, dw) = stride, dilation
    index: list[slice] = [slice(None)] * out.ndim
    for p in range(kh):
        index[axis] = slice(p * dh, p * dh + (oh - 1) * sh + 1, sh)
        for q in range(kw):
            index[axis + 1] = slice(q * dw, q * dw + (ow - 1) * sw + 1, sw)
            out[tuple(index)] += cols[p, q]


def _crop(xp: Array, padding: Quad, axis: int) -> Array:
    top, bottom, left, right = padding
    index: list[slice] = [slice(None)] * xp.ndim
    index[axis] = slice(top, xp.shape[axis] - bottom)
    index[axis + 1] = slice(left, xp.shape[axis + 1] - right)
    return xp[tuple(index)]


# -- convolution (in the C, H, W, N layout) --------------------------------------------------------------------
# The temporaries of a convolution (padded input, patches, GEMM results) live in per-thread workspace buffers
# reused from call to call: a fresh multi-megabyte allocation per call costs more in page faults than the
# arithmetic. Workspaces never escape: every result is copied out into a new array.

_workspace = threading.local()
_WORKSPACE_BYTES = 1 << 27  # per thread; past it (many shapes: varying batch sizes) the cache starts over


def _scratch(tag: str, shape: tuple[int, ...], dtype: Any, zero: bool = False) -> Array:
    """A reusable buffer for temporary ``tag`` of this shape and dtype (uninitialised unless ``zero``).

    Two temporaries alive at once must have different tags; a buffer is valid until the next request of the
    same tag, shape and dtype on this thread.
    """
    cache: dict[tuple[Any, ...], Array] | None = getattr(_workspace, "buffers", None)
    if cache is None:
        cache = _workspace.buffers = {}
    key = (tag, shape, np.dtype(dtype).str)
    buf = cache.get(key)
    if buf is None:
        buf = np.empty(shape, dtype)
        if sum(b.nbytes for b in cache.values()) + buf.nbytes > _WORKSPACE_BYTES:
            cache.clear()
        cache[key] = buf
    if zero:
        buf.fill(0)
    return buf


# Moving the batch axis across a whole tensor at once walks memory with a huge stride; going through (C, N, H·W)
# makes each step a set of per-channel transposes that fit in cache (several times faster for N·H·W ≳ 10⁴).


def _batch_last(x: Array, padding: Quad = (0, 0, 0, 0), tag: str = "in") -> Array:
    """NCHW → zero-padded (C, H, W, N) in workspace ``tag``."""
    n, c, h, w = x.shape
    top, bottom, left, right = padding
    cnp = _scratch("cnp", (c, n, h * w), x.dtype)
    np.copyto(cnp.reshape(c, n, h, w), x.transpose(1, 0, 2, 3))
    out = _scratch(tag, (c, h + top + bottom, w + left + right, n), x.dtype, zero=bool(any(padding)))
    np.copyto(out[:, top:top + h, left:left + w], cnp.transpose(0, 2, 1).reshape(c, h, w, n))
    return out


def _batch_first(y: Array) -> Array:
    """(C, H, W, N) → a new contiguous NCHW array."""
    c, h, w, n = y.shape
    cnp = _scratch("cnp", (c, n, h * w), y.dtype)
    np.copyto(cnp, y.reshape(c, h * w, n).transpose(0, 2, 1))
    out = np.empty((n, c, h, w), dtype=y.dtype)
    np.copyto(out, cnp.reshape(c, n, h, w).transpose(1, 0, 2, 3))
    return out


def _patches(x: Array, kernel: Pair, stride: Pair, padding: Quad, dilation: Pair) -> Array:
    """im2col: the (C, KH, KW, OH, OW, N) patch tensor of NCHW ``x`` (workspace; reshape it to the GEMM's
    (C·KH·KW, OH·OW·N))."""
    win = _windows(_batch_last(x, padding), kernel, stride, dilation, axis=1)  # (C, OH, OW, N, KH, KW)
    view = win.transpose(0, 4, 5, 1, 2, 3)
    cols = _scratch("cols", view.shape, x.dtype)
    np.copyto(cols, view)
    return cols


def conv2d(x: Array, w: Array, stride: Pair, padding: Quad, dilation: Pair) -> Array:
    """NCHW ⋆ OIHW cross-correlation: im2col, then one GEMM (O, C·KH·KW) @ (C·KH·KW, OH·OW·N)."""
    o, c, kh, kw = w.shape
    cols = _patches(x, (kh, kw), stride, padding, dilation)
    oh, ow, n = cols.shape[3:]
    y = _scratch("gemm", (o, oh * ow * n), x.dtype)
    np.matmul(w.reshape(o, c * kh * kw), cols.reshape(c * kh * kw, oh * ow * n), out=y)
    return _batch_first(y.reshape(o, oh, ow, n))


def conv2d_input_grad(g: Array, w: Array, input_hw: Pair, stride: Pair, padding: Quad, dilation: Pair) -> Array:
    """``∂⟨g, conv2d(x, w)⟩/∂x``: per-patch gradients by one GEMM (C·KH·KW, O) @ (O, OH·OW·N), then col2im."""
    o, c, kh, kw = w.shape
    n, _, oh, ow = g.shape
    cols = _scratch("cols", (c * kh * kw, oh * ow * n), g.dtype)
    np.matmul(w.reshape(o, c * kh * kw).T, _batch_last(g).reshape(o, oh * ow * n), out=cols)
    offsets_first = cols.reshape(c, kh, kw, oh, ow, n).transpose(1, 2, 0, 3, 4, 5)  # a view
    top, bottom, left, right = padding
    acc = _scratch("acc", (c, input_hw[0] + top + bottom, input_hw[1] + left + right, n), g.dtype, zero=True)
    _col2im(offsets_first, acc, 1, stride, dilation)
    return _batch_first(_crop(acc, padding, 1))


def conv2d_kernel_grad(x: Array, g: Array, kernel_hw: Pair, stride: Pair, padding: Quad, dilation: Pair) -> Array:
    """``∂⟨g, conv2d(x, w)⟩/∂w``: one GEMM of the cotangent (O, OH·OW·N) with the patches (C·KH·KW, OH·OW·N)ᵀ."""
    n, o, oh, ow = g.shape
    c = x.shape[1]
    kh, kw = kernel_hw
    cols = _patches(x, (kh, kw), stride, padding, dilation)
    gm = _batch_last(g, tag="cotangent").reshape(o, oh * ow * n)
    return (gm @ cols.reshape(c * kh * kw, oh * ow * n).T).reshape(o, c, kh, kw)


def pad(x: Array, pads: tuple[int, ...], value: Any) -> Array:
    """Constant padding; ``pads`` holds (before, after) per axis."""
    pairs = [(pads[2 * i], pads[2 * i + 1]) for i in range(x.ndim)]
    out = np.full(tuple(d + lo + hi for d, (lo, hi) in zip(x.shape, pairs, strict=True)), value, dtype=x.dtype)
    out[tuple(slice(lo, lo + d) for d, (lo, _) in zip(x.shape, pairs, strict=True))] = x
    return out


# -- pooling ---------------------------------------------------------------------------------------------------
# NumPy reduces tiny trailing axes (a 2×2 window) slowly, one outer element at a time; pooling instead folds
# whole-array ufuncs over the kernel offsets: window element (p, q) of every window is one strided view.


def _offsets(xp: Array, kernel: Pair, stride: Pair, out_hw: Pair) -> list[Array]:
    """For each kernel offset (p, q), row-major, the (N, C, OH, OW) view of that element of every window."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_hw
    return [xp[:, :, p:p + (oh - 1) * sh + 1:sh, q:q + (ow - 1) * sw + 1:sw] for p in range(kh) for q in range(kw)]


def _pool_views(x: Array, kernel: Pair, stride: Pair, padding: Quad, value: Any) -> list[Array]:
    top, bottom, left, right = padding
    h, w = x.shape[2] + top + bottom, x.shape[3] + left + right
    out_hw = ((h - kernel[0]) // stride[0] + 1, (w - kernel[1]) // stride[1] + 1)
    return _offsets(_pad_hw(x, padding, value), kernel, stride, out_hw)


def _fold_max(views: list[Array]) -> Array:
    acc = views[0].copy()
    for v in views[1:]:
        np.maximum(acc, v, out=acc)
    return acc


def _first_hits(views: list[Array]) -> list[Array]:
    """Per kernel offset, where that element is its window's first maximum (row-major): one True per window."""
    top = _fold_max(views)
    free = np.ones(top.shape, dtype=bool)
    hits = []
    for v in views:
        hit = np.equal(v, top)
        hit &= free
        free ^= hit  # hit ⊆ free: clears the windows that found their maximum
        hits.append(hit)
    return hits


def max_pool2d(x: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    return _fold_max(_pool_views(x, kernel, stride, padding, -np.inf))


def max_pool2d_grad(x: Array, g: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    """``g`` routed to each window's first maximum of ``x`` (summed where windows overlap)."""
    hits = _first_hits(_pool_views(x, kernel, stride, padding, -np.inf))
    out, views = _scatter_target(x.shape, g, kernel, stride, padding)
    if _overlap(kernel, stride):
        part = _scratch("pool", g.shape, g.dtype)
        for hit, view in zip(hits, views, strict=True):
            view += np.multiply(g, hit, out=part)
    else:  # every input position is in at most one window: write, do not accumulate
        for hit, view in zip(hits, views, strict=True):
            np.multiply(g, hit, out=view)
    return _crop(out, padding, 2)


def max_pool2d_gather(x: Array, c: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    """``c`` read at each window's first maximum of ``x``."""
    hits = _first_hits(_pool_views(x, kernel, stride, padding, -np.inf))
    values = _pool_views(c, kernel, stride, padding, 0)
    out = np.zeros(hits[0].shape, dtype=c.dtype)
    for hit, v in zip(hits, values, strict=True):
        np.copyto(out, v, where=hit)
    return out


def avg_pool2d(x: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    views = _pool_views(x, kernel, stride, padding, 0)
    acc = views[0].copy()
    for v in views[1:]:
        acc += v
    acc *= x.dtype.type(1.0 / (kernel[0] * kernel[1]))
    return acc


def avg_pool2d_grad(g: Array, input_hw: Pair, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    """``g / (KH·KW)`` spread evenly over each window."""
    share = g * g.dtype.type(1.0 / (kernel[0] * kernel[1]))
    out, views = _scatter_target((*g.shape[:2], *input_hw), g, kernel, stride, padding)
    overlap = _overlap(kernel, stride)
    for view in views:
        if overlap:
            view += share
        else:
            np.copyto(view, share)
    return _crop(out, padding, 2)


def _overlap(kernel: Pair, stride: Pair) -> bool:
    return stride[0] < kernel[0] or stride[1] < kernel[1]


def _scatter_target(x_shape: tuple[int, ...], g: Array, kernel: Pair, stride: Pair, padding: Quad
                    ) -> tuple[Array, list[Array]]:
    """A new zero image of ``x_shape`` (padded) and, per kernel offset, the view of it that offset's element of
    every window covers (the adjoint of :func:`_offsets`: gradients are written or added into those views)."""
    top, bottom, left, right = padding
    n, c, h, w = x_shape
    out = np.zeros((n, c, h + top + bottom, w + left + right), dtype=g.dtype)
    return out, _offsets(out, kernel, stride, g.shape[2:])


# -- counter-based random numbers (see graphc.ir.ops.random for the definition) --------------------------------

_U32 = np.uint32


def _mix(x: Array) -> Array:
    """lowbias32, in place on a uint32 array (wrapping arithmetic)."""
    x ^= x >> _U32(16)
    x *= _U32(0x7FEB352D)
    x ^= x >> _U32(15)
    x *= _U32(0x846CA68B)
    x ^= x >> _U32(16)
    return x


def random_bits(key: Array, shape: tuple[int, ...], salt: int) -> Array:
    """uint32 hash of every element's row-major index with ``key`` (an int32 scalar) and ``salt``."""
    s = _mix(np.array([salt % 2**32], dtype=_U32))
    s += np.asarray(key).astype(np.int32).reshape(1).view(_U32)
    _mix(s)
    bits = np.arange(math.prod(shape), dtype=_U32)
    bits ^= s
    _mix(bits)
    bits += s
    return _mix(bits).reshape(shape)


def random_uniform(key: Array, shape: tuple[int, ...], salt: int, dtype: Any) -> Array:
    """Uniform in [0, 1): the top 24 bits of :func:`random_bits`, scaled by 2⁻²⁴ (exact in float32)."""
    bits = random_bits(key, shape, salt)
    bits >>= _U32(8)
    out = bits.astype(dtype)
    out *= out.dtype.type(2.0**-24)
    return out

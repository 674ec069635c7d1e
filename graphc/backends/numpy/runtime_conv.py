"""NumPy kernels for convolution, pooling, padding and counter-based random numbers.

Generated programs reach these as ``_rt.conv.<name>`` (re-exported by :mod:`graphc.backends.numpy.runtime`).

No Python loop runs over pixels or batch elements. A convolution is *im2col* — a strided window view of the
padded input (``sliding_window_view``), copied once into a patch matrix — followed by one (batched) GEMM; the
kernel gradient is one GEMM over the same patches. The input gradient is one GEMM producing per-patch gradients
followed by *col2im*: a loop over the ``kh·kw`` kernel offsets, each a whole-array strided add. Pooling uses a
reshape when windows tile the input exactly, else the same window views; its gradients scatter with the same
col2im loop.

Every function returns a fresh array (never a view of an argument), which the memory planner relies on.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Array = np.ndarray[Any, Any]
Pair = tuple[int, int]
Quad = tuple[int, int, int, int]


# -- shared geometry -------------------------------------------------------------------------------------------


def _pad_hw(x: Array, padding: Quad, value: Any = 0) -> Array:
    """``x`` with its last two axes padded by (top, bottom, left, right); ``x`` itself when nothing is padded."""
    top, bottom, left, right = padding
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def _windows(xp: Array, kernel: Pair, stride: Pair, dilation: Pair = (1, 1)) -> Array:
    """The (N, C, OH, OW, KH, KW) view of every window of an already padded input (no copy)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    view = sliding_window_view(xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def _col2im(cols: Array, padded_hw: Pair, padding: Quad, stride: Pair, dilation: Pair = (1, 1)) -> Array:
    """Adjoint of taking windows: sum per-window values ``cols`` (N, C, KH, KW, OH, OW) back into an image.

    Loops over the kernel offsets only; each iteration adds one strided (N, C, OH, OW) block. Returns the
    unpadded image (N, C, H, W).
    """
    n, c, kh, kw, oh, ow = cols.shape
    (hp, wp), (sh, sw), (dh, dw) = padded_hw, stride, dilation
    out = np.zeros((n, c, hp, wp), dtype=cols.dtype)
    for p in range(kh):
        rows = slice(p * dh, p * dh + (oh - 1) * sh + 1, sh)
        for q in range(kw):
            out[:, :, rows, q * dw:q * dw + (ow - 1) * sw + 1:sw] += cols[:, :, p, q]
    top, bottom, left, right = padding
    if top or bottom or left or right:
        return out[:, :, top:hp - bottom, left:wp - right]
    return out


def _tiles(x_hw: Pair, kernel: Pair, stride: Pair, padding: Quad) -> Pair | None:
    """(OH, OW) when windows tile the input without overlap or padding (a reshape does the pooling), else None."""
    if kernel != stride or any(padding):
        return None
    return x_hw[0] // kernel[0], x_hw[1] // kernel[1]


# -- convolution -----------------------------------------------------------------------------------------------


def _patches(x: Array, kernel: Pair, stride: Pair, padding: Quad, dilation: Pair, order: tuple[int, ...]) -> Array:
    """The im2col copy: every window's elements, axes of the (N, C, OH, OW, KH, KW) window view in ``order``."""
    win = _windows(_pad_hw(x, padding), kernel, stride, dilation)
    return np.ascontiguousarray(win.transpose(order))


def conv2d(x: Array, w: Array, stride: Pair, padding: Quad, dilation: Pair) -> Array:
    """NCHW ⋆ OIHW cross-correlation: im2col (N, C·KH·KW, OH·OW) then one GEMM per batch of patches, which gives
    NCHW directly."""
    o, c, kh, kw = w.shape
    cols = _patches(x, (kh, kw), stride, padding, dilation, (0, 1, 4, 5, 2, 3))  # (N, C, KH, KW, OH, OW)
    n, oh, ow = cols.shape[0], cols.shape[4], cols.shape[5]
    y = np.matmul(w.reshape(o, c * kh * kw), cols.reshape(n, c * kh * kw, oh * ow))
    return y.reshape(n, o, oh, ow)


def conv2d_input_grad(g: Array, w: Array, input_hw: Pair, stride: Pair, padding: Quad, dilation: Pair) -> Array:
    """``∂⟨g, conv2d(x, w)⟩/∂x``: per-patch gradients by one GEMM, then col2im."""
    o, c, kh, kw = w.shape
    n, _, oh, ow = g.shape
    cols = np.matmul(w.reshape(o, c * kh * kw).T, g.reshape(n, o, oh * ow))  # (N, C·KH·KW, OH·OW)
    top, bottom, left, right = padding
    padded = (input_hw[0] + top + bottom, input_hw[1] + left + right)
    return _col2im(cols.reshape(n, c, kh, kw, oh, ow), padded, padding, stride, dilation)


def conv2d_kernel_grad(x: Array, g: Array, kernel_hw: Pair, stride: Pair, padding: Quad, dilation: Pair) -> Array:
    """``∂⟨g, conv2d(x, w)⟩/∂w``: one GEMM of the cotangent (O, N·OH·OW) with the patches (C·KH·KW, N·OH·OW)ᵀ."""
    n, o, oh, ow = g.shape
    c = x.shape[1]
    kh, kw = kernel_hw
    cols = _patches(x, (kh, kw), stride, padding, dilation, (1, 4, 5, 0, 2, 3))  # (C, KH, KW, N, OH, OW)
    gm = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(o, n * oh * ow)
    return (gm @ cols.reshape(c * kh * kw, n * oh * ow).T).reshape(o, c, kh, kw)


def pad(x: Array, pads: tuple[int, ...], value: Any) -> Array:
    """Constant padding; ``pads`` holds (before, after) per axis."""
    pairs = [(pads[2 * i], pads[2 * i + 1]) for i in range(x.ndim)]
    out = np.full(tuple(d + lo + hi for d, (lo, hi) in zip(x.shape, pairs, strict=True)), value, dtype=x.dtype)
    out[tuple(slice(lo, lo + d) for d, (lo, _) in zip(x.shape, pairs, strict=True))] = x
    return out


# -- pooling ---------------------------------------------------------------------------------------------------


def _tiled(x: Array, kernel: Pair, tiles: Pair) -> Array:
    """(N, C, OH, KH, OW, KW) view-or-copy of the part of ``x`` the tiling windows cover."""
    (kh, kw), (oh, ow) = kernel, tiles
    n, c = x.shape[:2]
    return x[:, :, :oh * kh, :ow * kw].reshape(n, c, oh, kh, ow, kw)


def max_pool2d(x: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    tiles = _tiles(x.shape[2:], kernel, stride, padding)
    if tiles is not None:
        return _tiled(x, kernel, tiles).max(axis=(3, 5))
    return _windows(_pad_hw(x, padding, -np.inf), kernel, stride).max(axis=(4, 5))


def _first_max(x: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    """Per window, the row-major index (in [0, KH·KW)) of its first maximum: (N, C, OH, OW) int."""
    kh, kw = kernel
    tiles = _tiles(x.shape[2:], kernel, stride, padding)
    if tiles is not None:
        flat = _tiled(x, kernel, tiles).transpose(0, 1, 2, 4, 3, 5)
    else:
        flat = _windows(_pad_hw(x, padding, -np.inf), kernel, stride)
    return flat.reshape(*flat.shape[:4], kh * kw).argmax(axis=-1)


def _spread(x_shape: tuple[int, ...], values: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    """Sum per-window-element values (N, C, OH, OW, KH, KW) back into an image of ``x_shape``."""
    n, c, oh, ow, kh, kw = values.shape
    h, w = x_shape[2:]
    tiles = _tiles((h, w), kernel, stride, padding)
    if tiles is not None:
        img = values.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh * kh, ow * kw)
        if (oh * kh, ow * kw) == (h, w):
            return img
        out = np.zeros(x_shape, dtype=values.dtype)
        out[:, :, :oh * kh, :ow * kw] = img
        return out
    top, bottom, left, right = padding
    return _col2im(values.transpose(0, 1, 4, 5, 2, 3), (h + top + bottom, w + left + right), padding, stride)


def max_pool2d_grad(x: Array, g: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    """``g`` routed to each window's first maximum of ``x``."""
    kh, kw = kernel
    hit = _first_max(x, kernel, stride, padding)[..., None] == np.arange(kh * kw)
    values = np.multiply(hit, g[..., None], dtype=g.dtype)
    return _spread(x.shape, values.reshape(*g.shape, kh, kw), kernel, stride, padding)


def max_pool2d_gather(x: Array, c: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    """``c`` read at each window's first maximum of ``x``."""
    kh, kw = kernel
    idx = _first_max(x, kernel, stride, padding)
    tiles = _tiles(x.shape[2:], kernel, stride, padding)
    if tiles is not None:
        win = _tiled(c, kernel, tiles).transpose(0, 1, 2, 4, 3, 5)
    else:
        win = _windows(_pad_hw(c, padding), kernel, stride)
    flat = win.reshape(*win.shape[:4], kh * kw)
    return np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]


def avg_pool2d(x: Array, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    scale = x.dtype.type(1.0 / (kernel[0] * kernel[1]))
    tiles = _tiles(x.shape[2:], kernel, stride, padding)
    if tiles is not None:
        total = _tiled(x, kernel, tiles).sum(axis=(3, 5))
    else:
        total = _windows(_pad_hw(x, padding), kernel, stride).sum(axis=(4, 5))
    total *= scale
    return total


def avg_pool2d_grad(g: Array, input_hw: Pair, kernel: Pair, stride: Pair, padding: Quad) -> Array:
    """``g / (KH·KW)`` spread evenly over each window."""
    kh, kw = kernel
    share = g * g.dtype.type(1.0 / (kh * kw))
    values = np.broadcast_to(share[..., None, None], (*g.shape, kh, kw))
    return _spread((*g.shape[:2], *input_hw), values, kernel, stride, padding)


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

"""Layout DSL functions: reshape, transpose, broadcasting, concatenation, slicing and indexing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc.dsl.axes import normalize_axis
from graphc.dsl.builder import lift, lift_all
from graphc.errors import ShapeError
from graphc.ir.graph import Value
from graphc.ir.source import capture
from graphc.ir.types import Dim, Shape, Sym, as_dim, format_shape

# Slice stop meaning "to the end of the axis": lets a full slice of a symbolic dimension be a static attribute.
END = 2**62


def _resolve_reshape(x: Value, shape: Sequence[Any]) -> Shape:
    """Resolve ``-1`` and check sizes for a reshape of ``x``, symbols included (``B·64 → (B, 8, 8)``)."""
    target: list[Dim | None] = []
    for d in shape:
        if isinstance(d, int | np.integer) and not isinstance(d, bool) and int(d) == -1:
            target.append(None)
        else:
            target.append(as_dim(d) if d is not None else None)
    if sum(1 for d in target if d is None) > 1:
        raise ShapeError(f"reshape: at most one -1 allowed in {tuple(shape)}", loc=capture())
    in_static = math.prod(d for d in x.shape if isinstance(d, int))
    in_syms = sorted(d.name for d in x.shape if isinstance(d, Sym))
    out_static = math.prod(d for d in target if isinstance(d, int))
    out_syms = sorted(d.name for d in target if isinstance(d, Sym))
    bad = ShapeError(f"reshape: cannot reshape {x.type} to {tuple(shape)}", loc=capture())
    if None in target:
        rest = list(in_syms)
        for s in out_syms:
            if s not in rest:
                raise bad
            rest.remove(s)
        if len(rest) > 1 or out_static == 0:
            raise bad
        if rest:
            if in_static != out_static:
                raise bad
            fill: Dim = Sym(rest[0])
        else:
            if in_static % out_static:
                raise bad
            fill = in_static // out_static
        return tuple(fill if d is None else d for d in target)
    if in_syms != out_syms or in_static != out_static:
        raise bad
    return tuple(target)  # type: ignore[arg-type]


def reshape(x: Any, shape: Sequence[Any]) -> Value:
    """Reshape to ``shape``; one entry may be ``-1``. Symbolic dimensions must be carried over by name."""
    v = lift(x)
    new = _resolve_reshape(v, shape)
    if new == v.shape:
        return v
    return v.graph.emit("reshape", (v,), {"shape": new})[0]


def flatten(x: Any, start_axis: int = 1) -> Value:
    """Collapse axes ``start_axis…`` into one (the layer between convolutions and dense layers)."""
    v = lift(x)
    start = normalize_axis(start_axis, v.ndim, v, "flatten")
    return reshape(v, (*v.shape[:start], -1))


def transpose(x: Any, perm: Sequence[int] | None = None) -> Value:
    """Permute axes (``None``: reverse them, as ``.T``)."""
    v = lift(x)
    p = tuple(range(v.ndim))[::-1] if perm is None else tuple(normalize_axis(a, v.ndim, v, "transpose") for a in perm)
    if p == tuple(range(v.ndim)):
        return v
    return v.graph.emit("transpose", (v,), {"perm": p})[0]


def swap_last(x: Value) -> Value:
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    perm = list(range(x.ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return transpose(x, perm)


def broadcast_to(x: Any, shape: Sequence[Any]) -> Value:
    """Broadcast to ``shape`` with NumPy rules (symbols allowed)."""
    v = lift(x)
    target = tuple(as_dim(d) for d in shape)
    if target == v.shape:
        return v
    return v.graph.emit("broadcast_to", (v,), {"shape": target})[0]


def sum_to(g: Value, shape: Shape) -> Value:
    """Sum ``g`` down to ``shape`` — the adjoint of broadcasting ``shape`` up to ``g.shape``."""
    from graphc.dsl.reduce import sum as _sum

    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0:
        raise ShapeError(f"sum_to: cannot reduce {g.type} to {format_shape(shape)}", loc=capture())
    axes = list(range(lead))
    for i, d in enumerate(shape):
        if d == 1 and g.shape[lead + i] != 1:
            axes.append(lead + i)
    out = _sum(g, tuple(axes), keepdims=True) if axes else g
    return reshape(out, shape)


def expand_dims(x: Any, axis: int) -> Value:
    """Insert a length-1 axis at ``axis``."""
    v = lift(x)
    a = normalize_axis(axis, v.ndim + 1, v, "expand_dims")
    return reshape(v, (*v.shape[:a], 1, *v.shape[a:]))


def concat(xs: Sequence[Any], axis: int = 0) -> Value:
    """Concatenate along ``axis``; other dimensions must agree."""
    vs = lift_all(*xs)
    if not vs:
        raise ShapeError("concat: needs at least one input", loc=capture())
    a = normalize_axis(axis, vs[0].ndim, vs[0], "concat")
    if len(vs) == 1:
        return vs[0]
    return vs[0].graph.emit("concat", tuple(vs), {"axis": a})[0]


def slice(x: Any, slices: Sequence[tuple[int, int, int]]) -> Value:
    """Basic strided slice: one ``(start, stop, step)`` per axis with Python slice semantics."""
    v = lift(x)
    return v.graph.emit("slice", (v,), {"slices": tuple(slices)})[0]


def index(x: Any, key: Any) -> Value:
    """``x[key]`` for basic indexing: ints, slices, ``...`` and ``None`` (new axis).

    Integer indices drop their axis; a symbolic axis may only be sliced whole (``x[:, 0]`` is fine on a batch).
    """
    v = lift(x)
    items = list(key) if isinstance(key, tuple) else [key]
    n_real = sum(1 for k in items if k is not None and k is not Ellipsis)
    if sum(1 for k in items if k is Ellipsis) > 1:
        raise ShapeError("index: only one Ellipsis allowed", loc=capture())
    if n_real > v.ndim:
        raise ShapeError(f"index: too many indices ({n_real}) for {v.type}", loc=capture())
    expanded: list[Any] = []
    for k in items:
        if k is Ellipsis:
            expanded.extend([np.s_[:]] * (v.ndim - n_real))
        else:
            expanded.append(k)
    expanded.extend([np.s_[:]] * (v.ndim + sum(1 for k in expanded if k is None) - len(expanded)))
    slices: list[tuple[int, int, int]] = []
    out_shape: list[Dim] = []
    axis = 0
    for k in expanded:
        if k is None:
            out_shape.append(1)
            continue
        dim = v.shape[axis]
        if isinstance(k, int | np.integer) and not isinstance(k, bool):
            if isinstance(dim, Sym):
                raise ShapeError(f"index: cannot take element {k} of symbolic axis {dim} of {v.type}", loc=capture())
            i = int(k)
            if not -dim <= i < dim:
                raise ShapeError(f"index: index {i} is out of bounds for axis {axis} of {v.type}", loc=capture())
            i %= dim
            slices.append((i, i + 1, 1))
        elif isinstance(k, type(np.s_[:])):
            if isinstance(dim, Sym):
                if k.start not in (None, 0) or k.stop is not None or k.step not in (None, 1):
                    raise ShapeError(f"index: symbolic axis {dim} of {v.type} can only be sliced whole",
                                     loc=capture())
                slices.append((0, END, 1))
            else:
                start, stop, st = k.indices(dim)
                if stop < 0:  # a negative step running past index 0: -1 would mean "the last element"
                    stop = -(dim + 1)
                slices.append((start, stop, st))
            out_shape.append(dim if isinstance(dim, Sym) else len(range(*np.s_[start:stop:st].indices(dim))))
        else:
            raise ShapeError(f"index: unsupported index {k!r} (ints, slices, ..., None only)", loc=capture())
        axis += 1
    full = all(s == (0, END, 1) or (isinstance(d, int) and s == (0, d, 1))
               for s, d in zip(slices, v.shape, strict=True))
    out = v if full else slice(v, slices)
    return reshape(out, out_shape)

"""Layout ops: they move or copy elements without arithmetic (reshape, transpose, broadcast, concat, slices)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from graphc import dsl as G
from graphc.dsl.layout import END
from graphc.ir.graph import Node, Value
from graphc.ir.opdef import Attrs, AttrSpec, Case, Linear, OpDef, OpKind, RuleError, register
from graphc.ir.ops import rules
from graphc.ir.types import Dim, Shape, Sym, broadcast_shapes, format_shape

Cts = tuple[Value | None, ...]
Needs = tuple[bool, ...]
Grads = Sequence[Value | None]


def _size_signature(shape: Shape) -> tuple[int, Counter[str]]:
    return math.prod(d for d in shape if isinstance(d, int)), Counter(d.name for d in shape if isinstance(d, Sym))


def _reshape_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (src,) = shapes
    dst = attrs["shape"]
    if _size_signature(src) != _size_signature(dst):
        raise RuleError(f"cannot reshape {format_shape(src)} to {format_shape(dst)}: sizes differ")
    return (dst,)


def _reshape_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    return [G.reshape(cts[0], node.inputs[0].shape)]


register(OpDef("reshape", OpKind.LAYOUT, 1, _reshape_shape, rules.first_input, (AttrSpec("shape", "dims"),),
               _reshape_vjp, (Case(((3, 4),), {"shape": (2, 6)}), Case(((2, 3, 4),), {"shape": (6, 4)})),
               "same elements, new shape", linear=Linear("joint")))


def _transpose_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (src,) = shapes
    perm = attrs["perm"]
    if sorted(perm) != list(range(len(src))):
        raise RuleError(f"perm {perm} is not a permutation of the {len(src)} axes")
    return (tuple(src[p] for p in perm),)


def _transpose_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    perm = node.attrs["perm"]
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return [G.transpose(cts[0], inverse)]


register(OpDef("transpose", OpKind.LAYOUT, 1, _transpose_shape, rules.first_input, (AttrSpec("perm", "ints"),),
               _transpose_vjp, (Case(((3, 4),), {"perm": (1, 0)}), Case(((2, 3, 4),), {"perm": (2, 0, 1)})),
               "permute axes", linear=Linear("joint")))


def _broadcast_to_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (src,) = shapes
    dst = attrs["shape"]
    if len(src) > len(dst) or broadcast_shapes(src, dst) != dst:
        raise RuleError(f"cannot broadcast {format_shape(src)} to {format_shape(dst)}")
    return (dst,)


def _broadcast_to_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    return [G.sum_to(cts[0], node.inputs[0].shape)]  # type: ignore[arg-type]


register(OpDef("broadcast_to", OpKind.LAYOUT, 1, _broadcast_to_shape, rules.first_input,
               (AttrSpec("shape", "dims"),), _broadcast_to_vjp,
               (Case(((3, 1),), {"shape": (3, 4)}), Case(((4,),), {"shape": (2, 3, 4)}), Case(((),), {"shape": (2,)})),
               "repeat along broadcast axes", linear=Linear("joint")))


def _concat_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    axis = attrs["axis"]
    first = shapes[0]
    rules.check_axes((axis,), len(first))
    total = 0
    for s in shapes:
        if len(s) != len(first) or any(d != e for i, (d, e) in enumerate(zip(s, first, strict=True)) if i != axis):
            raise RuleError(f"shapes {', '.join(map(format_shape, shapes))} differ off axis {axis}")
        if not isinstance(s[axis], int):
            raise RuleError(f"cannot concatenate along symbolic dimension {s[axis]}")
        total += s[axis]
    return ((*first[:axis], total, *first[axis + 1 :]),)


def _concat_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (g,) = cts
    axis = node.attrs["axis"]
    out: list[Value | None] = []
    start = 0
    for x, need in zip(node.inputs, needs, strict=True):
        n = x.shape[axis]
        assert isinstance(n, int)
        if need:
            sl = [(0, END, 1)] * x.ndim
            sl[axis] = (start, start + n, 1)
            out.append(G.slice(g, sl))
        else:
            out.append(None)
        start += n
    return out


register(OpDef("concat", OpKind.LAYOUT, None, _concat_shape, rules.any_same, (AttrSpec("axis", "int"),), _concat_vjp,
               (Case(((3, 4), (2, 4)), {"axis": 0}), Case(((3, 1), (3, 2), (3, 3)), {"axis": 1})),
               "join along an axis", linear=Linear("joint", None)))


def _slice_dim(d: Dim, s: tuple[int, int, int], end: int) -> Dim:
    start, stop, step = s
    if step == 0:
        raise RuleError("slice step must not be 0")
    if isinstance(d, Sym):
        if (start, stop, step) != (0, end, 1):
            raise RuleError(f"symbolic dimension {d} can only be sliced whole")
        return d
    return len(range(*slice(start, stop, step).indices(d)))


def _slice_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (src,) = shapes
    sl = attrs["slices"]
    if len(sl) != len(src):
        raise RuleError(f"{len(sl)} slices for rank {len(src)}")
    return (tuple(_slice_dim(d, s, END) for d, s in zip(src, sl, strict=True)),)


def _slice_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    x = node.inputs[0]
    return [x.graph.emit("unslice", (cts[0],), {"shape": x.shape, "slices": node.attrs["slices"]})[0]]  # type: ignore[arg-type]


register(OpDef("slice", OpKind.LAYOUT, 1, _slice_shape, rules.first_input, (AttrSpec("slices", "slices"),),
               _slice_vjp,
               (Case(((5, 4),), {"slices": ((1, 4, 1), (0, 4, 2))}), Case(((6,),), {"slices": ((5, -7, -2),)})),
               "basic strided slice, one (start, stop, step) per axis", linear=Linear("joint")))


def _unslice_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (src,) = shapes
    full = attrs["shape"]
    (expected,) = _slice_shape((full,), Attrs({"slices": attrs["slices"]}))
    if src != expected:
        raise RuleError(f"input {format_shape(src)} is not the slice {format_shape(expected)} of {format_shape(full)}")
    return (full,)


def _unslice_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    return [G.slice(cts[0], node.attrs["slices"])]


register(OpDef("unslice", OpKind.LAYOUT, 1, _unslice_shape, rules.first_input,
               (AttrSpec("shape", "dims"), AttrSpec("slices", "slices")), _unslice_vjp,
               (Case(((3, 2),), {"shape": (5, 4), "slices": ((1, 4, 1), (0, 4, 2))}),),
               "zeros of `shape` with the input written into the slice (the adjoint of slice)", linear=Linear("joint")))

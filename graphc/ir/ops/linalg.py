"""Matrix multiplication (batched, with NumPy broadcasting of the leading dimensions)."""

from __future__ import annotations

from collections.abc import Sequence

from graphc import dsl as G
from graphc.ir.graph import Node, Value
from graphc.ir.opdef import Attrs, Case, Linear, OpDef, OpKind, RuleError, register
from graphc.ir.ops import rules
from graphc.ir.types import broadcast_shapes, format_shape


def _matmul_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    a, b = shapes
    if len(a) < 2 or len(b) < 2:
        raise RuleError("operands must have rank ≥ 2 (reshape vectors to (1, n) or (n, 1))")
    if a[-1] != b[-2]:
        raise RuleError(f"inner dimensions differ: {format_shape(a)} @ {format_shape(b)} ({a[-1]} vs {b[-2]})")
    batch = broadcast_shapes(a[:-2], b[:-2])
    if batch is None:
        raise RuleError(f"batch dimensions {format_shape(a[:-2])} and {format_shape(b[:-2])} do not broadcast")
    return ((*batch, a[-2], b[-1]),)


def _matmul_vjp(node: Node, cts: tuple[Value | None, ...], needs: tuple[bool, ...]) -> Sequence[Value | None]:
    (g,) = cts
    a, b = node.inputs
    assert g is not None
    ga = G.sum_to(G.matmul(g, G.swap_last(b)), a.shape) if needs[0] else None
    gb = G.sum_to(G.matmul(G.swap_last(a), g), b.shape) if needs[1] else None
    return [ga, gb]


register(OpDef(
    "matmul", OpKind.OPAQUE, 2, _matmul_shape, rules.numeric_same, (), _matmul_vjp,
    (Case(((3, 4), (4, 5))), Case(((2, 3, 4), (4, 5))), Case(((2, 3, 4), (2, 4, 2))), Case(((1, 3, 4), (2, 4, 2)))),
    "matrix product a @ b", linear=Linear("each", (0, 1)),
))

"""Common-subexpression elimination: one node per distinct (op, inputs, attributes)."""

from __future__ import annotations

from typing import Any

from graphc.ir.graph import Graph, Value
from graphc.ir.rewrite import Rebuilder


def common_subexpression_elimination(graph: Graph) -> Graph:
    """Merge nodes computing the same op on the same inputs with equal attributes.

    Inputs of commutative ops are compared as a multiset (``a + b`` and ``b + a`` merge). Constants merge by
    content. Every op is pure, so merging never changes results.
    """
    rb = Rebuilder(graph)
    seen: dict[tuple[Any, ...], tuple[Value, ...]] = {}
    for node in graph.nodes:
        ins = tuple(rb[v] for v in node.inputs)
        ids = tuple(v.id for v in ins)
        if node.op.commutative:
            ids = tuple(sorted(ids))
        key = (node.op.name, ids, node.attrs)
        hit = seen.get(key)
        if hit is not None and all(h.type == o.type for h, o in zip(hit, node.outputs, strict=True)):
            rb.replace(node, hit)
            continue
        seen[key] = rb.copy(node, ins)
    return rb.finish()

"""Constant folding: nodes whose inputs are all constants become constants."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.ir.constant import ConstValue
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.rewrite import Rebuilder
from graphc.ir.types import is_static

# Folding must not turn a small constant into a huge one (broadcast_to of a scalar to a big shape, say).
MAX_FOLDED_ELEMENTS = 1 << 16
_NEVER_FOLD = {"constant", "dimsize", "fused"}


def const_array(v: Value) -> np.ndarray[Any, Any] | None:
    """The payload if ``v`` is the output of a constant node, else ``None``."""
    node = v.producer
    if node is None or node.op.name != "constant":
        return None
    arr: np.ndarray[Any, Any] = node.attrs["value"].array
    return arr


def constant_folding(graph: Graph) -> Graph:
    """Evaluate (with the NumPy lowering) each node whose inputs are all constants and whose outputs are static
    and small, and replace it by a constant node."""
    from graphc.backends.numpy.codegen import evaluate_node

    rb = Rebuilder(graph)
    for node in graph.nodes:
        ins = [rb[v] for v in node.inputs]
        arrays = [const_array(v) for v in ins]
        if (
            node.op.name in _NEVER_FOLD
            or not ins
            or any(a is None for a in arrays)
            or not all(is_static(o.shape) for o in node.outputs)
            or sum(_size(o) for o in node.outputs) > max(MAX_FOLDED_ELEMENTS, max(a.size for a in arrays))  # type: ignore[union-attr]
        ):
            rb.copy(node, ins)
            continue
        results = evaluate_node(node, arrays)
        rb.replace(node, [emit_constant(rb, node, o, r) for o, r in zip(node.outputs, results, strict=True)])
    return rb.finish()


def _size(v: Value) -> int:
    return int(np.prod(v.shape))  # type: ignore[arg-type]


def emit_constant(rb: Rebuilder, node: Node, out: Value, result: Any) -> Value:
    """A constant node holding ``result`` as ``out``'s dtype and shape, in ``node``'s place."""
    arr = np.asarray(result, dtype=out.dtype.numpy).reshape(out.shape)  # type: ignore[arg-type]
    return rb.emit(node, "constant", (), {"value": ConstValue(arr), "dtype": out.dtype})[0]

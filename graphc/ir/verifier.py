"""Structural checks of a graph: SSA, topological order, ownership, and types that agree with the op rules."""

from __future__ import annotations

from graphc.errors import GraphcError, VerifyError
from graphc.ir.graph import Graph, Value, infer_types
from graphc.ir.opdef import get_op


def verify(graph: Graph) -> None:
    """Raise :class:`VerifyError` naming the first node that breaks an invariant:

    * every value is defined once (graph input or one node output) and belongs to ``graph``;
    * every node's inputs are defined before the node (topological order), outputs after the last node;
    * every node's op is the registered record of that name, its outputs point back at it;
    * output types equal what the op's shape and dtype rules give for the input types.
    """
    defined: set[Value] = set()
    for v in graph.inputs:
        if v in defined:
            raise VerifyError(f"graph input {v!r} is listed twice")
        if v.graph is not graph or v.producer is not None:
            raise VerifyError(f"graph input {v!r} belongs to another graph or has a producer")
        defined.add(v)
    for node in graph.nodes:
        where = f"node {node.op.name} at {node.loc}"
        try:
            registered = get_op(node.op.name)
        except GraphcError as e:
            raise VerifyError(f"{where}: {e}") from None
        if registered is not node.op:
            raise VerifyError(f"{where}: op record is not the registered {node.op.name!r}")
        for i, v in enumerate(node.inputs):
            if v not in defined:
                raise VerifyError(f"{where}: input {i} {v!r} is used before it is defined (or not in the graph)")
        try:
            expected = infer_types(node.op, tuple(v.type for v in node.inputs), node.attrs, node.loc)
        except GraphcError as e:
            raise VerifyError(f"{where}: inputs no longer satisfy the op's rules: {e}") from None
        for key, attr in node.attrs.items():
            if isinstance(attr, Graph):
                try:
                    verify(attr)
                except VerifyError as e:
                    raise VerifyError(f"{where}: subgraph {key!r}: {e}") from None
        if len(expected) != len(node.outputs):
            raise VerifyError(f"{where}: has {len(node.outputs)} outputs, its rules give {len(expected)}")
        for i, (out, t) in enumerate(zip(node.outputs, expected, strict=True)):
            if out in defined:
                raise VerifyError(f"{where}: output {out!r} is defined twice (not SSA)")
            if out.producer is not node or out.index != i or out.graph is not graph:
                raise VerifyError(f"{where}: output {i} {out!r} does not point back at its node")
            if out.type != t:
                raise VerifyError(f"{where}: output {i} has type {out.type}, its rules give {t}")
            defined.add(out)
    for v in graph.outputs:
        if v not in defined:
            raise VerifyError(f"graph output {v!r} is not defined in the graph")

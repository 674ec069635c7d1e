"""The ``fused`` op: a node that holds a subgraph (a fused group) and computes its single output.

The fusion pass makes these; backends lower them as one kernel (the NumPy backend runs the group in place,
in cache-sized blocks where it can; the JAX backend hands the group to XLA). Its VJP inlines the body and
differentiates it, so a fused graph can still be differentiated.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphc.ir.dtypes import as_dtype
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.opdef import Attrs, AttrSpec, Case, OpDef, OpKind, RuleError, register
from graphc.ir.ops import rules
from graphc.ir.types import TensorType


def _body(attrs: Attrs) -> Graph:
    body = attrs["body"]
    if not isinstance(body, Graph) or len(body.outputs) != 1:
        raise RuleError("body must be a graph with one output")
    return body


def _fused_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    body = _body(attrs)
    expected = tuple(v.shape for v in body.inputs)
    if tuple(shapes) != expected:
        raise RuleError(f"inputs {list(shapes)} do not match the body's {list(expected)}")
    return tuple(o.shape for o in body.outputs)


def _fused_dtype(dtypes: rules.DTypes, attrs: Attrs) -> rules.DTypes:
    body = _body(attrs)
    if tuple(dtypes) != tuple(v.dtype for v in body.inputs):
        raise RuleError("input dtypes do not match the body's", dtype=True)
    return tuple(o.dtype for o in body.outputs)


def inline(node: Node) -> list[Value]:
    """Emit the body's nodes into the graph of ``node``'s inputs; returns the values of the body's outputs."""
    body: Graph = node.attrs["body"]
    graph = node.inputs[0].graph if node.inputs else node.outputs[0].graph
    env: dict[Value, Value] = dict(zip(body.inputs, node.inputs, strict=True))
    for n in body.nodes:
        outs = graph.emit(n.op, [env[v] for v in n.inputs], n.attrs, loc=n.loc)
        env.update(zip(n.outputs, outs, strict=True))
    return [env[o] for o in body.outputs]


def _fused_vjp(node: Node, cts: tuple[Value | None, ...], needs: tuple[bool, ...]) -> Sequence[Value | None]:
    from graphc.autodiff import backprop, path_from

    graph = node.inputs[0].graph
    first = len(graph.nodes)
    outs = inline(node)
    sources = [v for v, need in zip(node.inputs, needs, strict=True) if need]
    on_path, depends = path_from(graph.nodes[first:], sources)
    seeds = {o: c for o, c in zip(outs, cts, strict=True) if c is not None}
    backprop(on_path, seeds, depends, tag=False)
    return [seeds.get(v) if need else None for v, need in zip(node.inputs, needs, strict=True)]


def example_body(dtype: str = "float64") -> Graph:
    """A small elementwise body, ``tanh(a * b + a)``, on (3, 4) inputs (used by the registry's test cases)."""
    dt = as_dtype(dtype)
    with Graph("fused_example") as g:
        a = g.add_placeholder("p0", TensorType((3, 4), dt))
        b = g.add_placeholder("p1", TensorType((3, 4), dt))
        (m,) = g.emit("mul", [a, b])
        (s,) = g.emit("add", [m, a])
        (t,) = g.emit("tanh", [s])
        g.outputs = [t]
    return g


register(OpDef("fused", OpKind.OPAQUE, None, _fused_shape, _fused_dtype, (AttrSpec("body", "any"),), _fused_vjp,
               (Case(((3, 4), (3, 4)), {"body": example_body}),),
               "a fused group: computes its body graph's output"))

"""Reverse-mode automatic differentiation as a graph transform.

:func:`grad` appends the backward nodes to the loss's graph and returns the gradient values: the backward graph
is ordinary IR that the printer, passes, backends and renderer all handle, and it can itself be differentiated.

Contract:

* the loss must be a float scalar (shape ``()``); use ``sum``/``mean`` first otherwise;
* every ``wrt`` must be a float value of the same graph;
* a ``wrt`` the loss does not depend on is an error by default; ``unused="zero"`` returns zeros instead;
* fan-in gradients are summed, and broadcasting is undone by each VJP rule (``sum_to``);
* every node added is tagged ``role="backward"`` and ``grad_of=<forward node>``, and records the forward node's
  source line as its own, so errors and renders point at the user's forward code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Literal, overload

from graphc import dsl as G
from graphc.errors import GradError
from graphc.gcpause import gc_paused
from graphc.ir.analysis import live_nodes
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.source import capture


@overload
def grad(loss: Value, wrt: Value, *, unused: Literal["error", "zero"] = "error") -> Value: ...
@overload
def grad(loss: Value, wrt: Sequence[Value], *, unused: Literal["error", "zero"] = "error") -> list[Value]: ...


def grad(
    loss: Value, wrt: Value | Sequence[Value], *, unused: Literal["error", "zero"] = "error"
) -> Value | list[Value]:
    """Gradients of scalar ``loss`` with respect to ``wrt`` (one value or a sequence), built as IR."""
    single = isinstance(wrt, Value)
    targets: list[Value] = [wrt] if isinstance(wrt, Value) else list(wrt)
    _check(loss, targets)
    graph = loss.graph
    forward = live_nodes(graph, [loss])

    with gc_paused():
        return _grad(loss, graph, forward, targets, single, unused)


def _grad(loss: Value, graph: Graph, forward: list[Node], targets: list[Value], single: bool, unused: str
          ) -> Value | list[Value]:
    on_path, depends = path_from(forward, targets)

    cts: dict[Value, Value] = {}
    with graph.tagging(role="backward", grad_of=None, seed_of=loss), graph.located(capture()):
        cts[loss] = G.constant(1.0, loss.dtype, graph=graph)
    if loss not in graph.meta.setdefault("losses", []):
        graph.meta["losses"].append(loss)
    backprop(on_path, cts, depends, tag=True)
    # forward value → its cotangent, so renderers can show each activation's gradient beside it
    graph.meta.setdefault("cotangents", {}).update(cts)

    results: list[Value] = []
    for t in targets:
        g = cts.get(t)
        if g is None:
            if unused == "error":
                raise GradError(
                    f"the loss does not depend on {t!r}; pass unused='zero' to get zeros instead", loc=capture()
                )
            with graph.tagging(role="backward", grad_of=None):
                g = G.broadcast_to(G.constant(0.0, t.dtype, graph=graph), t.shape)
        if g.name is None and g.producer is not None and g.producer.tags.get("role") == "backward":
            g.name = f"grad/{t.name}" if t.name else None
        results.append(g)
        graph.meta.setdefault("gradients", {})[t] = g
    return results[0] if single else results


def _check(loss: Value, targets: list[Value]) -> None:
    if not isinstance(loss, Value):
        raise GradError(f"loss must be a graph value, got {type(loss).__name__}", loc=capture())
    if loss.shape != ():
        raise GradError(
            f"the loss must be a scalar, got {loss.type}; reduce it first (e.g. graphc.mean(loss))", loc=capture()
        )
    if not loss.dtype.is_float:
        raise GradError(f"the loss must be floating point, got {loss.type}", loc=capture())
    for t in targets:
        if not isinstance(t, Value):
            raise GradError(f"wrt entries must be graph values, got {type(t).__name__}", loc=capture())
        if t.graph is not loss.graph:
            raise GradError(f"{t!r} belongs to graph {t.graph.name!r}, the loss to {loss.graph.name!r}", loc=capture())
        if not t.dtype.is_float:
            raise GradError(f"cannot differentiate with respect to {t!r}: dtype {t.dtype} is not floating point",
                            loc=capture())


def path_from(nodes: Sequence[Node], sources: Sequence[Value]) -> tuple[list[Node], set[Value]]:
    """The nodes (in order) that read a value depending on ``sources``, and the float values that depend."""
    depends: set[Value] = set(sources)
    on_path: list[Node] = []
    for node in nodes:
        if any(v in depends for v in node.inputs):
            on_path.append(node)
            depends.update(o for o in node.outputs if o.dtype.is_float)
    return on_path, depends


def backprop(on_path: Sequence[Node], cts: dict[Value, Value], depends: set[Value], *, tag: bool) -> None:
    """Propagate cotangents in ``cts`` backwards through ``on_path`` (in reverse), adding entries for every
    float value in ``depends`` that receives one. Fan-in cotangents are summed. With ``tag``, emitted nodes are
    marked ``role="backward"``, linked to their forward node and attributed to its source line (VJP rules
    that inline a subgraph call this untagged: they are already inside a tagged region)."""
    for node in reversed(on_path):
        outs = tuple(cts.get(o) for o in node.outputs)
        if all(c is None for c in outs):
            continue
        needs = tuple(v in depends and v.dtype.is_float for v in node.inputs)
        if not any(needs):
            continue
        if node.op.vjp is None:
            raise GradError(f"op {node.op.name!r} has no VJP rule", loc=node.loc)
        graph = node.inputs[0].graph
        ctx = (graph.tagging(role="backward", grad_of=node), graph.located(node.loc)) if tag else ()
        with contextlib.ExitStack() as stack:
            for c in ctx:
                stack.enter_context(c)
            in_cts = node.op.vjp(node, outs, needs)
            for v, g, need in zip(node.inputs, in_cts, needs, strict=True):
                if g is None or not need:
                    continue
                if g.type != v.type:
                    raise GradError(
                        f"VJP of {node.op.name} gave a {g.type} cotangent for input {v.type}", loc=node.loc
                    )
                prev = cts.get(v)
                cts[v] = g if prev is None else G.add(prev, g)

"""Unrolling ``scan`` nodes for pictures of backprop through time.

:func:`unroll_scans` rewrites a graph so that each scan's first ``k`` steps appear as ``k`` inlined copies of its
body, each in its own name scope (``…/scan<id>_t<step>``, drawn as a cluster), followed by one scan node for the
remaining steps. The result computes exactly what the original does, so it can be run as well as rendered.
"""

from __future__ import annotations

from typing import Any

from graphc import dsl as G
from graphc.ir.graph import Graph, Node, Value


def unroll_scans(graph: Graph, k: int) -> Graph:
    """A copy of ``graph`` with the first ``k`` (≥ 0) steps of every top-level scan inlined (see the module).

    Inputs keep their names, roles and parameter specs; copied nodes keep their scope, tags and source line;
    ``meta["losses"]``/``["gradients"]``/``["cotangents"]`` are carried over for the values that survive.
    """
    if k < 0:
        raise ValueError(f"unroll: k must be ≥ 0, got {k}")
    g = Graph(f"{graph.name}")
    env: dict[Value, Value] = {}
    nodes: dict[Node, Node] = {}
    for v in graph.inputs:
        if v.role == "param" and v.param is not None:
            env[v] = g.add_parameter(v.name or "p", v.type, v.param.init, v.param.trainable)
        else:
            env[v] = g.add_placeholder(v.name or "x", v.type)
    with g:
        for n in graph.nodes:
            if n.op.name == "scan" and k > 0:
                outs = _unroll_one(g, n, [env[v] for v in n.inputs], k)
            else:
                outs = list(g.emit(n.op, [env[v] for v in n.inputs], n.attrs, loc=n.loc))
                _copy_node_facts(g.nodes[-1], n, nodes)
            for old, new in zip(n.outputs, outs, strict=True):
                if old.name is not None:
                    new.name = old.name
                env[old] = new
    g.outputs = [env[v] for v in graph.outputs]
    _copy_meta(graph.meta, g.meta, env)
    return g


def _copy_node_facts(new: Node, old: Node, nodes: dict[Node, Node]) -> None:
    nodes[old] = new
    new.scope = old.scope
    new.tags = {key: (nodes.get(val, val) if isinstance(val, Node) else val) for key, val in old.tags.items()}


def _unroll_one(g: Graph, node: Node, args: list[Value], k: int) -> list[Value]:
    body: Graph = node.attrs["body"]
    nc, nx, length = node.attrs["num_carry"], node.attrs["num_xs"], node.attrs["length"]
    reverse, save = node.attrs["reverse"], node.attrs["save_carries"]
    ny = len(body.outputs) - nc
    carries, xs, consts = args[:nc], args[nc:nc + nx], args[nc + nx:]
    steps = min(k, length)
    order = list(range(length - 1, length - 1 - steps, -1)) if reverse else list(range(steps))
    ys: list[list[Value]] = [[] for _ in range(ny)]
    saved: list[list[Value]] = [[] for _ in range(nc)]
    label = f"scan{node.id}"
    for t in order:
        for i, c in enumerate(carries):
            saved[i].append(c)
        scope = f"{node.scope}/{label}_t{t}" if node.scope else f"{label}_t{t}"
        local: dict[Value, Value] = dict(zip(body.inputs, [*carries, *(x[t] for x in xs), *consts], strict=True))
        first = len(g.nodes)
        for n in body.nodes:
            step_outs = g.emit(n.op, [local[v] for v in n.inputs], n.attrs, loc=n.loc)
            local.update(zip(n.outputs, step_outs, strict=True))
        for m in g.nodes[first:]:
            m.scope, m.tags = scope, {**node.tags, "unrolled_step": t}
        outs_all = [local[v] for v in body.outputs]
        carries = outs_all[:nc]
        for i in range(ny):
            ys[i].append(outs_all[nc + i])
    rest = length - steps
    rest_outs: list[Value] = []
    if rest > 0:
        window = (slice(0, rest) if reverse else slice(steps, length),)
        rest_outs = list(g.emit("scan", [*carries, *(x[window] for x in xs), *consts],
                                {**node.attrs, "length": rest}, loc=node.loc))
        carries = rest_outs[:nc]

    def stacked(unrolled: list[Value], remainder: Value | None) -> Value:
        parts: list[Any] = [G.expand_dims(v, 0) for v in (reversed(unrolled) if reverse else unrolled)]
        if remainder is not None:
            parts = [remainder, *parts] if reverse else [*parts, remainder]
        return parts[0] if len(parts) == 1 else G.concat(parts, axis=0)

    def rest_at(i: int) -> Value | None:
        return rest_outs[i] if rest_outs else None

    outs = list(carries) + [stacked(ys[i], rest_at(nc + i)) for i in range(ny)]
    if save:
        outs += [stacked(saved[i], rest_at(nc + ny + i)) for i in range(nc)]
    return outs


def _copy_meta(old: dict[str, Any], new: dict[str, Any], env: dict[Value, Value]) -> None:
    if "losses" in old:
        new["losses"] = [env[v] for v in old["losses"] if v in env]
    for key in ("gradients", "cotangents"):
        if key in old:
            new[key] = {env[a]: env[b] for a, b in old[key].items() if a in env and b in env}

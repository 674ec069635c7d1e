"""Small analyses over a graph's node list (which is already in topological order).

Heavier graph algorithms (components, dominators) go through networkx via :func:`to_networkx`.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from graphc.ir.graph import Graph, Node, Value


def live_nodes(graph: Graph, outputs: Iterable[Value]) -> list[Node]:
    """The nodes ``outputs`` depend on, in graph order (one reverse sweep: linear in graph size)."""
    needed: set[Value] = set(outputs)
    keep: list[Node] = []
    for node in reversed(graph.nodes):
        if any(o in needed for o in node.outputs):
            keep.append(node)
            needed.update(node.inputs)
    keep.reverse()
    return keep


def used_inputs(graph: Graph, nodes: Iterable[Node], outputs: Iterable[Value]) -> list[Value]:
    """Graph inputs read by ``nodes`` or returned directly, in graph-input order."""
    used: set[Value] = set(outputs)
    for n in nodes:
        used.update(n.inputs)
    return [v for v in graph.inputs if v in used]


def users(nodes: Iterable[Node]) -> dict[Value, list[Node]]:
    """Value → the nodes that read it (a node appears once per edge)."""
    out: dict[Value, list[Node]] = {}
    for n in nodes:
        for v in n.inputs:
            out.setdefault(v, []).append(n)
    return out


def to_networkx(graph: Graph, nodes: Iterable[Node] | None = None) -> nx.MultiDiGraph:
    """A networkx view: one vertex per node (keyed by the Node), one edge per data edge (``arg`` = position)."""
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    ns = list(graph.nodes if nodes is None else nodes)
    g.add_nodes_from(ns)
    member = set(ns)
    for n in ns:
        for i, v in enumerate(n.inputs):
            if v.producer is not None and v.producer in member:
                g.add_edge(v.producer, n, arg=i)
    return g

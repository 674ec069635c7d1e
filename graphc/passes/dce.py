"""Dead-code elimination: keep only the nodes the graph's outputs depend on."""

from __future__ import annotations

from graphc.ir.analysis import live_nodes
from graphc.ir.graph import Graph
from graphc.ir.rewrite import Rebuilder


def dead_code_elimination(graph: Graph) -> Graph:
    """Drop every node no output depends on (one reverse sweep). Graph inputs are kept."""
    rb = Rebuilder(graph)
    for node in live_nodes(graph, graph.outputs):
        rb.copy(node)
    return rb.finish()

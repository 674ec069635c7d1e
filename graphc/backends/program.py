"""What a backend compiles: the live part of a graph for chosen outputs, with its inputs in feed order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphc.errors import GraphBuildError
from graphc.ir.analysis import live_nodes, used_inputs
from graphc.ir.graph import Graph, Node, Value

OutputSpec = Value | Sequence[Value] | Mapping[str, Value]


@dataclass
class Program:
    """``outputs = f(inputs)`` restricted to the nodes the outputs need, in topological order.

    ``structure`` remembers how the user asked for outputs (``"single"``, ``"list"`` or ``"dict"``, with the
    dict keys) so the executable can hand results back in the same shape.
    """

    graph: Graph
    inputs: list[Value]
    nodes: list[Node]
    outputs: list[Value]
    structure: str
    keys: tuple[str, ...] = ()

    @property
    def input_names(self) -> list[str]:
        return [v.name for v in self.inputs]  # type: ignore[misc]

    def pack(self, results: Sequence[Any]) -> Any:
        """Arrange a flat result tuple the way the outputs were requested."""
        if self.structure == "single":
            return results[0]
        if self.structure == "dict":
            return dict(zip(self.keys, results, strict=True))
        return list(results)


def flatten_outputs(outputs: OutputSpec) -> tuple[list[Value], str, tuple[str, ...]]:
    if isinstance(outputs, Value):
        return [outputs], "single", ()
    if isinstance(outputs, Mapping):
        keys = tuple(outputs)
        return [outputs[k] for k in keys], "dict", keys
    vals = list(outputs)
    if not vals:
        raise GraphBuildError("compile: no outputs requested")
    return vals, "list", ()


def make_program(outputs: OutputSpec, graph: Graph | None = None) -> Program:
    """Prune the graph to what ``outputs`` need. All outputs must come from one graph."""
    vals, structure, keys = flatten_outputs(outputs)
    for v in vals:
        if not isinstance(v, Value):
            raise GraphBuildError(f"compile: output {v!r} is not a graph value")
    g = graph if graph is not None else vals[0].graph
    for v in vals:
        if v.graph is not g:
            raise GraphBuildError(f"compile: output {v!r} belongs to graph {v.graph.name!r}, not {g.name!r}")
    nodes = live_nodes(g, vals)
    return Program(g, used_inputs(g, nodes, vals), nodes, vals, structure, keys)

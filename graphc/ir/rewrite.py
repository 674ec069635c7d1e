"""Rebuilding a graph node by node: the tool every pass uses to produce its output graph.

A :class:`Rebuilder` copies a source graph's inputs into a fresh graph and lets a pass decide, node by node, to
copy the node (with its inputs remapped), to map its outputs onto existing values (a replacement), or to emit
new nodes. Copies trust the source's types, so rebuilding is linear in graph size with no re-inference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphc.ir.graph import Graph, Node, Value


class Rebuilder:
    """Copy ``src``'s inputs into a new graph; ``map`` sends each source value to its counterpart."""

    def __init__(self, src: Graph) -> None:
        self.src = src
        self.dst = Graph(src.name)
        self.map: dict[Value, Value] = {}
        self.node_map: dict[Node, Node] = {}
        for v in src.inputs:
            nv = Value(self.dst, v.type, v.role, name=v.name, param=v.param)
            self.dst.inputs.append(nv)
            self.dst._input_names[v.name] = nv  # type: ignore[index]
            self.map[v] = nv

    def __getitem__(self, v: Value) -> Value:
        return self.map[v]

    def copy(self, node: Node, inputs: Sequence[Value] | None = None, attrs: Mapping[str, Any] | None = None
             ) -> tuple[Value, ...]:
        """Append a copy of ``node`` (inputs remapped, or ``inputs`` given in the new graph); map its outputs."""
        new_inputs = tuple(self.map[v] for v in node.inputs) if inputs is None else tuple(inputs)
        new = Node(node.op, new_inputs, node.attrs if attrs is None else attrs, node.loc, node.scope, node.tags)  # type: ignore[arg-type]
        new.outputs = tuple(
            Value(self.dst, o.type, "node", name=o.name, producer=new, index=i) for i, o in enumerate(node.outputs)
        )
        self.dst.nodes.append(new)
        self.node_map[node] = new
        for o, n in zip(node.outputs, new.outputs, strict=True):
            self.map[o] = n
        return new.outputs

    def replace(self, node: Node, values: Sequence[Value]) -> None:
        """Map ``node``'s outputs onto ``values`` (already in the new graph) instead of copying it."""
        for o, v in zip(node.outputs, values, strict=True):
            self.map[o] = v

    def emit(self, node: Node, op: str, inputs: Sequence[Value], attrs: Mapping[str, Any] | None = None
             ) -> tuple[Value, ...]:
        """Emit a new node in the new graph, attributed to ``node``'s source line, scope and tags."""
        g = self.dst
        saved_scope, saved_tags = g._scope, g._tags
        g._scope = node.scope.split("/") if node.scope else []
        g._tags = dict(node.tags)
        try:
            return g.emit(op, inputs, attrs, loc=node.loc)
        finally:
            g._scope, g._tags = saved_scope, saved_tags

    def finish(self, outputs: Sequence[Value] | None = None) -> Graph:
        """Set the new graph's outputs (the source's by default) and carry over remappable metadata."""
        self.dst.outputs = [self.map[v] for v in (self.src.outputs if outputs is None else outputs)]
        meta = self.src.meta
        if "losses" in meta:
            self.dst.meta["losses"] = [self.map[v] for v in meta["losses"] if v in self.map]
        if "gradients" in meta:
            self.dst.meta["gradients"] = {self.map[k]: self.map[v] for k, v in meta["gradients"].items()
                                          if k in self.map and v in self.map}
        if "cotangents" in meta:
            self.dst.meta["cotangents"] = {self.map[k]: self.map[v] for k, v in meta["cotangents"].items()
                                           if k in self.map and v in self.map}
        for n in self.dst.nodes:  # backward nodes keep pointing at (the copies of) their forward nodes
            fwd = n.tags.get("grad_of")
            if fwd is not None and fwd in self.node_map:
                n.tags = {**n.tags, "grad_of": self.node_map[fwd]}
            seed = n.tags.get("seed_of")
            if isinstance(seed, Value) and seed in self.map:
                n.tags = {**n.tags, "seed_of": self.map[seed]}
        return self.dst


def clone(src: Graph) -> Graph:
    """An exact copy of ``src`` (same nodes, new objects)."""
    rb = Rebuilder(src)
    for node in src.nodes:
        rb.copy(node)
    return rb.finish()

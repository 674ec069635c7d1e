"""The IR's text form: one equation per line, jaxpr-like.

::

    graph mlp(%x:f32[B,64], %fc1/W:f32[64,256]) {
      %1:f32[B,256] = matmul %x, %fc1/W
      %h:f32[B,256] = relu %1
      return %h
    }

Names are stable: a user-named value prints under its name (made unique with ``.N``), others are numbered in
order of definition. Names that are not plain identifier paths are printed quoted and escaped, so a hostile name
cannot forge lines of the listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from graphc.ir.constant import ConstValue
from graphc.ir.graph import Graph, Node, Value

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./\-]*$")


def quote_name(name: str) -> str:
    """Print a name bare when it is a plain path, else as an escaped, double-quoted string."""
    if _PLAIN.match(name):
        return name
    return '"' + name.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


class Namer:
    """Assigns each value a stable, unique printed name (``%h``, ``%h.1``, ``%7``)."""

    def __init__(self) -> None:
        self._names: dict[Value, str] = {}
        self._taken: set[str] = set()
        self._counter = 0

    def __call__(self, v: Value) -> str:
        got = self._names.get(v)
        if got is not None:
            return got
        if v.name is not None:
            base = quote_name(v.name)
            name, k = base, 0
            while name in self._taken:
                k += 1
                name = f"{base}.{k}"
        else:
            self._counter += 1
            name = str(self._counter)
            while name in self._taken:
                self._counter += 1
                name = str(self._counter)
        self._taken.add(name)
        self._names[v] = name
        return name

    def ref(self, v: Value) -> str:
        literal = scalar_literal(v)
        return literal if literal is not None else "%" + self(v)


def scalar_literal(v: Value) -> str | None:
    """Scalar constants print inline at their uses (``mul %3, 2.0``), as jaxprs print literals."""
    node = v.producer
    if node is None or node.op.name != "constant" or not node.attrs["value"].is_scalar:
        return None
    x = node.attrs["value"].array[()]
    return repr(bool(x)) if v.dtype.is_bool else repr(x.item())


def format_attr(v: Any) -> str:
    if isinstance(v, ConstValue):
        return repr(v)
    if isinstance(v, tuple):
        return "(" + ",".join(format_attr(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, Graph):
        return "{" + "·".join(n.op.name for n in v.nodes if n.op.name != "constant") + "}"
    return str(v)


def format_node(node: Node, namer: Namer, *, with_loc: bool = False, indent: str = "") -> str:
    """One equation; a node holding subgraphs (a fused group, a loop body) is followed by each body, indented."""
    line = indent + _equation(node, namer, with_loc=with_loc)
    for key, v in node.attrs.items():
        if isinstance(v, Graph):
            inner = Namer()
            body = format_graph(v, with_loc=with_loc, namer=inner).splitlines()
            line += "\n" + "\n".join(f"{indent}    {ln}" if i else f"{indent}    {key} = {ln}"
                                        for i, ln in enumerate(body))
    return line


def _equation(node: Node, namer: Namer, *, with_loc: bool = False) -> str:
    outs = ", ".join(f"{namer.ref(o)}:{o.type}" for o in node.outputs)
    attrs = ""
    if node.attrs:
        attrs = "[" + " ".join(f"{k}={format_attr(v)}" for k, v in node.attrs.items()) + "]"
    args = ", ".join(namer.ref(v) for v in node.inputs)
    line = f"{outs} = {node.op.name}{attrs}" + (f" {args}" if args else "")
    if with_loc:
        line += f"  # {node.loc}"
    return line


def format_graph(
    graph: Graph, outputs: Iterable[Value] | None = None, *, with_loc: bool = False, namer: Namer | None = None
) -> str:
    """The whole graph as text. ``outputs`` defaults to ``graph.outputs``; ``with_loc`` appends ``# file:line``."""
    namer = namer or Namer()
    outs = list(graph.outputs if outputs is None else outputs)
    params = ", ".join(f"{namer.ref(v)}:{v.type}" for v in graph.inputs)
    lines = [f"graph {quote_name(graph.name)}({params}) {{"]
    lines.extend(
        "  " + format_node(n, namer, with_loc=with_loc)
        for n in graph.nodes
        if not (n.op.name == "constant" and n.attrs["value"].is_scalar)
    )
    lines.append("  return " + ", ".join(namer.ref(v) for v in outs))
    lines.append("}")
    return "\n".join(lines)

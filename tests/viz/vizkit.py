"""Helpers for the renderer tests: a 2-layer MLP with loss and gradients, a deep chain, a small DOT reader.

The DOT reader understands exactly what :mod:`graphc.viz` emits (one statement per line, quoted or HTML-like
attribute values), which is enough to count nodes, edges and clusters and to read attributes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import graphc as gc
from graphc.autodiff import grad
from graphc.ir.graph import Graph, Value


@dataclass
class MLP:
    graph: Graph
    x: Value
    y: Value
    params: dict[str, Value]
    hidden: Value
    out: Value
    loss: Value
    grads: dict[str, Value]


def build_mlp() -> MLP:
    """x (B,4) → fc1 (4→8, relu) → fc2 (8→3) → mean((out - y)²), gradients for all four parameters."""
    with gc.Graph("mlp") as g:
        x = gc.placeholder("x", (None, 4))
        y = gc.placeholder("y", (None, 3))
        with gc.name_scope("fc1"):
            w1 = gc.parameter("W", (4, 8), init="xavier_uniform")
            b1 = gc.parameter("b", (8,))
            h = gc.relu(x @ w1 + b1)
        with gc.name_scope("fc2"):
            w2 = gc.parameter("W", (8, 3), init="xavier_uniform")
            b2 = gc.parameter("b", (3,))
            out = h @ w2 + b2
        loss = gc.mean((out - y) ** 2.0)
        grads = grad(loss, [w1, b1, w2, b2])
    g.outputs = [loss, *grads]
    names = ["fc1/W", "fc1/b", "fc2/W", "fc2/b"]
    return MLP(g, x, y, dict(zip(names, [w1, b1, w2, b2], strict=True)), h, out, loss,
               dict(zip(names, grads, strict=True)))


def build_chain(depth: int, width: int = 8) -> Graph:
    """``h = tanh(h @ W_i + b_i)`` in scopes ``layer{i}``, loss ``mean(h*h)``, grads of all params."""
    with gc.Graph("chain") as g:
        h = gc.placeholder("x", (16, width))
        params = []
        for i in range(depth):
            with gc.name_scope(f"layer{i}"):
                w = gc.parameter("W", (width, width), init="xavier_uniform")
                b = gc.parameter("b", (width,))
                h = gc.tanh(h @ w + b)
                params += [w, b]
        loss = gc.mean(h * h)
        grads = grad(loss, params)
    g.outputs = [loss, *grads]
    return g


# -- reading DOT back --------------------------------------------------------------------------------------

_NODE = re.compile(r"^\s*([A-Za-z_]\w*) \[(.*)\]$")
_EDGE = re.compile(r"^\s*([A-Za-z_]\w*) -> ([A-Za-z_]\w*)(?: \[(.*)\])?$")
_KEYWORDS = {"graph", "node", "edge"}


def parse_attrs(s: str) -> dict[str, str]:
    """``key=value`` pairs; values are bare words, "quoted strings" (escapes kept) or <HTML-like> labels."""
    attrs: dict[str, str] = {}
    i, n = 0, len(s)
    while i < n:
        while i < n and s[i] == " ":
            i += 1
        if i >= n:
            break
        j = s.index("=", i)
        key = s[i:j]
        i = j + 1
        if s[i] == '"':
            k = i + 1
            while s[k] != '"':
                k += 2 if s[k] == "\\" else 1
            attrs[key] = s[i + 1 : k]
            i = k + 1
        elif s[i] == "<":
            depth, k = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(s[k], 0)
                k += 1
                if depth == 0:
                    break
            attrs[key] = s[i:k]
            i = k
        else:
            k = s.find(" ", i)
            k = n if k < 0 else k
            attrs[key] = s[i:k]
            i = k
    return attrs


@dataclass
class Dot:
    """The statements of a rendered DOT source."""

    source: str
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)

    def ids(self, prefix: str) -> list[str]:
        """Node ids starting with ``prefix`` (``n``: ops, ``v``: values, ``s``: collapsed boxes)."""
        return [k for k in self.nodes if re.fullmatch(prefix + r"\d+", k)]

    def edges_between(self, src: str, dst: str) -> list[dict[str, str]]:
        return [a for s, d, a in self.edges if s == src and d == dst]

    def undeclared(self) -> set[str]:
        """Edge ends that name no node statement (dot would invent a bare ellipse for each)."""
        return {end for s, d, _ in self.edges for end in (s, d) if end not in self.nodes}

    def dangling_clusters(self) -> set[str]:
        """``lhead``/``ltail`` attributes naming no cluster."""
        return {a[k] for _, _, a in self.edges for k in ("lhead", "ltail") if k in a} - set(self.clusters)


def parse_dot(source: str) -> Dot:
    doc = Dot(source)
    for line in source.splitlines():
        m = _EDGE.match(line)
        if m:
            doc.edges.append((m.group(1), m.group(2), parse_attrs(m.group(3) or "")))
            continue
        m = _NODE.match(line)
        if m and m.group(1) not in _KEYWORDS:
            doc.nodes[m.group(1)] = parse_attrs(m.group(2))
            continue
        c = re.match(r"^\s*subgraph (cluster\w*) \{$", line)
        if c:
            doc.clusters.append(c.group(1))
    return doc


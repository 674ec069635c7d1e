"""The layer convention: a layer is a callable that creates its parameters, in its own name scope, on first call."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

from graphc.dsl.builder import graph_of
from graphc.ir.graph import Graph, Value

_counters: defaultdict[tuple[int, str], itertools.count[int]] = defaultdict(itertools.count)


class Layer:
    """Base class. Subclasses implement :meth:`build` (create parameters) and :meth:`forward`.

    A layer instance is bound to the graph of its first input; calling it again reuses its parameters (weight
    sharing). Its name scope defaults to the class name with a per-graph counter (``dense``, ``dense_1``…).
    """

    default_name = "layer"

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.graph: Graph | None = None
        self.params: dict[str, Value] = {}

    def __call__(self, x: Any, **kwargs: Any) -> Value:
        g = graph_of(x)
        if self.graph is None:
            self.graph = g
            if self.name is None:
                k = next(_counters[(id(g), self.default_name)])
                self.name = self.default_name if k == 0 else f"{self.default_name}_{k}"
            with g, g.name_scope(self.name):
                self.build(x)
        with g, g.name_scope(self.name):  # type: ignore[arg-type]
            return self.forward(x, **kwargs)

    def build(self, x: Value) -> None:
        """Create parameters for input ``x`` (called once)."""

    def forward(self, x: Value, **kwargs: Any) -> Value:
        raise NotImplementedError

"""The verifier accepts built graphs and names the node that breaks each invariant."""

from __future__ import annotations

import pytest

import graphc as gc
from graphc.ir.graph import Node, Value
from graphc.ir.types import TensorType


def _graph() -> tuple[gc.Graph, Value, Value]:
    with gc.Graph("g") as g:
        x = gc.placeholder("x", (2, 3))
        y = gc.exp(x)
        z = gc.tanh(y)
        g.outputs = [z]
    return g, y, z


def test_built_graph_verifies() -> None:
    g, _, _ = _graph()
    gc.verify(g)


def test_use_before_definition_is_caught() -> None:
    g, _, _ = _graph()
    g.nodes.reverse()
    with pytest.raises(gc.VerifyError, match="used before it is defined"):
        gc.verify(g)


def test_type_disagreeing_with_rules_is_caught() -> None:
    g, y, _ = _graph()
    y.type = TensorType((2, 4), gc.float32)
    with pytest.raises(gc.VerifyError, match=r"no longer satisfy|rules give"):
        gc.verify(g)


def test_value_defined_twice_is_caught() -> None:
    g, _, _ = _graph()
    n = g.nodes[0]
    dup = Node(n.op, n.inputs, n.attrs, n.loc)
    dup.outputs = n.outputs
    g.nodes.insert(1, dup)
    with pytest.raises(gc.VerifyError, match=r"defined twice|point back"):
        gc.verify(g)


def test_foreign_value_is_caught() -> None:
    g, _, _ = _graph()
    with gc.Graph("other"):
        stranger = gc.placeholder("s", (2, 3))
    g.outputs = [stranger]
    with pytest.raises(gc.VerifyError, match="not defined"):
        gc.verify(g)

"""The pass pipeline: records, snapshots, verification, and loud failures naming the pass."""

from __future__ import annotations

import pytest

import graphc as gc
from graphc.ir.graph import Graph
from graphc.ir.rewrite import clone
from graphc.passes import Pass, Pipeline, default_passes, optimize


def _graph() -> Graph:
    with gc.Graph("p") as g:
        x = gc.placeholder("x", (None, 4))
        w = gc.parameter("w", (4, 4))
        y = gc.tanh(x @ w + 0.0) * 1.0
        g.outputs = [gc.mean(y), gc.grad(gc.mean(y), w)]
    return g


def test_records_and_snapshots() -> None:
    res = optimize(_graph(), keep=["input", "cse", "fusion"], verify_each=True)
    assert [r.name for r in res.records] == [p.name for p in default_passes()]
    assert all(r.seconds >= 0 and r.nodes_after >= 0 for r in res.records)
    assert set(res.snapshots) == {"input", "cse", "fusion"}
    assert res.snapshots["fusion"] is res.graph
    assert any(n.op.name == "fused" for n in res.graph.nodes)
    assert "total" in res.stats()


def test_a_pass_that_breaks_the_graph_fails_loudly() -> None:
    def breaks(g: Graph) -> Graph:
        out = clone(g)
        out.nodes.reverse()  # uses before definitions
        return out

    with pytest.raises(gc.PassError, match="pass 'breaker' produced an invalid graph"):
        Pipeline([Pass("breaker", breaks)], verify_each=True).run(_graph())


def test_a_pass_that_crashes_is_named() -> None:
    def crashes(g: Graph) -> Graph:
        raise RuntimeError("boom")

    with pytest.raises(gc.PassError, match="pass 'crasher' crashed: RuntimeError: boom"):
        Pipeline([Pass("crasher", crashes)]).run(_graph())


def test_unknown_snapshot_name() -> None:
    with pytest.raises(gc.PassError, match="no pass named"):
        optimize(_graph(), keep=["fusoin"])

"""Collapsing name scopes into one box each, and the scale a collapsed render must reach."""

from __future__ import annotations

import time
from collections.abc import Callable

from vizkit import MLP, Dot

import graphc as gc
from graphc.ir.graph import Graph
from graphc.viz import render


def test_collapse_draws_one_box_per_top_level_scope(
    chain: Callable[..., Graph], dot: Callable[[str], Dot]
) -> None:
    g = chain(5)
    fwd = dot(render(g, "forward", collapse=True).source)
    assert len(fwd.ids("s")) == 5  # layer0 … layer4
    assert len(fwd.ids("n")) == 2  # the loss's mul and mean live outside any scope
    assert {fwd.nodes[s]["shape"] for s in fwd.ids("s")} == {"box3d"}
    assert "3 ops: matmul, add, tanh" in fwd.source
    # boxes chain layer0 → layer1 → … with one edge per pair
    assert len([e for e in fwd.edges if e[0].startswith("s") and e[1].startswith("s")]) == 4

    bwd = dot(render(g, "backward", collapse=True).source)
    assert len(bwd.ids("s")) == 10  # ∇ layer_i, and layer_i faded as the context it reads
    assert sum("∇ layer" in bwd.nodes[s]["label"] for s in bwd.ids("s")) == 5
    assert "makes %grad/layer3/W" in bwd.source or "makes %grad/layer3/b" in bwd.source

    joint = dot(render(g, "joint", depth=0).source)
    assert len(joint.ids("s")) == 10


def test_depth_keeps_outer_scopes_as_clusters(dot: Callable[[str], Dot]) -> None:
    with gc.Graph("nested") as g:
        h = gc.placeholder("x", (2, 3))
        with gc.name_scope("block"):
            for name in ("inner1", "inner2"):
                with gc.name_scope(name):
                    h = gc.tanh(h * 2.0)
    full = dot(render(g, outputs=[h]).source)
    assert len(full.clusters) == 3 and not full.ids("s")
    d1 = dot(render(g, outputs=[h], depth=1).source)
    assert len(d1.clusters) == 1 and len(d1.ids("s")) == 2  # block stays, inner1 and inner2 are boxes
    d0 = dot(render(g, outputs=[h], depth=0).source)
    assert not d0.clusters and len(d0.ids("s")) == 1
    assert d0.nodes["s0"]["label"].count("block") == 1


def test_outputs_stay_visible_beside_their_box(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    d = dot(render(mlp.graph, "joint", collapse=True).source)
    assert f"v{mlp.loss.id}" in d.nodes
    assert not any(f"v{g.id}" in d.nodes for g in mlp.grads.values())  # listed by their ∇ box instead


def test_a_deep_chain_of_thousands_of_nodes_renders_fast_collapsed(chain: Callable[..., Graph]) -> None:
    g = chain(300, width=4)
    assert len(g.nodes) > 3500
    for view in ("forward", "backward", "joint"):
        t0 = time.perf_counter()
        r = render(g, view, collapse=True)
        assert time.perf_counter() - t0 < 5.0, view
        assert r.counts.boxes >= 300
    t0 = time.perf_counter()
    full = render(g, "joint")  # uncollapsed too: linear-time, so a few seconds at most
    assert time.perf_counter() - t0 < 10.0
    assert full.counts.op_nodes > 3000

"""A scan drawn as one cluster holding its body, with its loop carries as back edges (forward and backward)."""

from __future__ import annotations

import graphc as gc
from tests.viz.vizkit import parse_dot


def _rnn(length: int = 5) -> tuple[gc.Graph, gc.Value]:
    with gc.Graph("rnn") as g:
        x = gc.placeholder("x", (length, 2, 3))
        h0 = gc.placeholder("h0", (2, 4))
        w = gc.parameter("w", (3, 4))
        u = gc.parameter("u", (4, 4))

        def step(h: gc.Value, xt: gc.Value, w: gc.Value, u: gc.Value) -> tuple[gc.Value, gc.Value]:
            h2 = gc.tanh(xt @ w + h @ u)
            return h2, h2 * 2.0

        h, ys = gc.scan(step, h0, x, consts=[w, u])
        loss = gc.mean(ys) + gc.mean(h * h)
        gc.grad(loss, [w, u])
    return g, loss


def test_forward_scan_is_a_cluster_of_its_body_with_a_carry_edge() -> None:
    g, _ = _rnn()
    d = parse_dot(gc.render(g, "forward").source)
    scans = [c for c in d.clusters if c.startswith("cluster_scan_")]
    assert len(scans) == 1
    block = d.source.split(f"subgraph {scans[0]} {{")[1]
    assert "body run 5 times" in block.split("\n")[1]  # the cluster's label
    ops_inside = {d.nodes[k]["label"] for k in d.ids("n") if f"{k} [" in block.split("}")[0]}
    assert any("tanh" in lab for lab in ops_inside) and any("matmul" in lab for lab in ops_inside)
    carries = [(s, t) for s, t, a in d.edges if a.get("label") == "next step"]
    # one carry (h): from the tanh making h_{t+1} to the matmul reading h_t
    assert len(carries) == 1
    src, dst = carries[0]
    assert "tanh" in d.nodes[src]["label"] and "matmul" in d.nodes[dst]["label"]
    assert not d.undeclared() and not d.dangling_clusters()
    assert "loop carry" in d.source  # explained in the legend


def test_backward_scan_is_drawn_as_a_cluster_too() -> None:
    g, _ = _rnn()
    d = parse_dot(gc.render(g, "backward").source)
    scans = [c for c in d.clusters if c.startswith("cluster_scan_")]
    assert len(scans) == 1  # the reverse scan of BPTT (the forward one is not in this view)
    assert sum(a.get("label") == "next step" for _, _, a in d.edges) >= 1
    assert not d.undeclared() and not d.dangling_clusters()

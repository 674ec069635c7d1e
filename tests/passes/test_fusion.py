"""Fusion: group counts for typical patterns, kernels that run in place/blocked, and preserved results."""

from __future__ import annotations

import numpy as np

import graphc as gc
from graphc.passes import extract
from graphc.passes.fusion import find_groups, fusion


def _groups(outputs: list[gc.Value]) -> list[list[str]]:
    g = extract(outputs[0].graph, outputs)
    return [[n.op.name for n in grp] for grp in find_groups(g)]


def test_mlp_layer_is_one_epilogue_group() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 64))
        w = gc.parameter("w", (64, 32))
        b = gc.parameter("b", (32,))
        h = gc.relu(x @ w + b)
    assert _groups([h]) == [["matmul", "add", "relu"]]


def test_values_computed_once_per_signature_stay_out_of_groups() -> None:
    """``exp(lr / B)`` reads no input (a constant and the batch size): the backend folds it once per input
    signature, so it must not be fused into the group that reads the data."""
    with gc.Graph():
        x = gc.placeholder("x", (None, 4))
        batch = x.graph.emit("dimsize", (), {"dims": (x.shape[0],), "dtype": x.dtype})[0]
        y = gc.tanh(x * gc.exp(gc.constant(0.1, "float32") / batch))
    assert _groups([y]) == [["mul", "tanh"]]
    run = gc.compile(y)
    x8 = np.ones((8, 4), np.float32)
    np.testing.assert_allclose(run({"x": x8}), np.tanh(x8 * np.exp(np.float32(0.1 / 8))), rtol=1e-6)
    assert "_np_exp" not in run.sources()[0]  # computed once, when the signature was compiled


def test_composed_softmax_splits_at_reductions() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 10))
        z = x - gc.max(x, axis=1, keepdims=True)
        e = gc.exp(z)
        y = e / gc.sum(e, axis=1, keepdims=True)
    # sub→exp fuse; exp's value is also read by the sum, so it ends the group; the division stands alone
    assert _groups([y]) == [["sub", "exp"]]


def test_w5_chain_is_one_group() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (4_000_000,))
        y = gc.tanh(gc.sigmoid(x * 1.5 + 0.2) * x - 0.3) * gc.relu(x) + gc.exp(-x * x)
    groups = _groups([y])
    assert len(groups) == 1 and len(groups[0]) == 12


def test_backward_graph_fuses_elementwise_chains() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 8))
        w = gc.parameter("w", (8, 8))
        h = gc.tanh(gc.sigmoid(x @ w) * 2.0)
        loss = gc.mean(h * h)
        gw = gc.grad(loss, w)
    groups = _groups([loss, gw])
    assert len(groups) >= 2
    assert any("matmul" in grp for grp in groups)


def test_intermediate_used_twice_is_not_swallowed() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (4,))
        a = gc.exp(x)
        out1 = gc.tanh(a)
        out2 = a * 2.0
    g = extract(x.graph, [out1, out2])
    assert find_groups(g) == []


def test_fused_graph_runs_and_matches(rng: np.random.Generator) -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (None, 6), "float64")
        w = gc.parameter("w", (6, 5), "float64", init="he_normal")
        h = gc.elu(x @ w + 0.5) * gc.sigmoid(x @ w)
        loss = gc.mean(gc.leaky_relu(h) ** 2.0)
        outs = [h, loss, gc.grad(loss, w)]
    p = gc.init_params(g, 2)
    feeds = {"x": rng.standard_normal((7, 6)), **p}
    fused = gc.compile(outs)
    assert any(n.op.name == "fused" for n in fused.program.nodes)
    for a, b in zip(fused(feeds), gc.compile(outs, passes="none")(feeds), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_large_chain_runs_blocked_and_matches(rng: np.random.Generator) -> None:
    with gc.Graph():
        x = gc.placeholder("x", (300_001,))
        y = gc.tanh(gc.sigmoid(x * 1.5 + 0.2) * x - 0.3) * gc.relu(x) + gc.exp(-x * x)
    run = gc.compile(y)
    xs = rng.standard_normal(300_001).astype(np.float32)
    got = run({"x": xs})
    assert "for st in _range" in run.sources()[0]
    x64 = xs.astype(np.float64)
    want = np.tanh(1 / (1 + np.exp(-(x64 * 1.5 + 0.2))) * x64 - 0.3) * np.maximum(x64, 0) + np.exp(-x64 * x64)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-7)
    assert got.dtype == np.float32


def test_fusion_output_is_differentiable() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (3,), "float64")
        g.outputs = [gc.sum(gc.tanh(x * 2.0 + 1.0))]
    fused = fusion(extract(g, g.outputs))
    assert [n.op.name for n in fused.nodes].count("fused") == 1
    xin = fused.inputs[0]
    with fused:
        gx = gc.grad(fused.outputs[0], xin)
    xs = np.array([0.1, -0.4, 0.9])
    np.testing.assert_allclose(gc.compile(gx)({"x": xs}), 2 * (1 - np.tanh(2 * xs + 1) ** 2), rtol=1e-12)

"""Run values on the picture: tensor summaries in value nodes, micrograd's data | grad box at tensor scale."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from vizkit import MLP, Dot

import graphc as gc
from graphc.viz import RenderError, capture_values, render, summarize


def _feeds(mlp: MLP, batch: int = 5) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    feeds: dict[str, Any] = {
        "x": rng.standard_normal((batch, 4)).astype(np.float32),
        "y": rng.standard_normal((batch, 3)).astype(np.float32),
    }
    feeds.update(gc.init_params(mlp.graph, seed=0))
    return feeds


def test_summarize_large_small_and_odd_arrays() -> None:
    big = np.arange(24, dtype=np.float32).reshape(4, 6)
    assert summarize(big) == ["shape (4, 6)", "mean 11.5  std 6.922", "min 0  max 23"]
    assert summarize(np.array([1.0, -2.5, 3.0])) == ["shape (3,)", "[1, -2.5, 3]"]
    assert summarize(np.array([[1.0, 2.0], [3.0, 4.0]]))[1] == "[1, 2, 3, 4] (flattened)"
    assert summarize(np.float32(0.25)) == ["scalar", "0.25"]
    assert summarize(np.zeros((0, 3))) == ["shape (0, 3)", "(empty)"]
    bad = np.ones(20)
    bad[:3] = [np.nan, np.inf, -np.inf]
    lines = summarize(bad)
    assert lines[1] == "mean 1  std 0" and lines[-1] == "⚠ 1 nan, 2 inf"
    assert summarize(np.array([True, False, True]))[1] == "[1, 0, 1]"
    assert summarize(np.array(["a", "b"])) == ["shape (2,)"]


def test_capture_values_returns_every_computed_value(mlp: MLP) -> None:
    feeds = _feeds(mlp)
    vals = capture_values(mlp.graph, feeds)
    assert vals[mlp.x] is not None and vals[mlp.x].shape == (5, 4)
    assert vals[mlp.hidden].shape == (5, 8) and (vals[mlp.hidden] >= 0).all()
    h = np.maximum(feeds["x"] @ feeds["fc1/W"] + feeds["fc1/b"], 0)
    out = h @ feeds["fc2/W"] + feeds["fc2/b"]
    np.testing.assert_allclose(vals[mlp.loss], np.mean((out - feeds["y"]) ** 2), rtol=1e-5)
    g_out = 2 * (out - feeds["y"]) / out.size
    np.testing.assert_allclose(vals[mlp.grads["fc2/b"]], g_out.sum(0), rtol=1e-4, atol=1e-7)


def test_value_nodes_show_summaries_and_gradients(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    vals = capture_values(mlp.graph, _feeds(mlp))
    w2, gw2 = mlp.params["fc2/W"], mlp.grads["fc2/W"]

    fwd = dot(render(mlp.graph, "forward", values=vals).source)
    label = fwd.nodes[f"v{w2.id}"]["label"]
    a = vals[w2]
    assert "data" in label and "shape (8, 3)" in label
    assert f"mean {a.mean():.4g}" in label and f"max {a.max():.4g}" in label
    assert "grad" not in label.replace("data", ""), "the forward view shows no gradients"

    for view in ("backward", "joint"):
        d = dot(render(mlp.graph, view, values=vals).source)
        label = d.nodes[f"v{w2.id}"]["label"]
        assert "grad %grad/fc2/W" in label, view
        assert f"mean {vals[gw2].mean():.4g}" in label, view
        assert 'COLUMNS="*"' in label  # the data | grad columns are ruled apart

    # a small tensor (3 elements) is printed in full
    gb2 = vals[mlp.grads["fc2/b"]]
    d = dot(render(mlp.graph, "backward", values=vals).source)
    full = "[" + ", ".join(f"{float(x):.4g}" for x in gb2) + "]"
    assert full in d.nodes[f"v{mlp.grads['fc2/b'].id}"]["label"]
    # a hidden activation gets its gradient beside it too (∂loss/∂h, read off autodiff's tags)
    assert "grad %" in dot(render(mlp.graph, "joint", values=vals).source).nodes[f"v{mlp.hidden.id}"]["label"]


def test_values_keyed_by_name(mlp: MLP) -> None:
    feeds = _feeds(mlp)
    w1 = feeds["fc1/W"]
    r = render(mlp.graph, values={"fc1/W": w1, "%x": feeds["x"], "no/such/value": np.ones(3)})
    assert f"mean {w1.mean():.4g}" in r.source
    assert f"mean {feeds['x'].mean():.4g}" in r.source
    with pytest.raises(RenderError, match="keys must be"):
        render(mlp.graph, values={3: np.ones(2)})


def test_gradient_arrays_keyed_by_gradient_name(mlp: MLP) -> None:
    g = np.full((4, 8), 0.5, np.float32)
    r = render(mlp.graph, "joint", values={"fc1/W": np.zeros((4, 8), np.float32), "grad/fc1/W": g})
    assert "grad %grad/fc1/W" in r.source and "mean 0.5  std 0" in r.source

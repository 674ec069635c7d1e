"""Channels-last lowering of convolution networks on the JAX backend (``graphc.backends.jax.layout``).

The registry parity tests run every conv/pool op alone in both layouts; here whole networks check what only
appears between ops: elementwise ops and reductions on channels-last operands (broadcast operands of every
rank, reductions that keep or drop axes in either order), layout changes where a non-spatial op reads a
channels-last value, and what the layout buys (no windowed reductions in the lowered step).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import graphc as gc  # noqa: E402 - after the skip: the module needs JAX
from graphc.backends.jax import JaxExecutable  # noqa: E402

pytestmark = pytest.mark.jax

Array = np.ndarray[Any, Any]


def conv_net() -> tuple[dict[str, gc.Value], dict[str, Array]]:
    """Outputs (loss, a few activations and every gradient) of a small CNN that mixes the layout cases."""
    rng = np.random.default_rng(0)
    feeds: dict[str, Array] = {"x": rng.standard_normal((3, 2, 7, 6))}
    shapes = {"w1": (4, 2, 3, 3), "b1": (4,), "w2": (5, 4, 2, 2), "scale": (4, 1, 1), "hw": (7, 6), "dense": (20, 3)}
    with gc.Graph("layout_mix"):
        x = gc.placeholder("x", (None, 2, 7, 6), "float64")
        ps = {k: gc.placeholder(k, s, "float64") for k, s in shapes.items()}
        feeds.update({k: rng.standard_normal(s) for k, s in shapes.items()})
        feeds["dense"] *= 0.05  # logits of order 1: a saturated tanh would make the gradient ill-conditioned
        h = gc.conv2d(x, ps["w1"], ps["b1"], padding="same")  # bias: a rank-1 operand broadcast over NCHW
        h = gc.leaky_relu(h * ps["scale"] + ps["hw"], 0.1)  # rank-3 and rank-2 broadcast operands
        mean = gc.mean(h, (0, 2, 3), keepdims=True)  # batch-norm statistics: kept axes
        h = (h - mean) / gc.sqrt(gc.mean((h - mean) ** 2, (0, 2, 3), keepdims=True) + 1e-5)
        per_row = gc.sum(h, 3)  # drops W: the result (N, C, H) is not in storage order
        p = gc.max_pool2d(gc.relu(h), 2)  # tiles: 7×6 → 3×3, the last row dropped
        a = gc.avg_pool2d(h, 3, stride=2, padding=1)  # overlapping windows with padding
        c = gc.conv2d(p, ps["w2"], stride=1, dilation=2, padding=1)  # (3, 5, 3, 3)
        feat = gc.concat([gc.flatten(c), gc.flatten(gc.max_pool2d(a, 2, stride=1))], axis=1)
        logits = feat[:, :20] @ ps["dense"]
        loss = gc.sum(gc.tanh(logits) ** 2) + gc.sum(per_row * per_row) * 0.01
        wrt = [x, *ps.values()]
        grads = gc.grad(loss, wrt)
    outs = {"loss": loss, "per_row": per_row, "pooled": p, "avg": a, "conv": c}
    outs.update({f"d/{v.name}": g for v, g in zip(wrt, grads, strict=True)})
    return outs, feeds


@pytest.mark.parametrize("channels_last", [True, False])
def test_conv_net_matches_numpy_in_both_layouts(channels_last: bool) -> None:
    outs, feeds = conv_net()
    want = gc.compile(outs)(feeds)
    exe = gc.compile(outs, backend="jax", channels_last=channels_last)
    assert isinstance(exe, JaxExecutable) and exe.channels_last is channels_last
    got = exe(feeds)
    for k in outs:
        np.testing.assert_allclose(np.asarray(got[k]), want[k], rtol=1e-10, atol=1e-12, err_msg=k)


def cnn_step_hlo(channels_last: bool) -> str:
    """StableHLO of a W3-style training step (conv → ReLU → 2×2 max-pool, twice, then dense)."""
    rng = np.random.default_rng(1)
    with gc.Graph("cnn"):
        x = gc.placeholder("x", (None, 1, 8, 8))
        y = gc.placeholder("y", (None,), "int32")
        model = gc.nn.Sequential(gc.nn.Conv2D(8, 3, padding=1), gc.relu, gc.nn.MaxPool2D(2),
                                 gc.nn.Conv2D(8, 3, padding=1), gc.relu, gc.nn.MaxPool2D(2),
                                 gc.nn.Flatten(), gc.nn.Dense(10))
        logits = model(x)
        loss = gc.losses.softmax_cross_entropy(logits, y)
        params = gc.train.Model(loss, [x], [y], logits).params
        assert params is not None
        outs = [loss, *gc.grad(loss, list(params))]
    exe = gc.compile(outs, backend="jax", channels_last=channels_last)
    feeds: dict[str, Any] = {"x": rng.standard_normal((16, 1, 8, 8)).astype(np.float32),
                             "y": rng.integers(0, 10, 16).astype(np.int32)}
    feeds.update(gc.init_params(list(params), seed=0))
    assert isinstance(exe, JaxExecutable)
    text: str = exe.lower({n: feeds[n] for n in exe.input_names}).as_text()
    return text


def test_channels_last_step_has_no_windowed_reductions_and_few_transposes() -> None:
    """What the layout is for: pooling as reshapes (no reduce_window / select_and_scatter), and activations
    transposed only where the network enters (the input) and leaves (flatten) the spatial part."""
    nchw, nhwc = cnn_step_hlo(False), cnn_step_hlo(True)
    assert "reduce_window" in nchw and "select_and_scatter" in nchw
    assert "reduce_window" not in nhwc and "select_and_scatter" not in nhwc
    activation_transposes = [  # of 4-D activations (the pooling windows' own 6-D reorderings aside)
        line for line in nhwc.splitlines()
        if "stablehlo.transpose" in line and re.search(r"\(tensor<16x\d+x\d+x\d+xf32>\)", line)
    ]
    assert 1 <= len(activation_transposes) <= 4, activation_transposes


def test_channels_last_is_the_cpu_default() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (2, 3))
    on_cpu = gc.compile(x * 2.0, backend="jax", device="cpu")
    assert isinstance(on_cpu, JaxExecutable) and on_cpu.channels_last
    off = gc.compile(x * 2.0, backend="jax", device="cpu", channels_last=False)
    assert isinstance(off, JaxExecutable) and not off.channels_last

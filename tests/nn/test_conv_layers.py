"""Convolutional layers: parameters, shapes, weight sharing and the residual block."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc.nn import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    MaxPool2D,
    ResidualBlock,
    Sequential,
)


def test_conv2d_layer_parameters_and_shapes() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (None, 3, 8, 8))
        conv = Conv2D(16, 3, stride=2, padding="same", activation="relu", name="c1")
        y = conv(x)
        y2 = Conv2D(4, (1, 3), use_bias=False)(y)
    assert y.shape == (gc.BATCH, 16, 4, 4) and y2.shape == (gc.BATCH, 4, 4, 2)
    assert [p.name for p in g.parameters] == ["c1/W", "c1/b", "conv2d/W"]
    assert g.input("c1/W").shape == (16, 3, 3, 3)
    w = gc.init_params(g, seed=0)["c1/W"]
    assert abs(w.std() - np.sqrt(2.0 / 27)) < 0.1 * np.sqrt(2.0 / 27)  # He-normal, fan-in C·kh·kw
    with pytest.raises(gc.ShapeError, match="Conv2D"), gc.Graph():
        Conv2D(4)(gc.placeholder("v", (None, 8)))


def test_layer_is_reused_when_called_again() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (None, 1, 6, 6))
        conv = Conv2D(2, 3)
        conv(x)
        conv(x)
    assert len(g.parameters) == 2


def test_pooling_flatten_and_global_pool_layers() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 4, 8, 8))
        net = Sequential(MaxPool2D(2), AvgPool2D(3, stride=1, padding=1), Flatten())
        y = net(x)
        z = GlobalAvgPool()(x)
    assert y.shape == (gc.BATCH, 4 * 4 * 4) and z.shape == (gc.BATCH, 4)
    data = np.random.default_rng(0).standard_normal((2, 4, 8, 8)).astype(np.float32)
    out_y, out_z = gc.compile([y, z])({"x": data})
    np.testing.assert_allclose(out_z, data.mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)
    assert out_y.shape == (2, 64)


def test_residual_block_shortcuts() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (None, 8, 6, 6))
        same = ResidualBlock(8, name="same")
        down = ResidualBlock(16, stride=2, name="down")
        y = down(same(x, training=True), training=True)
        y_eval = down(same(x, training=False), training=False)
    names = [p.name for p in g.parameters]
    assert not any(n.startswith("same/proj") for n in names)
    assert "down/proj/W" in names and "down/proj_bn/moving_mean" in names
    assert g.input("down/proj/W").shape == (16, 8, 1, 1)
    assert y.shape == y_eval.shape == (gc.BATCH, 16, 3, 3)
    assert len(gc.state_updates(g)) == 2 * 2 + 2 * 3  # moving mean and var of every batch norm, once


def test_identity_block_with_zero_last_gamma_is_relu() -> None:
    """With bn2's gamma (and beta) at zero the residual branch vanishes: the block is relu(x)."""
    with gc.Graph() as g:
        x = gc.placeholder("x", (None, 3, 5, 5))
        y = ResidualBlock(3, name="res")(x, training=False)
    state = gc.init_params(g, seed=1)
    state["res/bn2/gamma"][:] = 0.0
    data = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    out = gc.compile(y)({**state, "x": data})
    np.testing.assert_allclose(out, np.maximum(data, 0.0), rtol=1e-6)


def test_mode_dependent_layers_require_an_explicit_mode() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 4))
        for layer in (BatchNorm(), Dropout(0.5)):
            with pytest.raises(gc.GraphBuildError, match="training=True or training=False"):
                layer(x)
        with pytest.raises(gc.GraphBuildError, match="training=True or training=False"):
            Sequential(Dense(3), BatchNorm())(x)
        assert Dense(3)(x, training=True).shape == (gc.BATCH, 3)  # mode-free layers accept and ignore it


def test_a_stateful_layer_trained_twice_is_an_error() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 4))
        bn = BatchNorm()
        bn(x, training=True)
        with pytest.raises(gc.GraphBuildError, match="already has an update"):
            bn(x, training=True)


def test_update_state_checks_its_arguments() -> None:
    with gc.Graph():
        w = gc.parameter("w", (3,))
        s = gc.parameter("s", (3,), trainable=False)
        with pytest.raises(gc.GraphBuildError, match="non-trainable"):
            gc.update_state(w, w * 2.0)
        with pytest.raises(gc.GraphBuildError, match="does not match"):
            gc.update_state(s, gc.sum(s))

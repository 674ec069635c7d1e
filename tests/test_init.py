"""Initializers: distributions, fan computation and seeded reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc import init


def test_fans() -> None:
    assert init.fans((64, 256)) == (64, 256)
    assert init.fans((16, 3, 3, 3)) == (27, 144)


@pytest.mark.parametrize(("name", "std"), [("he_normal", np.sqrt(2 / 400)), ("xavier_normal", np.sqrt(2 / 700)),
                                           ("he_uniform", np.sqrt(2 / 400)), ("xavier_uniform", np.sqrt(2 / 700))])
def test_scaled_initializers_have_the_right_variance(name: str, std: float) -> None:
    w = init.BY_NAME[name](np.random.default_rng(0), (400, 300), np.float32)
    assert w.dtype == np.float32
    assert abs(w.mean()) < 0.01 * std * 10
    assert w.std() == pytest.approx(std, rel=0.02)
    if name.endswith("uniform"):
        assert np.abs(w).max() <= np.sqrt(3) * std + 1e-6


def test_simple_initializers() -> None:
    r = np.random.default_rng(0)
    assert np.all(init.zeros(r, (2, 2), np.float32) == 0)
    assert np.all(init.ones(r, (2,), np.float64) == 1)
    assert np.all(init.constant(0.5)(r, (3,), np.float32) == 0.5)
    u = init.uniform(-1, 1)(r, (1000,), np.float32)
    assert u.min() >= -1 and u.max() <= 1
    assert init.normal(2.0)(r, (10000,), np.float32).std() == pytest.approx(2.0, rel=0.05)


def test_init_params_is_reproducible_and_independent_per_parameter() -> None:
    def build(extra: bool) -> gc.Graph:
        with gc.Graph() as g:
            gc.parameter("a", (3, 3), init="he_normal")
            if extra:
                gc.parameter("z", (3, 3), init="he_normal")
            gc.parameter("b", (3, 3), init="he_normal")
        return g

    p1, p2, p3 = gc.init_params(build(False), 7), gc.init_params(build(False), 7), gc.init_params(build(True), 7)
    np.testing.assert_array_equal(p1["a"], p2["a"])
    np.testing.assert_array_equal(p1["b"], p3["b"])  # adding a layer does not shift the others
    assert not np.array_equal(p1["a"], gc.init_params(build(False), 8)["a"])


def test_unknown_initializer() -> None:
    with gc.Graph(), pytest.raises(gc.GraphBuildError, match="unknown initializer"):
        gc.parameter("w", (2,), init="magic")

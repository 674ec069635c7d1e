"""Carried calls: an executable fed part of its inputs from its own previous outputs (a training loop's state)."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc.backends.carried import Carried


def _accumulator(backend: str, donate: bool) -> gc.backends.executable.Executable:
    """``total' = total + sum(x, axis 0)``, ``count' = count + 1``; outputs (total', mean of x, count')."""
    with gc.Graph("acc"):
        x = gc.placeholder("x", (None, 3))
        total = gc.placeholder("total", (3,))
        count = gc.placeholder("count", (), "int32")
        outs = [total + gc.sum(x, axis=0), gc.mean(x), count + gc.constant(1, "int32")]
    return gc.compile(outs, backend=backend, donate=("total", "count") if donate else ())


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("donate", [False, True])
def test_carried_inputs_take_the_previous_outputs(backend: str, donate: bool, rng: np.random.Generator) -> None:
    if backend == "jax":
        pytest.importorskip("jax")
    exe = _accumulator(backend, donate)
    run = Carried(exe, {"total": np.zeros(3, np.float32), "count": np.int32(0)}, {"total": 0, "count": 2})
    assert run.fed_names == ["x"] and run.carried_names == ["total", "count"]
    xs = [rng.standard_normal((n, 3)).astype(np.float32) for n in (4, 4, 2, 4)]  # a second batch size too
    for x in xs:
        out = run({"x": x})
        np.testing.assert_allclose(np.asarray(out[1]), x.mean(), rtol=1e-6)
    values = run.values
    np.testing.assert_allclose(np.asarray(values["total"]), sum(x.sum(axis=0) for x in xs), rtol=1e-5)
    assert int(values["count"]) == 4
    assert len(exe.signatures) == 2  # one specialisation per batch size, shared with plain calls


def test_each_call_checks_what_is_fed() -> None:
    run = Carried(_accumulator("numpy", False), {"total": np.zeros(3, np.float32), "count": np.int32(0)},
                  {"total": 0, "count": 2})
    good = np.ones((2, 3), np.float32)
    run({"x": good})
    cases = [
        ({}, "missing feed.*'x'"),
        ({"x": good, "z": good}, r"unexpected feed.*'z' \(expected: 'x'\)"),
        ({"x": good, "total": good[0]}, "'total' are carried"),
        ({"x": good.astype(np.float64)}, "expected dtype f32"),
        ({"x": np.ones((2, 4), np.float32)}, r"expected shape f32\[B,3\]"),
    ]
    for feeds, message in cases:
        with pytest.raises(gc.FeedError, match=message):
            run(feeds)
    with pytest.raises(gc.FeedError, match="mapping"):
        run([good])  # type: ignore[arg-type]
    assert int(run.values["count"]) == 1  # failed calls carried nothing over
    out = run({"x": [[1.0, 2.0, 3.0]]})  # lists convert as in a plain call
    np.testing.assert_allclose(out[1], 2.0)


def test_what_can_be_carried_is_checked_once() -> None:
    exe = _accumulator("numpy", False)
    with pytest.raises(gc.FeedError, match="needs an output of the same type"):
        Carried(exe, {"total": np.zeros(3, np.float32)}, {"total": 1})  # output 1 is a scalar
    with pytest.raises(gc.FeedError, match="not an input"):
        Carried(exe, {"nope": np.zeros(3, np.float32)}, {"nope": 0})
    with pytest.raises(gc.FeedError, match="same inputs"):
        Carried(exe, {"total": np.zeros(3, np.float32)}, {"count": 2})
    with pytest.raises(gc.FeedError, match="expected dtype f32"):
        Carried(exe, {"total": np.zeros(3, np.float64)}, {"total": 0})
    with pytest.raises(gc.FeedError, match=r"expected shape f32\[3\]"):
        Carried(exe, {"total": np.zeros(4, np.float32)}, {"total": 0})
    with gc.Graph("sym"):
        h = gc.placeholder("h", (None, 3))
        run = gc.compile([h * 2.0])
    with pytest.raises(gc.FeedError, match="symbolic shape"):
        Carried(run, {"h": np.zeros((2, 3), np.float32)}, {"h": 0})

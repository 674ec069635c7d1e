"""Counter-based random numbers and dropout: deterministic in the key, independent across keys and salts,
uniform, and bit-for-bit the same on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc


def uniform_program(shape: tuple[int | None, ...], dtype: str = "float32", salt: int = 0) -> gc.Executable:
    with gc.Graph():
        key = gc.placeholder("key", (), "int32")
        u = gc.random_uniform(key, shape, dtype, salt)
    return gc.compile(u)


def test_same_key_same_numbers_other_key_or_salt_other_numbers() -> None:
    run = uniform_program((1000,))
    a, b = run({"key": np.int32(7)}), run({"key": np.int32(7)})
    np.testing.assert_array_equal(a, b)
    c = run({"key": np.int32(8)})
    d = uniform_program((1000,), salt=1)({"key": np.int32(7)})
    assert np.mean(a == c) < 0.01 and np.mean(a == d) < 0.01
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.1 and abs(np.corrcoef(a, d)[0, 1]) < 0.1


def test_numbers_are_uniform_in_the_unit_interval() -> None:
    u = uniform_program((200_000,))({"key": np.int32(-123456789)})  # negative keys are fine (bits reinterpreted)
    assert u.dtype == np.float32 and u.min() >= 0.0 and u.max() < 1.0
    counts, _ = np.histogram(u, bins=20, range=(0.0, 1.0))
    expected = len(u) / 20
    assert np.max(np.abs(counts - expected)) < 5 * np.sqrt(expected)  # 5 sigma
    assert len(np.unique(u)) > 0.99 * len(u)  # 24-bit resolution: nearly all distinct
    # neighbouring elements are uncorrelated
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


def test_float32_and_float64_draw_the_same_values_and_batch_shape_is_bound_late() -> None:
    with gc.Graph():
        key = gc.placeholder("key", (), "int32")
        x = gc.placeholder("x", (None, 3))
        u32 = gc.random_uniform(key, x.shape, "float32")
        u64 = gc.random_uniform(key, x.shape, "float64")
    a, b, _ = gc.compile([u32, u64, x])({"key": np.int32(5), "x": np.zeros((4, 3), np.float32)})
    assert a.shape == (4, 3) and b.dtype == np.float64
    np.testing.assert_array_equal(a.astype(np.float64), b)


def test_jax_draws_the_same_bits() -> None:
    pytest.importorskip("jax")
    with gc.Graph():
        key = gc.placeholder("key", (), "int32")
        outs = [gc.random_uniform(key, (5, 7), "float32", salt) for salt in (0, 1, 2**32 - 1)]
    for k in (0, 1, 2**31 - 1, -(2**31)):
        ref = gc.compile(outs)({"key": np.int32(k)})
        got = gc.compile(outs, backend="jax")({"key": np.int32(k)})
        for r, j in zip(ref, got, strict=True):
            np.testing.assert_array_equal(np.asarray(j), r)


def test_dropout_zeroes_about_rate_and_scales_the_rest() -> None:
    rate = 0.3
    with gc.Graph():
        key = gc.placeholder("key", (), "int32")
        x = gc.placeholder("x", (None, 500))
        y = gc.dropout(x, rate, key)
        dx = gc.grad(gc.sum(y), x)
    run = gc.compile([y, dx])
    ones = np.ones((40, 500), np.float32)
    out, grad = run({"key": np.int32(1), "x": ones})
    dropped = np.mean(out == 0.0)
    assert abs(dropped - rate) < 0.01
    np.testing.assert_allclose(out[out != 0], 1.0 / (1.0 - rate), rtol=1e-6)
    np.testing.assert_array_equal(grad, out)  # the gradient goes through the same mask and scale
    again, _ = run({"key": np.int32(1), "x": ones})
    other, _ = run({"key": np.int32(2), "x": ones})
    np.testing.assert_array_equal(out, again)
    assert np.mean((out == 0) == (other == 0)) < 0.7


def test_dropout_rate_is_checked_and_zero_rate_is_identity() -> None:
    with gc.Graph():
        key = gc.placeholder("key", (), "int32")
        x = gc.placeholder("x", (None, 5))
        assert gc.dropout(x, 0.0, key) is x
        with pytest.raises(gc.GraphBuildError, match="rate"):
            gc.dropout(x, 1.0, key)
        with pytest.raises(gc.DTypeError, match="int32"):
            gc.random_uniform(gc.placeholder("k64", (), "int64"), (3,))

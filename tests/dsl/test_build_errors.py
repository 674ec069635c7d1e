"""User mistakes raise graphc errors at build time naming the op, the shapes and the user's file:line."""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphc as gc

HERE = "test_build_errors.py"


def _line_of(marker: str) -> int:
    with open(__file__) as f:
        for i, line in enumerate(f, 1):
            if marker in line and "_line_of" not in line:
                return i
    raise AssertionError(marker)


def test_matmul_mismatch_names_op_shapes_and_line() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 64))
        w = gc.parameter("w", (32, 10))
        with pytest.raises(gc.ShapeError) as e:
            x @ w  # MARK-matmul
    msg = str(e.value)
    assert "matmul" in msg and "f32[B,64]" in msg and "f32[32,10]" in msg
    assert f"{HERE}:{_line_of('MARK-matmul')}" in msg


def test_bad_broadcast() -> None:
    with gc.Graph():
        a = gc.placeholder("a", (3, 4))
        b = gc.placeholder("b", (5,))
        with pytest.raises(gc.ShapeError, match=r"add: shapes \[3,4\] and \[5\] do not broadcast") as e:
            a + b  # MARK-add
    assert f"{HERE}:{_line_of('MARK-add')}" in str(e.value)


def test_symbol_does_not_broadcast_against_a_different_size() -> None:
    with gc.Graph():
        a = gc.placeholder("a", (None, 4))
        b = gc.placeholder("b", (7, 4))
        with pytest.raises(gc.ShapeError, match=r"\[B,4\] and \[7,4\]"):
            a + b


def test_bad_axis() -> None:
    with gc.Graph():
        a = gc.placeholder("a", (3, 4))
        with pytest.raises(gc.ShapeError, match="sum: axis 2 is out of range") as e:
            gc.sum(a, axis=2)  # MARK-axis
    assert f"{HERE}:{_line_of('MARK-axis')}" in str(e.value)


def test_wrong_dtype() -> None:
    with gc.Graph():
        a = gc.placeholder("a", (3,), "int32")
        f = gc.placeholder("f", (3,), "float32")
        with pytest.raises(gc.DTypeError, match=r"exp: needs floating-point inputs, got i32") as e:
            gc.exp(a)  # MARK-exp
        assert f"{HERE}:{_line_of('MARK-exp')}" in str(e.value)
        with pytest.raises(gc.DTypeError, match="mixes dtypes i32, f32"):
            a + f
        with pytest.raises(gc.DTypeError, match="float literal"):
            a * 1.5


def test_reshape_of_the_wrong_size() -> None:
    with gc.Graph():
        a = gc.placeholder("a", (None, 6))
        with pytest.raises(gc.ShapeError, match=r"reshape: cannot reshape f32\[B,6\] to \(4, -1\)") as e:
            a.reshape(4, -1)  # MARK-reshape
        assert f"{HERE}:{_line_of('MARK-reshape')}" in str(e.value)
        assert a.reshape(-1, 2, 3).shape == (gc.BATCH, 2, 3)
        with pytest.raises(gc.ShapeError):
            a.reshape(5, 7)


def test_errors_are_graphc_errors_not_numpy_tracebacks() -> None:
    with gc.Graph():
        a = gc.placeholder("a", (2, 3))
        for bad in (lambda: a @ a, lambda: a[5], lambda: gc.concat([a, a.T]), lambda: gc.transpose(a, (0, 0))):
            with pytest.raises(gc.GraphcError):
                bad()


def test_values_from_two_graphs_do_not_mix() -> None:
    with gc.Graph("one"):
        a = gc.placeholder("a", (2,))
    with gc.Graph("two"):
        b = gc.placeholder("b", (2,))
        with pytest.raises(gc.GraphBuildError, match="belongs to graph 'one'"):
            b + a


def test_duplicate_input_names_are_rejected() -> None:
    with gc.Graph():
        gc.placeholder("x", (2,))
        with pytest.raises(gc.GraphBuildError, match="already has an input named 'x'"):
            gc.parameter("x", (2,))


def test_building_runs_no_numerical_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: object, **k: object) -> None:
        raise AssertionError("numerical work while building")

    for fn in ("matmul", "add", "multiply", "exp", "tanh", "sum", "mean", "maximum", "reshape", "transpose"):
        monkeypatch.setattr(np, fn, boom)
    with gc.Graph():
        x = gc.placeholder("x", (None, 4))
        w = gc.parameter("w", (4, 3), init="he_normal")
        h = gc.tanh(gc.relu(x @ w + 1.0))
        loss = gc.mean(gc.sum(h * h, axis=1))
        gc.grad(loss, w)


def test_symbolic_value_has_no_truth_value() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (2,))
        with pytest.raises(gc.GraphBuildError, match="truth value"):
            bool(x > 0)


def test_messages_mention_inputs() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (2, 3))
        with pytest.raises(gc.ShapeError) as e:
            gc.broadcast_to(x, (4, 3))
    assert re.search(r"broadcast_to: cannot broadcast \[2,3\] to \[4,3\]", str(e.value))

"""The examples run as scripts, print their final metric last, and reach the stated results."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

Runner = Callable[..., tuple[list[str], float]]



def _metric(line: str, label: str) -> float:
    m = re.fullmatch(rf"{label}: (\d\.\d{{4}}).*", line)
    assert m, f"last line {line!r} is not '{label}: 0.xxxx'"
    return float(m.group(1))


def test_perceptron_learns_and_or_but_not_xor(run_example: Runner) -> None:
    lines, _ = run_example("perceptron.py")
    assert _metric(lines[0], "AND accuracy") == 1.0
    assert _metric(lines[1], "OR accuracy") == 1.0
    assert _metric(lines[-1], "XOR accuracy") <= 0.75


def test_xor_mlp(run_example: Runner) -> None:
    lines, _ = run_example("xor.py")
    assert _metric(lines[-1], "accuracy") == 1.0


@pytest.mark.slow
def test_mlp_digits_reaches_97_percent_quickly(run_example: Runner) -> None:
    lines, seconds = run_example("mlp_digits.py")
    assert _metric(lines[-1], "test accuracy") >= 0.97
    assert seconds < 60


@pytest.mark.slow
def test_mlp_digits_on_the_jax_backend(run_example: Runner) -> None:
    pytest.importorskip("jax")
    lines, _ = run_example("mlp_digits.py", "--backend", "jax")
    assert _metric(lines[-1], "test accuracy") >= 0.97

"""The convolutional examples reach 98% test accuracy on the digits with their fixed seed, on both backends."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable

import pytest

Runner = Callable[..., tuple[list[str], float]]

BACKENDS = ["numpy", pytest.param("jax", marks=pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                                                   reason="JAX is not installed"))]


def test_accuracy(lines: list[str]) -> float:
    m = re.fullmatch(r"test accuracy: (\d\.\d{4})", lines[-1])
    assert m, f"last line {lines[-1]!r} is not 'test accuracy: 0.xxxx'"
    return float(m.group(1))


test_accuracy.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("example", ["lenet_digits.py", "resnet_digits.py"])
def test_cnn_examples_reach_98_percent(run_example: Runner, example: str, backend: str) -> None:
    lines, seconds = run_example(example, "--backend", backend)
    assert test_accuracy(lines) >= 0.98
    assert seconds < 120

"""The convolutional examples reach 98% test accuracy on the digits with their fixed seed, on both backends."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BACKENDS = ["numpy", pytest.param("jax", marks=pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                                                   reason="JAX is not installed"))]


def run_example(name: str, *args: str, timeout: float = 300) -> tuple[list[str], float]:
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *args], capture_output=True,
                          text=True, timeout=timeout, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines(), time.perf_counter() - t0


def test_accuracy(lines: list[str]) -> float:
    m = re.fullmatch(r"test accuracy: (\d\.\d{4})", lines[-1])
    assert m, f"last line {lines[-1]!r} is not 'test accuracy: 0.xxxx'"
    return float(m.group(1))


test_accuracy.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("example", ["lenet_digits.py", "resnet_digits.py"])
def test_cnn_examples_reach_98_percent(example: str, backend: str) -> None:
    lines, seconds = run_example(example, "--backend", backend)
    assert test_accuracy(lines) >= 0.98
    assert seconds < 120

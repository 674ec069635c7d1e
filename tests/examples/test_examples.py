"""The examples run as scripts, print their final metric last, and reach the stated results."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_example(name: str, *args: str, timeout: float = 300) -> tuple[list[str], float]:
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": ROOT}  # the checkout's graphc, whatever is installed
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *args], capture_output=True,
                          text=True, timeout=timeout, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines(), time.perf_counter() - t0


def _metric(line: str, label: str) -> float:
    m = re.fullmatch(rf"{label}: (\d\.\d{{4}}).*", line)
    assert m, f"last line {line!r} is not '{label}: 0.xxxx'"
    return float(m.group(1))


def test_perceptron_learns_and_or_but_not_xor() -> None:
    lines, _ = run_example("perceptron.py")
    assert _metric(lines[0], "AND accuracy") == 1.0
    assert _metric(lines[1], "OR accuracy") == 1.0
    assert _metric(lines[-1], "XOR accuracy") <= 0.75


def test_xor_mlp() -> None:
    lines, _ = run_example("xor.py")
    assert _metric(lines[-1], "accuracy") == 1.0


@pytest.mark.slow
def test_mlp_digits_reaches_97_percent_quickly() -> None:
    lines, seconds = run_example("mlp_digits.py")
    assert _metric(lines[-1], "test accuracy") >= 0.97
    assert seconds < 60


@pytest.mark.slow
def test_mlp_digits_on_the_jax_backend() -> None:
    pytest.importorskip("jax")
    lines, _ = run_example("mlp_digits.py", "--backend", "jax")
    assert _metric(lines[-1], "test accuracy") >= 0.97

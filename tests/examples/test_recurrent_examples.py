"""The recurrent examples reach their stated results with their fixed seed, on both backends."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable

import pytest

Runner = Callable[..., tuple[list[str], float]]

BACKENDS = ["numpy", pytest.param("jax", marks=pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                                                   reason="JAX is not installed"))]


@pytest.mark.parametrize("backend", BACKENDS)
def test_lstm_digits_reaches_95_percent(run_example: Runner, backend: str) -> None:
    lines, seconds = run_example("lstm_digits.py", "--backend", backend)
    m = re.fullmatch(r"test accuracy: (\d\.\d{4})", lines[-1])
    assert m, f"last line {lines[-1]!r} is not 'test accuracy: 0.xxxx'"
    assert float(m.group(1)) >= 0.95
    assert seconds < 120


@pytest.mark.parametrize("backend", BACKENDS)
def test_copy_task_lstm_learns_what_a_plain_rnn_struggles_with(run_example: Runner, backend: str) -> None:
    lines, seconds = run_example("copy_task.py", "--backend", backend)
    rnn = re.fullmatch(r"rnn final loss: (\d+\.\d{4})", lines[-2])
    lstm = re.fullmatch(r"lstm final loss: (\d+\.\d{4})", lines[-1])
    assert rnn and lstm, lines[-2:]
    assert float(lstm.group(1)) < 0.05
    assert float(rnn.group(1)) > 0.3
    assert seconds < 120

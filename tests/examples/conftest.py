"""Running example scripts as a user would, for the example tests (a fixture: test modules cannot import each
other under --import-mode=importlib)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
Runner = Callable[..., tuple[list[str], float]]


def _run(name: str, *args: str, timeout: float = 300) -> tuple[list[str], float]:
    """Run ``examples/NAME ARGS…`` with the checkout's graphc; return its stdout lines and wall seconds."""
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": ROOT}  # the checkout's graphc, whatever is installed
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *args], capture_output=True,
                          text=True, timeout=timeout, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines(), time.perf_counter() - t0


@pytest.fixture
def run_example() -> Runner:
    return _run

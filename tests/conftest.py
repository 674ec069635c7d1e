"""Test-suite setup: one BLAS thread (small matrices run fastest that way, and the suite runs in parallel)."""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from graphc.threads import limit_blas_threads  # noqa: E402

limit_blas_threads(1)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)

"""scikit-learn's 8×8 handwritten digits (shipped inside scikit-learn: no download), split reproducibly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Split:
    """Train and test arrays: ``x`` float32 in [0, 1], ``y`` int32 class labels 0–9."""

    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array


def load_digits(test_fraction: float = 0.2, seed: int = 0, images: bool = False) -> Split:
    """The 1,797 digits, shuffled with ``seed`` and split into train/test (stratification is not needed at this
    size). ``images=True`` gives ``(N, 1, 8, 8)`` arrays (NCHW) instead of ``(N, 64)``."""
    try:
        from sklearn.datasets import load_digits as sk_load
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("the digits data come from scikit-learn: pip install 'graphc[data]'") from e
    d = sk_load()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    if images:
        x = x.reshape(-1, 1, 8, 8)
    n_test = round(len(x) * test_fraction)
    return Split(x[n_test:], y[n_test:], x[:n_test], y[:n_test])

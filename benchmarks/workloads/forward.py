"""F1 and F128: the forward pass of the W1 MLP (64-256-256-10, ReLU) at batch 1 and batch 128.

These measure what compiling costs per call: graphc's executable against the same NumPy calls written by hand.
At batch 1 the NumPy calls take microseconds, so any per-call overhead (feed checks, dispatch) shows.
Inputs: ``{"x": float32 (B, 64), "W0", "b0", …}`` with the W1 parameters; checked against float64.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from benchmarks.protocol import EvalWorkload, ImplFactory, Params
from benchmarks.workloads import mlp
from benchmarks.workloads.common import rng_for

SPEC = mlp.W1_SPEC


def make_inputs(batch: int) -> Params:
    """W1's initial parameters and one batch of ``batch`` rows."""
    inputs = mlp.make_params(SPEC)
    inputs["x"] = rng_for(SPEC.seed + 2000).random((batch, SPEC.sizes[0]), dtype=np.float32)
    return inputs


def forward(p: Params) -> np.ndarray:
    """The logits, in the inputs' dtype (float32 for numpy_hand, float64 for the reference)."""
    h = p["x"]
    for i in range(SPEC.n_layers):
        h = h @ p[f"W{i}"] + p[f"b{i}"]
        if i < SPEC.n_layers - 1:
            h = np.maximum(h, 0)
    return h


def reference(inputs: Params) -> np.ndarray:
    return forward({k: v.astype(np.float64) for k, v in inputs.items()})


class NumpyForward:
    """``numpy_hand``: the forward pass as plain NumPy calls."""

    name = "numpy_hand"

    def setup(self, inputs: Params) -> None:
        self._p = inputs

    def evaluate(self) -> np.ndarray:
        return forward(self._p)


F1 = EvalWorkload("F1", "MLP 64-256-256-10 forward, batch 1", partial(make_inputs, 1), reference)
F128 = EvalWorkload("F128", "MLP 64-256-256-10 forward, batch 128", partial(make_inputs, 128), reference)
IMPLS: dict[str, ImplFactory] = {"numpy_hand": NumpyForward}

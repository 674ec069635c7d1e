"""The reference workloads W1-W5, C1 and C2, and the hand-written implementations of each (one module per model).

`WORKLOADS` maps a workload id to its definition (data and parameters); `IMPLS` maps a workload id to the
implementations defined here (numpy_hand and friends, jax_hand, torch_eager, pytensor). This package is itself
the first provider in `benchmarks.providers.PROVIDERS`.
"""

from __future__ import annotations

from benchmarks.protocol import ImplFactory, Workload
from benchmarks.workloads import cnn, deep_chain, elementwise, forward, lstm, mlp

WORKLOADS: dict[str, Workload] = {
    "W1": mlp.W1,
    "W2": mlp.W2,
    "W3": cnn.W3,
    "W4": lstm.W4,
    "W5": elementwise.W5,
    "C1": deep_chain.C1,
    "C2": lstm.C2,
    "F1": forward.F1,
    "F128": forward.F128,
}

IMPLS: dict[str, dict[str, ImplFactory]] = {
    "W1": mlp.W1_IMPLS,
    "W2": mlp.W2_IMPLS,
    "W3": cnn.IMPLS,
    "W4": lstm.IMPLS,
    "W5": elementwise.IMPLS,
    "C1": deep_chain.IMPLS,
    "C2": lstm.IMPLS,
    "F1": forward.IMPLS,
    "F128": forward.IMPLS,
}

"""Where the harness finds implementations.

Each entry is an importable module exposing ``IMPLS: Mapping[str, Mapping[str, ImplFactory]]`` (workload id ->
implementation name -> zero-argument factory; see `benchmarks.protocol`). Registering a new set of
implementations is one line here. A provider that fails to import is reported and skipped, so a half-built
provider never stops the others from running.
"""

from __future__ import annotations

PROVIDERS: tuple[str, ...] = (
    "benchmarks.workloads",  # numpy_hand (+ numpy_out, numpy_blocked on W5), jax_hand, torch_eager, pytensor
    "benchmarks.graphc_impls",  # graphc_numpy, graphc_numpy_nopasses, graphc_numpy_unchecked, graphc_jax
)

"""The matrix-product floor of a training workload: how fast a step could be if nothing but its GEMMs ran.

    python benchmarks/gemm_floor.py --workload W1|W2|W4 [--iters N]

Runs, interleaved in one process pinned to one thread (as ``run.py --threads 1``), the hand-written NumPy step
(``numpy_hand``) and the same step's matrix products alone — the same shapes, through the same BLAS, into
preallocated outputs — and prints both medians and the floor's ratio to ``numpy_hand``. No implementation
that computes these products with this BLAS (graphc's NumPy backend, or anything calling the same sgemm) can
beat that ratio; an implementation below it must run its products faster (another BLAS, more threads, fused
kernels). The products listed are the fewest the step needs: the LSTM's recurrent weight gradient is one
product over all time steps (as cuDNN computes it), not one per step.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

Gemm = tuple[int, int, int]  # (m, k, n): an (m×k) @ (k×n) product


def mlp_gemms(sizes: tuple[int, ...], batch: int) -> list[Gemm]:
    """Forward x@W per layer; backward dW = hᵀ@d per layer and dh = d@Wᵀ for every layer but the first."""
    layers = list(itertools.pairwise(sizes))
    forward = [(batch, i, o) for i, o in layers]
    weight_grads = [(i, batch, o) for i, o in layers]
    input_grads = [(batch, o, i) for i, o in layers[1:]]
    return forward + weight_grads + input_grads


def lstm_gemms(seq: int, batch: int, inputs: int, hidden: int) -> list[Gemm]:
    """Input projection once; h@Wh per step forward and dz@Whᵀ per step backward; dWh and dWx as one product
    each over all steps; the 1-unit head and its gradients."""
    gates = 4 * hidden
    return ([(seq * batch, inputs, gates)] + [(batch, hidden, gates)] * seq + [(batch, hidden, 1)]
            + [(batch, gates, hidden)] * seq + [(hidden, seq * batch, gates), (inputs, seq * batch, gates)]
            + [(hidden, batch, 1), (batch, 1, hidden)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/gemm_floor.py", description=__doc__.split("\n")[0])
    parser.add_argument("--workload", required=True, choices=["W1", "W2", "W4"])
    parser.add_argument("--iters", type=int, default=100)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO_ROOT))
    from benchmarks.allocator import steady_heap
    from benchmarks.threads import pin_threads

    pin_threads(1)  # before numpy loads: BLAS sizes its pool at start-up
    print(steady_heap(), file=sys.stderr)  # the baseline's per-step allocations reuse warm memory
    import numpy as np

    from benchmarks.harness import time_interleaved
    from benchmarks.protocol import TrainingWorkload
    from benchmarks.workloads import IMPLS, WORKLOADS, lstm, mlp
    from benchmarks.workloads.common import copy_params

    if args.workload == "W4":
        gemms = lstm_gemms(lstm.SEQ, lstm.BATCH, lstm.INPUT, lstm.HIDDEN)
    else:
        spec = mlp.W1_SPEC if args.workload == "W1" else mlp.W2_SPEC
        gemms = mlp_gemms(spec.sizes, spec.batch)
    rng = np.random.default_rng(0)
    operands = [(rng.standard_normal((m, k), np.float32), rng.standard_normal((k, n), np.float32),
                 np.empty((m, n), np.float32)) for m, k, n in gemms]

    def products_only() -> None:
        for a, b, out in operands:
            np.matmul(a, b, out=out)

    workload = WORKLOADS[args.workload]
    assert isinstance(workload, TrainingWorkload)
    hand = IMPLS[args.workload]["numpy_hand"]()
    hand.setup(copy_params(workload.make_params()), workload.make_batches())
    calls: dict[str, Callable[[], object]] = {"numpy_hand": hand.step, "gemms_only": products_only}
    problems: list[str] = []
    timings = time_interleaved(calls, args.iters, 10, problems, sys.stderr)
    med = {name: statistics.median(t.times_ms) for name, t in timings.items()}
    flops = sum(2 * m * k * n for m, k, n in gemms)
    print(f"{args.workload}: {len(gemms)} products, {flops / 1e6:.0f} MFLOP per step (1 thread)")
    print(f"  numpy_hand  {med['numpy_hand']:8.3f} ms")
    print(f"  gemms_only  {med['gemms_only']:8.3f} ms  ratio {med['gemms_only'] / med['numpy_hand']:.2f}"
          f"  ({flops / med['gemms_only'] / 1e6:.0f} GFLOP/s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

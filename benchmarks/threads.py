"""Thread pinning for the benchmark process.

`pin_threads` must run before numpy, jax, torch or pytensor is imported: BLAS libraries and XLA size their
thread pools once, when they initialise, from the environment and the CPU affinity mask. This module therefore
imports nothing but the standard library.

What a pin of N threads does, and why each part is needed:

* ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``, ``VECLIB_MAXIMUM_THREADS``,
  ``NUMEXPR_NUM_THREADS``: the BLAS behind numpy, PyTensor's C code and torch's OpenMP pool read these.
* ``XLA_FLAGS += --xla_cpu_multi_thread_eigen=false``: single-threaded Eigen kernels in XLA:CPU.
* CPU affinity restricted to N CPUs (Linux ``sched_setaffinity``): XLA:CPU (jaxlib 0.10 measured) ignores the
  flag above for its intra-op thread pool and sizes that pool from the affinity mask; a 2000x2000 matmul still
  used 2 cores with every XLA flag set, and exactly 1 with the affinity mask. Restricting the whole process is
  also the plain meaning of "N threads pinned": no library can use more than N cores.
* ``torch.set_num_threads(N)``: applied by the torch implementations through `configure_torch`, because torch
  is imported lazily.
"""

from __future__ import annotations

import os
import sys

_THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_XLA_SINGLE_THREAD_FLAG = "--xla_cpu_multi_thread_eigen=false"

# The pinned thread count, or None when the libraries run at their defaults. Set once by `pin_threads`.
_pinned: int | None = None


def pin_threads(n: int) -> None:
    """Pin every library this process may load to `n` threads; call before importing any of them.

    Raises RuntimeError when numpy or jax is already imported, since the pin would then be silently
    ineffective.
    """
    global _pinned
    if n < 1:
        raise ValueError(f"thread count must be >= 1, got {n}")
    loaded = [m for m in ("numpy", "jax", "torch", "pytensor") if m in sys.modules]
    if loaded:
        raise RuntimeError(f"pin_threads must run before importing {', '.join(loaded)}")
    for var in _THREAD_ENV_VARS:
        os.environ[var] = str(n)
    if n == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        if _XLA_SINGLE_THREAD_FLAG not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} {_XLA_SINGLE_THREAD_FLAG}".strip()
    if hasattr(os, "sched_setaffinity"):
        allowed = sorted(os.sched_getaffinity(0))
        if n < len(allowed):
            os.sched_setaffinity(0, set(allowed[:n]))
    else:  # pragma: no cover - non-Linux
        print("warning: no sched_setaffinity here; XLA may use more threads than pinned", file=sys.stderr)
    _pinned = n


def pinned_threads() -> int | None:
    """The count given to `pin_threads`, or None when nothing was pinned."""
    return _pinned


def effective_threads() -> int:
    """Threads the libraries may use: the pinned count, else the CPUs this process may run on (their
    default)."""
    if _pinned is not None:
        return _pinned
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def configure_torch() -> None:
    """Apply the pin to torch (call right after importing it); torch reads no env var for its intra-op pool
    size."""
    import torch

    if _pinned is not None and torch.get_num_threads() != _pinned:
        torch.set_num_threads(_pinned)


def blas_report() -> str:
    """One line naming the BLAS thread pools numpy loaded and their sizes, via threadpoolctl when
    installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed; BLAS threads not verified"
    pools = [f"{p.get('internal_api', '?')}={p.get('num_threads', '?')}" for p in threadpool_info()]
    return "thread pools: " + (", ".join(pools) if pools else "none found")

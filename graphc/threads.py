"""Limiting BLAS threads for small-model work.

For the small matrices of course-sized models, OpenBLAS's thread pool costs more than it saves, and on a busy
2-core machine it can slow a 32×128×256 product down a hundredfold. Examples, the demo and the test suite
therefore run BLAS on one thread unless told otherwise. threadpoolctl (installed with scikit-learn) does the
work when present; without it this is a no-op and the environment decides.
"""

from __future__ import annotations

from typing import Any


def limit_blas_threads(n: int | None = 1) -> Any:
    """Limit BLAS/OpenMP pools to ``n`` threads for the rest of the process (``None``: leave as is).

    Returns the threadpoolctl limiter (or ``None``), which callers may keep to restore the old limits.
    """
    if n is None:
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=n)

"""A steady heap for the benchmark process: glibc malloc told not to hand memory back to the kernel.

Why: an implementation that allocates its arrays afresh every step (the hand-written NumPy baselines, eager
PyTorch) asks glibc for the same 128 KiB-1 MiB blocks over and over. By default glibc serves blocks above its
mmap threshold with a fresh ``mmap`` and trims the top of the heap back to the kernel once more than its trim
threshold is free there; either way the next step's block arrives as untouched pages and pays a page fault per
4 KiB. Whether that happens depends on where earlier allocations happened to land, so the same baseline step
measured 1.05 ms in one process and 2.0-2.8 ms in another (W1, this repository's 2-core machine, 2026-11): a
ratio "to hand-written NumPy" would then be partly heap-layout luck, flattering whatever preallocates.

`steady_heap` raises both thresholds (``mallopt``), so freed blocks stay in the process and are reused warm.
It makes the allocating implementations as fast as they can be, never slower; implementations that
preallocate (graphc's NumPy backend, XLA) are unaffected. It imports only the standard library and may run
before or after numpy loads.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# mallopt parameter numbers from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc caps the mmap threshold at 32 MiB on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX); blocks above that (W5's
# 16 MB arrays are below it) are still mapped per allocation, as they would be anywhere.
_MMAP_THRESHOLD = 32 * 1024 * 1024
_TRIM_THRESHOLD = 2**31 - 1


def steady_heap() -> str:
    """Raise glibc's mmap and trim thresholds for this process; return one line saying what was done (a
    no-op with the reason on a non-glibc platform)."""
    if not sys.platform.startswith("linux"):
        return f"allocator: platform default ({sys.platform})"
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return "allocator: platform default (no glibc mallopt)"
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) == 1 and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1
    if not ok:
        return "allocator: platform default (mallopt refused)"
    return f"allocator: glibc, mmap threshold {_MMAP_THRESHOLD >> 20} MiB, no trimming"

"""Pausing Python's cyclic garbage collector while graphc builds or transforms large graphs.

Passes and autodiff allocate many small, long-lived objects (nodes, values); each allocation burst triggers
generational collections that walk every live object again, which makes compiling a graph of n nodes cost
O(n²). Graph objects reference each other only through ordinary references that reference counting frees, so
pausing the collector for the duration of a transformation is safe; it is re-enabled (if it was on) afterwards.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block (nested uses are fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

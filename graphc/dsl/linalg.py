"""Matrix products."""

from __future__ import annotations

from typing import Any

from graphc.dsl.builder import lift_all
from graphc.ir.graph import Value


def matmul(a: Any, b: Any) -> Value:
    """``a @ b`` for operands of rank ≥ 2; leading (batch) dimensions broadcast as in NumPy."""
    va, vb = lift_all(a, b)
    return va.graph.emit("matmul", (va, vb))[0]

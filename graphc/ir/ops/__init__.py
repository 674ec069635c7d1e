"""Importing this package registers every op definition with the registry."""

from graphc.ir.ops import creation, elementwise, fused, layout, linalg, reduction

__all__ = ["creation", "elementwise", "fused", "layout", "linalg", "reduction"]

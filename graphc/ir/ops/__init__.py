"""Importing this package registers every op definition with the registry."""

from graphc.ir.ops import creation, elementwise, layout, linalg, reduction

__all__ = ["creation", "elementwise", "layout", "linalg", "reduction"]

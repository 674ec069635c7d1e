"""Importing this package registers every op definition with the registry."""

from graphc.ir.ops import conv, creation, elementwise, fused, layout, linalg, pool, random, reduction, scan

__all__ = ["conv", "creation", "elementwise", "fused", "layout", "linalg", "pool", "random", "reduction", "scan"]

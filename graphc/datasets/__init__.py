"""Small data sets that ship with graphc's dependencies (no downloads)."""

from graphc.datasets.digits import Split, load_digits

__all__ = ["Split", "load_digits"]

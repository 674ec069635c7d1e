"""Normalisation of user axis arguments to the canonical form ops take (sorted, non-negative tuples)."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.errors import ShapeError
from graphc.ir.graph import Value
from graphc.ir.source import capture


def normalize_axis(axis: int, ndim: int, x: Value, op: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise ShapeError(f"{op}: axis {axis!r} must be an int (input {x.type})", loc=capture())
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op}: axis {axis} is out of range for input {x.type} of rank {ndim}", loc=capture())
    return int(axis) % ndim if ndim else 0


def normalize_axes(axis: Any, x: Value, op: str) -> tuple[int, ...]:
    """``None`` → all axes; an int or a sequence → sorted unique non-negative axes. Errors name the op."""
    ndim = x.ndim
    if axis is None:
        return tuple(range(ndim))
    axes = [axis] if isinstance(axis, int | np.integer) else list(axis)
    out = sorted({normalize_axis(a, ndim, x, op) for a in axes})  # type: ignore[arg-type]  # checked inside
    if len(out) != len(axes):
        raise ShapeError(f"{op}: repeated axis in {axis!r} (input {x.type})", loc=capture())
    return tuple(out)

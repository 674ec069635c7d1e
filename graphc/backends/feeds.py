"""Checking fed arrays against a program's inputs and binding symbolic dimensions to sizes.

Everything here runs before any computation, so a bad feed is reported by input name with the expected and the
given shape/dtype — never as an error from deep inside the backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graphc.errors import FeedError
from graphc.ir.graph import Value
from graphc.ir.types import Sym


def check_names(names: Sequence[str], feeds: Mapping[str, Any]) -> None:
    """Raise a :class:`FeedError` listing missing and unexpected feed names."""
    given = set(feeds)
    missing = [n for n in names if n not in given]
    extra = sorted(given - set(names))
    parts = []
    if missing:
        parts.append("missing feed(s) " + ", ".join(map(repr, missing)))
    if extra:
        expected = ", ".join(map(repr, names))
        parts.append("unexpected feed(s) " + ", ".join(map(repr, extra)) + f" (expected: {expected})")
    if parts:
        raise FeedError("; ".join(parts))


def check_dtype(value: Value, dtype: Any) -> None:
    """Raise a :class:`FeedError` unless an array of ``dtype`` may feed ``value`` (exactly its dtype)."""
    if dtype != value.dtype.numpy:
        raise FeedError(f"feed {value.name!r}: expected dtype {value.dtype} ({value.dtype.numpy}), got {dtype}")


def coerce(value: Value, x: Any) -> np.ndarray[Any, Any]:
    """An array of ``value``'s dtype. Arrays must already have it; Python numbers and lists are converted when
    that loses nothing (``[1, 2]`` into float32 is fine, ``1.5`` into int32 is not)."""
    want = value.dtype.numpy
    if isinstance(x, np.ndarray | np.generic):
        check_dtype(value, x.dtype)
        return np.asarray(x)
    try:
        arr = np.asarray(x)
    except Exception as e:  # ragged lists and arbitrary objects
        raise FeedError(f"feed {value.name!r}: cannot convert {type(x).__name__} to an array ({e})") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise FeedError(f"feed {value.name!r}: cannot use {type(x).__name__} of dtype {arr.dtype} as {value.dtype}")
    if not np.can_cast(arr.dtype, want, casting="same_kind") or (arr.dtype.kind == "f" and want.kind in "biu"):
        raise FeedError(f"feed {value.name!r}: cannot convert {arr.dtype} data to {value.dtype} without loss")
    return arr.astype(want)


def bind(inputs: Sequence[Value], arrays: Sequence[np.ndarray[Any, Any]]) -> dict[Sym, int]:
    """Bind each symbolic dimension to a size, checking ranks, static sizes and agreement between feeds."""
    binding: dict[Sym, int] = {}
    source: dict[Sym, str] = {}
    for v, a in zip(inputs, arrays, strict=True):
        if a.ndim != v.ndim:
            raise FeedError(f"feed {v.name!r}: expected shape {v.type}, got rank-{a.ndim} array of shape {a.shape}")
        for axis, (d, n) in enumerate(zip(v.shape, a.shape, strict=True)):
            if isinstance(d, Sym):
                if d in binding and binding[d] != n:
                    raise FeedError(
                        f"feed {v.name!r}: axis {axis} is {d}={n}, but {source[d]!r} bound {d}={binding[d]}"
                    )
                binding[d] = n
                source[d] = v.name  # type: ignore[assignment]
            elif d != n:
                raise FeedError(f"feed {v.name!r}: expected shape {v.type}, got array of shape {a.shape}")
    return binding

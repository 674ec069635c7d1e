"""Tensor summaries for value nodes: what a real run computed, at a glance.

:func:`summarize` turns one array into a few short lines (shape, mean, std, min, max; small tensors in full;
NaN/Inf counts when there are any). :func:`resolve_values` matches the user's ``values=`` mapping (keys are
:class:`~graphc.Value` objects or names) to drawn values, and :func:`capture_values` runs a graph on the NumPy
backend and returns every intermediate array, ready for ``render(..., values=...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from graphc.ir.analysis import live_nodes
from graphc.ir.graph import Graph, Value
from graphc.viz.errors import RenderError

FULL_LIMIT = 10  # tensors with at most this many elements are printed in full


def _num(x: float) -> str:
    return f"{x:.4g}"


def summarize(array: Any) -> list[str]:
    """A few lines describing ``array``: its concrete shape, then the elements (≤ :data:`FULL_LIMIT` of them,
    flattened) or
    ``mean``/``std`` and ``min``/``max`` over the finite elements, then NaN/Inf counts if any.

    Accepts anything ``np.asarray`` accepts; booleans count as 0/1; non-numeric arrays only report their
    shape.
    """
    a = np.asarray(array)
    lines = [f"shape {tuple(a.shape)}" if a.ndim else "scalar"]
    if a.size == 0:
        lines.append("(empty)")
        return lines
    if a.dtype.kind == "b":
        a = a.astype(np.int8)
    if a.dtype.kind not in "iufc":
        return lines
    if a.dtype.kind == "c":
        a = np.abs(a)
    if a.size <= FULL_LIMIT:
        if a.ndim == 0:
            lines.append(_num(float(a)))
        else:
            flat = ", ".join(_num(float(x)) for x in a.reshape(-1))
            nested = sum(d > 1 for d in a.shape) > 1
            lines.append(f"[{flat}] (flattened)" if nested else f"[{flat}]")
        return lines
    af = a.astype(np.float64, copy=False)
    finite = np.isfinite(af)
    n_bad = int(af.size - np.count_nonzero(finite))
    good = af[finite] if n_bad else af
    if good.size:
        lines.append(f"mean {_num(float(good.mean()))}  std {_num(float(good.std()))}")
        lines.append(f"min {_num(float(good.min()))}  max {_num(float(good.max()))}")
    if n_bad:
        n_nan = int(np.count_nonzero(np.isnan(af)))
        lines.append(f"⚠ {n_nan} nan, {n_bad - n_nan} inf")
    return lines


def resolve_values(
    values: Mapping[Any, Any] | None, drawn: Iterable[Value], names: Mapping[Value, str]
) -> dict[Value, Any]:
    """Match ``values`` to drawn values: a key may be a :class:`Value`, its full name (``"fc1/W"``) or its
    printed name with or without ``%`` (``"%3"``, ``"3"``). Keys that match nothing drawn are ignored (a run
    may compute more than one view shows); a key of another type raises :class:`RenderError`.
    """
    if not values:
        return {}
    by_name: dict[str, Value] = {}
    for v in drawn:
        printed = names.get(v)
        if printed is not None:
            by_name.setdefault(printed, v)
            by_name.setdefault("%" + printed, v)
        if v.name is not None:
            by_name.setdefault(v.name, v)
    out: dict[Value, Any] = {}
    for key, arr in values.items():
        if isinstance(key, Value):
            out[key] = arr
        elif isinstance(key, str):
            found = by_name.get(key)
            if found is not None:
                out[found] = arr
        else:
            raise RenderError(f"values: keys must be graph values or names, got {type(key).__name__} {key!r}")
    return out


def capture_values(
    graph: Graph, feeds: Mapping[str, Any], outputs: Iterable[Value] | None = None
) -> dict[Value, np.ndarray[Any, Any]]:
    """Run ``graph`` once on the NumPy backend and return every value it computes, plus the fed inputs.

    ``feeds`` maps input names to arrays (placeholders and parameters, as for a compiled executable).
    ``outputs`` limits the run to what those values need (default: ``graph.outputs``, or every node when the
    graph has none). Raises :class:`graphc.FeedError` when a needed input is missing from ``feeds``.
    """
    from graphc.backends import compile as compile_graph

    wanted = list(outputs) if outputs is not None else list(graph.outputs)
    nodes = live_nodes(graph, wanted) if wanted else list(graph.nodes)
    computed = [o for n in nodes for o in n.outputs]
    result: dict[Value, np.ndarray[Any, Any]] = {}
    for v in graph.inputs:
        if v.name is not None and v.name in feeds:
            result[v] = np.asarray(feeds[v.name])
    if computed:
        run = compile_graph(computed)
        arrays = run({k: feeds[k] for k in run.input_names if k in feeds})
        for v, arr in zip(computed, arrays, strict=True):
            result[v] = np.asarray(arr)
    return result

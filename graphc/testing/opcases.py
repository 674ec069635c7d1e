"""Turning an op's declared :class:`~graphc.ir.opdef.Case` into graphs and inputs for generated tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphc.ir.dtypes import as_dtype
from graphc.ir.graph import Graph, Value
from graphc.ir.opdef import Case, OpDef
from graphc.ir.types import BATCH, Dim, TensorType

Array = np.ndarray[Any, Any]


def input_dtypes(case: Case, float_dtype: str = "float64") -> list[str]:
    """Per-input dtypes of a case: its declared ones, with float inputs in ``float_dtype``."""
    if case.dtypes is None:
        return [float_dtype] * len(case.shapes)
    return [float_dtype if d.startswith("float") else d for d in case.dtypes]


def sample_inputs(case: Case, rng: np.random.Generator, float_dtype: str = "float64") -> list[Array]:
    """Random inputs honouring each input's domain (see :class:`Case`)."""
    out = []
    domains = case.domain or ("real",) * len(case.shapes)
    for shape, dom, dt in zip(case.shapes, domains, input_dtypes(case, float_dtype), strict=True):
        npdt = as_dtype(dt).numpy
        a: Array
        if dom == "bool" or npdt == np.bool_:
            a = rng.random(shape) < 0.5
        elif dom.startswith("int:"):
            a = rng.integers(0, int(dom[4:]), size=shape)
        elif npdt.kind in "iu":
            a = rng.integers(-5, 6, size=shape)
        elif dom == "positive":
            a = rng.uniform(0.5, 2.0, size=shape)
        elif dom == "nonzero":
            a = rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        else:
            a = rng.uniform(-2.0, 2.0, size=shape)
        out.append(np.asarray(a).astype(npdt))
    return out


@dataclass
class CaseGraph:
    """A one-node graph applying ``op`` to placeholders ``x0, x1, …``."""

    graph: Graph
    inputs: list[Value]
    outputs: tuple[Value, ...]


def build_case(op: OpDef, case: Case, float_dtype: str = "float64", symbolic: bool = False) -> CaseGraph:
    """Emit ``op`` on placeholders shaped as ``case`` (``symbolic``: each leading dim becomes the batch ``B``,
    for cases whose inputs share a leading dim)."""
    with Graph(f"case_{op.name}") as g:
        inputs = []
        for i, (shape, dt) in enumerate(zip(case.shapes, input_dtypes(case, float_dtype), strict=True)):
            dims: tuple[Dim, ...] = (BATCH, *shape[1:]) if symbolic and shape else shape
            inputs.append(g.add_placeholder(f"x{i}", TensorType(tuple(dims), as_dtype(dt))))
        # An attribute given as a factory (a fused op's body, say) is built for the dtype under test.
        attrs = {k: (v(float_dtype) if callable(v) and not isinstance(v, type) else v) for k, v in case.attrs.items()}
        if "dtype" in attrs and isinstance(attrs["dtype"], str) and attrs["dtype"].startswith("float"):
            attrs["dtype"] = float_dtype if op.name != "cast" else attrs["dtype"]
        outs = g.emit(op, inputs, attrs)
    g.outputs = list(outs)
    return CaseGraph(g, inputs, outs)


def finite_difference_vjp(
    f: Callable[[list[Array]], list[Array]], xs: list[Array], cts: list[Array], wrt: int, eps: float = 1e-6
) -> Array:
    """Central-difference estimate of ``d/dx_wrt Σ_k <f(xs)_k, cts_k>`` (float64 inputs)."""
    x = xs[wrt]
    grad = np.zeros_like(x)
    flat = grad.reshape(-1)
    base = x.reshape(-1)
    for i in range(base.size):
        orig = base[i]
        vals = []
        for sgn in (1.0, -1.0):
            base[i] = orig + sgn * eps
            outs = f([*xs[:wrt], base.reshape(x.shape), *xs[wrt + 1:]])
            vals.append(sum(float(np.sum(o * c)) for o, c in zip(outs, cts, strict=True)))
        base[i] = orig
        flat[i] = (vals[0] - vals[1]) / (2 * eps)
    return grad


def feeds_for(inputs: list[Value], arrays: list[Array]) -> Mapping[str, Array]:
    return {v.name: a for v, a in zip(inputs, arrays, strict=True)}  # type: ignore[misc]

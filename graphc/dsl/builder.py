"""Graph inputs and constants, name scopes, and lifting of Python numbers into the graph."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from graphc.errors import DTypeError, GraphBuildError
from graphc.ir.constant import ConstValue
from graphc.ir.dtypes import DType, as_dtype
from graphc.ir.graph import Graph, Initializer, Value, default_graph
from graphc.ir.types import TensorType, as_shape


def placeholder(name: str, shape: Iterable[Any] | int, dtype: Any = "float32") -> Value:
    """A fed input of the current graph. ``None`` in ``shape`` is the batch symbol ``B``; a string is a symbol.

    The (scoped) name is the key under which arrays are fed to a compiled executable.
    """
    return default_graph().add_placeholder(name, TensorType(as_shape(shape), as_dtype(dtype)))


def parameter(
    name: str,
    shape: Iterable[Any] | int,
    dtype: Any = "float32",
    init: str | Initializer | None = "zeros",
    trainable: bool = True,
) -> Value:
    """A model parameter of the current graph: an input whose initial value ``init`` makes.

    ``init`` is an initializer name from :mod:`graphc.init` (``"he_normal"``…) or a callable
    ``init(rng, shape, dtype) -> array``. Nothing is computed now; :func:`graphc.init_params` runs initializers.
    """
    from graphc.init import resolve

    type_ = TensorType(as_shape(shape), as_dtype(dtype))
    return default_graph().add_parameter(name, type_, resolve(init), trainable)


def constant(value: Any, dtype: Any = None, name: str | None = None, graph: Graph | None = None) -> Value:
    """A constant tensor. Python floats default to float32, ints to int32 (as in deep-learning frameworks)."""
    g = graph if graph is not None else default_graph()
    if dtype is None:
        arr = np.asarray(value)
        if arr.dtype.kind == "f":
            dt = DType.float32 if isinstance(value, float | int) or arr.dtype == np.float32 else as_dtype(arr.dtype)
        elif arr.dtype.kind in "iu":
            dt = DType.int32 if isinstance(value, int) else as_dtype(arr.dtype)
        else:
            dt = as_dtype(arr.dtype)
    else:
        dt = as_dtype(dtype)
    arr = np.asarray(value, dtype=dt.numpy)
    return g.emit("constant", (), {"value": ConstValue(arr), "dtype": dt}, name=name)[0]


@contextlib.contextmanager
def name_scope(name: str) -> Iterator[str]:
    """Nest a name scope in the current graph (see :meth:`Graph.name_scope`)."""
    with default_graph().name_scope(name) as s:
        yield s


def graph_of(*xs: Any) -> Graph:
    """The graph of the first :class:`Value` among ``xs``, else the current graph."""
    for x in xs:
        if isinstance(x, Value):
            return x.graph
    return default_graph()


def lift(x: Any, like: Value | None = None, graph: Graph | None = None) -> Value:
    """Turn ``x`` into a value. Python numbers are weakly typed: they take ``like``'s dtype.

    A float literal next to an integer tensor is a :class:`DTypeError` (no silent promotion); NumPy arrays keep
    their own dtype.
    """
    if isinstance(x, Value):
        return x
    g = graph if graph is not None else (like.graph if like is not None else default_graph())
    if isinstance(x, bool | int | float | np.number | np.bool_) and like is not None:
        dt = like.dtype
        if isinstance(x, float | np.floating) and not dt.is_float:
            raise DTypeError(f"cannot combine {dt} value {like!r} with float literal {x!r}; cast first")
        if isinstance(x, bool | np.bool_) != dt.is_bool:
            raise DTypeError(f"cannot combine {dt} value {like!r} with literal {x!r}")
        return constant(x, dt, graph=g)
    if isinstance(x, bool | int | float | np.ndarray | np.number | np.bool_ | list | tuple):
        return constant(x, graph=g)
    raise GraphBuildError(f"cannot use {type(x).__name__} {x!r} as a graph value")


def lift_all(*xs: Any) -> list[Value]:
    """Lift several operands into one graph; literals take the dtype of the first value among them."""
    like = next((x for x in xs if isinstance(x, Value)), None)
    g = like.graph if like is not None else default_graph()
    return [lift(x, like, g) for x in xs]

"""Tensor types: a shape (concrete or symbolic dimensions) and a dtype.

A dimension is an ``int`` or a :class:`Sym`, a named symbolic size such as the batch ``B``. One graph serves every
binding of its symbols; an executable is specialised per concrete binding. ``None`` in a user shape means the
default batch symbol ``B``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from graphc.errors import ShapeError
from graphc.ir.dtypes import DType, as_dtype


@dataclass(frozen=True, slots=True)
class Sym:
    """A named symbolic dimension. Two ``Sym`` with the same name are the same size."""

    name: str

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Sym({self.name!r})"


Dim = int | Sym
Shape = tuple[Dim, ...]

BATCH = Sym("B")


def as_dim(d: object) -> Dim:
    """Coerce a user dimension: ``int`` ≥ 0, ``None`` (the batch symbol) or a name (a symbol)."""
    if d is None:
        return BATCH
    if isinstance(d, Sym):
        return d
    if isinstance(d, str):
        if not d.isidentifier():
            raise ShapeError(f"symbolic dimension name {d!r} must be an identifier")
        return Sym(d)
    if isinstance(d, bool) or not isinstance(d, int | np.integer):
        raise ShapeError(f"dimension {d!r} must be an int, None or a symbol name")
    if int(d) < 0:
        raise ShapeError(f"dimension {d!r} must be non-negative")
    return int(d)


def as_shape(shape: Iterable[object] | int) -> Shape:
    """Coerce a user shape (tuple/list of dims, or a single int) to a :data:`Shape`."""
    if isinstance(shape, int):
        return (as_dim(shape),)
    return tuple(as_dim(d) for d in shape)


def format_shape(shape: Shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def is_static(shape: Shape) -> bool:
    return all(isinstance(d, int) for d in shape)


def static_size(shape: Shape) -> int | None:
    """Number of elements, or ``None`` if any dimension is symbolic."""
    if not is_static(shape):
        return None
    return math.prod(shape)  # type: ignore[arg-type]


def bind_shape(shape: Shape, binding: Mapping[Sym, int]) -> tuple[int, ...]:
    """Replace every symbol by its bound size. Raises ``KeyError`` for an unbound symbol."""
    return tuple(d if isinstance(d, int) else binding[d] for d in shape)


def bind_dim(d: Dim, binding: Mapping[Sym, int]) -> int:
    return d if isinstance(d, int) else binding[d]


def broadcast_shapes(*shapes: Shape) -> Shape | None:
    """NumPy broadcasting of (possibly symbolic) shapes; ``None`` when they do not broadcast.

    A symbol broadcasts with 1 and with itself only: a symbol against a different size is rejected at build time
    rather than left to fail (or silently broadcast) at run time.
    """
    ndim = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for i in range(ndim):
        dim: Dim = 1
        for s in shapes:
            j = i - (ndim - len(s))
            if j < 0:
                continue
            d = s[j]
            if d == 1:
                continue
            if dim == 1:
                dim = d
            elif d != dim:
                return None
        out.append(dim)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class TensorType:
    """The static type of a value: shape and dtype. ``str`` gives the printer form ``f32[B,256]``."""

    shape: Shape
    dtype: DType

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", as_dtype(self.dtype))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __str__(self) -> str:
        return f"{self.dtype}{format_shape(self.shape)}"

    def with_shape(self, shape: Sequence[Dim]) -> TensorType:
        return TensorType(tuple(shape), self.dtype)

    def with_dtype(self, dtype: DType) -> TensorType:
        return TensorType(self.shape, dtype)

    def symbols(self) -> set[Sym]:
        return {d for d in self.shape if isinstance(d, Sym)}

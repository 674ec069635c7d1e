"""Shape and dtype rules shared by many ops.

Rules receive input shapes/dtypes and the op's checked attributes and return output shapes/dtypes; they raise
:class:`RuleError` (never a bare exception) so :meth:`Graph.emit` can report the op, the types and the line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from graphc.ir.dtypes import DType
from graphc.ir.opdef import Attrs, RuleError
from graphc.ir.types import Shape, broadcast_shapes, format_shape

Shapes = tuple[Shape, ...]
DTypes = tuple[DType, ...]


# -- shapes -------------------------------------------------------------------------------------------------


def same_shape(shapes: Shapes, attrs: Attrs) -> Shapes:
    """Unary elementwise: the output has the input's shape."""
    return (shapes[0],)


def broadcast(shapes: Shapes, attrs: Attrs) -> Shapes:
    """Elementwise over several inputs with NumPy broadcasting."""
    out = broadcast_shapes(*shapes)
    if out is None:
        raise RuleError("shapes " + " and ".join(format_shape(s) for s in shapes) + " do not broadcast")
    return (out,)


def check_axes(axes: Sequence[int], ndim: int, what: str = "axis") -> None:
    """Axes must be canonical: in ``[0, ndim)``, sorted and unique (the DSL normalises user axes)."""
    for a in axes:
        if not 0 <= a < ndim:
            raise RuleError(f"{what} {a} is out of range for rank {ndim}")
    if list(axes) != sorted(set(axes)):
        raise RuleError(f"{what} {tuple(axes)} must be sorted and unique")


def reduce_shape(shapes: Shapes, attrs: Attrs) -> Shapes:
    """Reduction over ``attrs['axis']`` (a tuple), keeping reduced dims as 1 when ``keepdims``."""
    (shape,) = shapes
    axes = attrs["axis"]
    check_axes(axes, len(shape))
    if attrs.get("keepdims", False):
        return (tuple(1 if i in axes else d for i, d in enumerate(shape)),)
    return (tuple(d for i, d in enumerate(shape) if i not in axes),)


def one_axis_same_shape(shapes: Shapes, attrs: Attrs) -> Shapes:
    """Ops such as softmax that work along one axis and keep the shape."""
    check_axes((attrs["axis"],), len(shapes[0]))
    return (shapes[0],)


# -- dtypes -------------------------------------------------------------------------------------------------


def _names(dtypes: DTypes) -> str:
    return ", ".join(str(d) for d in dtypes)


def float_same(dtypes: DTypes, attrs: Attrs) -> DTypes:
    """All inputs one float dtype; the output has it (exp, tanh, softmax…)."""
    if not all(d.is_float for d in dtypes):
        raise RuleError(f"needs floating-point inputs, got {_names(dtypes)}; cast first")
    return (_same(dtypes),)


def numeric_same(dtypes: DTypes, attrs: Attrs) -> DTypes:
    """All inputs one numeric (non-bool) dtype; the output has it (add, neg, maximum…)."""
    if any(d.is_bool for d in dtypes):
        raise RuleError(f"needs numeric inputs, got {_names(dtypes)}; cast bool first")
    return (_same(dtypes),)


def any_same(dtypes: DTypes, attrs: Attrs) -> DTypes:
    """All inputs one dtype, any; the output has it (reshape, concat…)."""
    return (_same(dtypes),)


def first_input(dtypes: DTypes, attrs: Attrs) -> DTypes:
    return (dtypes[0],)


def to_bool(dtypes: DTypes, attrs: Attrs) -> DTypes:
    """Comparisons: inputs of one dtype, boolean output."""
    _same(dtypes)
    return (DType.bool,)


def _same(dtypes: DTypes) -> DType:
    first = dtypes[0]
    if any(d is not first for d in dtypes[1:]):
        raise RuleError(f"mixes dtypes {_names(dtypes)}; cast one side so they agree")
    return first


def fixed(*out: DType) -> Callable[[DTypes, Attrs], DTypes]:
    """A dtype rule with a fixed output dtype and no constraint on inputs."""

    def rule(dtypes: DTypes, attrs: Attrs) -> DTypes:
        return out

    return rule


def attr_dtype(dtypes: DTypes, attrs: Attrs) -> DTypes:
    """The output dtype is the ``dtype`` attribute (cast, constant, one_hot)."""
    return (attrs["dtype"],)

"""Ops that make tensors from attributes: constants, symbolic sizes and one-hot encodings."""

from __future__ import annotations

from graphc.ir.dtypes import DType
from graphc.ir.opdef import Attrs, AttrSpec, Case, OpDef, OpKind, RuleError, nondiff, register
from graphc.ir.ops import rules
from graphc.ir.types import Sym


def _constant_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    return (tuple(attrs["value"].array.shape),)


def _constant_dtype(dtypes: rules.DTypes, attrs: Attrs) -> rules.DTypes:
    if attrs["value"].array.dtype != attrs["dtype"].numpy:
        raise RuleError("constant payload dtype disagrees with its dtype attribute", dtype=True)
    return (attrs["dtype"],)


register(OpDef("constant", OpKind.OPAQUE, 0, _constant_shape, _constant_dtype,
               (AttrSpec("value", "any"), AttrSpec("dtype", "dtype")), nondiff, (), "a literal tensor"))


def _dimsize_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    if not all(isinstance(d, Sym) for d in attrs["dims"]):
        raise RuleError("dimsize takes symbolic dimensions only")
    return ((),)


register(OpDef("dimsize", OpKind.OPAQUE, 0, _dimsize_shape, rules.attr_dtype,
               (AttrSpec("dims", "dims"), AttrSpec("dtype", "dtype")), nondiff, (),
               "the product of symbolic dimensions' bound sizes, as a scalar (resolved when specialised)"))


def _one_hot_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    if attrs["depth"] <= 0:
        raise RuleError(f"depth must be positive, got {attrs['depth']}")
    return ((*shapes[0], attrs["depth"]),)


def _one_hot_dtype(dtypes: rules.DTypes, attrs: Attrs) -> rules.DTypes:
    if not dtypes[0].is_int:
        raise RuleError(f"labels must be integers, got {dtypes[0]}")
    return (attrs["dtype"],)


register(OpDef("one_hot", OpKind.OPAQUE, 1, _one_hot_shape, _one_hot_dtype,
               (AttrSpec("depth", "int"), AttrSpec("dtype", "dtype", DType.float32)), nondiff,
               (Case(((4,),), {"depth": 3}, dtypes=("int64",), domain=("int:3",), fd=False),
                Case(((2, 3),), {"depth": 5, "dtype": "float64"}, dtypes=("int32",), domain=("int:5",), fd=False)),
               "labels → one-hot rows (out-of-range labels give all-zero rows)"))

"""The five dtypes graphc supports and the rules that relate them to NumPy."""

from __future__ import annotations

import builtins
import enum
from typing import Any

import numpy as np

from graphc.errors import DTypeError


class DType(enum.Enum):
    """A tensor element type. ``str(dt)`` is the short form used by the printer (``f32``)."""

    float32 = "f32"
    float64 = "f64"
    int32 = "i32"
    int64 = "i64"
    bool = "bool"

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"graphc.{self.name}"

    @property
    def numpy(self) -> np.dtype[Any]:
        """The NumPy dtype this dtype lowers to."""
        return _TO_NUMPY[self]

    # Member lookups through the class go through enum's descriptors, which is slow on a hot path (these run
    # for every node built); the sets below are filled once, after the class exists.
    @property
    def is_float(self) -> builtins.bool:  # `bool` here would name the member DType.bool
        return self in _FLOATS

    @property
    def is_int(self) -> builtins.bool:
        return self in _INTS

    @property
    def is_bool(self) -> builtins.bool:
        return self in _BOOLS


_FLOATS = frozenset((DType.float32, DType.float64))
_INTS = frozenset((DType.int32, DType.int64))
_BOOLS = frozenset((DType.bool,))

float32 = DType.float32
float64 = DType.float64
int32 = DType.int32
int64 = DType.int64
bool_ = DType.bool

_TO_NUMPY: dict[DType, np.dtype[Any]] = {
    DType.float32: np.dtype(np.float32),
    DType.float64: np.dtype(np.float64),
    DType.int32: np.dtype(np.int32),
    DType.int64: np.dtype(np.int64),
    DType.bool: np.dtype(np.bool_),
}
_FROM_NUMPY = {v: k for k, v in _TO_NUMPY.items()}
_BY_NAME = {d.name: d for d in DType} | {d.value: d for d in DType} | {"bool_": DType.bool}


def as_dtype(x: object) -> DType:
    """Coerce a graphc dtype, its name (``"float32"``/``"f32"``) or a NumPy dtype to :class:`DType`.

    Raises :class:`DTypeError` for anything else (complex, float16, strings, objects).
    """
    if isinstance(x, DType):
        return x
    if isinstance(x, str) and x in _BY_NAME:
        return _BY_NAME[x]
    try:
        npdt = np.dtype(x)  # type: ignore[call-overload]
    except TypeError:
        npdt = None
    if npdt is not None and npdt in _FROM_NUMPY:
        return _FROM_NUMPY[npdt]
    raise DTypeError(f"unsupported dtype {x!r}; graphc supports {', '.join(d.name for d in DType)}")

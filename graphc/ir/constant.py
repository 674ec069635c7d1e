"""Array payloads of ``constant`` nodes: immutable, hashable by content so CSE can merge equal constants."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


class ConstValue:
    """An immutable NumPy array held in a node attribute. Equality and hash are by dtype, shape and bytes."""

    __slots__ = ("_hash", "array")

    def __init__(self, array: Any) -> None:
        arr = np.array(array, copy=True)
        arr.setflags(write=False)
        self.array = arr
        digest = hashlib.blake2b(arr.tobytes(), digest_size=8).digest()
        self._hash = hash((arr.dtype.str, arr.shape, digest))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ConstValue)
            and self._hash == other._hash
            and self.array.dtype == other.array.dtype
            and self.array.shape == other.array.shape
            and bool(np.array_equal(self.array, other.array, equal_nan=self.array.dtype.kind == "f"))
        )

    @property
    def is_scalar(self) -> bool:
        return self.array.ndim == 0

    def __repr__(self) -> str:
        if self.array.size <= 4:
            return np.array2string(self.array, separator=",", threshold=4).replace("\n", "")
        return f"<{self.array.dtype}{list(self.array.shape)}>"

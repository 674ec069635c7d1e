"""Explicitly keyed randomness: random numbers from an int32 key, keys as state, and dropout.

Randomness is a function of a key (see :mod:`graphc.ir.ops.random`): the same key gives the same numbers on
every run and every backend. A training graph keeps its key as a non-trainable parameter (:func:`rng_key`)
that advances by one every step (:func:`next_key`), so a step is reproducible from the state alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.dsl.builder import lift, parameter
from graphc.dsl.elementwise import cast, greater_equal
from graphc.errors import GraphBuildError
from graphc.ir.dtypes import as_dtype
from graphc.ir.graph import Value
from graphc.ir.source import capture
from graphc.ir.types import Dim, as_dim


def random_key_init(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray[Any, Any]:
    """Initializer of key parameters: a random int32 drawn from the (seeded) init generator."""
    return rng.integers(0, 2**31 - 1, size=shape).astype(dtype)


def rng_key(name: str = "key") -> Value:
    """A new key: a non-trainable int32 scalar parameter of the current graph, initialised from the init seed."""
    return parameter(name, (), "int32", init=random_key_init, trainable=False)


def next_key(key: Value) -> Value:
    """The key of the next step: ``key + 1`` (int32, wrapping) — a counter, as in counter-based generators."""
    return key + 1


def random_uniform(key: Any, shape: tuple[Dim | None, ...], dtype: Any = "float32", salt: int = 0) -> Value:
    """Uniform numbers in [0, 1) of ``shape`` (symbols allowed) from the int32 scalar ``key``; ops that share a
    key draw independent numbers when their ``salt`` differs."""
    k = lift(key)
    return k.graph.emit("random_uniform", (k,), {"shape": tuple(as_dim(d) for d in shape), "salt": salt,
                                                  "dtype": as_dtype(dtype)})[0]


def dropout(x: Any, rate: float, key: Any, salt: int = 0) -> Value:
    """Inverted dropout (training mode): each element is zeroed with probability ``rate`` and the survivors are
    scaled by ``1 / (1 − rate)``, so the expectation is ``x``. The mask comes from ``key`` and ``salt``.

    Inference mode is the identity: do not call this then (:class:`graphc.nn.Dropout` takes care of it).
    """
    v = lift(x)
    if not 0.0 <= rate < 1.0:
        raise GraphBuildError(f"dropout: rate must be in [0, 1), got {rate!r}", loc=capture())
    if rate == 0.0:
        return v
    keep = greater_equal(random_uniform(key, v.shape, v.dtype, salt), rate)
    return v * (cast(keep, v.dtype) * (1.0 / (1.0 - rate)))

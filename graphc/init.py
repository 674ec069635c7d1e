"""Parameter initializers and :func:`init_params`.

An initializer is ``init(rng, shape, dtype) -> np.ndarray`` with ``rng`` a ``numpy.random.Generator``. Fan-in and
fan-out follow the usual convention: for a dense weight ``(in, out)``, fan_in = in, fan_out = out; for a
convolution kernel ``(out_ch, in_ch, kh, kw)``, fan_in = in_ch·kh·kw and fan_out = out_ch·kh·kw.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from graphc.errors import GraphBuildError
from graphc.ir.graph import Graph, Initializer, Value

Array = np.ndarray[Any, Any]


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of this shape."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def zeros(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> Array:
    return np.zeros(shape, dtype)


def ones(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> Array:
    return np.ones(shape, dtype)


def constant(value: float) -> Initializer:
    """Every element ``value``."""

    def init(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> Array:
        return np.full(shape, value, dtype)

    return init


def normal(std: float = 0.01, mean: float = 0.0) -> Initializer:
    def init(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> Array:
        return (rng.standard_normal(shape) * std + mean).astype(dtype)

    return init


def uniform(low: float = -0.05, high: float = 0.05) -> Initializer:
    def init(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> Array:
        return rng.uniform(low, high, shape).astype(dtype)

    return init


def _scaled(kind: str, gain: float, fan: Callable[[int, int], float]) -> Initializer:
    def init(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> Array:
        var = gain / fan(*fans(shape))
        if kind == "normal":
            return (rng.standard_normal(shape) * math.sqrt(var)).astype(dtype)
        limit = math.sqrt(3.0 * var)
        return rng.uniform(-limit, limit, shape).astype(dtype)

    return init


xavier_normal = _scaled("normal", 2.0, lambda i, o: i + o)  # Glorot & Bengio 2010: var = 2 / (fan_in + fan_out)
xavier_uniform = _scaled("uniform", 2.0, lambda i, o: i + o)
he_normal = _scaled("normal", 2.0, lambda i, o: i)  # He et al. 2015: var = 2 / fan_in, for ReLU layers
he_uniform = _scaled("uniform", 2.0, lambda i, o: i)
glorot_normal, glorot_uniform = xavier_normal, xavier_uniform

BY_NAME: dict[str, Initializer] = {
    "zeros": zeros, "ones": ones, "normal": normal(), "uniform": uniform(),
    "xavier_normal": xavier_normal, "xavier_uniform": xavier_uniform,
    "glorot_normal": xavier_normal, "glorot_uniform": xavier_uniform,
    "he_normal": he_normal, "he_uniform": he_uniform,
}


def resolve(init: str | Initializer | None) -> Initializer | None:
    """An initializer from its name or itself; unknown names raise :class:`GraphBuildError`."""
    if init is None or callable(init):
        return init
    if isinstance(init, str) and init in BY_NAME:
        return BY_NAME[init]
    raise GraphBuildError(f"unknown initializer {init!r}; known: {', '.join(sorted(BY_NAME))}")


def init_params(graph_or_params: Graph | Iterable[Value], seed: int = 0) -> dict[str, Array]:
    """Run every parameter's initializer with one seeded generator, in parameter order (reproducible).

    Each parameter draws from its own stream derived from ``seed`` and its name, so adding a layer does not
    change the initial values of the others.
    """
    params = graph_or_params.parameters if isinstance(graph_or_params, Graph) else list(graph_or_params)
    out: dict[str, Array] = {}
    for p in params:
        if p.param is None or p.param.init is None:
            raise GraphBuildError(f"parameter {p.name!r} has no initializer")
        shape = p.shape
        if not all(isinstance(d, int) for d in shape):
            raise GraphBuildError(f"parameter {p.name!r} has symbolic shape {p.type}; parameters must be static")
        rng = np.random.default_rng([seed, _name_key(p.name or "")])
        arr = np.asarray(p.param.init(rng, shape, p.dtype.numpy), dtype=p.dtype.numpy)
        if arr.shape != shape:
            raise GraphBuildError(f"initializer of {p.name!r} returned shape {arr.shape}, expected {shape}")
        out[p.name] = arr  # type: ignore[index]
    return out


@functools.lru_cache(maxsize=4096)
def _name_key(name: str) -> int:
    import zlib

    return zlib.crc32(name.encode("utf-8"))

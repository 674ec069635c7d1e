"""A seeded generator of random valid graphs (forward and gradient) for differential testing of passes and
backends: every pass sequence and every backend must compute the same outputs as the unoptimised NumPy run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphc import dsl as G
from graphc.autodiff import grad
from graphc.ir.graph import Graph, Value

Array = np.ndarray[Any, Any]

_UNARY: list[Callable[[Value], Value]] = [
    G.tanh, G.sigmoid, G.relu, G.neg, G.abs, lambda v: G.leaky_relu(v, 0.2), lambda v: G.elu(v, 0.7),
    lambda v: G.exp(G.tanh(v)), lambda v: G.log(G.sigmoid(v) + 0.5), lambda v: G.sqrt(G.abs(v) + 1.0),
    # log(exp v) is left out: its rewrite to v is exact in value but not in rounding, and a comparison
    # downstream can turn that last-bit difference into a different branch.
    lambda v: G.stop_gradient(v) * v, lambda v: G.neg(G.neg(v)), lambda v: v * 1.0,
    lambda v: v + 0.0, lambda v: v ** 2.0,
]
_BINARY: list[Callable[[Value, Value], Value]] = [
    G.add, G.sub, G.mul, G.maximum, G.minimum, lambda a, b: a / (G.abs(b) + 1.0),
    lambda a, b: G.where(a > b, a, b * 0.5),
]


@dataclass
class RandomGraph:
    """A random graph: its placeholders, the forward outputs, a scalar loss and its gradients (for some seeds,
    SGD-style updates ``x - 0.1·grad`` of the placeholders instead)."""

    graph: Graph
    inputs: list[Value]
    outputs: list[Value]
    feeds: dict[str, Array]


def random_graph(seed: int, n_ops: int = 12, with_grad: bool = True) -> RandomGraph:
    """Build a valid random graph of about ``n_ops`` DSL operations on float64 placeholders (seeded)."""
    rng = np.random.default_rng(seed)
    with Graph(f"random_{seed}") as g:
        rows, cols = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        shapes = [(rows, cols), (cols,), (rows, 1), (1, cols)]
        inputs = [G.placeholder(f"x{i}", shapes[i % len(shapes)] if i else (rows, cols), "float64")
                  for i in range(int(rng.integers(2, 5)))]
        pool: list[Value] = list(inputs)
        for _ in range(n_ops):
            kind = rng.integers(0, 10)
            a = pool[int(rng.integers(len(pool)))]
            if kind <= 2:
                v = _UNARY[int(rng.integers(len(_UNARY)))](a)
            elif kind <= 5:
                b = pool[int(rng.integers(len(pool)))]
                if _bcast(a, b) is None:
                    b = a
                v = _BINARY[int(rng.integers(len(_BINARY)))](a, b)
            elif kind == 6 and a.ndim == 2:
                w = pool[0]
                v = G.matmul(a if a.shape[-1] == w.shape[0] else G.transpose(a), w) if (
                    a.shape[-1] == w.shape[0] or a.shape[0] == w.shape[0]) else G.tanh(a)
                if v.ndim == 2 and v.shape != (rows, cols):
                    v = G.sum(v, axis=1, keepdims=True)
            elif kind == 7 and a.ndim >= 1:
                axis = int(rng.integers(a.ndim))
                v = [G.sum, G.mean, G.max][int(rng.integers(3))](a, axis, keepdims=True)
            elif kind == 8 and a.ndim == 2:
                v = G.softmax(a, axis=int(rng.integers(2))) if rng.random() < 0.5 else G.log_softmax(a, axis=1)
            else:
                v = G.reshape(G.transpose(a), a.shape) if a.ndim == 2 and a.shape[0] == a.shape[1] else G.tanh(a)
            if _bcast(v, inputs[0]) is None:  # keep every value broadcastable against the others
                v = G.sum(v)
            if rng.random() < 0.15:  # a duplicate computation for CSE to find
                v = v + _UNARY[0](a) - _UNARY[0](a)
            pool.append(v)
        tail = pool[len(inputs):] or pool
        outputs = [tail[-1], tail[len(tail) // 2]]
        loss = G.sum(outputs[0]) + G.mean(outputs[1] * outputs[1])
        outputs.append(loss)
        if with_grad:
            outputs.extend(grad(loss, inputs, unused="zero"))
    feeds: dict[str, Array] = {str(v.name): rng.uniform(-2, 2, [int(d) for d in v.shape])  # type: ignore[arg-type]
                               for v in inputs}
    if with_grad and rng.random() < 0.5:  # SGD-style updates x - k·grad instead (what scale folding rewrites)
        with g:
            outputs[3:] = [x - 0.1 * dx for x, dx in zip(inputs, outputs[3:], strict=True)]
    g.outputs = outputs
    return RandomGraph(g, inputs, outputs, feeds)


def _bcast(a: Value, b: Value) -> object:
    from graphc.ir.types import broadcast_shapes

    return broadcast_shapes(a.shape, b.shape)

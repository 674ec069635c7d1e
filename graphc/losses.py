"""Loss functions and weight penalties, built from primitives (their gradients come from autodiff).

All losses return a float scalar: the mean over the batch (the leading axis) unless stated otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphc import dsl as G
from graphc.errors import ShapeError
from graphc.ir.graph import Value
from graphc.ir.source import capture


def mse(pred: Any, target: Any) -> Value:
    """Mean squared error ``mean((pred - target)²)`` over all elements."""
    p, t = G.lift_all(pred, target)
    d = p - t
    return G.mean(d * d)


def binary_cross_entropy_with_logits(logits: Any, targets: Any) -> Value:
    """Mean binary cross-entropy of ``sigmoid(logits)`` against targets in [0, 1], computed stably.

    Uses ``max(x, 0) - x·t + log(1 + exp(-|x|))``, which is finite for any finite logit (|x| = 1e4 included).
    """
    x, t = G.lift_all(logits, targets)
    return G.mean(G.relu(x) - x * t + G.log(1.0 + G.exp(-G.abs(x))))


def softmax_cross_entropy(logits: Any, labels: Any) -> Value:
    """Mean categorical cross-entropy of ``softmax(logits)`` (classes on the last axis), computed stably.

    ``labels`` are integer class indices (shape ``logits.shape[:-1]``; one ``softmax_xent`` op, and a label
    outside ``[0, classes)`` counts as loss 0) or one-hot/probability targets (the shape of ``logits``).
    """
    x = G.lift(logits)
    y = G.lift(labels)
    if y.dtype.is_int:
        if y.shape != x.shape[:-1]:
            raise ShapeError(f"softmax_cross_entropy: integer labels {y.type} must have shape "
                             f"logits.shape[:-1] for logits {x.type}", loc=capture())
        if not isinstance(x.shape[-1], int):
            raise ShapeError(f"softmax_cross_entropy: the class axis of {x.type} must be static", loc=capture())
        return G.mean(G.softmax_xent(x, y))
    if y.shape != x.shape:
        raise ShapeError(f"softmax_cross_entropy: targets {y.type} must match logits {x.type}", loc=capture())
    per_example = -G.sum(y * G.log_softmax(x, axis=-1), axis=-1)
    return G.mean(per_example)


def l1_penalty(params: Iterable[Value]) -> Value:
    """``Σ |w|`` over all parameters (add ``λ · l1_penalty(params)`` to a loss)."""
    return _total(G.sum(G.abs(p)) for p in params)


def l2_penalty(params: Iterable[Value]) -> Value:
    """``½ Σ w²`` over all parameters (the ½ makes its gradient ``w``)."""
    return _total(G.sum(p * p) for p in params) * 0.5


def _total(terms: Iterable[Value]) -> Value:
    total: Value | None = None
    for t in terms:
        total = t if total is None else total + t
    if total is None:
        raise ShapeError("penalty over no parameters", loc=capture())
    return total

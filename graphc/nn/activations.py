"""Activation functions by name, for layers that take ``activation="relu"``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphc import dsl as G
from graphc.errors import GraphBuildError
from graphc.ir.graph import Value

Activation = Callable[[Value], Value]

BY_NAME: dict[str, Activation] = {
    "relu": G.relu,
    "sigmoid": G.sigmoid,
    "tanh": G.tanh,
    "leaky_relu": G.leaky_relu,
    "elu": G.elu,
    "softmax": G.softmax,
    "step": G.step,
    "linear": lambda x: x,
}


def resolve(activation: str | Activation | None) -> Activation | None:
    """An activation function from its name or itself (``None``/``"linear"``: identity)."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str) and activation in BY_NAME:
        return BY_NAME[activation]
    raise GraphBuildError(f"unknown activation {activation!r}; known: {', '.join(sorted(BY_NAME))}")


def name_of(activation: Any) -> str:
    return getattr(activation, "__name__", str(activation))

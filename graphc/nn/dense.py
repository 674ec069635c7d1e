"""The fully connected layer."""

from __future__ import annotations

from typing import Any

from graphc import dsl as G
from graphc.errors import ShapeError
from graphc.ir.graph import Value
from graphc.ir.source import capture
from graphc.nn.activations import Activation, resolve
from graphc.nn.layer import Layer


class Dense(Layer):
    """``activation(x @ W + b)`` with ``W: (in, units)`` and ``b: (units,)``.

    ``init`` initialises ``W`` (default He-normal, suited to ReLU; use ``"xavier_uniform"`` for tanh/sigmoid);
    ``b`` starts at zero.
    """

    default_name = "dense"

    def __init__(self, units: int, activation: str | Activation | None = None, *, init: Any = "he_normal",
                 use_bias: bool = True, name: str | None = None) -> None:
        super().__init__(name)
        self.units = units
        self.activation = resolve(activation)
        self.init = init
        self.use_bias = use_bias

    def build(self, x: Value) -> None:
        fan_in = x.shape[-1]
        if not isinstance(fan_in, int):
            raise ShapeError(f"Dense: the feature axis of {x.type} must be static", loc=capture())
        self.params["W"] = G.parameter("W", (fan_in, self.units), x.dtype, init=self.init)
        if self.use_bias:
            self.params["b"] = G.parameter("b", (self.units,), x.dtype, init="zeros")

    def forward(self, x: Value, **kwargs: Any) -> Value:
        y = G.matmul(x, self.params["W"])
        if self.use_bias:
            y = y + self.params["b"]
        return self.activation(y) if self.activation is not None else y

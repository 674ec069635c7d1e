"""The 2-D convolution layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphc import dsl as G
from graphc.dsl.conv import Padding
from graphc.errors import ShapeError
from graphc.ir.graph import Value
from graphc.ir.source import capture
from graphc.nn.activations import Activation, resolve
from graphc.nn.layer import Layer


class Conv2D(Layer):
    """``activation(conv2d(x, W) + b)`` on NCHW input, with ``W: (filters, C_in, kh, kw)`` and ``b: (filters,)``.

    ``kernel_size``, ``stride`` and ``dilation`` are ints or pairs; ``padding`` is ``"valid"``, ``"same"`` or
    ints (see :func:`graphc.conv2d`). ``init`` initialises ``W`` (He-normal by default: fan-in
    ``C_in·kh·kw``); ``b`` starts at zero. Mode-independent: ``training`` is accepted and ignored.
    """

    default_name = "conv2d"

    def __init__(self, filters: int, kernel_size: int | Sequence[int] = 3, *, stride: int | Sequence[int] = 1,
                 padding: Padding = "valid", dilation: int | Sequence[int] = 1,
                 activation: str | Activation | None = None, init: Any = "he_normal", use_bias: bool = True,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.filters = filters
        self.kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.activation = resolve(activation)
        self.init = init
        self.use_bias = use_bias

    def build(self, x: Value) -> None:
        if x.ndim != 4 or not isinstance(x.shape[1], int):
            raise ShapeError(f"Conv2D: input must be (N, C, H, W) with static channels, got {x.type}", loc=capture())
        self.params["W"] = G.parameter("W", (self.filters, x.shape[1], *self.kernel_size), x.dtype, init=self.init)
        if self.use_bias:
            self.params["b"] = G.parameter("b", (self.filters,), x.dtype, init="zeros")

    def forward(self, x: Value, **kwargs: Any) -> Value:
        y = G.conv2d(x, self.params["W"], self.params.get("b"), stride=self.stride, padding=self.padding,
                     dilation=self.dilation)
        return self.activation(y) if self.activation is not None else y

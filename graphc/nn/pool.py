"""Pooling and reshaping layers: MaxPool2D, AvgPool2D, GlobalAvgPool and Flatten (no parameters, no modes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphc import dsl as G
from graphc.dsl.conv import Padding
from graphc.ir.graph import Value
from graphc.nn.layer import Layer


class MaxPool2D(Layer):
    """Maximum over ``pool_size`` windows moved by ``stride`` (default: ``pool_size``) — :func:`graphc.max_pool2d`."""

    default_name = "max_pool"

    def __init__(self, pool_size: int | Sequence[int] = 2, stride: int | Sequence[int] | None = None,
                 padding: Padding = "valid", name: str | None = None) -> None:
        super().__init__(name)
        self.pool_size, self.stride, self.padding = pool_size, stride, padding

    def forward(self, x: Value, **kwargs: Any) -> Value:
        return G.max_pool2d(x, self.pool_size, self.stride, self.padding)


class AvgPool2D(MaxPool2D):
    """Mean over ``pool_size`` windows moved by ``stride`` (default: ``pool_size``) — :func:`graphc.avg_pool2d`."""

    default_name = "avg_pool"

    def forward(self, x: Value, **kwargs: Any) -> Value:
        return G.avg_pool2d(x, self.pool_size, self.stride, self.padding)


class GlobalAvgPool(Layer):
    """Mean over the spatial axes: ``(N, C, H, W) → (N, C)``."""

    default_name = "global_avg_pool"

    def forward(self, x: Value, **kwargs: Any) -> Value:
        return G.global_avg_pool(x)


class Flatten(Layer):
    """``(N, d1, d2, …) → (N, d1·d2·…)``: the step from convolutional to dense layers (NCHW order)."""

    default_name = "flatten"

    def forward(self, x: Value, **kwargs: Any) -> Value:
        return G.flatten(x)

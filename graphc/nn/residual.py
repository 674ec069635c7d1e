"""The residual block of ResNets (He et al. 2016): two conv-BN stages and a shortcut."""

from __future__ import annotations

from typing import Any

from graphc import dsl as G
from graphc.ir.graph import Value
from graphc.nn.conv import Conv2D
from graphc.nn.layer import Layer
from graphc.nn.modes import require_mode
from graphc.nn.normalization import BatchNorm


class ResidualBlock(Layer):
    """``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` with 3×3 "same" convolutions (no bias: batch norm
    has one) of ``filters`` channels, the first with ``stride``.

    The shortcut is the identity when the shape is kept, else a 1×1 convolution with ``stride`` followed by
    batch norm (the projection shortcut); ``projection=True`` forces it. ``training`` is required (batch norm).
    """

    default_name = "residual"

    def __init__(self, filters: int, stride: int = 1, *, projection: bool | None = None, momentum: float = 0.9,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.filters = filters
        self.stride = stride
        self.projection = projection
        self.momentum = momentum

    def build(self, x: Value) -> None:
        f, s = self.filters, self.stride
        self.conv1 = Conv2D(f, 3, stride=s, padding="same", use_bias=False, name="conv1")
        self.bn1 = BatchNorm(self.momentum, name="bn1")
        self.conv2 = Conv2D(f, 3, padding="same", use_bias=False, name="conv2")
        self.bn2 = BatchNorm(self.momentum, name="bn2")
        project = self.projection if self.projection is not None else (s != 1 or x.shape[1] != f)
        self.shortcut: tuple[Conv2D, BatchNorm] | None = None
        if project:
            self.shortcut = (Conv2D(f, 1, stride=s, use_bias=False, name="proj"),
                             BatchNorm(self.momentum, name="proj_bn"))

    def forward(self, x: Value, *, training: bool | None = None, **kwargs: Any) -> Value:
        mode = require_mode(self, training)
        h = G.relu(self.bn1(self.conv1(x), training=mode))
        h = self.bn2(self.conv2(h), training=mode)
        if self.shortcut is not None:
            conv, bn = self.shortcut
            x = bn(conv(x), training=mode)
        return G.relu(h + x)

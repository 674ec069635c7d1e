"""A stack of layers applied in order, passing the mode on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphc.ir.graph import Value
from graphc.nn.layer import Layer


class Sequential:
    """``Sequential(l1, l2, …)(x, training=…)`` is ``…l2(l1(x, training=…), training=…)``.

    Items are layers and nested ``Sequential`` stacks (they receive ``training``) or plain functions of one value
    (``graphc.relu``). It adds no name scope of its own. Calling it twice — ``training=True`` and
    ``training=False`` — builds the two modes of one network with shared parameters (see
    :class:`graphc.train.Model`).
    """

    def __init__(self, *layers: Layer | Sequential | Callable[[Value], Value]) -> None:
        self.layers = list(layers)

    def __call__(self, x: Any, *, training: bool | None = None) -> Value:
        for layer in self.layers:
            x = layer(x, training=training) if isinstance(layer, Layer | Sequential) else layer(x)
        return x  # type: ignore[no-any-return]

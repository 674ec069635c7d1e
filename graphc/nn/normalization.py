"""Batch normalisation with running statistics kept as state."""

from __future__ import annotations

from typing import Any

from graphc import dsl as G
from graphc.errors import ShapeError
from graphc.ir.graph import Value
from graphc.ir.source import capture
from graphc.nn.layer import Layer
from graphc.nn.modes import require_mode


class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy 2015) over every axis but ``axis`` (the channels: 1 for NCHW images
    and for (N, features) matrices).

    Parameters: ``gamma`` (ones) and ``beta`` (zeros), trainable; ``moving_mean`` (zeros) and ``moving_var``
    (ones), non-trainable state. Call with ``training=True`` or ``training=False`` (required):

    * training — normalise with the batch's mean and (biased) variance, and declare the state updates
      ``moving ← momentum·moving + (1 − momentum)·batch`` (the variance unbiased, ``·n/(n−1)``), which the
      train step applies (:func:`graphc.update_state`);
    * inference — normalise with the moving averages; nothing is updated.
    """

    default_name = "batch_norm"

    def __init__(self, momentum: float = 0.9, eps: float = 1e-5, axis: int = 1, name: str | None = None) -> None:
        super().__init__(name)
        self.momentum = momentum
        self.eps = eps
        self.axis = axis

    def build(self, x: Value) -> None:
        channels = x.shape[self.axis]
        if not isinstance(channels, int):
            raise ShapeError(f"BatchNorm: axis {self.axis} of {x.type} must be static", loc=capture())
        self.params["gamma"] = G.parameter("gamma", (channels,), x.dtype, init="ones")
        self.params["beta"] = G.parameter("beta", (channels,), x.dtype, init="zeros")
        self.params["moving_mean"] = G.parameter("moving_mean", (channels,), x.dtype, init="zeros", trainable=False)
        self.params["moving_var"] = G.parameter("moving_var", (channels,), x.dtype, init="ones", trainable=False)

    def forward(self, x: Value, *, training: bool | None = None, **kwargs: Any) -> Value:
        p = self.params
        axis = self.axis % x.ndim
        if not require_mode(self, training):
            return G.batch_norm(x, p["gamma"], p["beta"], p["moving_mean"], p["moving_var"], eps=self.eps, axis=axis)
        axes = tuple(i for i in range(x.ndim) if i != axis)
        mean, var = G.moments(x, axes)
        y = G.batch_norm(x, p["gamma"], p["beta"], mean, var, eps=self.eps, axis=axis)
        n = G.count(x, axes)
        unbiased = var * (n / (n - 1.0))
        mom = self.momentum
        G.update_state(p["moving_mean"], p["moving_mean"] * mom + mean * (1.0 - mom))
        G.update_state(p["moving_var"], p["moving_var"] * mom + unbiased * (1.0 - mom))
        return y

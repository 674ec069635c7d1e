"""Recurrent layers over time-major sequences, each one ``scan`` node whatever the sequence length.

Inputs are ``(T, B, F)`` (time first; ``B`` may be symbolic, ``T`` must be static). The input projection of
every step is one matmul over the whole sequence, outside the loop; only the recurrent matmul runs per step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphc import dsl as G
from graphc.errors import ShapeError
from graphc.ir.graph import Value
from graphc.ir.source import capture
from graphc.nn.layer import Layer


def _features(x: Value, layer: str) -> int:
    if x.ndim != 3:
        raise ShapeError(f"{layer}: expected a time-major (T, B, F) input, got {x.type}", loc=capture())
    f = x.shape[2]
    if not isinstance(f, int) or not isinstance(x.shape[0], int):
        raise ShapeError(f"{layer}: the time and feature axes of {x.type} must be static", loc=capture())
    return f


def _initial(x: Value, given: Value | None, units: int) -> Value:
    """The given initial state, or zeros of shape (B, units) in x's dtype."""
    if given is not None:
        return given
    return G.broadcast_to(G.constant(0.0, x.dtype), (x.shape[1], units))


def _forget_bias(units: int, value: float) -> Callable[..., Any]:
    """LSTM bias: zeros except the forget gate's block, set to ``value`` (so the cell remembers early on)."""
    import numpy as np

    def init(rng: Any, shape: tuple[int, ...], dtype: Any) -> Any:
        b = np.zeros(shape, dtype)
        b[units:2 * units] = value
        return b

    return init


class _Recurrent(Layer):
    """What the recurrent layers share: ``gates`` blocks of ``units`` in the input weights ``W`` (F, gates·units),
    the recurrent weights ``U`` (units, gates·units) and the bias ``b``; the input projection of every step
    computed at once outside the loop."""

    gates = 1

    def __init__(self, units: int, *, return_sequences: bool = False, init: Any = "xavier_uniform",
                 recurrent_init: Any = "xavier_uniform", name: str | None = None) -> None:
        super().__init__(name)
        self.units, self.return_sequences = units, return_sequences
        self.init, self.recurrent_init = init, recurrent_init

    def bias_init(self) -> Any:
        return "zeros"

    def build(self, x: Value) -> None:
        f, width = _features(x, type(self).__name__), self.gates * self.units
        self.params["W"] = G.parameter("W", (f, width), x.dtype, init=self.init)
        self.params["U"] = G.parameter("U", (self.units, width), x.dtype, init=self.recurrent_init)
        self.params["b"] = G.parameter("b", (width,), x.dtype, init=self.bias_init())

    def input_projection(self, x: Value) -> Value:
        """``x_t @ W + b`` for all steps at once: (T, B, gates·units)."""
        _features(x, type(self).__name__)
        return G.matmul(x, self.params["W"]) + self.params["b"]


class SimpleRNN(_Recurrent):
    """``h_t = tanh(x_t @ W + h_{t-1} @ U + b)`` over a (T, B, F) input.

    Call as ``rnn(x, h0=None)``: ``h0`` (B, units) defaults to zeros. Returns the hidden states (T, B, units)
    with ``return_sequences``, else the last one (B, units).
    """

    default_name = "rnn"

    def forward(self, x: Value, h0: Value | None = None, **kwargs: Any) -> Value:
        xw = self.input_projection(x)

        def step(h: Value, xw_t: Value, u: Value) -> tuple[Value, Value]:
            h2 = G.tanh(xw_t + G.matmul(h, u))
            return h2, h2

        h_last, hs = G.scan(step, _initial(x, h0, self.units), xw, consts=[self.params["U"]])
        return hs if self.return_sequences else h_last


class LSTM(_Recurrent):
    """Long short-term memory over a (T, B, F) input, gates ordered (input, forget, cell, output)::

        z = x_t @ W + b + h @ U          # one matmul for the four gates, x_t @ W + b precomputed for all t
        c' = σ(z_f) * c + σ(z_i) * tanh(z_g);   h' = σ(z_o) * tanh(c')

    Call as ``lstm(x, h0=None, c0=None)`` (each (B, units), zeros by default). Returns the hidden states
    (T, B, units) with ``return_sequences``, else the last hidden state (B, units); with ``return_state`` the
    result is ``(output, h_T, c_T)``. The forget-gate bias starts at ``forget_bias`` (1 by default; larger
    values help over long sequences).
    """

    default_name = "lstm"
    gates = 4

    def __init__(self, units: int, *, return_sequences: bool = False, return_state: bool = False,
                 init: Any = "xavier_uniform", recurrent_init: Any = "xavier_uniform", forget_bias: float = 1.0,
                 name: str | None = None) -> None:
        super().__init__(units, return_sequences=return_sequences, init=init, recurrent_init=recurrent_init,
                         name=name)
        self.return_state, self.forget_bias = return_state, forget_bias

    def bias_init(self) -> Any:
        return _forget_bias(self.units, self.forget_bias)

    def forward(self, x: Value, h0: Value | None = None, c0: Value | None = None, **kwargs: Any) -> Any:
        n = self.units
        xw = self.input_projection(x)  # (T, B, 4·units), outside the loop

        def step(carry: tuple[Value, Value], xw_t: Value, u: Value) -> tuple[tuple[Value, Value], Value]:
            h, c = carry
            z = xw_t + G.matmul(h, u)
            i, f = G.sigmoid(z[:, 0:n]), G.sigmoid(z[:, n:2 * n])
            g, o = G.tanh(z[:, 2 * n:3 * n]), G.sigmoid(z[:, 3 * n:4 * n])
            c2 = f * c + i * g
            h2 = o * G.tanh(c2)
            return (h2, c2), h2

        init = (_initial(x, h0, n), _initial(x, c0, n))
        (h_last, c_last), hs = G.scan(step, init, xw, consts=[self.params["U"]])
        out = hs if self.return_sequences else h_last
        return (out, h_last, c_last) if self.return_state else out


class GRU(_Recurrent):
    """Gated recurrent unit over a (T, B, F) input, gates ordered (reset, update, candidate)::

        r = σ(x_t W_r + b_r + h U_r);   u = σ(x_t W_u + b_u + h U_u)
        n = tanh(x_t W_n + b_n + r * (h U_n + b_hn));   h' = (1 - u) * n + u * h

    (the formulation of cuDNN and PyTorch: the reset gate scales the recurrent projection of the candidate,
    with its own bias ``b_hn``). ``x_t @ W + b`` for all steps is one matmul outside the loop and the three
    recurrent projections are one matmul per step. Call as ``gru(x, h0=None)``; returns the hidden states
    (T, B, units) with ``return_sequences``, else the last one (B, units).
    """

    default_name = "gru"
    gates = 3

    def build(self, x: Value) -> None:
        super().build(x)
        self.params["b_hn"] = G.parameter("b_hn", (self.units,), x.dtype, init="zeros")

    def forward(self, x: Value, h0: Value | None = None, **kwargs: Any) -> Value:
        n = self.units
        xw = self.input_projection(x)  # (T, B, 3·units), outside the loop

        def step(h: Value, xw_t: Value, u: Value, b_hn: Value) -> tuple[Value, Value]:
            hu = G.matmul(h, u)
            r = G.sigmoid(xw_t[:, 0:n] + hu[:, 0:n])
            z = G.sigmoid(xw_t[:, n:2 * n] + hu[:, n:2 * n])
            cand = G.tanh(xw_t[:, 2 * n:3 * n] + r * (hu[:, 2 * n:3 * n] + b_hn))
            h2 = (1.0 - z) * cand + z * h
            return h2, h2

        h_last, hs = G.scan(step, _initial(x, h0, n), xw, consts=[self.params["U"], self.params["b_hn"]])
        return hs if self.return_sequences else h_last

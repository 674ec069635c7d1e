"""Dropout with an explicit, seeded key carried in the training state."""

from __future__ import annotations

from typing import Any

from graphc import dsl as G
from graphc.ir.graph import Value
from graphc.nn.layer import Layer
from graphc.nn.modes import require_mode


class Dropout(Layer):
    """Inverted dropout: in training mode each element is zeroed with probability ``rate`` and the rest scaled by
    ``1/(1 − rate)``; in inference mode the identity (no node at all). ``training`` is required.

    The layer owns a key (:func:`graphc.rng_key`, a non-trainable int32 parameter initialised from the init seed)
    that the train step advances by one each step (:func:`graphc.update_state`), so masks differ from step to
    step yet a step is reproducible from its state. Each training-mode call of one layer uses its own salt.
    """

    default_name = "dropout"

    def __init__(self, rate: float = 0.5, name: str | None = None) -> None:
        super().__init__(name)
        self.rate = rate
        self._train_calls = 0

    def build(self, x: Value) -> None:
        self.params["key"] = G.rng_key("key")

    def forward(self, x: Value, *, training: bool | None = None, **kwargs: Any) -> Value:
        if not require_mode(self, training) or self.rate == 0.0:
            return x
        key = self.params["key"]
        if self._train_calls == 0:
            G.update_state(key, G.next_key(key))
        salt = self._train_calls
        self._train_calls += 1
        return G.dropout(x, self.rate, key, salt=salt)

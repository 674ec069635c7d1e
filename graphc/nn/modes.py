"""Train/eval modes of layers.

Layers whose computation differs between training and inference (:class:`Dropout`, :class:`BatchNorm` and blocks
containing them) take a keyword ``training`` that must be ``True`` or ``False``: the mode is fixed when the graph
is built, never a runtime switch, so a network is built once per mode from the same layer objects (sharing
their parameters) and the compiled train step and evaluator each contain only their mode's nodes. Other layers
accept ``training`` and ignore it.
"""

from __future__ import annotations

from graphc.errors import GraphBuildError
from graphc.ir.source import capture


def require_mode(layer: object, training: object) -> bool:
    """``training`` as a bool; anything else (a missing mode) is a :class:`GraphBuildError` naming the layer."""
    if not isinstance(training, bool):
        raise GraphBuildError(f"{type(layer).__name__} {getattr(layer, 'name', '')!r} behaves differently in "
                              f"training and inference: call it with training=True or training=False "
                              f"(got {training!r})", loc=capture())
    return training

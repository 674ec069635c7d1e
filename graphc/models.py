"""Ready-made models of the course, shared by the demo and the examples."""

from __future__ import annotations

from graphc import dsl as G
from graphc.ir.graph import Graph
from graphc.losses import softmax_cross_entropy
from graphc.nn import Dense
from graphc.train.model import Model


def digits_mlp(hidden: tuple[int, ...] = (256, 128)) -> Model:
    """The digits MLP, 64 → 256 → 128 → 10 with ReLU: placeholders ``x`` (B, 64) float32 and ``y`` (B,) int32,
    softmax cross-entropy loss, logits as predictions. Hidden layers are named ``fc1``, ``fc2``…, the output
    layer ``out``."""
    with Graph("mlp_digits"):
        x = G.placeholder("x", (None, 64))
        y = G.placeholder("y", (None,), "int32")
        h = x
        for i, units in enumerate(hidden, 1):
            h = Dense(units, "relu", name=f"fc{i}")(h)
        logits = Dense(10, name="out", init="xavier_uniform")(h)
        loss = softmax_cross_entropy(logits, y)
    return Model(loss, inputs=[x], targets=[y], predictions=logits)

"""A 2-layer MLP learns XOR: 2 → 4 tanh → 1 logit, binary cross-entropy, plain gradient descent.

    python examples/xor.py

The last line is ``accuracy: 1.0000`` once the four points are classified correctly.
"""

from __future__ import annotations

import numpy as np

import graphc as gc
from graphc.nn import Dense

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
Y = np.array([[0], [1], [1], [0]], np.float32)


def build_model() -> gc.train.Model:
    with gc.Graph("xor"):
        x = gc.placeholder("x", (None, 2))
        y = gc.placeholder("y", (None, 1))
        h = Dense(4, "tanh", init="xavier_uniform", name="hidden")(x)
        logit = Dense(1, init="xavier_uniform", name="out")(h)
        loss = gc.losses.binary_cross_entropy_with_logits(logit, y)
    return gc.train.Model(loss, inputs=[x], targets=[y], predictions=logit)


def main(epochs: int = 500) -> float:
    model = build_model()
    result = gc.train.fit(model, (X, Y), optimizer=gc.optim.SGD(0.5), epochs=epochs, batch_size=4, seed=1,
                          progress=False)
    print(f"final loss: {result.history['loss'][-1]:.4f}")
    acc = result.history["accuracy"][-1]
    print(f"accuracy: {acc:.4f}")
    return acc


# `graphc print/render examples/xor.py` draws the model (see graphc.modelfile)
build = build_model


if __name__ == "__main__":
    main()

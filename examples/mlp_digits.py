"""An MLP on scikit-learn's 8×8 handwritten digits (no download): 64 → 256 → 128 → 10, ReLU, Adam.

    python examples/mlp_digits.py [--backend numpy|jax] [--epochs N]

Prints per-epoch progress, then ``test accuracy: 0.9xxx`` as its last line.
"""

from __future__ import annotations

import graphc as gc
from graphc.datasets import load_digits
from graphc.models import digits_mlp
from graphc.train.recipe import example_options, train_and_test


def build_model() -> gc.train.Model:
    """The digits MLP: placeholders x (B, 64) float32 and y (B,) int32, softmax cross-entropy loss.

    It is :func:`graphc.models.digits_mlp`, which reads::

        x = gc.placeholder("x", (None, 64))
        y = gc.placeholder("y", (None,), "int32")
        h = Dense(256, "relu", name="fc1")(x)
        h = Dense(128, "relu", name="fc2")(h)
        logits = Dense(10, name="out", init="xavier_uniform")(h)
        loss = gc.losses.softmax_cross_entropy(logits, y)
    """
    return digits_mlp()


def main(argv: list[str] | None = None) -> float:
    args = example_options(__doc__.splitlines()[0], epochs=40, argv=argv)
    data = load_digits(seed=args.seed)
    return train_and_test(
        build_model(), (data.x_train, data.y_train), {"x": data.x_test, "y": data.y_test},
        optimizer=gc.optim.Adam(1e-3), args=args, validation_split=0.1,
        early_stopping=gc.train.EarlyStopping(patience=8, monitor="val_accuracy"),
    )


# `graphc print/render examples/mlp_digits.py` draws the model (see graphc.modelfile)
build = build_model


if __name__ == "__main__":
    main()

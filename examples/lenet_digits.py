"""A LeNet-style CNN on scikit-learn's 8×8 handwritten digits (no download), NCHW images.

    python examples/lenet_digits.py [--backend numpy|jax] [--epochs N] [--seed S]

conv 3×3 (16) → ReLU → max-pool 2 → conv 3×3 (32) → ReLU → max-pool 2 → flatten (32·2·2) → dense 64 → ReLU
→ dropout 0.25 → dense 10, trained with Adam and a decaying learning rate. The network is built twice from the
same layers: in training mode (dropout active) for the train step and in inference mode for evaluation.
Prints per-epoch progress, then ``test accuracy: 0.9xxx`` as its last line.
"""

from __future__ import annotations

import graphc as gc
from graphc.datasets import load_digits
from graphc.nn import Conv2D, Dense, Dropout, Flatten, MaxPool2D, Sequential
from graphc.train.recipe import example_options, halving, train_and_test


def build_model() -> gc.train.Model:
    """Placeholders x (B, 1, 8, 8) float32 and y (B,) int32; softmax cross-entropy in both modes."""
    with gc.Graph("lenet_digits"):
        x = gc.placeholder("x", (None, 1, 8, 8))
        y = gc.placeholder("y", (None,), "int32")
        net = Sequential(
            Conv2D(16, 3, padding="same", activation="relu", name="conv1"), MaxPool2D(2, name="pool1"),
            Conv2D(32, 3, padding="same", activation="relu", name="conv2"), MaxPool2D(2, name="pool2"),
            Flatten(), Dense(64, "relu", name="fc1"), Dropout(0.25, name="drop"),
            Dense(10, name="out", init="xavier_uniform"),
        )
    return gc.train.classifier(net, x, y)  # train- and eval-mode graphs of one set of parameters


def main(argv: list[str] | None = None) -> float:
    args = example_options(__doc__.splitlines()[0], epochs=30, argv=argv)
    data = load_digits(seed=args.seed, images=True)
    lr = halving(3e-3, every_epochs=8, n_train=len(data.x_train))
    return train_and_test(build_model(), (data.x_train, data.y_train), {"x": data.x_test, "y": data.y_test},
                          optimizer=gc.optim.Adam(lr), args=args)


# `graphc print/render examples/lenet_digits.py` draws the model (see graphc.modelfile)
build = build_model


if __name__ == "__main__":
    main()

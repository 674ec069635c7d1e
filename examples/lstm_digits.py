"""An LSTM reading scikit-learn's 8×8 handwritten digits row by row (8 steps of 8 pixels), no download.

    python examples/lstm_digits.py [--backend numpy|jax] [--epochs N] [--seed S]

x (B, 8, 8) → time-major (8, B, 8) → LSTM(64), last hidden state → dense 10, trained with Adam and a decaying
learning rate. The LSTM is one ``scan`` node: the graph is the same size for any number of rows.
Prints per-epoch progress, then ``test accuracy: 0.9xxx`` as its last line.
"""

from __future__ import annotations

import graphc as gc
from graphc.datasets import load_digits
from graphc.nn import LSTM, Dense
from graphc.train.recipe import example_options, halving, train_and_test


def build_model(units: int = 64) -> gc.train.Model:
    """Placeholders x (B, 8, 8) float32 (rows × pixels) and y (B,) int32; softmax cross-entropy."""
    with gc.Graph("lstm_digits"):
        x = gc.placeholder("x", (None, 8, 8))
        y = gc.placeholder("y", (None,), "int32")
        rows = gc.transpose(x, (1, 0, 2))  # time-major: (8 rows, B, 8 pixels)
        h = LSTM(units, name="lstm")(rows)
        logits = Dense(10, name="out", init="xavier_uniform")(h)
        loss = gc.losses.softmax_cross_entropy(logits, y)
    return gc.train.Model(loss, inputs=[x], targets=[y], predictions=logits)


def main(argv: list[str] | None = None) -> float:
    args = example_options(__doc__.splitlines()[0], epochs=25, argv=argv)
    data = load_digits(seed=args.seed, images=True)
    x_train, x_test = data.x_train.reshape(-1, 8, 8), data.x_test.reshape(-1, 8, 8)
    lr = halving(1e-2, every_epochs=8, n_train=len(x_train))
    return train_and_test(build_model(), (x_train, data.y_train), {"x": x_test, "y": data.y_test},
                          optimizer=gc.optim.Adam(lr), args=args)


# `graphc print/render examples/lstm_digits.py [--unroll 3]` draws the model (see graphc.modelfile)
build = build_model


if __name__ == "__main__":
    main()

"""A small ResNet with batch norm on scikit-learn's 8×8 handwritten digits (no download), NCHW images.

    python examples/resnet_digits.py [--backend numpy|jax] [--epochs N] [--seed S]

stem: conv 3×3 (16) → batch norm → ReLU; residual block (16, identity shortcut); residual block (32, stride 2,
1×1 projection shortcut); global average pooling → dense 10. Adam with a decaying learning rate. The network is
built in training mode (batch statistics; running averages updated as state by the train step) and in
inference mode (running averages) from the same layers. Prints per-epoch progress, then
``test accuracy: 0.9xxx`` as its last line.
"""

from __future__ import annotations

import graphc as gc
from graphc.datasets import load_digits
from graphc.nn import BatchNorm, Conv2D, Dense, GlobalAvgPool, ResidualBlock, Sequential
from graphc.train.recipe import example_options, halving, train_and_test


def build_model() -> gc.train.Model:
    """Placeholders x (B, 1, 8, 8) float32 and y (B,) int32; softmax cross-entropy in both modes."""
    with gc.Graph("resnet_digits"):
        x = gc.placeholder("x", (None, 1, 8, 8))
        y = gc.placeholder("y", (None,), "int32")
        net = Sequential(
            Conv2D(16, 3, padding="same", use_bias=False, name="stem"), BatchNorm(name="stem_bn"), gc.relu,
            ResidualBlock(16, name="res1"),
            ResidualBlock(32, stride=2, name="res2"),
            GlobalAvgPool(), Dense(10, name="out", init="xavier_uniform"),
        )
    return gc.train.classifier(net, x, y)  # train- and eval-mode graphs of one set of parameters


def main(argv: list[str] | None = None) -> float:
    args = example_options(__doc__.splitlines()[0], epochs=20, argv=argv)
    data = load_digits(seed=args.seed, images=True)
    lr = halving(3e-3, every_epochs=5, n_train=len(data.x_train))
    return train_and_test(build_model(), (data.x_train, data.y_train), {"x": data.x_test, "y": data.y_test},
                          optimizer=gc.optim.Adam(lr), args=args)


# `graphc print/render examples/resnet_digits.py` draws the model (see graphc.modelfile)
build = build_model


if __name__ == "__main__":
    main()

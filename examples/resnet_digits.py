"""A small ResNet with batch norm on scikit-learn's 8×8 handwritten digits (no download), NCHW images.

    python examples/resnet_digits.py [--backend numpy|jax] [--epochs N] [--seed S]

stem: conv 3×3 (16) → batch norm → ReLU; residual block (16, identity shortcut); residual block (32, stride 2,
1×1 projection shortcut); global average pooling → dense 10. Adam with a decaying learning rate. The network is
built in training mode (batch statistics; running averages updated as state by the train step) and in
inference mode (running averages) from the same layers. Prints per-epoch progress, then
``test accuracy: 0.9xxx`` as its last line.
"""

from __future__ import annotations

import argparse
import time

import graphc as gc
from graphc.datasets import load_digits
from graphc.nn import BatchNorm, Conv2D, Dense, GlobalAvgPool, ResidualBlock, Sequential
from graphc.threads import limit_blas_threads


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
        logits, eval_logits = net(x, training=True), net(x, training=False)
        loss = gc.losses.softmax_cross_entropy(logits, y)
        eval_loss = gc.losses.softmax_cross_entropy(eval_logits, y)
    return gc.train.Model(loss, inputs=[x], targets=[y], predictions=logits, eval_loss=eval_loss,
                          eval_predictions=eval_logits)


def main(argv: list[str] | None = None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="numpy", choices=["numpy", "jax"])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (small models run fastest on one)")
    args = ap.parse_args(argv)
    limit_blas_threads(args.threads)

    data = load_digits(seed=args.seed, images=True)
    model = build_model()
    steps_per_epoch = -(-len(data.x_train) // 32)
    lr = gc.optim.schedules.exponential_decay(3e-3, 0.5, 5 * steps_per_epoch)  # halve every 5 epochs
    t0 = time.perf_counter()
    result = gc.train.fit(
        model, (data.x_train, data.y_train), optimizer=gc.optim.Adam(lr), epochs=args.epochs, batch_size=32,
        seed=args.seed, backend=args.backend,
    )
    seconds = time.perf_counter() - t0
    test = gc.train.Evaluator(model, args.backend)(result.state, {"x": data.x_test, "y": data.y_test})
    print(f"trained {len(result.history['loss'])} epochs in {seconds:.1f} s; final train loss "
          f"{result.history['loss'][-1]:.4f}")
    print(f"test accuracy: {test['accuracy']:.4f}")
    return test["accuracy"]


# `graphc print/render examples/resnet_digits.py` draws the model (see graphc.modelfile)
build = build_model


if __name__ == "__main__":
    main()

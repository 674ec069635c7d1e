"""An MLP on scikit-learn's 8×8 handwritten digits (no download): 64 → 256 → 128 → 10, ReLU, Adam.

    python examples/mlp_digits.py [--backend numpy|jax] [--epochs N]

Prints per-epoch progress, then ``test accuracy: 0.9xxx`` as its last line.
"""

from __future__ import annotations

import argparse
import time

import graphc as gc
from graphc.datasets import load_digits
from graphc.models import digits_mlp
from graphc.threads import limit_blas_threads


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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="numpy", choices=["numpy", "jax"])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (small models run fastest on one)")
    args = ap.parse_args(argv)
    limit_blas_threads(args.threads)

    data = load_digits(seed=args.seed)
    model = build_model()
    t0 = time.perf_counter()
    result = gc.train.fit(
        model, (data.x_train, data.y_train), optimizer=gc.optim.Adam(1e-3), epochs=args.epochs, batch_size=32,
        validation_split=0.1, early_stopping=gc.train.EarlyStopping(patience=8, monitor="val_accuracy"),
        seed=args.seed, backend=args.backend,
    )
    seconds = time.perf_counter() - t0
    test = gc.train.Evaluator(model, args.backend)(result.state, {"x": data.x_test, "y": data.y_test})
    print(f"trained {len(result.history['loss'])} epochs in {seconds:.1f} s; best epoch {result.best_epoch}")
    print(f"test accuracy: {test['accuracy']:.4f}")
    return test["accuracy"]


# `graphc print/render examples/mlp_digits.py` draws the model (see graphc.modelfile)
build = build_model


if __name__ == "__main__":
    main()

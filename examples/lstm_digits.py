"""An LSTM reading scikit-learn's 8×8 handwritten digits row by row (8 steps of 8 pixels), no download.

    python examples/lstm_digits.py [--backend numpy|jax] [--epochs N] [--seed S]

x (B, 8, 8) → time-major (8, B, 8) → LSTM(64), last hidden state → dense 10, trained with Adam and a decaying
learning rate. The LSTM is one ``scan`` node: the graph is the same size for any number of rows.
Prints per-epoch progress, then ``test accuracy: 0.9xxx`` as its last line.
"""

from __future__ import annotations

import argparse
import time

import graphc as gc
from graphc.datasets import load_digits
from graphc.nn import LSTM, Dense
from graphc.threads import limit_blas_threads


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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="numpy", choices=["numpy", "jax"])
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (small models run fastest on one)")
    args = ap.parse_args(argv)
    limit_blas_threads(args.threads)

    data = load_digits(seed=args.seed, images=True)
    x_train, x_test = data.x_train.reshape(-1, 8, 8), data.x_test.reshape(-1, 8, 8)
    model = build_model()
    steps_per_epoch = -(-len(x_train) // 32)
    lr = gc.optim.schedules.exponential_decay(1e-2, 0.5, 8 * steps_per_epoch)  # halve every 8 epochs
    t0 = time.perf_counter()
    result = gc.train.fit(
        model, (x_train, data.y_train), optimizer=gc.optim.Adam(lr), epochs=args.epochs, batch_size=32,
        seed=args.seed, backend=args.backend,
    )
    seconds = time.perf_counter() - t0
    test = gc.train.Evaluator(model, args.backend)(result.state, {"x": x_test, "y": data.y_test})
    print(f"trained {len(result.history['loss'])} epochs in {seconds:.1f} s; final train loss "
          f"{result.history['loss'][-1]:.4f}")
    print(f"test accuracy: {test['accuracy']:.4f}")
    return test["accuracy"]


if __name__ == "__main__":
    main()

"""Rosenblatt's perceptron: one threshold unit learns AND and OR, and cannot learn XOR.

    python examples/perceptron.py

The unit is ``step(x @ w + b)``. Its gradient is zero almost everywhere, so it is trained with the perceptron
rule ``w ← w + lr · xᵀ (t − y)``, itself written as graph ops and compiled into one update step. The last line
reports the XOR accuracy, which stays below 1 because XOR is not linearly separable.
"""

from __future__ import annotations

import numpy as np

import graphc as gc

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
TARGETS = {
    "AND": np.array([[0], [0], [0], [1]], np.float32),
    "OR": np.array([[0], [1], [1], [1]], np.float32),
    "XOR": np.array([[0], [1], [1], [0]], np.float32),
}


def build(lr: float = 0.1) -> tuple[gc.Graph, gc.Executable, gc.Executable]:
    """The unit and its update rule: ``update(x, t, w, b) -> (w', b')``, ``predict(x, w, b) -> y``."""
    with gc.Graph("perceptron") as g:
        x = gc.placeholder("x", (None, 2))
        t = gc.placeholder("t", (None, 1))
        w = gc.parameter("w", (2, 1), init="zeros")
        b = gc.parameter("b", (1,), init="zeros")
        y = gc.step(x @ w + b)
        err = t - y
        new_w = w + lr * (x.T @ err)
        new_b = b + lr * gc.sum(err, axis=0)
    return g, gc.compile({"w": new_w, "b": new_b}), gc.compile(y)


def train(target: np.ndarray, epochs: int = 25) -> float:
    """Train on the four points; return the final accuracy."""
    g, update, predict = build()
    params = gc.init_params(g)
    for _ in range(epochs):
        params = update({"x": X, "t": target, **params})
    return float(np.mean(predict({"x": X, **params}) == target))


def main() -> dict[str, float]:
    acc = {name: train(t) for name, t in TARGETS.items()}
    print(f"AND accuracy: {acc['AND']:.4f}")
    print(f"OR accuracy: {acc['OR']:.4f}")
    print(f"XOR accuracy: {acc['XOR']:.4f} (a single threshold unit cannot separate XOR)")
    return acc


if __name__ == "__main__":
    main()

"""NumPy pieces shared by the workloads: seeded data and parameters, and the hand-written layer helpers.

Everything here is float32 and deterministic. The helpers are the plain NumPy a competent person writes; they
are part of the `numpy_hand` baseline, so they must stay honest (no threads, no numexpr, no in-place trickery
beyond the SGD update).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks.protocol import Batch, Params

B = TypeVar("B")

F32 = np.float32


# ----------------------------------------------------------------------------------------------------
# Seeded data and parameters


def rng_for(seed: int) -> np.random.Generator:
    """The only way workloads make random numbers, so every value is reproducible from a seed."""
    return np.random.default_rng(seed)


def he_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """He-normal initial weights (std sqrt(2 / fan_in)), float32: keeps ReLU activations at unit scale."""
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(F32)


def pixel_batches(
    rng: np.random.Generator, n_batches: int, batch: int, features: int, classes: int, levels: int
) -> list[Batch]:
    """Image-classification batches ``(x float32 (batch, features) in [0, 1], labels int32 (batch,))``.

    Pixels take `levels` grey levels (17 for the 8x8 digits data set, 256 for MNIST), scaled to [0, 1]. Labels
    come from a fixed random linear teacher rather than being independent noise, so training makes progress
    and the loss trajectory is informative.
    """
    teacher = rng.standard_normal((features, classes))
    out: list[Batch] = []
    for _ in range(n_batches):
        x = (rng.integers(0, levels, size=(batch, features)) / (levels - 1)).astype(F32)
        labels = np.argmax((x - 0.5) @ teacher, axis=1).astype(np.int32)
        out.append((x, labels))
    return out


def copy_params(params: Params) -> Params:
    """A deep copy, so an implementation that updates in place never touches another one's arrays."""
    return {k: v.copy() for k, v in params.items()}


class BatchCycle(Generic[B]):
    """Hands out ``batches[0], batches[1], ...`` and wraps around: the order `TrainImpl.step` promises. A batch
    is whatever an implementation takes (the workload's tuple, or it rearranged in setup: a dict by feed name)."""

    def __init__(self, batches: Sequence[B]) -> None:
        if not batches:
            raise ValueError("need at least one batch")
        self._batches = list(batches)
        self._i = 0

    def next(self) -> B:
        """The next batch in order."""
        batch = self._batches[self._i]
        self._i = (self._i + 1) % len(self._batches)
        return batch



class NumpyHandStep:
    """Base of the ``numpy_hand`` training implementations: keeps the parameters (updated in place by
    `step`) and the batch cycle; subclasses write `step`."""

    name = "numpy_hand"

    def setup(self, params: Params, batches: Sequence[Batch]) -> None:
        self._params = params
        self._batches = BatchCycle(batches)

# ----------------------------------------------------------------------------------------------------
# Layer helpers for the hand-written NumPy implementations


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy over the batch and its gradient with respect to `logits`.

    Uses the max-shifted log-sum-exp, loss = mean(log(sum(exp(z))) - z[label]) with z = logits - max, which is
    the same formulation as ``jax.nn.log_softmax`` and torch's ``cross_entropy``; the gradient is (softmax -
    onehot) / batch.
    """
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = float((np.log(total[:, 0]) - shifted[rows, labels]).mean())
    grad = exp / total
    grad[rows, labels] -= 1.0
    grad /= n
    return loss, grad


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)); float32 in, float32 out (exp overflow to inf gives the right
    0)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def sgd_update(params: Params, grads: Params, lr: float) -> None:
    """Plain SGD, in place: p -= lr * g for every parameter."""
    for name, grad in grads.items():
        params[name] -= lr * grad


def im2col(x: np.ndarray, k: int, pad: int) -> np.ndarray:
    """Patches of a stride-1 k x k convolution: (N, C, H, W) -> (N * Ho * Wo, C * k * k).

    Row (n, i, j) holds the padded input window at output pixel (i, j), ordered (c, ki, kj) like the flattened
    OIHW weight, so ``im2col(x) @ w.reshape(F, -1).T`` is the convolution. The windows come from
    `sliding_window_view` (no Python loop over pixels); the reshape makes the one copy.
    """
    n, c, _, _ = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(xp, (k, k), axis=(2, 3))  # (N, C, Ho, Wo, k, k), a view
    ho, wo = windows.shape[2], windows.shape[3]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)


def col2im(cols: np.ndarray, x_shape: tuple[int, ...], k: int, pad: int) -> np.ndarray:
    """Adjoint of `im2col`: scatter-add patch gradients back to an (N, C, H, W) input gradient.

    Loops over the k * k kernel offsets only, each one a whole-array strided add.
    """
    n, c, h, w = x_shape
    ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    patches = cols.reshape(n, ho, wo, c, k, k).transpose(0, 3, 4, 5, 1, 2)  # (N, C, k, k, Ho, Wo)
    dxp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    for ki in range(k):
        for kj in range(k):
            dxp[:, :, ki : ki + ho, kj : kj + wo] += patches[:, :, ki, kj]
    return dxp[:, :, pad : pad + h, pad : pad + w]

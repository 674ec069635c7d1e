"""W1 and W2: ReLU MLPs trained with softmax cross-entropy and plain SGD (lr 0.1).

W1: 64-256-256-10, batch 128, digits-shaped data (8x8 pixels, 17 grey levels, 10 classes).
W2: 784-1024-1024-10, batch 256, MNIST-shaped data (28x28 pixels, 256 grey levels, 10 classes).

Parameters: ``W{i}`` of shape (in, out) and ``b{i}`` of shape (out,) for layer i; batches: ``(x float32 (B,
in), labels int32 (B,))``. Both workloads share every piece of code below; only `MLPSpec` differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from benchmarks.protocol import Batch, ImplFactory, Params, TrainingWorkload
from benchmarks.workloads.common import (
    NumpyHandStep,
    he_normal,
    pixel_batches,
    rng_for,
    sgd_update,
    softmax_cross_entropy,
)
from benchmarks.workloads.frameworks import JaxTrainStep, PyTensorTrainStep, TorchTrainStep

LR = 0.1
N_BATCHES = 8  # distinct batches cycled through, so no implementation can profit from seeing one batch only


@dataclass(frozen=True)
class MLPSpec:
    """Shape of one MLP workload."""

    sizes: tuple[int, ...]
    batch: int
    grey_levels: int
    seed: int

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1


W1_SPEC = MLPSpec(sizes=(64, 256, 256, 10), batch=128, grey_levels=17, seed=1)
W2_SPEC = MLPSpec(sizes=(784, 1024, 1024, 10), batch=256, grey_levels=256, seed=2)


def make_params(spec: MLPSpec) -> Params:
    """He-normal weights, zero biases, float32, from the spec's seed."""
    rng = rng_for(spec.seed)
    params: Params = {}
    for i, (n_in, n_out) in enumerate(zip(spec.sizes[:-1], spec.sizes[1:], strict=True)):
        params[f"W{i}"] = he_normal(rng, (n_in, n_out), fan_in=n_in)
        params[f"b{i}"] = np.zeros(n_out, dtype=np.float32)
    return params


def make_batches(spec: MLPSpec) -> list[Batch]:
    """`N_BATCHES` labelled pixel batches from the spec's seed (+1000, independent of the parameters)."""
    return pixel_batches(
        rng_for(spec.seed + 1000), N_BATCHES, spec.batch, spec.sizes[0], spec.sizes[-1], spec.grey_levels
    )


class NumpyMLP(NumpyHandStep):
    """``numpy_hand``: forward, backward and SGD update written out in NumPy."""

    def __init__(self, n_layers: int) -> None:
        self._n_layers = n_layers

    def step(self) -> float:
        p, n = self._params, self._n_layers
        x, labels = self._batches.next()
        acts = [x]  # input of each layer; the ReLU outputs double as the ReLU masks (h > 0 iff z > 0)
        h = x
        for i in range(n):
            z = h @ p[f"W{i}"] + p[f"b{i}"]
            h = np.maximum(z, 0.0) if i < n - 1 else z
            acts.append(h)
        loss, d = softmax_cross_entropy(acts[-1], labels)
        grads: Params = {}
        for i in reversed(range(n)):
            grads[f"W{i}"] = acts[i].T @ d
            grads[f"b{i}"] = d.sum(axis=0)
            if i > 0:
                d = (d @ p[f"W{i}"].T) * (acts[i] > 0)
        sgd_update(p, grads, LR)
        return loss


class NumpyTunedMLP(NumpyHandStep):
    """``numpy_tuned``: the fastest NumPy step found by hand, to show how far one-operation-per-pass NumPy can go
    towards the matrix-product floor (``gemm_floor.py``), as ``numpy_blocked`` does for W5.

    Every buffer is allocated once. Each bias is folded into its layer's weight matrix as an extra row and each
    layer input carries a trailing column of ones, so the products also add the biases and sum the bias
    gradients. The learning rate and 1/batch are folded into the output gradient, so every update is one
    subtraction. The softmax runs classes-major (reductions across examples). The packed matrices are this
    implementation's own copies of the parameters.
    """

    name = "numpy_tuned"

    def __init__(self, n_layers: int) -> None:
        self._n_layers = n_layers

    def setup(self, params: Params, batches: Sequence[Batch]) -> None:
        super().setup(params, batches)
        n, rows = self._n_layers, batches[0][0].shape[0]
        widths = [params["W0"].shape[0]] + [params[f"W{i}"].shape[1] for i in range(n)]
        self._w = [np.vstack([params[f"W{i}"], params[f"b{i}"][None]]) for i in range(n)]  # (in + 1, out)
        self._grad = [np.empty_like(w) for w in self._w]
        self._inputs = [np.ones((rows, widths[i] + 1), np.float32) for i in range(n)]  # ones column last
        self._z = [np.empty((rows, widths[i + 1]), np.float32) for i in range(n)]
        self._dx = [np.empty((rows, widths[i]), np.float32) for i in range(n)]
        self._mask = [np.empty((rows, widths[i]), np.float32) for i in range(n)]
        self._zeros = [np.zeros((rows, widths[i + 1]), np.float32) for i in range(n)]  # faster than a scalar 0
        self._scale = np.float32(LR / rows)
        self._rows = np.arange(rows)

    def step(self) -> float:
        x, labels = self._batches.next()
        n, w, inputs, z = self._n_layers, self._w, self._inputs, self._z
        inputs[0][:, :-1] = x
        for i in range(n):
            np.matmul(inputs[i], w[i], out=z[i])
            if i < n - 1:
                np.maximum(z[i], self._zeros[i], out=inputs[i + 1][:, :-1])
        loss, d = self._softmax_xent(z[-1], labels)
        for i in reversed(range(n)):
            np.matmul(inputs[i].T, d, out=self._grad[i])
            if i > 0:
                d = np.matmul(d, w[i][:-1].T, out=self._dx[i])
                np.greater(inputs[i][:, :-1], 0.0, out=self._mask[i])
                d *= self._mask[i]
            np.subtract(w[i], self._grad[i], out=w[i])
        return loss

    def _softmax_xent(self, logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean cross-entropy, and its gradient times the learning rate as an (examples, classes) view."""
        zt = logits.T.copy()  # (classes, examples)
        zt -= np.maximum.reduce(zt, axis=0)
        e = np.exp(zt)
        total = np.add.reduce(e, axis=0)
        loss = float(np.add.reduce(np.log(total) - zt[labels, self._rows])) / zt.shape[1]
        e /= total
        e[labels, self._rows] -= 1.0
        e *= self._scale
        return loss, e.T


def _jax_loss(n_layers: int) -> Any:
    import jax
    import jax.numpy as jnp

    def loss(params: Any, batch: Any) -> Any:
        x, labels = batch
        h = x
        for i in range(n_layers):
            h = h @ params[f"W{i}"] + params[f"b{i}"]
            if i < n_layers - 1:
                h = jax.nn.relu(h)
        logp = jax.nn.log_softmax(h)
        return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

    return loss


def _torch_loss(n_layers: int) -> Any:
    import torch
    import torch.nn.functional as F

    def loss(params: Any, batch: Any) -> Any:
        x, labels = batch
        h = x
        for i in range(n_layers):
            h = torch.addmm(params[f"b{i}"], h, params[f"W{i}"])  # what nn.Linear runs: one GEMM with bias
            if i < n_layers - 1:
                h = F.relu(h)
        return F.cross_entropy(h, labels)

    return loss


def _pytensor_loss(n_layers: int, params: dict[str, Any], batch: tuple[Any, ...]) -> Any:
    import pytensor.tensor as pt

    x, labels = batch
    h = x
    for i in range(n_layers):
        h = pt.dot(h, params[f"W{i}"]) + params[f"b{i}"]
        if i < n_layers - 1:
            h = pt.maximum(h, 0.0)
    logp = pt.special.log_softmax(h, axis=1)
    return -logp[pt.arange(labels.shape[0]), labels].mean()


def _workload(wid: str, title: str, spec: MLPSpec) -> TrainingWorkload:
    return TrainingWorkload(
        id=wid, title=title, make_params=partial(make_params, spec), make_batches=partial(make_batches, spec)
    )


def _impls(spec: MLPSpec) -> dict[str, ImplFactory]:
    n = spec.n_layers
    return {
        "numpy_hand": partial(NumpyMLP, n),
        "numpy_tuned": partial(NumpyTunedMLP, n),
        "jax_hand": partial(JaxTrainStep, partial(_jax_loss, n), LR),
        "torch_eager": partial(TorchTrainStep, partial(_torch_loss, n), LR),
        "pytensor": partial(PyTensorTrainStep, partial(_pytensor_loss, n), LR),
    }


W1 = _workload("W1", "MLP 64-256-256-10, batch 128, SGD", W1_SPEC)
W2 = _workload("W2", "MLP 784-1024-1024-10, batch 256, SGD", W2_SPEC)
W1_IMPLS = _impls(W1_SPEC)
W2_IMPLS = _impls(W2_SPEC)

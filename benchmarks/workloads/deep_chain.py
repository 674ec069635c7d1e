"""C1: compile cost of a deep chain h = tanh(h @ W_i + b_i), width 32, batch 64, loss mean(h^2), SGD lr 0.1.

The measured unit is build + compile + first training step (gradients and SGD updates of every W_i, b_i) at
each depth in `DEPTHS`: `TrainImpl.setup` followed by the first `TrainImpl.step`. For `numpy_hand` there is
nothing to compile, so this is the first step; for `jax_hand` it is defining the step, ``jax.jit`` and the
first call.

Parameters: ``W{i}`` (32, 32) and ``b{i}`` (32,) for i < depth; the depth is the number of ``W`` entries.
Batches: ``(x float32 (64, 32),)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from benchmarks.protocol import Batch, CompileWorkload, ImplFactory, Params
from benchmarks.workloads.common import NumpyHandStep, rng_for, sgd_update
from benchmarks.workloads.frameworks import JaxTrainStep, PyTensorTrainStep, TorchTrainStep

LR = 0.1
WIDTH, BATCH = 32, 64
DEPTHS = (25, 50, 100, 200)
SEED = 6


def depth_of(params: Params | dict[str, Any]) -> int:
    """Number of layers encoded in a C1 parameter dict."""
    return sum(1 for k in params if k.startswith("W"))


def make_params(depth: int) -> Params:
    """N(0, 1/width) weights (keeps tanh activations away from saturation and from zero), small random
    biases."""
    rng = rng_for(SEED + depth)
    params: Params = {}
    for i in range(depth):
        params[f"W{i}"] = (rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)).astype(np.float32)
        params[f"b{i}"] = (0.1 * rng.standard_normal(WIDTH)).astype(np.float32)
    return params


def make_batches(depth: int) -> list[Batch]:
    """One standard-normal input batch."""
    return [(rng_for(SEED + 1000 + depth).standard_normal((BATCH, WIDTH)).astype(np.float32),)]


class NumpyChain(NumpyHandStep):
    """``numpy_hand``: forward loop storing activations, backward loop, SGD; no build step."""

    def setup(self, params: Params, batches: Sequence[Batch]) -> None:
        super().setup(params, batches)
        self._depth = depth_of(params)

    def step(self) -> float:
        p = self._params
        (x,) = self._batches.next()
        hs = [x]
        for i in range(self._depth):
            hs.append(np.tanh(hs[-1] @ p[f"W{i}"] + p[f"b{i}"]))
        h = hs[-1]
        loss = float(np.mean(h * h))
        dh = (2.0 / h.size) * h
        grads: Params = {}
        for i in reversed(range(self._depth)):
            dz = dh * (1.0 - hs[i + 1] * hs[i + 1])
            grads[f"W{i}"] = hs[i].T @ dz
            grads[f"b{i}"] = dz.sum(axis=0)
            dh = dz @ p[f"W{i}"].T
        sgd_update(p, grads, LR)
        return loss


def _jax_loss() -> Any:
    import jax.numpy as jnp

    def loss(params: Any, batch: Any) -> Any:
        (h,) = batch
        for i in range(depth_of(params)):
            h = jnp.tanh(h @ params[f"W{i}"] + params[f"b{i}"])
        return jnp.mean(h * h)

    return loss


def _torch_loss() -> Any:
    import torch

    def loss(params: Any, batch: Any) -> Any:
        (h,) = batch
        for i in range(depth_of(params)):
            h = torch.tanh(torch.addmm(params[f"b{i}"], h, params[f"W{i}"]))
        return torch.mean(h * h)

    return loss


def _pytensor_loss(params: dict[str, Any], batch: tuple[Any, ...]) -> Any:
    import pytensor.tensor as pt

    (h,) = batch
    for i in range(depth_of(params)):
        h = pt.tanh(pt.dot(h, params[f"W{i}"]) + params[f"b{i}"])
    return pt.mean(h * h)


C1 = CompileWorkload(
    id="C1",
    title="compile cost: tanh chain width 32, batch 64, depths 25-200",
    depths=DEPTHS,
    make_params=make_params,
    make_batches=make_batches,
)
IMPLS: dict[str, ImplFactory] = {
    "numpy_hand": NumpyChain,
    "jax_hand": partial(JaxTrainStep, _jax_loss, LR),
    "torch_eager": partial(TorchTrainStep, _torch_loss, LR),
    "pytensor": partial(PyTensorTrainStep, _pytensor_loss, LR),
}

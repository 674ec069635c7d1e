"""Generic training-step implementations for JAX, PyTorch and PyTensor.

A workload supplies only its loss function written against the library; the classes here turn it into a
`TrainImpl` doing plain SGD, written the way a user of that library would:

* `JaxTrainStep` ("jax_hand"): ``jax.jit`` of the whole step, ``value_and_grad`` + a tree-mapped SGD update;
  parameters are passed in and returned.
* `TorchTrainStep` ("torch_eager"): eager autograd and ``torch.optim.SGD``.
* `PyTensorTrainStep` ("pytensor"): one compiled ``pytensor.function`` with the SGD updates as shared-variable
  updates, in `PYTENSOR_MODE`.

The libraries are imported in the constructors, so a missing one raises ImportError there and the harness
leaves that implementation out; nothing is imported when only NumPy runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from benchmarks.protocol import Batch, Params
from benchmarks.threads import configure_torch
from benchmarks.workloads.common import BatchCycle

PYTENSOR_MODE = "CVM"
"""PyTensor's C virtual machine (C implementations of the ops, fast_run rewrites).

PyTensor 3's default mode is Numba, whose compile times make it unusable here: measured on the 2-core machine,
C1 at depth 100 took 318 s to compile with Numba against 15 s with CVM, and the first W3 compile 442 s. CVM is
also what the reference points in shared/BENCHMARKS.md name ("PyTensor (C VM)"). Its C modules are cached
under ~/.pytensor, so the very first run on a machine pays minutes of C compilation, once."""

# A loss builder returns the loss function. It is called inside `setup`, so C1's build time includes it.
# JAX/torch loss functions take (params: dict of arrays/tensors, batch: tuple of arrays/tensors) -> scalar.
LossBuilder = Callable[[], Callable[[Any, Any], Any]]
# PyTensor graph builders take (params: dict of shared variables, batch: tuple of symbolic inputs) -> loss.
PyTensorGraphBuilder = Callable[[dict[str, Any], tuple[Any, ...]], Any]


def import_jax() -> Any:
    """Import jax, raising ImportError when absent. x64 stays off (the default): JAX computes in float32."""
    import jax

    return jax


def import_torch() -> Any:
    """Import torch (raising ImportError when absent) and apply the thread pin to it."""
    import torch

    configure_torch()
    return torch


def import_pytensor() -> Any:
    """Import pytensor (raising ImportError when absent), with floatX = float32.

    float32 floatX makes Python float constants (the learning rate, 1.5 in W5) float32 instead of upcasting
    the graph to float64, which would break the float32 comparison. PyTensor warns at import when it finds no
    BLAS link flags; it then calls NumPy's BLAS, which is what we want, so that warning is silenced.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pytensor

    pytensor.config.floatX = "float32"
    return pytensor


def _jax_batch(jax: Any, batch: Batch) -> tuple[Any, ...]:
    # Integer arrays become int32: JAX without x64 has no int64, and asking for it only warns.
    return tuple(jax.device_put(a.astype(np.int32) if a.dtype.kind in "iu" else a) for a in batch)


def _torch_batch(torch: Any, batch: Batch) -> tuple[Any, ...]:
    # Integer arrays become int64: torch's class-index dtype for cross_entropy.
    return tuple(torch.from_numpy(a.astype(np.int64) if a.dtype.kind in "iu" else a) for a in batch)


class JaxTrainStep:
    """``jax_hand``: the whole SGD step under one ``jax.jit``."""

    name = "jax_hand"

    def __init__(self, build_loss: LossBuilder, lr: float) -> None:
        self._jax = import_jax()
        self._build_loss = build_loss
        self._lr = lr

    def setup(self, params: Params, batches: Sequence[Batch]) -> None:
        jax = self._jax
        loss_fn = self._build_loss()
        lr = self._lr

        def train_step(p: Any, batch: Any) -> tuple[Any, Any]:
            loss, grads = jax.value_and_grad(loss_fn)(p, batch)
            return loss, jax.tree.map(lambda w, g: w - lr * g, p, grads)

        self._step = jax.jit(train_step)
        self._params = {k: jax.device_put(v) for k, v in params.items()}
        self._batches = BatchCycle([_jax_batch(jax, b) for b in batches])

    def step(self) -> float:
        loss, self._params = self._step(self._params, self._batches.next())
        return float(loss)  # blocks until the step is complete


class TorchTrainStep:
    """``torch_eager``: eager forward, ``autograd`` backward, ``torch.optim.SGD`` update."""

    name = "torch_eager"

    def __init__(self, build_loss: LossBuilder, lr: float) -> None:
        self._torch = import_torch()
        self._build_loss = build_loss
        self._lr = lr

    def setup(self, params: Params, batches: Sequence[Batch]) -> None:
        torch = self._torch
        self._loss_fn = self._build_loss()
        self._params = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        self._opt = torch.optim.SGD(list(self._params.values()), lr=self._lr)
        self._batches = BatchCycle([_torch_batch(torch, b) for b in batches])

    def step(self) -> float:
        self._opt.zero_grad(set_to_none=True)
        loss = self._loss_fn(self._params, self._batches.next())
        loss.backward()
        self._opt.step()
        return loss.item()


class PyTensorTrainStep:
    """``pytensor``: one compiled function computing the loss and applying SGD updates to shared variables."""

    name = "pytensor"

    def __init__(self, build_graph: PyTensorGraphBuilder, lr: float) -> None:
        self._pytensor = import_pytensor()
        self._build_graph = build_graph
        self._lr = lr

    def setup(self, params: Params, batches: Sequence[Batch]) -> None:
        pytensor = self._pytensor
        pt = pytensor.tensor
        shared = {k: pytensor.shared(v, name=k) for k, v in params.items()}
        inputs = tuple(pt.tensor(dtype=a.dtype, shape=(None,) * a.ndim) for a in batches[0])
        loss = self._build_graph(shared, inputs)
        grads = pytensor.grad(loss, list(shared.values()))
        lr = np.float32(self._lr)
        updates = [(p, p - lr * g) for p, g in zip(shared.values(), grads, strict=True)]
        self._fn = pytensor.function(list(inputs), loss, updates=updates, mode=PYTENSOR_MODE)
        self._batches = BatchCycle(batches)

    def step(self) -> float:
        return float(self._fn(*self._batches.next()))

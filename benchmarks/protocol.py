"""The contracts between the harness, the workloads and the implementations.

Vocabulary:

* A *workload* (`TrainingWorkload`, `EvalWorkload`, `CompileWorkload`) owns the data: it makes the float32
  initial parameters and the batches from fixed seeds, so every implementation starts from identical values.
* An *implementation* is an object made by a zero-argument *factory* (usually its class). Training
  implementations follow `TrainImpl`; W5's follow `EvalImpl`. C1 uses `TrainImpl` too: its timed unit is
  `setup` plus the first `step`.
* A *provider* is a module with a module-level ``IMPLS: Mapping[str, Mapping[str, ImplFactory]]``, workload id
  -> implementation name -> factory. The harness collects implementations from every module listed in
  `benchmarks.providers.PROVIDERS`. The name under which a factory is registered is the name reported; an
  implementation's own `name` attribute is for humans reading the code.

A factory whose library is not installed raises ImportError; the harness leaves that implementation out and
says so. Nothing is ever substituted for a missing implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

Params = dict[str, np.ndarray]
"""Named float32 arrays. Implementations receive private copies and may update them in place."""

Batch = tuple[np.ndarray, ...]
"""One minibatch, e.g. ``(inputs float32, labels int32)``; the workload documents the tuple's meaning."""

REFERENCE_IMPL = "numpy_hand"
"""The implementation every ratio and every loss trajectory is compared against."""


class TrainImpl(Protocol):
    """One implementation of a training workload.

    Contract:
    * `setup` receives the initial parameters and the batch list; it may convert, copy and compile. It is not
      timed (except in C1, where build + compile + first step is the measured quantity).
    * `step` runs one SGD training step (forward, backward, update) on the next batch, cycling through the
      batch list in order starting from ``batches[0]``, and returns that step's loss, computed from the
      parameters before the update, as a Python float. Returning the float is the synchronisation point: the
      step's work must be complete when `step` returns (``float(...)`` of a JAX array blocks until it is
      ready).
    """

    name: str

    def setup(self, params: Params, batches: Sequence[Batch]) -> None: ...

    def step(self) -> float: ...


class EvalImpl(Protocol):
    """One implementation of an evaluation workload (W5).

    Contract: `setup` receives the inputs (untimed); `evaluate` computes the result and returns it only once
    it is fully computed (``block_until_ready`` for JAX). ``np.asarray(result)`` must give the float32 values;
    the harness calls it only outside the timed region.
    """

    name: str

    def setup(self, inputs: Params) -> None: ...

    def evaluate(self) -> Any: ...


ImplFactory = Callable[[], Any]
"""Zero-argument callable returning a `TrainImpl` or `EvalImpl`; raises ImportError if its library is absent."""

ProviderImpls = Mapping[str, Mapping[str, ImplFactory]]
"""What a provider module exports as ``IMPLS``: workload id -> implementation name -> factory."""


@dataclass(frozen=True)
class TrainingWorkload:
    """A training workload timed per step (W1-W4)."""

    id: str
    title: str
    make_params: Callable[[], Params]
    make_batches: Callable[[], list[Batch]]
    rtol: float = 1e-5
    """Relative tolerance of the 5-step loss trajectory check against `REFERENCE_IMPL`."""
    warmup: int = 5
    """Untimed steps per implementation after the trajectory check and before timing."""


@dataclass(frozen=True)
class EvalWorkload:
    """An evaluation workload timed per call (W5), checked against a float64 reference."""

    id: str
    title: str
    make_inputs: Callable[[], Params]
    reference: Callable[[Params], np.ndarray]
    """Computes the float64 result from the (float32) inputs."""
    rtol: float = 1e-5
    warmup: int = 3


@dataclass(frozen=True)
class CompileWorkload:
    """A compile-cost workload (C1): one timed build + compile + first step per depth."""

    id: str
    title: str
    depths: tuple[int, ...]
    make_params: Callable[[int], Params]
    make_batches: Callable[[int], list[Batch]]
    warmup_depth: int = 2
    """Depth of an untimed first build per implementation, so that one-off library start-up (backend
    initialisation, compile-cache directories) is not charged to the first timed depth."""
    rtol: float = 1e-5


Workload = TrainingWorkload | EvalWorkload | CompileWorkload

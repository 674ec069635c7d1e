"""The fit loop: shuffled mini-batches, epochs, validation, early stopping, history, checkpoints, progress."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from graphc.backends import compile
from graphc.backends.executable import Executable
from graphc.errors import FeedError
from graphc.optim.optimizers import Optimizer
from graphc.train.checkpoint import save_checkpoint
from graphc.train.model import Model
from graphc.train.step import State, TrainStep

Array = np.ndarray[Any, Any]
Data = Mapping[str, Array] | tuple[Array, ...] | Sequence[Array]


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``monitor`` is a history key (``"val_loss"`` by default; ``"loss"`` when there is no validation data).
    Metrics named ``*accuracy`` improve upwards, the rest downwards. ``restore_best`` puts back the state of the
    best epoch when training ends.
    """

    patience: int = 5
    monitor: str = "val_loss"
    min_delta: float = 0.0
    restore_best: bool = True


@dataclass
class FitResult:
    """What :func:`fit` returns: the final state, the per-epoch history and where it stopped."""

    state: State
    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None
    stopped_epoch: int | None = None
    step: TrainStep | None = None


def as_feeds(model: Model, data: Data) -> dict[str, Array]:
    """Map data to the model's feed names: a dict by name, or a tuple in (inputs…, targets…) order."""
    names = model.feed_names
    if isinstance(data, Mapping):
        feeds = {k: np.asarray(v) for k, v in data.items()}
    else:
        arrays = list(data)
        if len(arrays) != len(names):
            raise FeedError(f"expected {len(names)} arrays for {names}, got {len(arrays)}")
        feeds = dict(zip(names, (np.asarray(a) for a in arrays), strict=True))
    values = {v.name: v for v in [*model.inputs, *model.targets]}
    for k, a in list(feeds.items()):
        v = values.get(k)
        if v is None:
            raise FeedError(f"data entry {k!r} is not an input or target of the model (expected {names})")
        if a.dtype != v.dtype.numpy and a.dtype.kind == np.dtype(v.dtype.numpy).kind:
            feeds[k] = a.astype(v.dtype.numpy)  # same kind (float64 → float32 data): convert once, up front
    sizes = {len(a) for a in feeds.values()}
    if len(sizes) != 1:
        raise FeedError(f"data arrays have different lengths: { {k: len(a) for k, a in feeds.items()} }")
    return feeds


def _take(feeds: Mapping[str, Array], idx: Array | slice) -> dict[str, Array]:
    return {k: a[idx] for k, a in feeds.items()}


class Evaluator:
    """Batched evaluation of a model's metrics (loss, accuracy) with given parameters, in inference mode."""

    def __init__(self, model: Model, backend: str = "numpy", **options: Any) -> None:
        self.model = model
        self.executable: Executable = compile(dict(model.eval_metrics), backend=backend, **options)

    def __call__(self, state: Mapping[str, Array], data: Mapping[str, Array], batch_size: int = 512
                 ) -> dict[str, float]:
        params = {k: state[k] for k in self.executable.input_names if k in state}
        n = len(next(iter(data.values())))
        totals = dict.fromkeys(self.model.eval_metrics, 0.0)
        for start in range(0, n, batch_size):
            batch = _take(data, slice(start, start + batch_size))
            m = len(next(iter(batch.values())))
            out = self.executable({**params, **{k: batch[k] for k in self.executable.input_names if k in batch}})
            for k in totals:
                totals[k] += float(out[k]) * m
        return {k: v / n for k, v in totals.items()}


def fit(
    model: Model,
    data: Data,
    *,
    optimizer: Optimizer,
    epochs: int = 10,
    batch_size: int = 32,
    validation_split: float = 0.0,
    validation_data: Data | None = None,
    shuffle: bool = True,
    seed: int = 0,
    early_stopping: EarlyStopping | None = None,
    backend: str = "numpy",
    state: State | None = None,
    checkpoint: str | None = None,
    progress: bool = True,
    step: TrainStep | None = None,
    **options: Any,
) -> FitResult:
    """Train ``model`` on ``data`` with ``optimizer`` and return the final state and history.

    ``validation_split`` holds out the *last* fraction of ``data`` (before shuffling, so it is the same every
    run). The history has ``loss`` (mean over the epoch's batches) and the model's other metrics, and
    ``val_*`` entries when there is validation data. ``checkpoint`` is a path saved after every epoch
    (atomically). ``step`` reuses an already compiled :class:`TrainStep`.
    """
    feeds = as_feeds(model, data)
    n = len(next(iter(feeds.values())))
    val: dict[str, Array] | None = None
    if validation_data is not None:
        val = as_feeds(model, validation_data)
    elif validation_split:
        if not 0.0 < validation_split < 1.0:
            raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
        n_val = max(1, round(n * validation_split))
        val = _take(feeds, slice(n - n_val, n))
        feeds = _take(feeds, slice(0, n - n_val))
        n -= n_val
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")

    step = step or TrainStep(model, optimizer, backend, **options)
    # The step updates state arrays in place (they are donated), so the caller's arrays are copied once here.
    state = {k: np.array(v, copy=True) for k, v in state.items()} if state is not None else step.init_state(seed)
    bound = step.bind(state)
    evaluate = Evaluator(model, backend, **options) if val is not None else None
    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {}
    monitor = None
    if early_stopping is not None:
        monitor = early_stopping.monitor if val is not None or not early_stopping.monitor.startswith("val_") \
            else early_stopping.monitor[4:]
    best: float | None = None
    best_epoch: int | None = None
    best_state: State | None = None
    waited = 0
    stopped: int | None = None
    n_batches = math.ceil(n / batch_size)

    bar = tqdm(range(epochs), desc="train", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        order = rng.permutation(n) if shuffle else np.arange(n)
        sums: dict[str, float] = {}
        for b in range(n_batches):
            idx = order[b * batch_size:(b + 1) * batch_size]
            metrics = bound(_take(feeds, idx))
            for k, v in metrics.items():
                sums[k] = sums.get(k, 0.0) + v * len(idx)
        record = {k: v / n for k, v in sums.items()}
        state = bound.state
        if evaluate is not None and val is not None:
            record.update({f"val_{k}": v for k, v in evaluate(state, val).items()})
        for k, v in record.items():
            history.setdefault(k, []).append(v)
        bar.set_postfix({k: f"{v:.4f}" for k, v in record.items()})
        if checkpoint is not None:
            save_checkpoint(checkpoint, state, {"epoch": epoch + 1})
        if early_stopping is not None and monitor is not None:
            current = record[monitor]
            up = monitor.endswith("accuracy")
            improved = best is None or (current > best + early_stopping.min_delta if up
                                        else current < best - early_stopping.min_delta)
            if improved:
                best, best_epoch, waited = current, epoch, 0
                if early_stopping.restore_best:
                    best_state = {k: np.array(v, copy=True) for k, v in state.items()}
            else:
                waited += 1
                if waited > early_stopping.patience:
                    stopped = epoch
                    break
    bar.close()
    if early_stopping is not None and early_stopping.restore_best and best_state is not None:
        state = best_state
    return FitResult(state, history, best_epoch, stopped, step)

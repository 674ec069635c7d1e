"""The train-then-test recipe the digits examples share: command-line options, fit, test accuracy."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from graphc.optim.optimizers import Optimizer
from graphc.optim.schedules import Schedule, exponential_decay
from graphc.threads import limit_blas_threads
from graphc.train.fit import Data, Evaluator, fit
from graphc.train.model import Model


def example_options(description: str, epochs: int, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse ``--backend numpy|jax``, ``--epochs``, ``--seed`` and ``--threads`` (BLAS threads, default 1: small
    models run fastest on one), and apply the thread limit."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--backend", default="numpy", choices=["numpy", "jax"])
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (small models run fastest on one)")
    args = ap.parse_args(argv)
    limit_blas_threads(args.threads)
    return args


def halving(lr: float, every_epochs: int, n_train: int, batch_size: int = 32) -> Schedule:
    """A learning rate that halves every ``every_epochs`` epochs of ``n_train`` examples."""
    steps_per_epoch = -(-n_train // batch_size)
    return exponential_decay(lr, 0.5, every_epochs * steps_per_epoch)


def train_and_test(model: Model, train: Data, test: Mapping[str, np.ndarray[Any, Any]], *, optimizer: Optimizer,
                   args: argparse.Namespace, batch_size: int = 32, **fit_options: Any) -> float:
    """Fit on ``train``, print a summary line, then ``test accuracy: 0.xxxx`` last; returns the accuracy."""
    t0 = time.perf_counter()
    result = fit(model, train, optimizer=optimizer, epochs=args.epochs, batch_size=batch_size, seed=args.seed,
                 backend=args.backend, **fit_options)
    seconds = time.perf_counter() - t0
    accuracy = Evaluator(model, args.backend)(result.state, test)["accuracy"]
    best = f"; best epoch {result.best_epoch}" if result.best_epoch is not None else ""
    print(f"trained {len(result.history['loss'])} epochs in {seconds:.1f} s; final train loss "
          f"{result.history['loss'][-1]:.4f}{best}")
    print(f"test accuracy: {accuracy:.4f}")
    return accuracy

"""Running the workloads: collecting implementations, the trajectory check, interleaved timing.

Method (see shared/BENCHMARKS.md):

1. Every implementation gets its own copy of the same float32 parameters and batches.
2. Check: `CHECK_STEPS` training steps each; every loss must be within the workload's relative tolerance of
   `numpy_hand`'s loss at the same step (W5: the result within tolerance of the float64 reference). These
   steps also compile/warm JIT implementations, untimed.
3. Warm-up: `workload.warmup` more untimed rounds.
4. Timing: `iters` rounds; in each round every implementation runs one step, one after the other, in an order
   shuffled each round (fixed seed). Each step runs after another implementation has filled the caches with
   its own data, so a fixed order — even rotated, which keeps every neighbour pair — would charge one
   implementation systematically for what its predecessor evicts; shuffled, that cost is spread. Each call is
   synchronised by its own contract (a Python float loss, ``block_until_ready``), so wall time is the work
   done. The garbage collector is paused during timed rounds, as `timeit` does, so a collection triggered by
   one implementation's allocations is not charged to another.
5. C1: per depth and implementation, one fresh instance; the time of ``setup`` + the first ``step``.

An implementation that raises is reported in the workload's ``check`` and left out of the timing; the other
implementations still run.
"""

from __future__ import annotations

import gc
import importlib
import math
import random
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

import numpy as np

from benchmarks.protocol import (
    REFERENCE_IMPL,
    Batch,
    CompileWorkload,
    EvalWorkload,
    ImplFactory,
    TrainingWorkload,
    Workload,
)
from benchmarks.workloads.common import copy_params

CHECK_STEPS = 5


@dataclass
class ImplTiming:
    """Per-iteration wall times of one implementation, in milliseconds."""

    times_ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def min_ms(self) -> float:
        return min(self.times_ms)

    @property
    def max_ms(self) -> float:
        return max(self.times_ms)


@dataclass
class WorkloadResult:
    """Everything measured for one workload; `benchmarks.report` turns it into JSON, Markdown and plots."""

    id: str
    title: str
    kind: Literal["time", "compile"]
    """"time": per-call timings in `timings`; "compile": per-depth `seconds`."""
    threads: int
    check: str
    timings: dict[str, ImplTiming] = field(default_factory=dict)
    """Per-step (or per-evaluation) timings; empty for compile workloads."""
    seconds: dict[str, dict[int, float]] = field(default_factory=dict)
    """Compile workloads: implementation -> depth -> seconds for build + compile + first call."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Implementations left out because their library is not installed, with the reason."""

    def ratio(self, name: str) -> float | None:
        """Median of `name` / median of `numpy_hand`, or None without a reference timing."""
        ref = self.timings.get(REFERENCE_IMPL)
        if ref is None or name not in self.timings:
            return None
        return self.timings[name].median_ms / ref.median_ms


def collect_impls(providers: Iterable[str], log: TextIO = sys.stderr) -> dict[str, dict[str, ImplFactory]]:
    """Merge the ``IMPLS`` of every provider module: workload id -> implementation name -> factory.

    A provider that fails to import is reported on `log` and skipped. Two providers registering the same name
    for the same workload is an error, since one would silently hide the other.
    """
    merged: dict[str, dict[str, ImplFactory]] = {}
    for module_name in providers:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            print(f"provider {module_name} skipped: {exc}", file=log)
            continue
        for wid, impls in module.IMPLS.items():
            target = merged.setdefault(wid, {})
            for name, factory in impls.items():
                if name in target:
                    raise ValueError(f"{module_name} registers {wid}/{name}, which another provider already has")
                target[name] = factory
    return merged


def run_workload(
    workload: Workload, factories: dict[str, ImplFactory], iters: int, threads: int, log: TextIO = sys.stderr
) -> WorkloadResult:
    """Check and time every implementation in `factories` on `workload` (the dispatch by workload kind)."""
    if REFERENCE_IMPL not in factories:
        raise ValueError(f"{workload.id} has no {REFERENCE_IMPL} implementation to compare against")
    if isinstance(workload, TrainingWorkload):
        return _run_training(workload, factories, iters, threads, log)
    if isinstance(workload, EvalWorkload):
        return _run_eval(workload, factories, iters, threads, log)
    return _run_compile(workload, factories, threads, log)


# ----------------------------------------------------------------------------------------------------
# The three workload kinds


def _run_training(
    wl: TrainingWorkload, factories: dict[str, ImplFactory], iters: int, threads: int, log: TextIO
) -> WorkloadResult:
    params, batches = wl.make_params(), wl.make_batches()
    impls, skipped, problems = _instantiate(factories, log)
    trajectories: dict[str, list[float]] = {}
    for name, impl in impls.items():
        try:
            impl.setup(copy_params(params), _copy_batches(batches))
            trajectories[name] = [impl.step() for _ in range(CHECK_STEPS)]
        except Exception as exc:  # reported in `check`; the other implementations still run
            problems.append(_failure(name, exc, log))
    problems += _compare_trajectories(trajectories, wl.rtol)
    live = {name: impls[name].step for name in trajectories}
    timings = time_interleaved(live, iters, wl.warmup, problems, log)
    return WorkloadResult(wl.id, wl.title, "time", threads, _check_text(problems), timings=timings, skipped=skipped)


def _run_eval(
    wl: EvalWorkload, factories: dict[str, ImplFactory], iters: int, threads: int, log: TextIO
) -> WorkloadResult:
    inputs = wl.make_inputs()
    expected = wl.reference(inputs)
    impls, skipped, problems = _instantiate(factories, log)
    live: dict[str, Callable[[], object]] = {}
    for name, impl in impls.items():
        try:
            impl.setup(copy_params(inputs))
            problem = _compare_result(name, np.asarray(impl.evaluate()), expected, wl.rtol)
        except Exception as exc:  # reported in `check`
            problems.append(_failure(name, exc, log))
            continue
        if problem:
            problems.append(problem)
        live[name] = impl.evaluate
    timings = time_interleaved(live, iters, wl.warmup, problems, log)
    return WorkloadResult(wl.id, wl.title, "time", threads, _check_text(problems), timings=timings, skipped=skipped)


def _run_compile(wl: CompileWorkload, factories: dict[str, ImplFactory], threads: int, log: TextIO) -> WorkloadResult:
    skipped: dict[str, str] = {}
    problems: list[str] = []
    live: dict[str, ImplFactory] = {}
    # Untimed build at a small depth first: one-off library start-up is not compile cost of the first depth.
    warm_params, warm_batches = wl.make_params(wl.warmup_depth), wl.make_batches(wl.warmup_depth)
    for name, factory in factories.items():
        try:
            impl = factory()
        except ImportError as exc:
            skipped[name] = _not_installed(name, exc, log)
            continue
        try:
            impl.setup(copy_params(warm_params), _copy_batches(warm_batches))
            impl.step()
        except Exception as exc:  # reported in `check`
            problems.append(_failure(name, exc, log))
            continue
        live[name] = factory

    seconds: dict[str, dict[int, float]] = {name: {} for name in live}
    for depth in wl.depths:
        params, batches = wl.make_params(depth), wl.make_batches(depth)
        trajectories: dict[str, list[float]] = {}
        for name, factory in list(live.items()):
            try:
                impl = factory()
                p, b = copy_params(params), _copy_batches(batches)
                gc.collect()
                start = time.perf_counter()
                impl.setup(p, b)
                first = impl.step()
                seconds[name][depth] = time.perf_counter() - start
                trajectories[name] = [first] + [impl.step() for _ in range(CHECK_STEPS - 1)]
            except Exception as exc:  # reported in `check`; drop it from the later depths
                problems.append(_failure(f"{name} at depth {depth}", exc, log))
                del live[name]
                continue
            print(f"  {wl.id} depth {depth:4d} {name:<16} {seconds[name][depth]:8.3f} s", file=log)
        problems += [f"depth {depth}: {p}" for p in _compare_trajectories(trajectories, wl.rtol)]
    seconds = {name: by_depth for name, by_depth in seconds.items() if by_depth}
    return WorkloadResult(wl.id, wl.title, "compile", threads, _check_text(problems), seconds=seconds, skipped=skipped)


# ----------------------------------------------------------------------------------------------------
# Pieces


def _instantiate(factories: dict[str, ImplFactory], log: TextIO) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Call each factory: (implementations, skipped name -> reason, failure descriptions)."""
    impls: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    problems: list[str] = []
    for name, factory in factories.items():
        try:
            impls[name] = factory()
        except ImportError as exc:
            skipped[name] = _not_installed(name, exc, log)
        except Exception as exc:  # reported in `check`
            problems.append(_failure(name, exc, log))
    return impls, skipped, problems


ORDER_SEED = 0  # the shuffled order of implementations within each timing round


def time_interleaved(
    calls: dict[str, Callable[[], object]], iters: int, warmup: int, problems: list[str], log: TextIO
) -> dict[str, ImplTiming]:
    """Timing of synchronised calls, one per implementation per round in an order shuffled each round (fixed
    seed); `warmup` untimed rounds first. Failing calls are dropped."""
    names = list(calls)
    timings = {name: ImplTiming() for name in names}
    failed: set[str] = set()
    order = random.Random(ORDER_SEED)
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for round_no in range(warmup + iters):
            for name in order.sample(names, len(names)):
                if name in failed:
                    continue
                try:
                    start = time.perf_counter()
                    calls[name]()
                    elapsed = time.perf_counter() - start
                except Exception as exc:  # reported in `check`
                    problems.append(_failure(name, exc, log))
                    failed.add(name)
                    continue
                if round_no >= warmup:
                    timings[name].times_ms.append(elapsed * 1e3)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: t for name, t in timings.items() if name not in failed and t.times_ms}


def _compare_trajectories(trajectories: dict[str, list[float]], rtol: float) -> list[str]:
    """First mismatch of each implementation's losses against the reference's, as readable lines."""
    ref = trajectories.get(REFERENCE_IMPL)
    if ref is None:
        return [f"no {REFERENCE_IMPL} trajectory to compare against"]
    problems = []
    if not all(math.isfinite(r) for r in ref):
        problems.append(f"{REFERENCE_IMPL} losses not finite: {ref}")
    for name, losses in trajectories.items():
        for step, (got, want) in enumerate(zip(losses, ref, strict=True), start=1):
            rel = abs(got - want) / abs(want) if want else abs(got - want)
            if not (math.isfinite(got) and rel <= rtol):
                problems.append(
                    f"{name} step {step}: loss {got:.9g} vs {REFERENCE_IMPL} {want:.9g} (rel {rel:.2e} > {rtol:g})"
                )
                break
    return problems


def _compare_result(name: str, got: np.ndarray, expected: np.ndarray, rtol: float) -> str | None:
    """Mismatch description, or None when `got` is float32, shaped like `expected` and close to it.

    Closeness is max|got - expected| / max|expected| <= rtol (relative in the max norm). An elementwise
    relative test is meaningless here: float32 rounding of the inner terms gives large relative errors
    wherever the result crosses zero, for every implementation alike.
    """
    if got.dtype != np.float32 or got.shape != expected.shape:
        return f"{name}: result {got.dtype}{got.shape}, expected float32{expected.shape}"
    err = float(np.max(np.abs(got.astype(np.float64) - expected)) / np.max(np.abs(expected)))
    if not err <= rtol:
        return f"{name}: max error / max |reference| = {err:.2e} > {rtol:g}"
    return None


def _check_text(problems: Sequence[str]) -> str:
    return "ok" if not problems else "; ".join(problems)


def _copy_batches(batches: Sequence[Batch]) -> list[Batch]:
    return [tuple(a.copy() for a in batch) for batch in batches]


def _not_installed(name: str, exc: ImportError, log: TextIO) -> str:
    reason = f"not installed ({exc})"
    print(f"  {name} left out: {reason}", file=log)
    return reason


def _failure(name: str, exc: Exception, log: TextIO) -> str:
    traceback.print_exception(exc, file=log)
    return f"{name} failed: {type(exc).__name__}: {exc}"

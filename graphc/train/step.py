"""The compiled training step: ``(state, batch) -> (new state, metrics)``.

Forward, backward (:func:`graphc.autodiff.grad`) and the optimizer update are appended to the model's graph and
compiled as one executable. The state — parameters, optimizer slots, the step counter and the state that layers
declare with :func:`graphc.update_state` (batch-norm running averages, dropout keys) — is a dict of arrays keyed
by input name; everything but the trainable parameters is a non-trainable graph parameter, so
:func:`graphc.init_params` initialises the whole state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from graphc import dsl as G
from graphc.autodiff import grad
from graphc.backends import compile, executable_class
from graphc.backends.carried import Carried
from graphc.backends.executable import Executable
from graphc.backends.feeds import check_names
from graphc.init import init_params
from graphc.ir.dtypes import DType
from graphc.ir.graph import Graph, Value
from graphc.optim.optimizers import Optimizer
from graphc.train.model import Model

Array = np.ndarray[Any, Any]
State = dict[str, Array]



class TrainStep:
    """One optimizer's training step for a model, compiled for ``backend``.

    ``state_values`` lists every state input (parameters first), ``new_state`` maps each to its updated value.
    ``executable`` returns, flat, the new state in ``state_names`` order and then the metrics in ``metrics``
    order (what :meth:`bind` and loops around ``executable.unchecked`` rely on).
    Call it as ``new_state, metrics = step(state, batch)`` where ``batch`` maps the model's feed names to arrays.
    ``options`` go to the backend (``device=`` for jax).

    ``donate``: whether the executable may overwrite the state it is given with the new state (the arrays fed
    in must then not be reused). ``None`` (default) decides per backend: always on NumPy (in-place updates);
    on JAX only on accelerators, since XLA:CPU runs donated calls slower: each backend says
    (:meth:`graphc.backends.executable.Executable.donation_pays`).
    """

    def __init__(self, model: Model, optimizer: Optimizer, backend: str = "numpy", *, donate: bool | None = None,
                 **options: Any) -> None:
        self.model = model
        self.optimizer = optimizer
        self.backend = backend
        graph = model.graph
        params = list(model.params or ())
        scope = _free_scope(graph, "opt")
        with graph:
            grads = grad(model.loss, params)
            with graph.name_scope(scope), graph.tagging(role="update"):
                step = G.parameter("step", (), "float32", init="zeros", trainable=False)
                # The schedule is evaluated in each parameter dtype, so a float64 model gets a float64 rate.
                steps: dict[DType, Value] = {}
                rates: dict[DType, Value] = {}
                for p in params:
                    if p.dtype not in steps:
                        steps[p.dtype] = G.cast(step, p.dtype)
                        rates[p.dtype] = optimizer.schedule(steps[p.dtype])
                self.lr = rates
                new_state: dict[Value, Value] = {}
                slot_values: list[Value] = []
                for p, g in zip(params, grads, strict=True):
                    with graph.name_scope(_slot_scope(p.name or "param")):
                        slots = {s: G.parameter(s, p.shape, p.dtype, init="zeros", trainable=False)
                                 for s in optimizer.slot_names}
                    new_p, new_slots = optimizer.apply(p, g, slots, rates[p.dtype], steps[p.dtype])
                    new_state[p] = new_p
                    for s, v in slots.items():
                        new_state[v] = new_slots[s]
                        slot_values.append(v)
                new_state[step] = step + 1.0
        # Non-optimizer state that layers declared with graphc.update_state (batch-norm averages, dropout keys).
        declared = G.state_updates(graph)
        new_state.update(declared)
        self.params = params
        self.gradients = dict(zip(params, grads, strict=True))
        self.state_values: list[Value] = [*params, *slot_values, *declared, step]
        self.new_state = new_state
        self.metrics = dict(model.metrics)
        outputs: dict[str, Value] = {v.name: new_state[v] for v in self.state_values}  # type: ignore[misc]
        outputs.update({f"metric:{k}": v for k, v in self.metrics.items()})
        self.state_names: list[str] = [v.name for v in self.state_values]  # type: ignore[misc]
        if donate is None:
            donate = executable_class(backend).donation_pays(**options)
        self.executable: Executable = compile(outputs, backend=backend,
                                              donate=tuple(self.state_names) if donate else (), **options)

    def init_state(self, seed: int = 0, params: Mapping[str, Array] | None = None) -> State:
        """Fresh state: parameters from their initializers (or ``params``), slots and counter at zero."""
        state = init_params(self.state_values, seed)
        if params is not None:
            for k, v in params.items():
                state[k] = np.array(v, dtype=state[k].dtype)
        return state

    def __call__(self, state: Mapping[str, Array], batch: Mapping[str, Array]) -> tuple[State, dict[str, float]]:
        # The executable's outputs are the new state in state_names order, then the metrics (see __init__).
        out = self.executable.run_flat({**state, **batch})
        n = len(self.state_names)
        new_state = dict(zip(self.state_names, out[:n], strict=True))
        metrics = {k: float(v) for k, v in zip(self.metrics, out[n:], strict=True)}
        return new_state, metrics

    def bind(self, state: Mapping[str, Array]) -> BoundStep:
        """This step holding ``state`` for a training loop: ``metrics = bound(batch)`` trains on one batch and
        keeps the new state, ``bound.state`` is the current state. The state is checked once, here, and each call
        checks only the batch, so a loop pays less per step than calling ``step(state, batch)``. The arrays in
        ``state`` are donated as by a call."""
        return BoundStep(self, state)


class BoundStep:
    """A :class:`TrainStep` holding its state between calls (see :meth:`TrainStep.bind`)."""

    def __init__(self, step: TrainStep, state: Mapping[str, Array]) -> None:
        check_names(step.state_names, state)
        self.step = step
        names = step.state_names
        self._carried = Carried(step.executable, {k: state[k] for k in names}, {k: i for i, k in enumerate(names)})
        self._run = self._carried.run
        self._metrics = list(step.metrics)
        self._n_state = len(names)

    @property
    def state(self) -> State:
        """The current state by name. These arrays are the bound step's own: its next call donates them (on
        NumPy it updates them in place), so copy them to keep a snapshot, and do not feed them elsewhere."""
        return self._carried.values

    def __call__(self, batch: Mapping[str, Array]) -> dict[str, float]:
        """Train on ``batch`` (the model's feeds by name); returns the metrics as Python floats."""
        return dict(zip(self._metrics, map(float, self._run(batch)[self._n_state:]), strict=True))


def _free_scope(graph: Graph, base: str) -> str:
    """``base``, or ``base_1``, ``base_2``… — the first scope no input of ``graph`` lives under yet, so a second
    optimizer on the same model gets its own state names, and names are the same on every run."""
    taken = {v.name.split("/", 1)[0] for v in graph.inputs if v.name}
    k = 0
    while (name := base if k == 0 else f"{base}_{k}") in taken:
        k += 1
    return name


def _slot_scope(param_name: str) -> str:
    """Scope names may not contain '/': a parameter ``fc1/W`` keeps its slots under ``fc1.W``."""
    return param_name.replace("/", ".")

"""graphc's implementations of the reference workloads, on each backend.

Registered names:

* ``graphc_numpy`` — the NumPy backend with the default pass pipeline (simplification, fusion) and memory
  planning;
* ``graphc_numpy_nopasses`` — the NumPy backend with no passes and no memory planning (the pipeline "off");
* ``graphc_numpy_unchecked`` (W1–W4) — ``graphc_numpy``'s compiled step called through
  :meth:`graphc.backends.executable.Executable.unchecked`: positional arrays and no per-call checks of the batch.
  The difference to ``graphc_numpy`` is the cost of the checked call path;
* ``graphc_jax`` — the JAX backend (one ``jax.jit`` of the whole step; state donated on accelerators, see
  :class:`graphc.train.TrainStep`).

Training workloads run :class:`graphc.train.TrainStep` (forward, autodiff backward and the SGD update compiled
as one executable) held by :meth:`~graphc.train.TrainStep.bind`, as :func:`graphc.train.fit` runs it, on the
same float32 parameters and batches as every other implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from benchmarks.protocol import Batch, ImplFactory, Params
from benchmarks.workloads import cnn, deep_chain, forward, lstm, mlp
from benchmarks.workloads.common import BatchCycle

BACKENDS: dict[str, dict[str, Any]] = {
    "graphc_numpy": {"backend": "numpy"},
    "graphc_numpy_nopasses": {"backend": "numpy", "passes": "none", "plan_memory": False},
    "graphc_jax": {"backend": "jax"},
}


def _import_graphc() -> Any:
    import graphc

    return graphc


def _on_device(options: dict[str, Any], arrays: Any) -> Any:
    """For the JAX backend, move data to the device once in setup (untimed), as ``jax_hand`` does."""
    if options.get("backend") != "jax":
        return arrays
    import jax

    return jax.device_put(arrays)


def _import_for(options: dict[str, Any]) -> Any:
    gc = _import_graphc()
    if options.get("backend") == "jax":
        import jax  # noqa: F401 - raises ImportError when the extra is missing, so the harness leaves it out
    return gc


class GraphcTrain:
    """A training workload as a graphc model: ``build(gc, params, batches) -> (Model, feed names)``."""

    def __init__(self, name: str, build: Callable[[Any, Params, Sequence[Batch]], tuple[Any, tuple[str, ...]]],
                 options: dict[str, Any]) -> None:
        self.name = name
        self._build = build
        self._options = options

    def setup(self, params: Params, batches: Sequence[Batch]) -> None:
        gc = _import_for(self._options)
        model, self._feeds = self._build(gc, params, batches)
        self._step = gc.train.TrainStep(model, gc.optim.SGD(mlp.LR), **self._options)
        self._run = self._step.bind(_on_device(self._options, self._step.init_state(params=params)))
        self._device_batches = [_on_device(self._options, b) for b in batches]
        # graphc takes a batch as a dict by feed name: made here, as the tuples every implementation gets are
        self._feed_dicts = BatchCycle([dict(zip(self._feeds, b, strict=True)) for b in self._device_batches])

    def step(self) -> float:
        return self._run(self._feed_dicts.next())["loss"]  # a Python float: reading it synchronises


class GraphcTrainUnchecked(GraphcTrain):
    """A training workload run through the compiled step's unchecked function: the state lives in the argument
    list, each step puts the next batch in place and the new state back (by position) from the outputs."""

    def setup(self, params: Params, batches: Sequence[Batch]) -> None:
        super().setup(params, batches)
        self._batches = BatchCycle(self._device_batches)  # positional tuples
        exe, step = self._step.executable, self._step
        names = exe.input_names
        first = dict(zip(self._feeds, batches[0], strict=True))  # any batch: they share one signature
        state = self._run.state
        self._fn = exe.unchecked({**state, **first})
        self._args = [state[n] if n in state else first[n] for n in names]
        self._batch_pos = [names.index(n) for n in self._feeds]
        self._state_pos = [names.index(n) for n in step.state_names]
        self._loss_pos = len(step.state_names) + list(step.metrics).index("loss")

    def step(self) -> float:
        args = self._args
        for i, a in zip(self._batch_pos, self._batches.next(), strict=True):
            args[i] = a
        out = self._fn(*args)
        for i, a in zip(self._state_pos, out, strict=False):  # the state comes first (TrainStep's contract)
            args[i] = a
        return float(out[self._loss_pos])


def build_mlp(spec: mlp.MLPSpec, gc: Any, params: Params, batches: Sequence[Batch]) -> tuple[Any, tuple[str, ...]]:
    """The W1/W2 MLP with parameters named as the workload names them (``W0``, ``b0``…)."""
    with gc.Graph("mlp"):
        x = gc.placeholder("x", (None, spec.sizes[0]))
        y = gc.placeholder("y", (None,), "int32")
        h = x
        for i in range(spec.n_layers):
            w = gc.parameter(f"W{i}", params[f"W{i}"].shape)
            b = gc.parameter(f"b{i}", params[f"b{i}"].shape)
            h = h @ w + b
            if i < spec.n_layers - 1:
                h = gc.relu(h)
        loss = gc.losses.softmax_cross_entropy(h, y)
    return gc.train.Model(loss, [x], [y], h, accuracy=None), ("x", "y")


def build_cnn(gc: Any, params: Params, batches: Sequence[Batch]) -> tuple[Any, tuple[str, ...]]:
    """W3's CNN: conv3x3(16, pad 1) → ReLU → maxpool 2 → conv3x3(32, pad 1) → ReLU → maxpool 2 → dense 10."""
    with gc.Graph("cnn"):
        x = gc.placeholder("x", (None, cnn.CHANNELS[0], cnn.SIDE, cnn.SIDE))
        y = gc.placeholder("y", (None,), "int32")
        h = x
        for i in (1, 2):
            w = gc.parameter(f"conv{i}_w", params[f"conv{i}_w"].shape)
            b = gc.parameter(f"conv{i}_b", params[f"conv{i}_b"].shape)
            h = gc.max_pool2d(gc.relu(gc.conv2d(h, w, b, padding=cnn.K // 2)), 2)
        h = gc.flatten(h)
        logits = h @ gc.parameter("dense_w", params["dense_w"].shape) + gc.parameter("dense_b", params["dense_b"].shape)
        loss = gc.losses.softmax_cross_entropy(logits, y)
    return gc.train.Model(loss, [x], [y], logits, accuracy=None), ("x", "y")


def build_chain(gc: Any, params: Params, batches: Sequence[Batch]) -> tuple[Any, tuple[str, ...]]:
    """C1's chain ``h = tanh(h @ W_i + b_i)``, loss ``mean(h²)``."""
    depth = deep_chain.depth_of(params)
    with gc.Graph("chain"):
        x = gc.placeholder("x", (deep_chain.BATCH, deep_chain.WIDTH))
        h = x
        for i in range(depth):
            w = gc.parameter(f"W{i}", (deep_chain.WIDTH, deep_chain.WIDTH))
            h = gc.tanh(h @ w + gc.parameter(f"b{i}", (deep_chain.WIDTH,)))
        loss = gc.mean(h * h)
    return gc.train.Model(loss, [x], [], accuracy=None), ("x",)


def build_lstm(gc: Any, params: Params, batches: Sequence[Batch]) -> tuple[Any, tuple[str, ...]]:
    """W4's LSTM (and C2's, whatever the batches' sequence length) as one ``scan``: the input projection of all
    steps hoisted out as one matmul, gates i, f, g, o from ``z_t + h @ Wh``; loss = MSE of ``h_T @ Wy + by``
    against ``y``."""
    n = lstm.HIDDEN
    seq = batches[0][0].shape[0]
    with gc.Graph("lstm"):
        x = gc.placeholder("x", (seq, None, lstm.INPUT))
        y = gc.placeholder("y", (None, 1))
        wx, wh, b = (gc.parameter(k, params[k].shape) for k in ("Wx", "Wh", "b"))
        wy, by = gc.parameter("Wy", params["Wy"].shape), gc.parameter("by", params["by"].shape)

        def step(carry: Any, z: Any, u: Any) -> Any:
            h, c = carry
            z = z + h @ u
            c = gc.sigmoid(z[:, n:2 * n]) * c + gc.sigmoid(z[:, :n]) * gc.tanh(z[:, 2 * n:3 * n])
            h = gc.sigmoid(z[:, 3 * n:]) * gc.tanh(c)
            return (h, c), None

        zeros = gc.broadcast_to(gc.constant(0.0, "float32"), (x.shape[1], n))
        (h, _), _ = gc.scan(step, (zeros, zeros), x @ wx + b, consts=[wh])
        err = h @ wy + by - y
        loss = gc.mean(err * err)
    return gc.train.Model(loss, [x], [y], accuracy=None), ("x", "y")


class GraphcForward:
    """F1/F128: the W1 MLP's forward pass compiled once; ``evaluate`` runs it."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.name = name
        self._options = options

    def setup(self, inputs: Params) -> None:
        gc = _import_for(self._options)
        with gc.Graph("forward"):
            h = gc.placeholder("x", (None, forward.SPEC.sizes[0]))
            for i in range(forward.SPEC.n_layers):
                h = h @ gc.parameter(f"W{i}", inputs[f"W{i}"].shape) + gc.parameter(f"b{i}", inputs[f"b{i}"].shape)
                if i < forward.SPEC.n_layers - 1:
                    h = gc.relu(h)
        self._run = gc.compile(h, **self._options)
        self._inputs = _on_device(self._options, inputs)

    def evaluate(self) -> Any:
        out = self._run(self._inputs)
        if hasattr(out, "block_until_ready"):
            out.block_until_ready()
        return out


class GraphcW5:
    """W5's expression, compiled once; ``evaluate`` runs it."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.name = name
        self._options = options

    def setup(self, inputs: Params) -> None:
        gc = _import_for(self._options)
        x_np = inputs["x"]
        with gc.Graph("w5"):
            x = gc.placeholder("x", x_np.shape)
            y = gc.tanh(gc.sigmoid(x * 1.5 + 0.2) * x - 0.3) * gc.relu(x) + gc.exp(-x * x)
        self._run = gc.compile(y, **self._options)
        self._x = _on_device(self._options, x_np)

    def evaluate(self) -> Any:
        out = self._run({"x": self._x})
        if hasattr(out, "block_until_ready"):
            out.block_until_ready()
        return out


def _train(build: Callable[..., Any]) -> dict[str, ImplFactory]:
    return {name: partial(GraphcTrain, name, build, opts) for name, opts in BACKENDS.items()}


def _train_unchecked(build: Callable[..., Any]) -> dict[str, ImplFactory]:
    """``_train`` plus the unchecked-call variant of the NumPy backend."""
    name = "graphc_numpy_unchecked"
    return {**_train(build), name: partial(GraphcTrainUnchecked, name, build, BACKENDS["graphc_numpy"])}


IMPLS: dict[str, dict[str, ImplFactory]] = {
    "W1": _train_unchecked(partial(build_mlp, mlp.W1_SPEC)),
    "W2": _train_unchecked(partial(build_mlp, mlp.W2_SPEC)),
    "W5": {name: partial(GraphcW5, name, opts) for name, opts in BACKENDS.items()},
    "W3": _train_unchecked(build_cnn),
    "W4": _train_unchecked(build_lstm),
    "C1": _train(build_chain),
    "C2": _train(build_lstm),
    "F1": {name: partial(GraphcForward, name, opts) for name, opts in BACKENDS.items()},
    "F128": {name: partial(GraphcForward, name, opts) for name, opts in BACKENDS.items()},
}

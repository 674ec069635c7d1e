"""W5: one evaluation of y = tanh(sigmoid(x*1.5+0.2)*x - 0.3) * relu(x) + exp(-x*x) on 4,000,000 float32.

Inputs: ``{"x": float32 (4_000_000,)}``, standard normal times 2 so every branch of the expression matters.
Checked against the float64 evaluation of the same expression (see `harness` for the norm used).

NumPy appears three times: `numpy_hand` is the plain expression (the baseline: every op allocates a 16 MB
temporary); `numpy_out` reuses preallocated full-size buffers via ``out=``; `numpy_blocked` runs the same
``out=`` sequence over 64k-element blocks whose scratch buffers stay in cache. The last two are reference
points for what fusion buys, not baselines.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.protocol import EvalWorkload, ImplFactory, Params
from benchmarks.workloads.common import rng_for
from benchmarks.workloads.frameworks import PYTENSOR_MODE, import_jax, import_pytensor, import_torch

SIZE = 4_000_000
BLOCK = 65_536  # 256 KiB of float32 per scratch buffer: two of them fit in L2
SEED = 5


def make_inputs() -> Params:
    """x ~ 2 * N(0, 1), float32."""
    return {"x": (2.0 * rng_for(SEED).standard_normal(SIZE)).astype(np.float32)}


def expression(x: np.ndarray) -> np.ndarray:
    """The W5 expression in plain NumPy, in the dtype of `x` (float32 for `numpy_hand`, float64 for the
    reference)."""
    return np.tanh((1.0 / (1.0 + np.exp(-(x * 1.5 + 0.2)))) * x - 0.3) * np.maximum(x, 0.0) + np.exp(-x * x)


def reference(inputs: Params) -> np.ndarray:
    """The float64 result every implementation is checked against."""
    return expression(inputs["x"].astype(np.float64))


def _expression_into(x: np.ndarray, out: np.ndarray, t: np.ndarray, u: np.ndarray) -> None:
    """The expression with every op writing into `out`, `t` or `u` (all shaped like `x`): no allocation."""
    np.multiply(x, 1.5, out=t)
    t += 0.2
    np.negative(t, out=t)
    np.exp(t, out=t)
    t += 1.0
    np.reciprocal(t, out=t)  # sigmoid(x * 1.5 + 0.2)
    t *= x
    t -= 0.3
    np.tanh(t, out=t)
    np.maximum(x, 0.0, out=u)
    t *= u
    np.multiply(x, x, out=u)
    np.negative(u, out=u)
    np.exp(u, out=u)
    np.add(t, u, out=out)


class NumpyPlain:
    """``numpy_hand``: the expression as written; the baseline."""

    name = "numpy_hand"

    def setup(self, inputs: Params) -> None:
        self._x = inputs["x"]

    def evaluate(self) -> np.ndarray:
        return expression(self._x)


class NumpyOut:
    """``numpy_out``: the same ops into three preallocated full-size buffers."""

    name = "numpy_out"

    def setup(self, inputs: Params) -> None:
        self._x = inputs["x"]
        self._out, self._t, self._u = (np.empty_like(self._x) for _ in range(3))

    def evaluate(self) -> np.ndarray:
        _expression_into(self._x, self._out, self._t, self._u)
        return self._out


class NumpyBlocked:
    """``numpy_blocked``: the ``out=`` sequence per 64k-element block, with two cache-sized scratch
    buffers."""

    name = "numpy_blocked"

    def setup(self, inputs: Params) -> None:
        self._x = inputs["x"]
        self._out = np.empty_like(self._x)
        self._t = np.empty(BLOCK, dtype=self._x.dtype)
        self._u = np.empty(BLOCK, dtype=self._x.dtype)

    def evaluate(self) -> np.ndarray:
        x, out = self._x, self._out
        for start in range(0, x.size, BLOCK):
            stop = min(start + BLOCK, x.size)
            n = stop - start
            _expression_into(x[start:stop], out[start:stop], self._t[:n], self._u[:n])
        return out


class JaxElementwise:
    """``jax_hand``: the expression under ``jax.jit`` (XLA fuses it into one loop)."""

    name = "jax_hand"

    def __init__(self) -> None:
        self._jax = import_jax()

    def setup(self, inputs: Params) -> None:
        jax = self._jax
        jnp = jax.numpy

        def f(x: Any) -> Any:
            return jnp.tanh(jax.nn.sigmoid(x * 1.5 + 0.2) * x - 0.3) * jax.nn.relu(x) + jnp.exp(-x * x)

        self._f = jax.jit(f)
        self._x = jax.device_put(inputs["x"])

    def evaluate(self) -> Any:
        return self._f(self._x).block_until_ready()


class TorchElementwise:
    """``torch_eager``: the expression as torch ops (one kernel and one temporary per op)."""

    name = "torch_eager"

    def __init__(self) -> None:
        self._torch = import_torch()

    def setup(self, inputs: Params) -> None:
        self._x = self._torch.from_numpy(inputs["x"])

    def evaluate(self) -> Any:
        torch, x = self._torch, self._x
        with torch.no_grad():
            return torch.tanh(torch.sigmoid(x * 1.5 + 0.2) * x - 0.3) * torch.relu(x) + torch.exp(-x * x)


class PyTensorElementwise:
    """``pytensor``: the expression compiled by ``pytensor.function`` in `PYTENSOR_MODE` (elemwise fusion)."""

    name = "pytensor"

    def __init__(self) -> None:
        self._pytensor = import_pytensor()

    def setup(self, inputs: Params) -> None:
        pytensor = self._pytensor
        pt = pytensor.tensor
        x = pt.vector("x", dtype="float32")
        y = pt.tanh(pt.sigmoid(x * 1.5 + 0.2) * x - 0.3) * pt.maximum(x, 0.0) + pt.exp(-x * x)
        self._f = pytensor.function([x], y, mode=PYTENSOR_MODE)
        self._x = inputs["x"]

    def evaluate(self) -> Any:
        return self._f(self._x)


W5 = EvalWorkload(
    id="W5",
    title="elementwise tanh/sigmoid/relu/exp expression on 4M float32",
    make_inputs=make_inputs,
    reference=reference,
)
IMPLS: dict[str, ImplFactory] = {
    "numpy_hand": NumpyPlain,
    "numpy_out": NumpyOut,
    "numpy_blocked": NumpyBlocked,
    "jax_hand": JaxElementwise,
    "torch_eager": TorchElementwise,
    "pytensor": PyTensorElementwise,
}

"""W4: a single-layer LSTM trained by backpropagation through time, plain SGD with lr 0.1.

Sequence 32, batch 64, input 16, hidden 128, zero initial state. The loss is the mean squared error of a
1-unit linear projection of the last hidden state against a target per sequence.

Gates are ordered i, f, g, o (PyTorch's order) and come from one matmul per step: the input projection of the
whole sequence is hoisted out of the recurrence as one GEMM (as cuDNN and torch do), so each step does h @ Wh
only.

Parameters: ``Wx`` (16, 512), ``Wh`` (128, 512), ``b`` (512,), ``Wy`` (128, 1), ``by`` (1,).
Batches: ``(x float32 (32, 64, 16) sequence-major, y float32 (64, 1))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from benchmarks.protocol import Batch, CompileWorkload, ImplFactory, Params, TrainingWorkload
from benchmarks.workloads.common import BatchCycle, NumpyHandStep, rng_for, sgd_update, sigmoid
from benchmarks.workloads.frameworks import JaxTrainStep, PyTensorTrainStep, import_torch

LR = 0.1
SEQ, BATCH, INPUT, HIDDEN = 32, 64, 16, 128
SEED = 4
N_BATCHES = 8


def make_params() -> Params:
    """Uniform(-1/sqrt(H), 1/sqrt(H)) weights (PyTorch's LSTM default), zero biases, float32."""
    rng = rng_for(SEED)
    bound = 1.0 / np.sqrt(HIDDEN)

    def uniform(*shape: int) -> np.ndarray:
        return rng.uniform(-bound, bound, size=shape).astype(np.float32)

    return {
        "Wx": uniform(INPUT, 4 * HIDDEN),
        "Wh": uniform(HIDDEN, 4 * HIDDEN),
        "b": np.zeros(4 * HIDDEN, dtype=np.float32),
        "Wy": uniform(HIDDEN, 1),
        "by": np.zeros(1, dtype=np.float32),
    }


def make_batches(seq: int = SEQ, n_batches: int = N_BATCHES) -> list[Batch]:
    """Standard-normal sequences; the target is a fixed nonlinear summary of each sequence, so it is
    learnable. Seeded by the length: every length (W4's, C2's) has its own data, the same on every run."""
    rng = rng_for(SEED + 1000 + seq)
    mix = rng.standard_normal(INPUT) / np.sqrt(INPUT)
    batches: list[Batch] = []
    for _ in range(n_batches):
        x = rng.standard_normal((seq, BATCH, INPUT)).astype(np.float32)
        y = np.tanh((x[-8:] @ mix).mean(axis=0))[:, None].astype(np.float32)
        batches.append((x, y))
    return batches


class NumpyLSTM(NumpyHandStep):
    """``numpy_hand``: the recurrence as a Python loop over time steps, each step whole-batch NumPy calls."""

    def step(self) -> float:
        p = self._params
        x, y = self._batches.next()
        hd = HIDDEN
        seq, batch, n_in = x.shape
        x2d = x.reshape(seq * batch, n_in)
        xw = (x2d @ p["Wx"] + p["b"]).reshape(seq, batch, 4 * hd)

        h = np.zeros((batch, hd), dtype=np.float32)
        c = np.zeros((batch, hd), dtype=np.float32)
        tape: list[tuple[np.ndarray, ...]] = []  # per step: (h_prev, c_prev, i, f, g, o, tanh(c))
        for t in range(seq):
            a = xw[t] + h @ p["Wh"]
            i = sigmoid(a[:, :hd])
            f = sigmoid(a[:, hd : 2 * hd])
            g = np.tanh(a[:, 2 * hd : 3 * hd])
            o = sigmoid(a[:, 3 * hd :])
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            tape.append((h, c, i, f, g, o, tc))
            h, c = o * tc, c_new

        diff = h @ p["Wy"] + p["by"] - y
        loss = float(np.mean(diff * diff))
        d_pred = (2.0 / diff.size) * diff
        grads: Params = {"Wy": h.T @ d_pred, "by": d_pred.sum(axis=0)}
        dh = d_pred @ p["Wy"].T
        dc = np.zeros_like(h)
        d_wh = np.zeros_like(p["Wh"])
        da_all = np.empty_like(xw)
        for t in reversed(range(seq)):
            h_prev, c_prev, i, f, g, o, tc = tape[t]
            dc = dc + dh * o * (1.0 - tc * tc)
            da = da_all[t]  # write the four gate gradients straight into the (T, B, 4H) buffer
            da[:, :hd] = dc * g * i * (1.0 - i)
            da[:, hd : 2 * hd] = dc * c_prev * f * (1.0 - f)
            da[:, 2 * hd : 3 * hd] = dc * i * (1.0 - g * g)
            da[:, 3 * hd :] = dh * tc * o * (1.0 - o)
            dc = dc * f
            d_wh += h_prev.T @ da
            dh = da @ p["Wh"].T
        da2d = da_all.reshape(seq * batch, 4 * hd)
        grads["Wx"] = x2d.T @ da2d
        grads["Wh"] = d_wh
        grads["b"] = da2d.sum(axis=0)
        sgd_update(p, grads, LR)
        return loss


def _jax_loss() -> Any:
    import jax
    import jax.numpy as jnp
    from jax import lax

    def loss(params: Any, batch: Any) -> Any:
        x, y = batch
        wh = params["Wh"]
        xw = x @ params["Wx"] + params["b"]  # (T, B, 4H): the hoisted input projection

        def cell(carry: Any, xw_t: Any) -> tuple[Any, None]:
            h, c = carry
            i, f, g, o = jnp.split(xw_t + h @ wh, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            return (jax.nn.sigmoid(o) * jnp.tanh(c), c), None

        zeros = jnp.zeros((x.shape[1], wh.shape[0]), x.dtype)
        (h, _), _ = lax.scan(cell, (zeros, zeros), xw)
        diff = h @ params["Wy"] + params["by"] - y
        return jnp.mean(diff * diff)

    return loss


def _pytensor_loss(params: dict[str, Any], batch: tuple[Any, ...]) -> Any:
    import pytensor
    import pytensor.tensor as pt

    x, y = batch
    hd = HIDDEN
    xw = pt.dot(x, params["Wx"]) + params["b"]

    def cell(xw_t: Any, h: Any, c: Any, wh: Any) -> tuple[Any, Any]:
        a = xw_t + pt.dot(h, wh)
        i, f, o = pt.sigmoid(a[:, :hd]), pt.sigmoid(a[:, hd : 2 * hd]), pt.sigmoid(a[:, 3 * hd :])
        c_new = f * c + i * pt.tanh(a[:, 2 * hd : 3 * hd])
        return o * pt.tanh(c_new), c_new

    zeros = pt.zeros((x.shape[1], hd), dtype="float32")
    (hs, _), _ = pytensor.scan(cell, sequences=[xw], outputs_info=[zeros, zeros], non_sequences=[params["Wh"]])
    diff = pt.dot(hs[-1], params["Wy"]) + params["by"] - y
    return pt.mean(diff * diff)


class TorchLSTM:
    """``torch_eager``: ``nn.LSTM`` + ``nn.Linear`` + ``F.mse_loss``, trained with ``torch.optim.SGD``.

    nn.LSTM has two bias vectors (input and hidden) that add up; our single ``b`` goes into the input bias and
    the hidden bias is zero and frozen, so the model and every SGD update are identical to the other
    implementations.
    """

    name = "torch_eager"

    def __init__(self) -> None:
        self._torch = import_torch()

    def setup(self, params: Params, batches: Sequence[Batch]) -> None:
        torch = self._torch
        self._lstm = torch.nn.LSTM(INPUT, HIDDEN)
        self._head = torch.nn.Linear(HIDDEN, 1)
        with torch.no_grad():
            self._lstm.weight_ih_l0.copy_(torch.from_numpy(params["Wx"].T))
            self._lstm.weight_hh_l0.copy_(torch.from_numpy(params["Wh"].T))
            self._lstm.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
            self._lstm.bias_hh_l0.zero_()
            self._head.weight.copy_(torch.from_numpy(params["Wy"].T))
            self._head.bias.copy_(torch.from_numpy(params["by"]))
        self._lstm.bias_hh_l0.requires_grad_(False)
        trained = [p for p in self._lstm.parameters() if p.requires_grad] + list(self._head.parameters())
        self._opt = torch.optim.SGD(trained, lr=LR)
        self._batches = BatchCycle([tuple(torch.from_numpy(a) for a in b) for b in batches])
        self._mse = torch.nn.functional.mse_loss

    def step(self) -> float:
        x, y = self._batches.next()
        self._opt.zero_grad(set_to_none=True)
        _, (h_last, _) = self._lstm(x)
        loss = self._mse(self._head(h_last[0]), y)
        loss.backward()
        self._opt.step()
        return loss.item()


W4 = TrainingWorkload(
    id="W4",
    title="LSTM seq 32, batch 64, in 16, hidden 128, MSE head, BPTT, SGD",
    make_params=make_params,
    make_batches=make_batches,
)
# C2: what a loop primitive buys — build + compile + first step of W4's LSTM at growing sequence lengths. With
# a scan (graphc, lax.scan, pytensor.scan) the graph and its compile time do not grow with the length; only
# running the steps does (numpy_hand and torch have nothing to compile: their figure is one step's run time).
C2_LENGTHS = (10, 100, 1000)
C2 = CompileWorkload(
    id="C2",
    title="compile cost: W4's LSTM at sequence lengths 10, 100, 1000 (the 'depth' is the length)",
    depths=C2_LENGTHS,
    make_params=lambda seq: make_params(),
    make_batches=lambda seq: make_batches(seq, n_batches=1),
)
IMPLS: dict[str, ImplFactory] = {
    "numpy_hand": NumpyLSTM,
    "jax_hand": partial(JaxTrainStep, _jax_loss, LR),
    "torch_eager": TorchLSTM,
    "pytensor": partial(PyTensorTrainStep, _pytensor_loss, LR),
}

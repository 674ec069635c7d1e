"""W3: a small CNN on 1x8x8 digits-shaped images, NCHW, softmax cross-entropy, plain SGD (lr 0.1), batch 128.

conv 3x3 16ch pad 1 -> ReLU -> maxpool 2 -> conv 3x3 32ch pad 1 -> ReLU -> maxpool 2 -> flatten (NCHW order,
32*2*2 = 128) -> dense 10.

Parameters: ``conv1_w`` (16, 1, 3, 3) and ``conv2_w`` (32, 16, 3, 3) in OIHW layout, ``conv1_b`` (16,),
``conv2_b`` (32,), ``dense_w`` (128, 10), ``dense_b`` (10,). Batches: ``(x float32 (128, 1, 8, 8), labels
int32)``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from benchmarks.protocol import Batch, ImplFactory, Params, TrainingWorkload
from benchmarks.workloads.common import (
    NumpyHandStep,
    col2im,
    he_normal,
    im2col,
    pixel_batches,
    rng_for,
    sgd_update,
    softmax_cross_entropy,
)
from benchmarks.workloads.frameworks import JaxTrainStep, PyTensorTrainStep, TorchTrainStep

LR = 0.1
BATCH = 128
SIDE = 8
CLASSES = 10
CHANNELS = (1, 16, 32)
K = 3  # kernel size; padding K // 2 keeps the spatial size
SEED = 3
N_BATCHES = 8


def make_params() -> Params:
    """He-normal conv and dense weights, zero biases, float32."""
    rng = rng_for(SEED)
    c0, c1, c2 = CHANNELS
    flat = c2 * (SIDE // 4) ** 2
    return {
        "conv1_w": he_normal(rng, (c1, c0, K, K), fan_in=c0 * K * K),
        "conv1_b": np.zeros(c1, dtype=np.float32),
        "conv2_w": he_normal(rng, (c2, c1, K, K), fan_in=c1 * K * K),
        "conv2_b": np.zeros(c2, dtype=np.float32),
        "dense_w": he_normal(rng, (flat, CLASSES), fan_in=flat),
        "dense_b": np.zeros(CLASSES, dtype=np.float32),
    }


def make_batches() -> list[Batch]:
    """Digits-shaped batches reshaped to NCHW images."""
    flat = pixel_batches(rng_for(SEED + 1000), N_BATCHES, BATCH, SIDE * SIDE, CLASSES, levels=17)
    return [(x.reshape(BATCH, 1, SIDE, SIDE), labels) for x, labels in flat]


# ----------------------------------------------------------------------------------------------------
# numpy_hand


def _conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Same-padded stride-1 convolution as im2col + one GEMM; returns (output NCHW, the patches for
    backward)."""
    n, _, h, wd = x.shape
    f = w.shape[0]
    cols = im2col(x, K, K // 2)
    out = cols @ w.reshape(f, -1).T + b  # (N*H*W, F)
    return out.reshape(n, h, wd, f).transpose(0, 3, 1, 2), cols


def _conv_backward(
    dout: np.ndarray, cols: np.ndarray, x_shape: tuple[int, ...], w: np.ndarray, need_dx: bool
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients (dx or None, dw, db) of `_conv_forward`; each is a GEMM, dx is then scattered back by
    col2im."""
    f = w.shape[0]
    d = dout.transpose(0, 2, 3, 1).reshape(-1, f)  # (N*H*W, F), rows in the same order as `cols`
    dw = (d.T @ cols).reshape(w.shape)
    db = d.sum(axis=0)
    dx = col2im(d @ w.reshape(f, -1), x_shape, K, K // 2) if need_dx else None
    return dx, dw, db


def _maxpool2_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2x2 max pooling, stride 2; returns (pooled, the windows view needed by backward)."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2)
    return windows.max(axis=(3, 5)), windows


def _maxpool2_backward(dout: np.ndarray, windows: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Route each gradient to the window position(s) equal to the max.

    A window with tied maxima would get the gradient more than once, but here the pool follows a ReLU: ties
    are (with probability 1) only all-zero windows, whose gradient the ReLU mask then removes anyway.
    """
    mask = windows == pooled[:, :, :, None, :, None]
    grad = mask * dout[:, :, :, None, :, None]
    n, c, hh, _, wh, _ = windows.shape
    return grad.reshape(n, c, hh * 2, wh * 2)


class NumpyCNN(NumpyHandStep):
    """``numpy_hand``: im2col convolutions, reshape-max pooling, all gradients written out."""

    def step(self) -> float:
        p = self._params
        x, labels = self._batches.next()
        z1, cols1 = _conv_forward(x, p["conv1_w"], p["conv1_b"])
        a1 = np.maximum(z1, 0.0)
        p1, win1 = _maxpool2_forward(a1)
        z2, cols2 = _conv_forward(p1, p["conv2_w"], p["conv2_b"])
        a2 = np.maximum(z2, 0.0)
        p2, win2 = _maxpool2_forward(a2)
        flat = p2.reshape(p2.shape[0], -1)
        logits = flat @ p["dense_w"] + p["dense_b"]
        loss, d = softmax_cross_entropy(logits, labels)

        grads: Params = {"dense_w": flat.T @ d, "dense_b": d.sum(axis=0)}
        d_p2 = (d @ p["dense_w"].T).reshape(p2.shape)
        d_z2 = _maxpool2_backward(d_p2, win2, p2) * (a2 > 0)
        d_p1, grads["conv2_w"], grads["conv2_b"] = _conv_backward(d_z2, cols2, p1.shape, p["conv2_w"], True)
        assert d_p1 is not None
        d_z1 = _maxpool2_backward(d_p1, win1, p1) * (a1 > 0)
        _, grads["conv1_w"], grads["conv1_b"] = _conv_backward(d_z1, cols1, x.shape, p["conv1_w"], False)
        sgd_update(p, grads, LR)
        return loss


# ----------------------------------------------------------------------------------------------------
# Library implementations: loss functions only, the SGD step comes from `frameworks`


def _jax_loss() -> Any:
    import jax
    import jax.numpy as jnp
    from jax import lax

    def conv_relu_pool(x: Any, w: Any, b: Any) -> Any:
        y = lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
        y = jax.nn.relu(y + b[None, :, None, None])
        return lax.reduce_window(y, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss(params: Any, batch: Any) -> Any:
        x, labels = batch
        h = conv_relu_pool(x, params["conv1_w"], params["conv1_b"])
        h = conv_relu_pool(h, params["conv2_w"], params["conv2_b"])
        logits = h.reshape(h.shape[0], -1) @ params["dense_w"] + params["dense_b"]
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

    return loss


def _torch_loss() -> Any:
    import torch
    import torch.nn.functional as F

    def loss(params: Any, batch: Any) -> Any:
        x, labels = batch
        h = F.max_pool2d(F.relu(F.conv2d(x, params["conv1_w"], params["conv1_b"], padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, params["conv2_w"], params["conv2_b"], padding=1)), 2)
        logits = torch.addmm(params["dense_b"], h.flatten(1), params["dense_w"])
        return F.cross_entropy(logits, labels)

    return loss


def _pytensor_loss(params: dict[str, Any], batch: tuple[Any, ...]) -> Any:
    """PyTensor 3 has no neural-network conv2d op, so the convolution is im2col as a PyTensor graph.

    The k*k shifted slices of the padded input are stacked, ordered (c, ki, kj) like the OIHW weight, and
    contracted with one dot; pooling is reshape + max, as in NumPy.
    """
    import pytensor.tensor as pt

    def conv_relu_pool(x: Any, w: Any, b: Any, side: int) -> Any:
        n = x.shape[0]
        c_in = w.shape[1]
        xp = pt.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        shifts = [xp[:, :, i : i + side, j : j + side] for i in range(K) for j in range(K)]
        patches = pt.stack(shifts, axis=2)  # (N, C, k*k, H, W)
        cols = patches.transpose(0, 3, 4, 1, 2).reshape((n * side * side, c_in * K * K))
        y = pt.dot(cols, w.reshape((w.shape[0], -1)).T) + b
        y = pt.maximum(y, 0.0).reshape((n, side // 2, 2, side // 2, 2, w.shape[0]))
        return y.max(axis=(2, 4)).transpose(0, 3, 1, 2)  # back to NCHW

    x, labels = batch
    h = conv_relu_pool(x, params["conv1_w"], params["conv1_b"], SIDE)
    h = conv_relu_pool(h, params["conv2_w"], params["conv2_b"], SIDE // 2)
    logits = pt.dot(h.reshape((h.shape[0], -1)), params["dense_w"]) + params["dense_b"]
    logp = pt.special.log_softmax(logits, axis=1)
    return -logp[pt.arange(labels.shape[0]), labels].mean()


W3 = TrainingWorkload(
    id="W3",
    title="CNN 1x8x8: conv16-pool-conv32-pool-dense10, batch 128, SGD",
    make_params=make_params,
    make_batches=make_batches,
)
IMPLS: dict[str, ImplFactory] = {
    "numpy_hand": NumpyCNN,
    "jax_hand": partial(JaxTrainStep, _jax_loss, LR),
    "torch_eager": partial(TorchTrainStep, _torch_loss, LR),
    "pytensor": partial(PyTensorTrainStep, _pytensor_loss, LR),
}

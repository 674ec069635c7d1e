"""Data-parallel execution over 4 devices (XLA SPMD) gives the same training step as one device.

JAX fixes its device count when it starts, so the 4-device run happens in a subprocess with
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` on the CPU platform.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("jax")

pytestmark = pytest.mark.jax

SCRIPT = textwrap.dedent(
    """
    import jax
    import numpy as np
    from jax.sharding import PartitionSpec

    import graphc as gc
    from graphc.autodiff import grad

    assert len(jax.devices()) == 4, jax.devices()

    with gc.Graph("mlp") as g:
        x = gc.placeholder("x", (None, 8))
        labels = gc.placeholder("labels", (None,), "int32")
        w1 = gc.parameter("w1", (8, 32), init="he_normal")
        b1 = gc.parameter("b1", (32,), init="normal")
        w2 = gc.parameter("w2", (32, 4), init="xavier_uniform")
        b2 = gc.parameter("b2", (4,), init="normal")
        logits = gc.relu(x @ w1 + b1) @ w2 + b2
        per_example = -gc.sum(gc.one_hot(labels, 4) * gc.log_softmax(logits, 1), 1)
        loss = gc.mean(per_example)
        params = [w1, b1, w2, b2]
        grads = grad(loss, params)
        step = {"loss": loss, "per_example": per_example,
                **{p.name: p - gr * 0.1 for p, gr in zip(params, grads, strict=True)}}
    names = [p.name for p in params]

    rng = np.random.default_rng(0)
    batches = [{"x": rng.standard_normal((16, 8)).astype(np.float32),
                "labels": rng.integers(0, 4, 16).astype(np.int32)} for _ in range(3)]
    start = gc.init_params(g, seed=3)

    one = gc.compile(step, backend="jax", device="cpu:0")
    dp = gc.compile(step, backend="jax", data_parallel=True, donate=names)
    ref = gc.compile(step)
    assert dp.data_parallel.size == 4

    def train(exe, to_state):
        state = {k: to_state(v) for k, v in start.items()}
        history = []
        for b in batches:
            out = exe({**state, **b})
            state = {k: out[k] for k in names}
            history.append(out)
        return state, history

    s1, h1 = train(one, jax.device_put)
    s4, h4 = train(dp, lambda v: v)
    sn, hn = train(ref, lambda v: v)
    for k in names:
        np.testing.assert_allclose(np.asarray(s4[k]), np.asarray(s1[k]), rtol=1e-5, atol=1e-6, err_msg=k)
        np.testing.assert_allclose(np.asarray(s4[k]), sn[k], rtol=1e-5, atol=1e-6, err_msg=k)
    for a, b in zip(h1, h4):
        np.testing.assert_allclose(float(np.asarray(b["loss"])), float(np.asarray(a["loss"])), rtol=1e-5)
        np.testing.assert_allclose(np.asarray(b["per_example"]), np.asarray(a["per_example"]), rtol=1e-5)

    # the batch really is split and the parameters replicated, and XLA reduces the gradients across devices
    last = h4[-1]
    assert len(last["per_example"].sharding.device_set) == 4
    assert last["per_example"].sharding.spec == PartitionSpec(("batch",)), last["per_example"].sharding
    assert all(last[k].sharding.is_fully_replicated for k in names)
    assert h1[-1]["loss"].devices() == {jax.devices()[0]}
    hlo = dp.lower({**start, **batches[0]}).compile().as_text()
    assert "all-reduce" in hlo

    # a batch of 10 does not split over 4 devices: it runs replicated, with the same results
    short = {"x": batches[0]["x"][:10], "labels": batches[0]["labels"][:10]}
    got = dp({**{k: jax.device_put(v) for k, v in start.items()}, **short})
    want = ref({**start, **short})
    assert got["per_example"].sharding.is_fully_replicated
    for k in want:
        np.testing.assert_allclose(np.asarray(got[k]), want[k], rtol=1e-5, atol=1e-6, err_msg=k)

    # fit, data-parallel, gives the same history as on one device; the 26 validation rows do not split over
    # 4 devices and are evaluated replicated
    def fit(**options):
        with gc.Graph("fit") as fg:
            fx = gc.placeholder("x", (None, 8))
            fy = gc.placeholder("y", (None,), "int32")
            logits = gc.nn.Dense(4, name="out")(gc.nn.Dense(16, "relu", name="fc")(fx))
            model = gc.train.Model(gc.losses.softmax_cross_entropy(logits, fy), inputs=[fx], targets=[fy],
                                   predictions=logits)
        data_rng = np.random.default_rng(1)
        xs = data_rng.standard_normal((130, 8)).astype(np.float32)
        ys = (xs[:, :4].argmax(1)).astype(np.int32)
        result = gc.train.fit(model, (xs, ys), optimizer=gc.optim.SGD(0.2), epochs=3, batch_size=16,
                              validation_split=0.2, progress=False, backend="jax", **options)
        return result.history

    h_one, h_dp = fit(device="cpu:0"), fit(data_parallel=True)
    assert set(h_one) == set(h_dp) and "val_accuracy" in h_dp, h_dp
    for k in h_one:
        np.testing.assert_allclose(h_dp[k], h_one[k], rtol=1e-5, atol=1e-6, err_msg=k)
    print("DATA-PARALLEL OK")
    """
)


def test_four_device_data_parallel_step_matches_one_device() -> None:
    env = {
        **os.environ,
        "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=4".strip(),
        "JAX_PLATFORMS": "cpu",  # the forced host devices are CPU devices, even on a machine with a GPU
    }
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DATA-PARALLEL OK" in proc.stdout

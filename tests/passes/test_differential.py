"""Differential testing: every pass sequence preserves results on random graphs (forward and gradient)."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc.passes import PASS_NAMES
from graphc.testing.random_graphs import random_graph

SEQUENCES = [["constant_folding"], ["algebraic"], ["cse"], ["dce"], ["fusion"], list(PASS_NAMES),
             ["fusion", "cse", "algebraic"], ["cse", "fusion", "dce", "constant_folding"]]
CI_SEEDS = range(300)


def _check(seed: int) -> None:
    rg = random_graph(seed)
    ref_exe = gc.compile(rg.outputs, passes="none")
    feeds = {k: rg.feeds[k] for k in ref_exe.input_names}  # inputs the graph does not use are not fed
    reference = ref_exe(feeds)
    for seq in SEQUENCES:
        got = gc.compile(rg.outputs, passes=seq, verify=True)(feeds)
        for k, (a, b) in enumerate(zip(got, reference, strict=True)):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12,
                                       err_msg=f"seed {seed}, passes {seq}, output {k}")


@pytest.mark.parametrize("chunk", range(10))
def test_pass_sequences_preserve_results(chunk: int) -> None:
    for seed in CI_SEEDS[chunk::10]:
        _check(seed)


def test_soak(request: pytest.FixtureRequest) -> None:
    n = request.config.getoption("--soak")
    if not n:
        pytest.skip("run with --soak N for more random graphs")
    for seed in range(1000, 1000 + n):
        _check(seed)


def test_jax_backend_agrees_on_random_graphs() -> None:
    """The same random graphs on the JAX backend, unoptimised and after the full pipeline (fused nodes)."""
    pytest.importorskip("jax")
    for seed in range(20):
        rg = random_graph(seed)
        ref_exe = gc.compile(rg.outputs, passes="none")
        feeds = {k: rg.feeds[k] for k in ref_exe.input_names}
        reference = ref_exe(feeds)
        for passes in ("none", "default"):
            got = gc.compile(rg.outputs, backend="jax", passes=passes)(feeds)
            for k, (a, b) in enumerate(zip(got, reference, strict=True)):
                np.testing.assert_allclose(np.asarray(a), b, rtol=1e-9, atol=1e-12,
                                           err_msg=f"seed {seed}, jax passes={passes}, output {k}")

"""Every op's VJP rule against central finite differences, in float64, generated from the registry."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc.ir import all_ops
from graphc.testing import build_case, feeds_for, finite_difference_vjp, sample_inputs

OPS = all_ops()
CASES = [(name, i) for name, op in sorted(OPS.items()) for i, c in enumerate(op.cases) if c.fd]


@pytest.mark.parametrize(("name", "idx"), CASES)
def test_vjp_matches_finite_differences(name: str, idx: int) -> None:
    op = OPS[name]
    case = op.cases[idx]
    cg = build_case(op, case, "float64")
    rng = np.random.default_rng(100 + idx)
    arrays = sample_inputs(case, rng, "float64")
    diff = [i for i, v in enumerate(cg.inputs) if v.dtype.is_float]
    outs = [o for o in cg.outputs if o.dtype.is_float]
    if not diff or not outs:
        pytest.skip("no float inputs/outputs")
    forward = gc.compile(outs)
    cts = [rng.standard_normal([int(d) for d in o.shape]) for o in outs]
    g = cg.graph
    with g:
        ct_in = [gc.placeholder(f"ct{k}", o.shape, "float64") for k, o in enumerate(outs)]
        objective = gc.sum(gc.concat([gc.reshape(o * c, (-1,)) for o, c in zip(outs, ct_in, strict=True)]))
        grads = gc.grad(objective, [cg.inputs[i] for i in diff], unused="zero")
    gc.verify(g)
    run = gc.compile(grads)
    feeds = {**feeds_for(cg.inputs, arrays), **{f"ct{k}": c for k, c in enumerate(cts)}}
    got = run({k: feeds[k] for k in run.input_names})

    def f(xs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(r) for r in forward(feeds_for(cg.inputs, xs))]

    for gi, i in enumerate(diff):
        expected = finite_difference_vjp(f, list(arrays), cts, i)
        np.testing.assert_allclose(got[gi], expected, rtol=1e-5, atol=1e-6, err_msg=f"{name} d/dx{i}")

"""Registry-driven tests: every op is complete, and its shape/dtype rules match what NumPy really computes."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc.backends.numpy import LOWERINGS
from graphc.ir import all_ops
from graphc.testing import build_case, feeds_for, sample_inputs

OPS = all_ops()
CASES = [(name, i) for name, op in sorted(OPS.items()) for i in range(len(op.cases))]
# Ops whose cases cannot be stated as placeholder inputs; each has dedicated tests elsewhere.
NO_CASES = {"constant", "dimsize"}

REQUIRED_OPS = {
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "sign", "maximum", "minimum", "where",
    "less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "matmul", "sum", "mean", "max",
    "reshape", "transpose", "broadcast_to", "concat", "slice", "cast", "sigmoid", "tanh", "relu", "leaky_relu",
    "elu", "softmax", "log_softmax", "step",
}


def test_required_op_set_is_registered() -> None:
    assert REQUIRED_OPS <= set(OPS)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_record_is_complete(name: str) -> None:
    op = OPS[name]
    assert op.shape_rule is not None and op.dtype_rule is not None
    assert op.vjp is not None, f"{name} has no VJP rule (use opdef.nondiff for non-differentiable ops)"
    assert name in LOWERINGS, f"{name} has no NumPy lowering"
    assert op.kind in gc.ir.OpKind
    if name not in NO_CASES:
        assert op.cases, f"{name} declares no test cases"


@pytest.mark.parametrize(("name", "idx"), CASES)
@pytest.mark.parametrize("float_dtype", ["float32", "float64"])
def test_shape_and_dtype_rules_match_numpy(name: str, idx: int, float_dtype: str) -> None:
    op = OPS[name]
    case = op.cases[idx]
    cg = build_case(op, case, float_dtype)
    arrays = sample_inputs(case, np.random.default_rng(idx), float_dtype)
    results = gc.compile(list(cg.outputs))(feeds_for(cg.inputs, arrays))
    for v, r in zip(cg.outputs, results, strict=True):
        r = np.asarray(r)
        assert r.shape == v.shape, f"{name}: rule says {v.type}, NumPy gave {r.shape}"
        assert r.dtype == v.dtype.numpy, f"{name}: rule says {v.dtype}, NumPy gave {r.dtype}"


@pytest.mark.parametrize(("name", "idx"), CASES)
def test_rules_with_symbolic_batch(name: str, idx: int) -> None:
    """With the leading dim of every input symbolic, the specialised result still matches the rule."""
    op = OPS[name]
    case = op.cases[idx]
    lead = {s[0] for s in case.shapes if s}
    if len(lead) != 1 or any(not s for s in case.shapes) or name in {"reshape", "broadcast_to", "unslice", "slice"}:
        pytest.skip("case has no shared leading dimension to make symbolic (or fixes shapes in attributes)")
    if name == "concat" and case.attrs.get("axis") == 0:
        pytest.skip("concatenation along the symbolic axis is rejected by design")
    try:
        cg = build_case(op, case, "float64", symbolic=True)
    except gc.ShapeError:
        assert name in {"matmul"} or "axis" in case.attrs, f"{name} rejected a symbolic batch unexpectedly"
        return
    arrays = sample_inputs(case, np.random.default_rng(idx))
    results = gc.compile(list(cg.outputs))(feeds_for(cg.inputs, arrays))
    for v, r in zip(cg.outputs, results, strict=True):
        bound = tuple(next(iter(lead)) if isinstance(d, gc.Sym) else d for d in v.shape)
        assert np.shape(r) == bound


def test_unknown_op_is_a_graphc_error() -> None:
    with gc.Graph() as g, pytest.raises(gc.UnknownOpError, match="did you mean matmul"):
        g.emit("matmull", [gc.placeholder("x", (2, 2))] * 2)


def test_bad_attribute_is_reported() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (2, 2))
        with pytest.raises(gc.AttrError, match="leaky_relu: attribute alpha"):
            g.emit("leaky_relu", [x], {"alpha": "big"})
        with pytest.raises(gc.AttrError, match="unknown attribute"):
            g.emit("relu", [x], {"alpha": 1.0})

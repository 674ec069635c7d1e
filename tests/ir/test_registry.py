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
    assert set(OPS) >= REQUIRED_OPS


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


# Ops whose attributes fix the output shape (so a symbolic batch cannot flow through a case unchanged).
SHAPE_IN_ATTRS = {"reshape", "broadcast_to", "unslice", "slice", "fused"}


def _symbolic_eligible(name: str, idx: int) -> bool:
    case = OPS[name].cases[idx]
    lead = {s[0] for s in case.shapes if s}
    return (len(lead) == 1 and all(case.shapes) and name not in SHAPE_IN_ATTRS
            and not (name == "concat" and case.attrs.get("axis") == 0)  # rejected by design: tested elsewhere
            and not ("axis" in case.attrs and 0 in np.atleast_1d(case.attrs["axis"])))  # reduces the batch


SYMBOLIC_CASES = [c for c in CASES if _symbolic_eligible(*c)]


@pytest.mark.parametrize(("name", "idx"), SYMBOLIC_CASES)
def test_rules_with_symbolic_batch(name: str, idx: int) -> None:
    """With the leading dim of every input symbolic, the specialised result still matches the rule."""
    op = OPS[name]
    case = op.cases[idx]
    n = case.shapes[0][0]
    if name == "matmul" and any(len(s) == 2 for s in case.shapes) and len(case.shapes[0]) != len(case.shapes[1]):
        with pytest.raises(gc.ShapeError):  # [B,3,4] @ [4,5]: the weight's 4 is not the batch symbol
            build_case(op, case, "float64", symbolic=True)
        return
    cg = build_case(op, case, "float64", symbolic=True)
    arrays = sample_inputs(case, np.random.default_rng(idx))
    results = gc.compile(list(cg.outputs))(feeds_for(cg.inputs, arrays))
    for v, r in zip(cg.outputs, results, strict=True):
        assert any(isinstance(d, gc.Sym) for d in v.shape) or v.shape == np.shape(r)
        assert np.shape(r) == tuple(n if isinstance(d, gc.Sym) else d for d in v.shape)


LINEAR_CASES = [(name, i) for name, i in CASES if OPS[name].linear is not None]


@pytest.mark.parametrize(("name", "idx"), LINEAR_CASES)
def test_declared_linearity_holds(name: str, idx: int) -> None:
    """What an op declares in ``OpDef.linear`` (scale folding relies on it) holds on its cases: ``joint`` — scaling
    the listed arguments together scales the result; ``each`` — scaling any one of them does."""
    op = OPS[name]
    assert op.linear is not None
    case = op.cases[idx]
    cg = build_case(op, case, "float64")
    (node,) = cg.graph.nodes
    slots = op.linear.slots(len(cg.inputs), node.attrs)
    if slots is None:
        return  # not linear with these attributes (padding with a non-zero value)
    run = gc.compile(list(cg.outputs))
    arrays = sample_inputs(case, np.random.default_rng(idx))
    base = [np.asarray(r) for r in run(feeds_for(cg.inputs, arrays))]
    groups = [slots] if op.linear.mode == "joint" else [(i,) for i in slots]
    for group in groups:
        scaled = [a * 3.0 if i in group else a for i, a in enumerate(arrays)]
        got = [np.asarray(r) for r in run(feeds_for(cg.inputs, scaled))]
        for g, b in zip(got, base, strict=True):
            np.testing.assert_allclose(g, 3.0 * b, rtol=1e-12, atol=1e-12, err_msg=f"{name} scaled in {group}")
    if op.linear.mode == "each" and len(slots) > 1:  # and not jointly: scaling all would scale the result 3^n times
        joint = [a * 3.0 if i in slots else a for i, a in enumerate(arrays)]
        got = [np.asarray(r) for r in run(feeds_for(cg.inputs, joint))]
        assert not all(np.allclose(g, 3.0 * b) for g, b in zip(got, base, strict=True))


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

"""Each simplification pass: the graph after it (golden text / node counts) and unchanged outputs."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc.ir.printer import format_graph
from graphc.passes import extract
from graphc.passes.algebraic import algebraic_simplification
from graphc.passes.constant_folding import constant_folding
from graphc.passes.cse import common_subexpression_elimination
from graphc.passes.dce import dead_code_elimination


def _same_results(before: gc.Graph, after: gc.Graph, feeds: dict[str, np.ndarray]) -> None:
    gc.verify(after)
    a = gc.compile(before.outputs, passes="none")(feeds)
    b = gc.compile(after.outputs, passes="none")({k: v for k, v in feeds.items() if k in after._input_names})
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-12)


def test_constant_folding() -> None:
    with gc.Graph("cf") as g:
        x = gc.placeholder("x", (3,), "float64")
        c = gc.exp(gc.constant(np.array([0.0, 1.0, 2.0]), "float64")) * 2.0
        g.outputs = [x + c]
    out = dead_code_elimination(constant_folding(g))
    assert [n.op.name for n in out.nodes] == ["constant", "add"]
    assert "exp" not in format_graph(out)
    _same_results(g, out, {"x": np.ones(3)})


def test_constant_folding_leaves_big_broadcasts_alone() -> None:
    with gc.Graph() as g:
        g.outputs = [gc.broadcast_to(gc.constant(1.0), (512, 512))]
    assert [n.op.name for n in constant_folding(g).nodes] == ["constant", "broadcast_to"]


def test_algebraic_identities_golden() -> None:
    with gc.Graph("alg") as g:
        x = gc.placeholder("x", (2, 3), "float64")
        y = ((x * 1.0 + 0.0) - 0.0) / 1.0
        y = gc.neg(gc.neg(y))
        y = gc.transpose(gc.transpose(y))
        y = gc.log(gc.exp(y)) ** 1.0
        y = gc.reshape(gc.reshape(y, (3, 2)), (6,))
        z = gc.exp(gc.log(x))  # not an identity for x <= 0: must stay
        g.outputs = [y, z, x ** 2.0, 0.0 - x]
    out = dead_code_elimination(algebraic_simplification(g))
    assert format_graph(out) == """\
graph alg(%x:f64[2,3]) {
  %1:f64[6] = reshape[shape=(6,)] %x
  %2:f64[2,3] = log %x
  %3:f64[2,3] = exp %2
  %4:f64[2,3] = mul %x, %x
  %5:f64[2,3] = neg %x
  return %1, %3, %4, %5
}"""
    with np.errstate(divide="ignore", invalid="ignore"):  # log of x <= 0, on purpose
        _same_results(g, out, {"x": np.arange(6.0).reshape(2, 3) - 2})


def test_broadcasting_identity_is_not_removed() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (3,), "float64")
        g.outputs = [x * gc.constant(np.ones((2, 3)), "float64")]  # x*1 broadcasts to (2, 3): must stay
    assert [n.op.name for n in algebraic_simplification(g).nodes][-1] == "mul"


def test_cse_merges_duplicates_and_commutative_pairs() -> None:
    with gc.Graph() as g:
        a = gc.placeholder("a", (4,), "float64")
        b = gc.placeholder("b", (4,), "float64")
        s1, s2 = a + b, b + a
        d1, d2 = a - b, b - a
        t1, t2 = gc.tanh(s1), gc.tanh(s2)
        g.outputs = [t1 * t2, d1 * d2, gc.constant(2.0, "float64") * gc.constant(2.0, "float64") * a]
    out = dead_code_elimination(common_subexpression_elimination(g))
    ops = [n.op.name for n in out.nodes]
    assert ops.count("add") == 1 and ops.count("tanh") == 1 and ops.count("sub") == 2
    assert ops.count("constant") == 1
    _same_results(g, out, {"a": np.arange(4.0), "b": np.ones(4)})


def test_dce_drops_what_outputs_do_not_need() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (4,), "float64")
        keep = gc.exp(x)
        gc.tanh(gc.sigmoid(x))  # dead
        g.outputs = [keep]
    assert [n.op.name for n in dead_code_elimination(g).nodes] == ["exp"]


def test_simplification_shrinks_a_backward_graph() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (None, 4))
        w = gc.parameter("w", (4, 3))
        loss = gc.mean(gc.tanh(x @ w) ** 2.0)
        g.outputs = [loss, gc.grad(loss, w)]
    res = gc.passes.optimize(g, passes=["constant_folding", "algebraic", "cse", "dce"], verify_each=True)
    assert len(res.graph.nodes) < len(extract(g, g.outputs).nodes)
    assert [r.name for r in res.records] == ["constant_folding", "algebraic", "cse", "dce"]
    feeds = {"x": np.ones((5, 4), np.float32), "w": np.full((4, 3), 0.1, np.float32)}
    for a, b in zip(gc.compile(g.outputs, passes="none")(feeds), gc.compile(g.outputs)(feeds), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_user_graph_is_never_modified_by_compile() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (3,))
        y = gc.exp(x * 1.0)
    before = format_graph(g, [y])
    gc.compile(y)
    assert format_graph(g, [y]) == before


@pytest.mark.parametrize("bad", ["nope", ["fusion", "magic"]])
def test_unknown_pass_names(bad: object) -> None:
    with gc.Graph():
        x = gc.placeholder("x", (3,))
    with pytest.raises(ValueError, match="unknown pass"):
        gc.compile(x + 1.0, passes=bad)  # type: ignore[arg-type]


def test_reshape_of_a_keepdims_reduction_becomes_one_reduction() -> None:
    with gc.Graph("sq") as g:
        x = gc.placeholder("x", (4, 3), "float64")
        s = gc.reshape(gc.sum(x, 0, keepdims=True), (3,))  # the bias-gradient pattern
        m = gc.max(x, 1, keepdims=True)
        g.outputs = [s, gc.reshape(m, (4,)), m]  # m has another reader: left alone, not duplicated
    out = dead_code_elimination(algebraic_simplification(g))
    assert format_graph(out) == """\
graph sq(%x:f64[4,3]) {
  %1:f64[3] = sum[axis=(0,) keepdims=False] %x
  %2:f64[4,1] = max[axis=(1,) keepdims=True] %x
  %3:f64[4] = reshape[shape=(4,)] %2
  return %1, %3, %2
}"""
    _same_results(g, out, {"x": np.arange(12.0).reshape(4, 3)})


def test_broadcasts_of_single_elements_sink_to_the_element() -> None:
    """The mean's gradient seed: a scalar broadcast over the batch, scaled by a symbolic size and reshaped,
    then multiplied into a (B, n) value, becomes one scalar factor; a broadcast nothing else shapes stays."""
    with gc.Graph("seed") as g:
        x = gc.placeholder("x", (None, 3), "float64")
        s = gc.placeholder("s", (1,), "float64")
        n = gc.placeholder("n", (), "float64")
        v = gc.placeholder("v", (None,), "float64")
        b = gc.broadcast_to(s, (x.shape[0],))  # (B,) from one element
        scaled = gc.reshape(b / n, (x.shape[0], 1))  # still one element, broadcast: (B, 1)
        g.outputs = [x * scaled, gc.exp(b), b + v]
    out = dead_code_elimination(algebraic_simplification(g))
    assert format_graph(out) == """\
graph seed(%x:f64[B,3], %s:f64[1], %n:f64[], %v:f64[B]) {
  %1:f64[1] = div %s, %n
  %2:f64[B,3] = mul %x, %1
  %3:f64[1] = exp %s
  %4:f64[B] = broadcast_to[shape=(B,)] %3
  %5:f64[B] = add %s, %v
  return %2, %4, %5
}"""
    rng = np.random.default_rng(0)
    _same_results(g, out, {"x": rng.standard_normal((5, 3)), "s": np.array([0.7]), "n": np.array(4.0),
                           "v": rng.standard_normal(5)})

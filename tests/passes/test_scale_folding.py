"""Scale folding: the graph after the pass (golden text / which multiplications remain) and preserved results."""

from __future__ import annotations

import numpy as np

import graphc as gc
from graphc.ir.graph import Graph
from graphc.ir.printer import format_graph
from graphc.passes import optimize
from graphc.passes.dce import dead_code_elimination
from graphc.passes.scale_folding import scale_folding

rng = np.random.default_rng(0)


def _results(graph: Graph, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    exe = gc.compile(graph.outputs, passes="none")
    return list(exe({k: v for k, v in feeds.items() if k in exe.input_names}))


def _same_results(before: Graph, after: Graph, feeds: dict[str, np.ndarray]) -> None:
    gc.verify(after)
    for a, b in zip(_results(before, feeds), _results(after, feeds), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-15)


def _updates(factors: tuple[float, float] = (0.1, 0.1), extra_outputs: bool = False) -> tuple[Graph, dict]:
    """``p - k * g`` for two "gradients" that are linear in one seed (``tanh(x) * c``, c a constant vector)."""
    with gc.Graph("upd") as g:
        x = gc.placeholder("x", (2, 3), "float64")
        w = gc.placeholder("w", (3, 4), "float64")
        p = gc.placeholder("p", (3, 4), "float64")
        q = gc.placeholder("q", (3,), "float64")
        seed = gc.tanh(x) * gc.constant(np.array([1.0, 2.0, 3.0]), "float64")
        gw = gc.matmul(gc.transpose(seed), gc.tanh(x @ w))
        gq = gc.sum(seed, axis=0)
        g.outputs = [p - factors[0] * gw, q - factors[1] * gq]
        if extra_outputs:
            g.outputs.append(gw)
    feeds = {"x": rng.normal(size=(2, 3)), "w": rng.normal(size=(3, 4)), "p": rng.normal(size=(3, 4)),
             "q": rng.normal(size=3)}
    return g, feeds


def test_the_factor_moves_into_the_constant_that_starts_the_chain() -> None:
    g, feeds = _updates()
    out = dead_code_elimination(scale_folding(g))
    assert format_graph(out) == """\
graph upd(%x:f64[2,3], %w:f64[3,4], %p:f64[3,4], %q:f64[3]) {
  %1:f64[2,3] = tanh %x
  %2:f64[3] = constant[value=[0.1,0.2,0.3] dtype=f64]
  %3:f64[2,3] = mul %1, %2
  %4:f64[3,2] = transpose[perm=(1,0)] %3
  %5:f64[2,4] = matmul %x, %w
  %6:f64[2,4] = tanh %5
  %7:f64[3,4] = matmul %4, %6
  %8:f64[3] = sum[axis=(0,) keepdims=False] %3
  %9:f64[3,4] = sub %p, %7
  %10:f64[3] = sub %q, %8
  return %9, %10
}"""
    _same_results(g, out, feeds)


def test_nothing_moves_when_a_gradient_is_an_output() -> None:
    g, _ = _updates(extra_outputs=True)  # gw itself is returned, so it must keep its value
    out = scale_folding(g)
    assert [n.op.name for n in out.nodes].count("mul") == 3  # the seed's and both terminals


def test_different_factors_each_go_where_only_they_reach() -> None:
    g, feeds = _updates(factors=(0.1, 0.2))  # the seed feeds both, so it can take neither
    out = dead_code_elimination(scale_folding(g))
    muls = {n.outputs[0].shape: n for n in out.nodes if n.op.name == "mul"}
    # 0.1 moves from the (3, 4) gradient onto the (3, 2) transpose of the seed that only it reads; 0.2 has
    # nowhere cheaper than its (3,) gradient and stays
    assert set(muls) == {(2, 3), (3, 2), (3,)}
    assert muls[(3, 2)].inputs[0].producer.op.name == "transpose"  # type: ignore[union-attr]
    _same_results(g, out, feeds)


def test_a_root_is_inserted_when_it_is_cheaper_than_the_terminals() -> None:
    with gc.Graph("root") as g:
        x = gc.placeholder("x", (5, 2), "float64")
        a = gc.placeholder("a", (5, 40), "float64")
        b = gc.placeholder("b", (5, 40), "float64")
        s = gc.tanh(x)  # no constant upstream: the factor goes onto s itself (10 elements)
        g.outputs = [0.5 * gc.matmul(gc.transpose(s), a), 0.5 * gc.matmul(gc.transpose(s), b)]  # 2 x 80 elements
    out = dead_code_elimination(scale_folding(g))
    muls = [n for n in out.nodes if n.op.name == "mul"]
    assert len(muls) == 1 and muls[0].inputs[0].producer.op.name == "tanh"  # type: ignore[union-attr]
    _same_results(g, out, {"x": rng.normal(size=(5, 2)), "a": rng.normal(size=(5, 40)),
                           "b": rng.normal(size=(5, 40))})


def test_no_root_that_costs_as_much_as_the_terminal() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (4, 4), "float64")
        g.outputs = [0.5 * gc.transpose(gc.tanh(x))]
    assert scale_folding(g) is g


def test_a_factor_that_would_reach_a_product_twice_keeps_the_graph() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (2, 3), "float64")
        w = gc.placeholder("w", (3, 3), "float64")
        seed = gc.tanh(x) * gc.constant(np.array([1.0, 2.0, 3.0]), "float64")
        g.outputs = [0.1 * ((seed @ w) * (seed @ gc.transpose(w)))]  # quadratic in the seed
    feeds = {"x": rng.normal(size=(2, 3)), "w": rng.normal(size=(3, 3))}
    out = scale_folding(g)
    assert out is g
    _same_results(g, out, feeds)


def _sgd_step(optimizer: gc.optim.Optimizer, **options: object) -> tuple[gc.train.TrainStep, dict]:
    with gc.Graph("mlp"):
        x = gc.placeholder("x", (None, 4), "float64")
        y = gc.placeholder("y", (None,), "int32")
        h = gc.nn.Dense(8, activation="relu", name="fc1")(x)
        logits = gc.nn.Dense(3, name="fc2")(h)
        model = gc.train.Model(loss=gc.losses.softmax_cross_entropy(logits, y), inputs=[x], targets=[y])
    step = gc.train.TrainStep(model, optimizer, **options)
    batch = {"x": rng.normal(size=(6, 4)), "y": rng.integers(0, 3, 6).astype(np.int32)}
    return step, batch


def _lr_products(step: gc.train.TrainStep) -> int:
    """Multiplications by the learning rate left in the step's optimised graph (before fusion)."""
    outputs = [step.new_state[v] for v in step.state_values] + list(step.metrics.values())
    graph = optimize(step.model.graph, outputs, passes=["constant_folding", "algebraic", "cse", "scale_folding",
                                                        "dce"]).graph
    return sum(1 for n in graph.nodes if n.op.name == "mul" and any(
        v.producer is not None and v.producer.op.name == "constant" and v.producer.attrs["value"].array.size == 1
        and float(v.producer.attrs["value"].array) == 0.05 for v in n.inputs))


def test_sgd_applies_the_learning_rate_once_and_keeps_the_trajectory() -> None:
    step, batch = _sgd_step(gc.optim.SGD(0.05))
    assert _lr_products(step) == 0
    reference, _ = _sgd_step(gc.optim.SGD(0.05), passes="none")
    state = step.init_state(seed=1)
    ref_state = {k: v.copy() for k, v in state.items()}
    for _ in range(3):
        state, m = step(state, batch)
        ref_state, rm = reference(ref_state, batch)
        assert np.isclose(m["loss"], rm["loss"], rtol=1e-13)
    for k in state:
        np.testing.assert_allclose(state[k], ref_state[k], rtol=1e-12, atol=1e-15)


def test_momentum_keeps_its_learning_rate_products() -> None:
    step, _ = _sgd_step(gc.optim.Momentum(0.05, 0.9))  # the velocity is state (an output): nothing may move
    assert _lr_products(step) > 0

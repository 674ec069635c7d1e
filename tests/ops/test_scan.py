"""The ``scan`` op end to end: DSL tracing, gradients (vs finite differences and vs an unrolled graph), graph
size independent of the sequence length, both backends, the recurrent layers, and passes on scan graphs."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import graphc as gc
from graphc.nn import GRU, LSTM, SimpleRNN
from graphc.testing import finite_difference_vjp

HAS_JAX = importlib.util.find_spec("jax") is not None
BACKENDS = ["numpy", pytest.param("jax", marks=pytest.mark.skipif(not HAS_JAX, reason="JAX is not installed"))]
T, B, F, H = 6, 3, 4, 5


def _step(h: gc.Value, x: gc.Value, w: gc.Value, u: gc.Value) -> tuple[gc.Value, gc.Value]:
    h2 = gc.tanh(gc.matmul(x, w) + gc.matmul(h, u))
    return h2, h2 * h2


def build(unrolled: bool, length: int = T) -> tuple[gc.Graph, gc.Value, list[gc.Value]]:
    """loss = Σ ys + Σ h_T² of a tanh RNN, as one scan node or unrolled step by step."""
    with gc.Graph("rnn") as g:
        x = gc.placeholder("x", (length, B, F), "float64")
        h0 = gc.placeholder("h0", (B, H), "float64")
        w = gc.placeholder("w", (F, H), "float64")
        u = gc.placeholder("u", (H, H), "float64")
        if unrolled:
            h, ys = h0, []
            for t in range(length):
                h, y = _step(h, x[t], w, u)
                ys.append(y)
            total = gc.sum(gc.concat([gc.reshape(y, (1, B, H)) for y in ys], axis=0))
        else:
            h, ys_stacked = gc.scan(_step, h0, x, consts=[w, u])
            total = gc.sum(ys_stacked)
        loss = total + gc.sum(h * h)
    return g, loss, [x, h0, w, u]


def feeds(length: int = T) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"x": rng.normal(size=(length, B, F)), "h0": rng.normal(size=(B, H)) * 0.5,
            "w": rng.normal(size=(F, H)) * 0.5, "u": rng.normal(size=(H, H)) * 0.5}


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradients_match_the_unrolled_graph(backend: str) -> None:
    results = []
    for unrolled in (False, True):
        g, loss, wrt = build(unrolled)
        with g:
            grads = gc.grad(loss, wrt)
        gc.verify(g)
        run = gc.compile([loss, *grads], backend=backend)
        results.append([np.asarray(r) for r in run(feeds())])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_gradients_match_finite_differences() -> None:
    g, loss, wrt = build(False)
    with g:
        grads = gc.grad(loss, wrt)
    run, fwd = gc.compile(grads), gc.compile(loss)
    f = feeds()
    got = run(f)
    names = ["x", "h0", "w", "u"]

    def objective(xs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(fwd(dict(zip(names, xs, strict=True))))]

    for i in range(4):
        expected = finite_difference_vjp(objective, [f[n].copy() for n in names], [np.ones(())], i)
        np.testing.assert_allclose(got[i], expected, rtol=1e-6, atol=1e-7)


def test_second_order_through_a_recomputed_scan() -> None:
    """Differentiating the backward graph again goes through a scan made without saved carries."""
    g, loss, wrt = build(False, length=3)
    with g:
        gw = gc.grad(loss, wrt[2])
        gg = gc.grad(gc.sum(gw * gw), wrt[3])
    gc.verify(g)
    assert sum(n.op.name == "scan" and not n.attrs["save_carries"] for n in g.nodes) >= 2
    f = feeds(3)
    got = np.asarray(gc.compile(gg)(f))

    fwd = gc.compile(gw)

    def objective(xs: list[np.ndarray]) -> list[np.ndarray]:
        r = np.asarray(fwd({**f, "u": xs[0]}))
        return [np.sum(r * r)[()]]

    expected = finite_difference_vjp(objective, [f["u"].copy()], [np.ones(())], 0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_node_count_is_independent_of_sequence_length() -> None:
    counts = []
    for length in (10, 1000):
        g, loss, wrt = build(False, length)
        with g:
            gc.grad(loss, wrt)
        counts.append(len(g.nodes))
    assert counts[0] == counts[1]


def test_long_sequence_runs() -> None:
    g, loss, wrt = build(False, 1000)
    with g:
        grads = gc.grad(loss, wrt[2:])
    out = gc.compile([loss, *grads])(feeds(1000))
    assert all(np.isfinite(np.asarray(o)).all() for o in out)


def test_reverse_and_no_xs() -> None:
    with gc.Graph("count"):
        c0 = gc.placeholder("c0", (2,), "float64")
        x = gc.placeholder("x", (4, 2), "float64")
        _, prefix = gc.scan(lambda c, xt: (c + xt, c + xt), c0, x, reverse=True)
        final, _ = gc.scan(lambda c, _x: (c * 2.0, None), c0, length=3)
    xv = np.arange(8.0).reshape(4, 2)
    pre, fin = gc.compile([prefix, final])({"c0": np.zeros(2), "x": xv})
    np.testing.assert_allclose(pre, np.cumsum(xv[::-1], axis=0)[::-1])
    np.testing.assert_allclose(fin, np.zeros(2))


def test_outer_values_must_come_through_consts() -> None:
    with gc.Graph("bad"):
        h0 = gc.placeholder("h0", (2,), "float64")
        w = gc.placeholder("w", (2,), "float64")
        with pytest.raises(gc.GraphcError):
            gc.scan(lambda h, _x: (h * w, None), h0, length=2)


def test_printer_shows_the_body_once() -> None:
    g, _, _ = build(False, 50)
    text = gc.ir.format_graph(g)
    assert "length=50" in text and text.count("= tanh ") == 1


def lstm_numpy(x: np.ndarray, w: np.ndarray, u: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Reference LSTM (gates i, f, g, o) with zero initial states."""
    def sig(z: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-z))

    h = c = np.zeros((x.shape[1], n))
    hs = []
    for t in range(x.shape[0]):
        z = x[t] @ w + b + h @ u
        c = sig(z[:, n:2 * n]) * c + sig(z[:, :n]) * np.tanh(z[:, 2 * n:3 * n])
        h = sig(z[:, 3 * n:]) * np.tanh(c)
        hs.append(h)
    return np.stack(hs), h, c


@pytest.mark.parametrize("backend", BACKENDS)
def test_lstm_matches_a_numpy_reference(backend: str) -> None:
    with gc.Graph("lstm") as g:
        x = gc.placeholder("x", (T, None, F), "float64")
        layer = LSTM(H, return_sequences=True, return_state=True)
        seq, h, c = layer(x)
    params = gc.init_params(g, seed=1)
    xv = np.random.default_rng(2).normal(size=(T, B, F))
    run = gc.compile([seq, h, c], backend=backend)
    got = [np.asarray(r) for r in run({"x": xv, **params})]
    p = {k.split("/")[-1]: v for k, v in params.items()}
    for a, e in zip(got, lstm_numpy(xv, p["W"], p["U"], p["b"], H), strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
    assert sum(n.op.name == "scan" for n in g.nodes) == 1
    assert np.all(p["b"][H:2 * H] == 1.0)


def test_rnn_initial_state_and_last_state() -> None:
    with gc.Graph("rnn") as g:
        x = gc.placeholder("x", (T, None, F), "float64")
        h0 = gc.placeholder("h0", (None, H), "float64")
        last = SimpleRNN(H)(x, h0=h0)
    params = gc.init_params(g, seed=0)
    rng = np.random.default_rng(3)
    xv, hv = rng.normal(size=(T, B, F)), rng.normal(size=(B, H))
    got = gc.compile(last)({"x": xv, "h0": hv, **params})
    p = {k.split("/")[-1]: v for k, v in params.items()}
    h = hv
    for t in range(T):
        h = np.tanh(xv[t] @ p["W"] + h @ p["U"] + p["b"])
    np.testing.assert_allclose(got, h, rtol=1e-12)


def test_lstm_gradients_match_finite_differences() -> None:
    with gc.Graph("lstm_fd") as g:
        x = gc.placeholder("x", (4, 2, 3), "float64")
        h0 = gc.placeholder("h0", (2, 3), "float64")
        c0 = gc.placeholder("c0", (2, 3), "float64")
        out = LSTM(3)(x, h0=h0, c0=c0)
        loss = gc.sum(out * out)
        grads = gc.grad(loss, [x, h0, c0, *g.parameters])
    params = gc.init_params(g, seed=0)
    rng = np.random.default_rng(4)
    f = {"x": rng.normal(size=(4, 2, 3)), "h0": rng.normal(size=(2, 3)), "c0": rng.normal(size=(2, 3)), **params}
    _assert_gradients_match_finite_differences(loss, grads, ["x", "h0", "c0", *(p.name for p in g.parameters)], f)


def _assert_gradients_match_finite_differences(loss: gc.Value, grads: list[gc.Value], names: list[str],
                                               feeds: dict[str, np.ndarray]) -> None:
    """``grads`` (of ``loss`` with respect to the feeds ``names``, in order) against central differences."""
    got = gc.compile(grads)(feeds)
    fwd = gc.compile(loss)

    def objective(xs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(fwd({**feeds, **dict(zip(names, xs, strict=True))}))]

    for i in range(len(names)):
        expected = finite_difference_vjp(objective, [np.array(feeds[n], dtype=np.float64) for n in names],
                                         [np.ones(())], i)
        np.testing.assert_allclose(got[i], expected, rtol=1e-5, atol=1e-7, err_msg=names[i])


@pytest.mark.parametrize("backend", BACKENDS)
def test_passes_keep_scan_graphs_working(backend: str) -> None:
    """Constant folding, algebraic simplification, CSE, DCE and fusion leave scan nodes (and their bodies)
    intact: the optimised program computes what the unoptimised one does."""
    g, loss, wrt = build(False)
    with g:
        grads = gc.grad(loss, wrt)
    plain = gc.compile([loss, *grads], backend=backend, passes=[])
    optimised = gc.compile([loss, *grads], backend=backend, passes=list(gc.passes.PASS_NAMES), verify=True)
    for a, b in zip(optimised(feeds()), plain(feeds()), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("k", [0, 2, T, T + 3])
@pytest.mark.parametrize("reverse", [False, True])
def test_unrolled_rendering_graph_computes_the_same(k: int, reverse: bool) -> None:
    from graphc.viz.unroll import unroll_scans

    with gc.Graph("rnn") as g:
        x = gc.placeholder("x", (T, B, F), "float64")
        h0 = gc.placeholder("h0", (B, H), "float64")
        w = gc.placeholder("w", (F, H), "float64")
        u = gc.placeholder("u", (H, H), "float64")
        h, ys = gc.scan(_step, h0, x, consts=[w, u], reverse=reverse)
        loss = gc.sum(ys) + gc.sum(h * h)
        grads = gc.grad(loss, [x, h0, w, u])
        g.outputs = [loss, *grads]
    flat = unroll_scans(g, k)
    gc.verify(flat)
    for role in ("forward", "backward"):  # the backward scan is unrolled too: the picture of BPTT
        steps = {n.tags.get("unrolled_step") for n in flat.nodes
                 if (n.tags.get("role") == "backward") == (role == "backward")} - {None}
        assert len(steps) == min(k, T)
    a = gc.compile(list(g.outputs))(feeds())
    b = gc.compile(list(flat.outputs))(feeds())
    for p, q in zip(a, b, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)
    dot = gc.viz.render(flat, "joint").source if hasattr(gc, "viz") else ""
    assert not k or f"_t{T - 1 if reverse else 0}" in dot


def test_render_command_unrolls_scans(tmp_path: object) -> None:
    import io
    from pathlib import Path

    from graphc.viz.cli import render_command

    model = Path(str(tmp_path)) / "rnn_model.py"
    model.write_text(
        "import graphc as gc\nfrom graphc.nn import LSTM\n\n\ndef build():\n"
        "    with gc.Graph('lstm'):\n        x = gc.placeholder('x', (5, None, 3))\n"
        "        return gc.mean(LSTM(4)(x))\n"
    )
    out = render_command(model, "joint", Path(str(tmp_path)) / "u.dot", unroll=2, log=io.StringIO())
    dot = out.read_text()
    assert "_t0" in dot and "_t1" in dot and "_t4" in dot and "_t2" not in dot  # forward 0, 1; backward 4, 3


def test_algebraic_merges_the_gradient_of_a_sliced_value_into_concats() -> None:
    """The four gate cotangents of an LSTM-like split become concats, not zero-filled unslices and adds."""
    with gc.Graph("gates") as g:
        z = gc.placeholder("z", (None, 8), "float64")
        parts = [z[:, 2:4], z[:, 0:2], z[:, 4:6], z[:, 6:8]]  # any order of use
        loss = gc.sum(gc.sigmoid(parts[0]) * gc.tanh(parts[1]) + gc.exp(parts[2]) * parts[3])
        dz = gc.grad(loss, z)
    from graphc.passes import optimize

    result = optimize(g, [dz], ["algebraic", "dce"], verify_each=True).graph
    assert not any(n.op.name == "unslice" for n in result.nodes)
    zv = np.random.default_rng(0).normal(size=(3, 8))
    np.testing.assert_array_equal(gc.compile(dz, passes=[])({"z": zv}),
                                  gc.compile(dz, passes=["algebraic", "dce"])({"z": zv}))


def gru_numpy(x: np.ndarray, w: np.ndarray, u: np.ndarray, b: np.ndarray, b_hn: np.ndarray,
              n: int) -> np.ndarray:
    """PyTorch's GRU equations step by step; returns every hidden state."""
    def sig(v: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-v))

    h = np.zeros((x.shape[1], n))
    hs = []
    for t in range(x.shape[0]):
        xw, hu = x[t] @ w + b, h @ u
        r, z = sig(xw[:, :n] + hu[:, :n]), sig(xw[:, n:2 * n] + hu[:, n:2 * n])
        cand = np.tanh(xw[:, 2 * n:] + r * (hu[:, 2 * n:] + b_hn))
        h = (1 - z) * cand + z * h
        hs.append(h)
    return np.stack(hs)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gru_matches_a_numpy_reference(backend: str) -> None:
    with gc.Graph("gru") as g:
        x = gc.placeholder("x", (T, None, F), "float64")
        seq = GRU(H, return_sequences=True)(x)
    params = gc.init_params(g, seed=1)
    p = {k.split("/")[-1]: v for k, v in params.items()}
    p["b"] = np.random.default_rng(5).normal(size=p["b"].shape)  # non-zero biases exercise b_hn's placement
    p["b_hn"] = np.random.default_rng(6).normal(size=p["b_hn"].shape)
    xv = np.random.default_rng(2).normal(size=(T, B, F))
    feeds = {k: p[k.split("/")[-1]] for k in params}
    got = np.asarray(gc.compile(seq, backend=backend)({"x": xv, **feeds}))
    np.testing.assert_allclose(got, gru_numpy(xv, p["W"], p["U"], p["b"], p["b_hn"], H), rtol=1e-10, atol=1e-12)
    assert sum(n.op.name == "scan" for n in g.nodes) == 1


def test_gru_gradients_match_finite_differences() -> None:
    with gc.Graph("gru_fd") as g:
        x = gc.placeholder("x", (4, 2, 3), "float64")
        h0 = gc.placeholder("h0", (2, 3), "float64")
        out = GRU(3)(x, h0=h0)
        loss = gc.sum(out * out)
        grads = gc.grad(loss, [x, h0, *g.parameters])
    params = gc.init_params(g, seed=0)
    rng = np.random.default_rng(4)
    f = {"x": rng.normal(size=(4, 2, 3)), "h0": rng.normal(size=(2, 3)), **params}
    f = {k: (rng.normal(size=np.shape(v)) * 0.5 if k.endswith("b_hn") else v) for k, v in f.items()}
    _assert_gradients_match_finite_differences(loss, grads, ["x", "h0", *(p.name for p in g.parameters)], f)


def test_lstm_backward_reads_saved_activations_instead_of_recomputing() -> None:
    """The forward scan saves the recurrent matmul and the gate activations (residuals); the backward step
    runs only the two gradient matmuls and no transcendental function."""
    from graphc.ir.ops.scan import backward_body

    with gc.Graph("lstm_res") as g:
        x = gc.placeholder("x", (T, None, F), "float64")
        loss = gc.sum(LSTM(H)(x))
        gc.grad(loss, g.parameters)
    fwd = next(n for n in g.nodes if n.op.name == "scan" and n.attrs["save_carries"])
    assert fwd.attrs["num_residuals"] == 6  # h @ U, σ(i), σ(f), tanh(g), σ(o), tanh(c')
    body = fwd.attrs["body"]
    bwd, *_ = backward_body(body, fwd.attrs["num_carry"], fwd.attrs["num_xs"], fwd.attrs["num_residuals"])
    from graphc.passes import optimize

    ops = _ops_within(optimize(bwd).graph)
    assert ops.count("matmul") == 2
    assert not {"sigmoid", "tanh", "exp"} & set(ops)


def _ops_within(graph: gc.Graph) -> list[str]:
    out: list[str] = []
    for n in graph.nodes:
        body = n.attrs.get("body") if n.op.name == "fused" else None
        out += _ops_within(body) if body is not None else [n.op.name]
    return out


def test_scan_outputs_returned_twice_do_not_share_memory() -> None:
    """With memory planning a scan's stacked outputs live in buffers kept between calls — unless the program
    returns them (directly or through a view)."""
    with gc.Graph("ret") as g:
        x = gc.placeholder("x", (T, B, F), "float64")
        h0 = gc.placeholder("h0", (B, F), "float64")
        _, ys = gc.scan(lambda h, xt: (gc.tanh(h + xt), gc.tanh(h + xt) * 2.0), h0, x)
        flat = gc.reshape(ys, (T * B, F))
        g.outputs = [ys, flat]
    run = gc.compile(g.outputs)
    rng = np.random.default_rng(0)
    a = run({"x": rng.normal(size=(T, B, F)), "h0": np.zeros((B, F))})
    a_copy = [np.array(v) for v in a]
    run({"x": rng.normal(size=(T, B, F)), "h0": np.ones((B, F))})
    for v, c in zip(a, a_copy, strict=True):
        np.testing.assert_array_equal(v, c)

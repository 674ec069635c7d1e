"""The JAX backend against the NumPy backend (the reference), generated from the op registry; and its options.

For every registered op and every ``Case`` of it — in the case's dtypes (float64 by default) and again in
float32 — forward outputs and VJPs (gradients of ``sum(out * cotangent)`` with respect to the float inputs)
must agree between the backends. The multi-device data-parallel test lives in ``test_jax_sharding.py``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import graphc as gc  # noqa: E402 - after the skip: the module needs JAX
from graphc.autodiff import grad  # noqa: E402
from graphc.backends.jax import LOWERINGS, JaxExecutable  # noqa: E402
from graphc.backends.jax.lowering_channels_last import OPS as CHANNELS_LAST_OPS  # noqa: E402
from graphc.ir import Case, all_ops  # noqa: E402
from graphc.ir.opdef import nondiff  # noqa: E402
from graphc.testing import build_case, sample_inputs  # noqa: E402
from graphc.testing.opcases import input_dtypes  # noqa: E402

pytestmark = pytest.mark.jax

Array = np.ndarray[Any, Any]

# Ops without registry cases, each covered by a dedicated test below.
DEDICATED = {"constant": "test_constant_parity", "dimsize": "test_dimsize_parity"}

# float32: XLA's and NumPy's transcendental functions and summation orders differ by a few ulp.
TOL = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-12, "atol": 1e-13}}


# -- cases from the registry ------------------------------------------------------------------------------


def case_dtypes(case: Case) -> tuple[str, ...]:
    """The float dtypes to run ``case`` in: both, unless the float32 variant would repeat the float64 one."""
    has_floats = input_dtypes(case, "float32") != input_dtypes(case, "float64") or any(
        callable(a) or (isinstance(a, str) and a.startswith("float")) for a in case.attrs.values()
    )
    return ("float64", "float32") if has_floats else ("float64",)


def op_groups() -> Iterator[Any]:
    """``(op name, float dtype)`` for every op with a case to run in that dtype."""
    for op in sorted(all_ops().values(), key=lambda o: o.name):
        for fdt in ("float64", "float32"):
            if any(fdt in case_dtypes(case) for case in op.cases):
                yield pytest.param(op.name, fdt, id=f"{op.name}-{fdt}")


def jax_compile(outputs: Any, **options: Any) -> JaxExecutable:
    """``graphc.compile(outputs, backend="jax", **options)``, typed as the JAX executable it is."""
    exe = gc.compile(outputs, backend="jax", **options)
    assert isinstance(exe, JaxExecutable)
    return exe


def assert_same(numpy_out: Any, jax_out: Any, what: str) -> None:
    """Same dtype and shape; floats within the dtype's tolerance, everything else exactly."""
    got = np.asarray(jax_out)
    assert got.dtype == numpy_out.dtype, f"{what}: dtype {got.dtype}, NumPy gives {numpy_out.dtype}"
    assert got.shape == numpy_out.shape, f"{what}: shape {got.shape}, NumPy gives {numpy_out.shape}"
    if numpy_out.dtype.kind == "f":
        tol = TOL[numpy_out.dtype.name]
        np.testing.assert_allclose(got, numpy_out, rtol=tol["rtol"], atol=tol["atol"], err_msg=what)
    else:
        np.testing.assert_array_equal(got, numpy_out, err_msg=what)


# -- registry coverage ---------------------------------------------------------------------------------------


def test_every_op_has_a_jax_lowering() -> None:
    ops = set(all_ops())
    assert not ops - set(LOWERINGS), f"ops without a JAX lowering: {sorted(ops - set(LOWERINGS))}"
    assert not set(LOWERINGS) - ops, f"JAX lowerings of unregistered ops: {sorted(set(LOWERINGS) - ops)}"


def test_every_op_is_covered_by_parity_tests() -> None:
    uncovered = [n for n, op in all_ops().items() if not op.cases and n not in DEDICATED]
    assert not uncovered, f"ops with neither registry cases nor a dedicated parity test: {uncovered}"


# -- generated parity: forward and VJP -----------------------------------------------------------------------


def case_results(op_name: str, float_dtype: str, **options: Any) -> dict[int, list[tuple[str, Array, Any]]]:
    """Run every case of an op (in ``float_dtype``) on both backends, as ONE program per backend.

    XLA's fixed cost per compilation dominates these tiny graphs, so the cases of an op are copied side by
    side into one graph (inputs ``c<i>/x<j>``) and compiled once. Each case also gets the gradients of
    ``sum(out * cotangent)`` over its float outputs wrt its float inputs, unless the op is not
    differentiable. Returns, per case index, ``(label, numpy result, jax result)`` triples. ``options`` go to
    the JAX executable.
    """
    op = all_ops()[op_name]
    feeds: dict[str, Array] = {}
    outs: dict[str, gc.Value] = {}
    losses: dict[gc.DType, gc.Value] = {}  # one per dtype: a cast's output differs from its input's
    wrt: dict[gc.Value, str] = {}
    with gc.Graph(f"cases_{op_name}") as g:
        for idx, case in enumerate(op.cases):
            if float_dtype not in case_dtypes(case):
                continue
            cg = build_case(op, case, float_dtype)
            arrays = sample_inputs(case, np.random.default_rng(idx), float_dtype)
            env: dict[gc.Value, gc.Value] = {}
            for x, a in zip(cg.inputs, arrays, strict=True):
                env[x] = gc.placeholder(f"c{idx}/{x.name}", x.shape, x.dtype)
                feeds[f"c{idx}/{x.name}"] = a
            for n in cg.graph.nodes:  # the case's node(s), re-emitted into the shared graph
                env.update(zip(n.outputs, g.emit(n.op, [env[v] for v in n.inputs], n.attrs), strict=True))
            case_outs = [env[o] for o in cg.outputs]
            outs.update({f"{idx}/output {i}": o for i, o in enumerate(case_outs)})
            if op.vjp is nondiff:
                continue
            wrt.update({env[x]: f"{idx}/VJP wrt {x.name}" for x in cg.inputs if x.dtype.is_float})
            rng = np.random.default_rng(1000 + idx)
            for i, o in enumerate(o for o in case_outs if o.dtype.is_float):
                ct = gc.placeholder(f"c{idx}/ct{i}", o.shape, o.dtype)
                feeds[ct.name] = rng.standard_normal(o.shape).astype(o.dtype.numpy)  # type: ignore[arg-type,index]
                term = gc.sum(o * ct)
                losses[o.dtype] = term + losses[o.dtype] if o.dtype in losses else term
        # cases are independent: d(total loss)/d(case input) is that case's VJP
        total: dict[gc.Value, gc.Value] = {}
        for loss in losses.values():
            for x, gx in zip(wrt, grad(loss, list(wrt), unused="zero"), strict=True):
                total[x] = total[x] + gx if x in total else gx
        outs.update({wrt[x]: gx for x, gx in total.items()})
    exe_np, exe_jax = gc.compile(outs), gc.compile(outs, backend="jax", **options)
    used = {n: feeds[n] for n in exe_np.input_names}  # a gradient need not read every input
    ref, got = exe_np(used), exe_jax(used)
    results: dict[int, list[tuple[str, Array, Any]]] = {}
    for key in outs:
        case_index, label = key.split("/", 1)
        results.setdefault(int(case_index), []).append((label, np.asarray(ref[key]), got[key]))
    return results


@pytest.mark.parametrize(("op_name", "float_dtype"), op_groups())
def test_op_matches_numpy(op_name: str, float_dtype: str) -> None:
    """For every case of the op: forward outputs and VJPs agree between the backends."""
    check_op(op_name, float_dtype)


# Ops with a channels-last lowering (used by default on CPU): their NCHW lowerings, the default on
# accelerators, are checked here too.
@pytest.mark.parametrize(("op_name", "float_dtype"), [p for p in op_groups() if p.values[0] in CHANNELS_LAST_OPS])
def test_op_matches_numpy_in_nchw(op_name: str, float_dtype: str) -> None:
    check_op(op_name, float_dtype, channels_last=False)


def check_op(op_name: str, float_dtype: str, **options: Any) -> None:
    results = case_results(op_name, float_dtype, **options)
    op = all_ops()[op_name]
    assert sorted(results) == [i for i, c in enumerate(op.cases) if float_dtype in case_dtypes(c)]
    for index, checks in sorted(results.items()):
        assert checks
        for label, r, j in checks:
            assert_same(r, j, f"{op_name} case {index} ({op.cases[index].shapes}) in {float_dtype}: {label}")


def test_constant_parity() -> None:
    with gc.Graph() as g:
        x = gc.placeholder("x", (None, 3), "float64")
        c64 = gc.constant(np.array([[1.5, -2.0, 3.25]]))
        c32 = gc.constant(np.arange(3, dtype=np.float32))
        i32 = gc.constant(np.array([1, 2, 3], np.int32))
        outs = [x * c64, c32, gc.cast(c32, "float64") + x, i32, gc.constant(2.5, "float64")]
    feeds = {"x": np.random.default_rng(0).standard_normal((4, 3))}
    for r, j in zip(gc.compile(outs)(feeds), gc.compile(outs, backend="jax")(feeds), strict=True):
        assert_same(np.asarray(r), j, "constant")
    assert g.nodes


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_dimsize_parity(dtype: str) -> None:
    b, t = gc.Sym("B"), gc.Sym("T")
    with gc.Graph() as g:
        x = gc.placeholder("x", (b, t, 2), "float32")
        (n,) = g.emit("dimsize", (), {"dims": (b, t), "dtype": dtype})
        (nb,) = g.emit("dimsize", (), {"dims": (b,), "dtype": dtype})
        mean_over_batch = gc.sum(x, (0, 1)) / gc.cast(n, "float32")
    outs = [n, nb, mean_over_batch]
    exe_np, exe_jax = gc.compile(outs), gc.compile(outs, backend="jax")
    for shape in [(3, 5, 2), (7, 1, 2)]:
        feeds = {"x": np.random.default_rng(0).standard_normal(shape).astype(np.float32)}
        ref, got = exe_np(feeds), exe_jax(feeds)
        assert int(np.asarray(got[0])) == shape[0] * shape[1] and int(np.asarray(got[1])) == shape[0]
        for r, j in zip(ref, got, strict=True):
            assert_same(np.asarray(r), j, f"dimsize {dtype} {shape}")
    assert len(exe_jax.signatures) == 2


# -- semantics the NumPy backend fixes -----------------------------------------------------------------------


def test_slices_run_to_the_end_and_backwards() -> None:
    end = gc.dsl.layout.END
    with gc.Graph():
        x = gc.placeholder("x", (None, 7), "float64")
        outs = [
            gc.slice(x, [(0, end, 1), (1, end, 2)]),
            gc.slice(x, [(0, end, 1), (6, -8, -2)]),
            gc.slice(x, [(0, end, 1), (5, 2, -1)]),
            gc.slice(x, [(0, end, 1), (3, 3, 1)]),  # empty
            x[:, ::-1],
            x[:, -2],
        ]
        g = [grad(gc.sum(o * o), x) for o in outs[:3]]
    feeds = {"x": np.arange(21, dtype=np.float64).reshape(3, 7)}
    for r, j in zip(gc.compile(outs + g)(feeds), gc.compile(outs + g, backend="jax")(feeds), strict=True):
        assert_same(r, j, "slice")


def test_one_hot_out_of_range_rows_are_zero() -> None:
    with gc.Graph():
        labels = gc.placeholder("labels", (None,), "int32")
        oh = gc.one_hot(labels, 3)
    got = np.asarray(gc.compile(oh, backend="jax")({"labels": np.array([0, 2, 3, -1, 7], np.int32)}))
    np.testing.assert_array_equal(got, [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    assert got.dtype == np.float32


def test_integer_sum_keeps_dtype_and_step_truncates_threshold() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 4), "int32")
        s = gc.sum(x, 1)
        st = gc.step(x, 0.5)  # the threshold becomes int32(0.5) == 0, as in the NumPy backend
    feeds = {"x": np.array([[0, 1, -2, 3], [2**30, 2**30, 2**30, 1]], np.int32)}
    ref, got = gc.compile([s, st])(feeds), gc.compile([s, st], backend="jax")(feeds)
    for r, j in zip(ref, got, strict=True):
        assert_same(r, j, "int32")


@pytest.mark.parametrize("process_x64", [False, True], ids=["process-x64-off", "process-x64-on"])
@pytest.mark.parametrize("with_argmax", [False, True], ids=["32-bit-graph", "with-int64"])
def test_float32_graphs_stay_float32(process_x64: bool, with_argmax: bool) -> None:
    """Whatever the process-wide JAX setting, and whether or not an int64 value (argmax) makes the call switch
    on 64-bit mode, no float32 value widens to float64 — and the process-wide setting is left alone."""
    with gc.Graph():
        x = gc.placeholder("x", (None, 5))
        w = gc.parameter("w", (5, 3), init="xavier_uniform")
        h = gc.tanh(x @ w) * 0.5 + 1.0
        p = gc.softmax(h, 1)
        loss = gc.mean(-gc.log(p))
        outs = [p, loss, *grad(loss, [w])] + ([gc.argmax(p, 1)] if with_argmax else [])
    feeds = {"x": np.ones((4, 5), np.float32), "w": np.full((5, 3), 0.1, np.float32)}
    with jax.enable_x64(process_x64):
        exe = jax_compile(outs)
        got = exe(feeds)
        text = exe.lower(feeds).as_text()
        assert bool(jax.config.jax_enable_x64) is process_x64
    want = ["float32"] * 3 + (["int64"] if with_argmax else [])
    assert [np.asarray(r).dtype.name for r in got] == want
    assert "f64" not in text and ("i64" in text) is with_argmax
    for r, j in zip(gc.compile(outs)(feeds), got, strict=True):
        assert_same(r, j, "float32 graph")


@pytest.mark.parametrize("process_x64", [False, True], ids=["process-x64-off", "process-x64-on"])
def test_float64_graphs_run_in_float64(process_x64: bool) -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None,), "float64")
        i = gc.placeholder("i", (None,), "int64")
        y = gc.exp(x) + gc.cast(i, "float64") * 1e-10
    feeds = {"x": np.linspace(0, 1, 5), "i": np.arange(5, dtype=np.int64) + 2**40}
    with jax.enable_x64(process_x64):
        got = gc.compile(y, backend="jax")(feeds)
        assert bool(jax.config.jax_enable_x64) is process_x64
    assert_same(gc.compile(y)(feeds), got, "float64")


# -- whole networks ------------------------------------------------------------------------------------------


def mlp(n_in: int = 8, hidden: int = 16, n_out: int = 4) -> tuple[gc.Graph, gc.Value, list[gc.Value]]:
    with gc.Graph("mlp") as g:
        x = gc.placeholder("x", (None, n_in))
        labels = gc.placeholder("labels", (None,), "int32")
        with gc.name_scope("l1"):
            w1 = gc.parameter("w", (n_in, hidden), init="he_normal")
            b1 = gc.parameter("b", (hidden,), init="normal")
        with gc.name_scope("l2"):
            w2 = gc.parameter("w", (hidden, n_out), init="xavier_uniform")
            b2 = gc.parameter("b", (n_out,), init="normal")
        h = gc.relu(x @ w1 + b1)
        logits = gc.tanh(h) @ w2 + b2
        loss = -gc.mean(gc.sum(gc.one_hot(labels, n_out) * gc.log_softmax(logits, 1), 1))
    return g, loss, [w1, b1, w2, b2]


def mlp_feeds(g: gc.Graph, batch: int, seed: int = 0) -> dict[str, Array]:
    rng = np.random.default_rng(seed)
    return {
        **gc.init_params(g, seed=seed),
        "x": rng.standard_normal((batch, 8)).astype(np.float32),
        "labels": rng.integers(0, 4, batch).astype(np.int32),
    }


def test_mlp_forward_and_gradients_match_numpy() -> None:
    g, loss, params = mlp()
    with g:
        grads = grad(loss, params)
    outs = {"loss": loss, **{str(p.name): gr for p, gr in zip(params, grads, strict=True)}}
    exe_np, exe_jax = gc.compile(outs), gc.compile(outs, backend="jax")
    for batch in (8, 5, 8):
        feeds = mlp_feeds(g, batch, seed=batch)
        ref, got = exe_np(feeds), exe_jax(feeds)
        assert set(got) == set(ref)
        for k in ref:
            assert_same(np.asarray(ref[k]), got[k], f"mlp {k} batch {batch}")
    assert sorted(exe_jax.signatures) == sorted(exe_np.signatures) and len(exe_jax.signatures) == 2


# -- feeds ---------------------------------------------------------------------------------------------------


@pytest.fixture
def mlp_exe() -> tuple[JaxExecutable, dict[str, Array]]:
    g, loss, _ = mlp()
    return jax_compile(loss), mlp_feeds(g, 6)


def test_good_feeds_run(mlp_exe: tuple[JaxExecutable, dict[str, Array]]) -> None:
    exe, feeds = mlp_exe
    assert np.isfinite(float(np.asarray(exe(feeds))))
    as_jax = {k: jax.numpy.asarray(v) for k, v in feeds.items()}
    np.testing.assert_allclose(np.asarray(exe(as_jax)), np.asarray(exe(feeds)), rtol=1e-6)


def _host_only(change: Any) -> Any:
    """A change that needs 64-bit arrays, which JAX (without x64) cannot hold: it is made on host feeds only."""
    change.host_only = True
    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.pop("x"), "missing"),
        (lambda f: f.update(extra=np.zeros(3)), "unexpected"),
        (_host_only(lambda f: f.update(x=f["x"].astype(np.float64))), "dtype"),
        (lambda f: f.update(x=f["x"].astype(np.int32)), "expected dtype f32"),
        (_host_only(lambda f: f.update(labels=f["labels"].astype(np.int64))), "dtype"),
        (lambda f: f.update(x=f["x"][:, :5]), "shape"),
        (lambda f: f.update(x=f["x"][0]), "shape"),
        (lambda f: f.update(labels=f["labels"][:4]), "B"),
        (lambda f: f.update(x=[[1.5] * 8] * 6, labels=[0.5] * 6), "without loss"),
    ],
    ids=["missing", "extra", "float64-for-float32", "int32-for-float32", "int64-for-int32", "wrong-width",
         "wrong-rank", "batch-disagrees", "lossy-list"],
)
@pytest.mark.parametrize("on_device", [False, True], ids=["host", "device"])
def test_bad_feeds_raise_feed_error(mlp_exe: tuple[JaxExecutable, dict[str, Array]], change: Any, message: str,
                                    on_device: bool) -> None:
    """Host feeds are checked in Python; feeds that are all jax.Arrays skip those checks (jax.jit dispatches
    them) and a new signature is checked as the trace starts. Either way: the same graphc error, with no JAX
    note attached, and a compiled signature lets no bad feed through."""
    exe, feeds = mlp_exe
    if on_device:
        if getattr(change, "host_only", False):
            pytest.skip("without x64, a jax.Array cannot be 64-bit")
        feeds = {k: jax.numpy.asarray(v) for k, v in feeds.items()}
    exe(feeds)
    change(feeds)
    with pytest.raises(gc.FeedError, match=message) as info:
        exe(feeds)
    assert not any("JAX" in note for note in getattr(info.value, "__notes__", []))


def test_device_feeds_of_a_new_batch_size_compile_and_are_listed(mlp_exe: tuple[JaxExecutable, dict[str, Array]]
                                                                  ) -> None:
    exe, host = mlp_exe
    feeds = {k: jax.numpy.asarray(v) for k, v in host.items()}
    first = np.asarray(exe(feeds))
    half = {k: (v[:3] if k in ("x", "labels") else v) for k, v in feeds.items()}
    exe(half)
    assert {sig[exe.input_names.index("x")] for sig in exe.signatures} >= {host["x"].shape, (3, host["x"].shape[1])}
    np.testing.assert_allclose(np.asarray(exe(feeds)), first, rtol=1e-6)


def test_missing_lowering_is_reported_at_compile_time(monkeypatch: pytest.MonkeyPatch) -> None:
    with gc.Graph():
        y = gc.tanh(gc.placeholder("x", (2,)))
    monkeypatch.delitem(LOWERINGS, "tanh")
    with pytest.raises(gc.LoweringError, match="tanh"):
        gc.compile(y, backend="jax")


def test_lowering_that_raises_is_reported_at_the_node(monkeypatch: pytest.MonkeyPatch) -> None:
    with gc.Graph():
        y = gc.exp(gc.placeholder("x", (2,)))

    def broken(args: Any, attrs: Any, ctx: Any) -> Any:
        raise TypeError("bad operand")

    monkeypatch.setitem(LOWERINGS, "exp", broken)
    with pytest.raises(gc.LoweringError, match=r"'exp' failed: TypeError: bad operand.*test_jax_backend\.py"):
        gc.compile(y, backend="jax")({"x": np.zeros(2, np.float32)})


def test_lowering_that_drifts_from_the_ir_type_fails_while_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    with gc.Graph():
        y = gc.exp(gc.placeholder("x", (2,)))
    monkeypatch.setitem(LOWERINGS, "exp", lambda args, attrs, ctx: jax.numpy.exp(args[0]).astype("float16"))
    exe = gc.compile(y, backend="jax")
    with pytest.raises(gc.LoweringError, match="exp"):
        exe({"x": np.zeros(2, np.float32)})


# -- devices and donation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["cpu", "cpu:0", "CPU", 0, "jax-device"])
def test_device_selection(device: Any) -> None:
    g, loss, _ = mlp()
    feeds = mlp_feeds(g, 6)
    cpu0 = jax.devices("cpu")[0]
    if device == 0:
        cpu0 = jax.devices()[0]
    exe = jax_compile(loss, device=cpu0 if device == "jax-device" else device)
    assert exe.device == cpu0
    result = exe(feeds)
    assert result.devices() == {cpu0}
    np.testing.assert_allclose(np.asarray(result), np.asarray(gc.compile(loss)(feeds)), rtol=1e-5)


@pytest.mark.parametrize("device", ["cpu:99", "nosuchplatform", "cpu:x", 1.5])
def test_bad_device_is_a_graphc_error(device: Any) -> None:
    _, loss, _ = mlp()
    with pytest.raises(gc.GraphcError, match="device"):
        gc.compile(loss, backend="jax", device=device)


def test_default_device_is_jax_default() -> None:
    g, loss, _ = mlp()
    result = gc.compile(loss, backend="jax")(mlp_feeds(g, 4))
    assert result.devices() == {jax.devices()[0]}


def sgd_step(lr: float = 0.1) -> tuple[gc.Graph, dict[str, gc.Value]]:
    """A training step as one graph: ``(params, batch) -> (new params, loss)``."""
    g, loss, params = mlp()
    with g:
        grads = grad(loss, params)
        new = {str(p.name): p - gr * lr for p, gr in zip(params, grads, strict=True)}
    return g, {"loss": loss, **new}


def test_donated_parameters_give_the_same_step() -> None:
    g, outs = sgd_step()
    names = [n for n in outs if n != "loss"]
    plain = jax_compile(outs)
    donating = jax_compile(outs, donate=names)
    assert donating.donate == frozenset(names)
    feeds = mlp_feeds(g, 8)
    kept = {k: v.copy() for k, v in feeds.items()}
    ref = plain(feeds)
    got = donating(feeds)  # NumPy arrays are copied to the device, never overwritten
    for k in feeds:
        np.testing.assert_array_equal(feeds[k], kept[k])
    for k in ref:
        np.testing.assert_array_equal(np.asarray(got[k]), np.asarray(ref[k]))

    # the training loop: device arrays in, their buffers reused for the new values
    state = {k: jax.device_put(v) for k, v in feeds.items()}
    batch = {"x": feeds["x"], "labels": feeds["labels"]}
    old = state["l1/w"]
    for _ in range(3):
        out = donating({**state, **batch})
        state = {k: out[k] for k in names}
    assert old.is_deleted()
    with pytest.raises(gc.FeedError, match="donated"):
        donating({**{k: feeds[k] for k in names}, **batch, "l1/w": old})
    device_batch = {k: jax.device_put(v) for k, v in batch.items()}
    with pytest.raises(gc.FeedError, match="donated"):  # all device arrays: the fast call path
        donating({**state, **device_batch, "l1/w": old})

    reference = feeds
    for _ in range(3):
        out = plain(reference)
        reference = {**reference, **{k: np.asarray(out[k]) for k in names}}
    for k in names:
        np.testing.assert_allclose(np.asarray(state[k]), reference[k], rtol=1e-6, atol=1e-7)


def test_unknown_donated_name_is_an_error() -> None:
    _, outs = sgd_step()
    with pytest.raises(gc.FeedError, match="donate"):
        gc.compile(outs, backend="jax", donate=["l1/weights"])


def test_data_parallel_on_one_device_runs_in_process() -> None:
    """The sharded code path on whatever devices this process has (the 4-device run is a subprocess test)."""
    g, outs = sgd_step()
    feeds = mlp_feeds(g, 4 * len(jax.devices()))
    dp = jax_compile(outs, data_parallel=True, donate=[n for n in outs if n != "loss"])
    assert dp.data_parallel is not None and dp.data_parallel.size == len(jax.devices())
    ref = gc.compile(outs)(feeds)
    got = dp(feeds)
    for k in ref:
        np.testing.assert_allclose(np.asarray(got[k]), ref[k], rtol=1e-5, atol=1e-6)
    with pytest.raises(gc.GraphcError, match="exclude"):
        gc.compile(outs, backend="jax", data_parallel=True, device="cpu")
    with pytest.raises(gc.GraphcError, match="no input"):
        gc.compile(outs, backend="jax", batch_inputs=["images"])


def test_matmul_precision_option() -> None:
    _, loss, _ = mlp()
    assert gc.compile(loss, backend="jax", matmul_precision="default") is not None
    with pytest.raises(gc.GraphcError, match="matmul_precision"):
        gc.compile(loss, backend="jax", matmul_precision="extreme")


def test_core_and_numpy_backend_do_not_import_jax() -> None:
    code = (
        "import sys, numpy as np, graphc as gc\n"
        "with gc.Graph():\n"
        "    y = gc.tanh(gc.placeholder('x', (2,)))\n"
        "gc.compile(y)({'x': np.zeros(2, np.float32)})\n"
        "assert 'jax' not in sys.modules, 'graphc imported jax'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_matmul_with_transposed_operands_is_one_dot_general(rng: np.random.Generator) -> None:
    """``a.T @ b``, ``a @ b.T`` and ``a.T @ b.T`` (what the matmul VJP makes) lower to a ``dot_general`` over
    the untransposed matrices: same numbers as NumPy, no transpose left in the HLO."""
    with gc.Graph():
        a = gc.placeholder("a", (4, 3), "float64")
        b = gc.placeholder("b", (4, 5), "float64")
        c = gc.placeholder("c", (5, 3), "float64")
        outs = [gc.transpose(a) @ b, a @ gc.transpose(c), gc.transpose(c) @ gc.transpose(b), a @ gc.transpose(a)]
    feeds = {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=(4, 5)), "c": rng.normal(size=(5, 3))}
    run = gc.compile(outs, backend="jax", passes="none")
    for got, want in zip(run(feeds), gc.compile(outs, passes="none")(feeds), strict=True):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)
    assert "transpose" not in run.lower(feeds).as_text()

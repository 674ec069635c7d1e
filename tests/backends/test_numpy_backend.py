"""The NumPy backend: results, output structures, feed checking, specialisation and code-generation safety."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

import graphc as gc


def _mlp() -> tuple[gc.Graph, gc.Value]:
    with gc.Graph("mlp") as g:
        x = gc.placeholder("x", (None, 4))
        w = gc.parameter("w", (4, 3), init="xavier_uniform")
        b = gc.parameter("b", (3,), init="zeros")
        y = gc.relu(x @ w + b)
    return g, y


def test_results_and_output_structures(rng: np.random.Generator) -> None:
    g, y = _mlp()
    p = gc.init_params(g, seed=1)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    want = np.maximum(x @ p["w"] + p["b"], 0)
    np.testing.assert_allclose(gc.compile(y)({"x": x, **p}), want, rtol=1e-6)
    lst = gc.compile([y, y])({"x": x, **p})
    assert isinstance(lst, list) and len(lst) == 2
    dct = gc.compile({"out": y})(x=x, w=p["w"], b=p["b"])
    assert set(dct) == {"out"}


def test_missing_extra_and_bad_feeds_are_reported_before_running() -> None:
    g, y = _mlp()
    p = gc.init_params(g)
    run = gc.compile(y)
    x = np.ones((2, 4), np.float32)
    with pytest.raises(gc.FeedError, match=r"missing feed.*'x'"):
        run(p)
    with pytest.raises(gc.FeedError, match=r"unexpected feed.*'z'"):
        run({"x": x, "z": x, **p})
    with pytest.raises(gc.FeedError, match=r"feed 'x': expected shape f32\[B,4\], got array of shape \(2, 5\)"):
        run({"x": np.ones((2, 5), np.float32), **p})
    with pytest.raises(gc.FeedError, match=r"feed 'x': expected dtype f32.*got float64"):
        run({"x": np.ones((2, 4)), **p})
    with pytest.raises(gc.FeedError, match="rank-1"):
        run({"x": np.ones(4, np.float32), **p})


def test_symbols_must_agree_across_feeds() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (None, 2))
        t = gc.placeholder("t", (None, 2))
        d = x - t
    with pytest.raises(gc.FeedError, match=r"B=3.*B=2"):
        gc.compile(d)({"x": np.ones((2, 2), np.float32), "t": np.ones((3, 2), np.float32)})


def test_python_numbers_and_lists_are_converted_when_lossless() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (2,))
        n = gc.placeholder("n", (), "int32")
        y = x * 2.0
        m = n + 1
    assert np.asarray(gc.compile(y)({"x": [1, 2]})).tolist() == [2.0, 4.0]
    assert int(gc.compile(m)({"n": 4})) == 5
    with pytest.raises(gc.FeedError, match="without loss"):
        gc.compile(m)({"n": 1.5})


def test_one_specialisation_per_signature() -> None:
    g, y = _mlp()
    p = gc.init_params(g)
    run = gc.compile(y)
    for n in (1, 7, 1, 7, 3):
        assert run({"x": np.ones((n, 4), np.float32), **p}).shape == (n, 3)
    assert len(run.signatures) == 3


def test_unchecked_returns_the_specialisation_for_the_feeds_signature(rng: np.random.Generator) -> None:
    """``unchecked(feeds)`` checks ``feeds`` as a call does and hands back the compiled function of that
    signature: positional arrays in ``input_names`` order, the flat outputs ``run_flat`` gives."""
    g, y = _mlp()
    p = gc.init_params(g, seed=2)
    run = gc.compile([y, gc.sum(y)])
    feeds = {"x": rng.standard_normal((5, 4)).astype(np.float32), **p}
    f = run.unchecked(feeds)
    assert len(run.signatures) == 1 and run.unchecked(feeds) is f  # compiled once, then reused
    x2 = rng.standard_normal((5, 4)).astype(np.float32)
    got = f(*[{**feeds, "x": x2}[n] for n in run.input_names])
    want = run.run_flat({**feeds, "x": x2})
    assert isinstance(got, tuple) and len(got) == 2
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got[0], np.maximum(x2 @ p["w"] + p["b"], 0), rtol=1e-6)
    with pytest.raises(gc.FeedError, match=r"missing feed.*'x'"):
        run.unchecked(p)
    with pytest.raises(gc.FeedError, match=r"feed 'x': expected dtype f32.*got float64"):
        run.unchecked({**feeds, "x": np.ones((5, 4))})
    assert run.unchecked({**feeds, "x": [[0.0] * 4] * 3}) is not f  # lists converted; another batch size
    assert len(run.signatures) == 2


def test_generated_code_is_straight_line() -> None:
    g, y = _mlp()
    run = gc.compile(y, passes="none")
    run({"x": np.ones((2, 4), np.float32), **gc.init_params(g)})
    src = run.sources()[0]
    assert "for " not in src and "while " not in src
    assert src.count("\n") == 1 + 3 + 1  # def line, 3 equations (matmul, add, relu), return


def test_fused_epilogue_runs_in_place() -> None:
    g, y = _mlp()
    run = gc.compile(y)
    run({"x": np.ones((2, 4), np.float32), **gc.init_params(g)})
    src = run.sources()[0]
    assert "t0 = _np_matmul(x0, x1)\n    t0 = _np_add(t0, x2, out=t0)\n    t0 = _np_maximum(t0, k0, out=t0)" in src


def test_unused_inputs_are_not_required() -> None:
    with gc.Graph():
        x = gc.placeholder("x", (2,))
        gc.placeholder("unused", (2,))
        y = x + 1.0
    assert gc.compile(y).input_names == ["x"]


HOSTILE = [
    "x'); __import__('os').system('touch {flag}'); ('",
    'x"); __import__("os").system("touch {flag}"); ("',
    "x\n__import__('os').system('touch {flag}')\n",
    "__import__('os').system('touch {flag}')",
    "a\\' + str(open('{flag}', 'w')) + \\'",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_names_never_become_code(template: str, tmp_path: os.PathLike[str]) -> None:
    flag = os.path.join(tmp_path, "pwned")
    name = template.format(flag=flag)
    with gc.Graph(name) as g:
        x = gc.placeholder(name, (2,))
        with gc.name_scope("s"):
            w = gc.parameter(name.replace("/", "_"), (2,), init="ones")
        y = g.emit("mul", [x, w], name=name)[0]
        z = gc.exp(y)
    run = gc.compile({name: z, "plain": y})
    out = run({name: np.array([1.0, 2.0], np.float32), w.name: np.ones(2, np.float32)})
    np.testing.assert_allclose(out[name], np.exp([1.0, 2.0]), rtol=1e-6)
    assert not os.path.exists(flag)
    assert name not in run.sources()[0]
    str(g)  # the printer copes too
    assert not os.path.exists(flag)


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")  # np.mean's, for the reference
@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("rows", [0, 1, 37])
def test_column_sums_are_matrix_vector_products(op: str, rows: int, rng: np.random.Generator) -> None:
    """sum/mean over axis 0 of a matrix lower to ``ones @ x`` (BLAS reads the matrix once); the values are
    NumPy's; an empty column keeps the reduction (so an empty mean is NaN, as np.mean gives)."""
    with gc.Graph():
        x = gc.placeholder("x", (None, 5), "float64")
        y = getattr(gc, op)(x, axis=0)
    run = gc.compile(y)
    data = rng.standard_normal((rows, 5))
    with np.errstate(invalid="ignore", divide="ignore"):
        got = run(x=data)
        want = getattr(np, op)(data, axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    uses_gemv = "_np_matmul(" in run.sources()[0]
    assert uses_gemv == (rows > 0)


def test_kernel_temporaries_share_arenas_only_when_not_live_together(rng: np.random.Generator) -> None:
    """A fused kernel's temporaries live in scratch arenas shared by all kernels (one per ordinal of the
    temporaries live at once): two live together never overlap; the first of one kernel reuses the first of
    another even with another shape."""
    with gc.Graph("two"):
        a, b = gc.placeholder("a", (8, 4), "float64"), gc.placeholder("b", (4, 6), "float64")
        c, p = gc.placeholder("c", (8, 6), "float64"), gc.placeholder("p", (8, 6), "float64")
        q = gc.placeholder("q", (6, 6), "float64")
        outputs = {"y": p - (a @ b) * gc.exp(c * 2.0), "z": q - gc.transpose(c) @ c * 0.5}
    feeds = {k: rng.normal(size=s) for k, s in [("a", (8, 4)), ("b", (4, 6)), ("c", (8, 6)), ("p", (8, 6)),
                                                 ("q", (6, 6))]}
    run = gc.compile(outputs, donate=("p", "q"))
    reference = gc.compile(outputs, passes="none")({k: v.copy() for k, v in feeds.items()})
    for _ in range(2):  # a second call reuses the same scratch
        got = run({k: v.copy() for k, v in feeds.items()})
        for k in reference:
            np.testing.assert_allclose(got[k], reference[k], rtol=1e-13)
    src, ns = run.sources()[0], run._generated[0].namespace
    kernels = [block for block in src.split("\n\n") if block.startswith("def _fused")]
    assert len(kernels) == 2
    first = re.findall(r"out=(k\d+)\)", kernels[0])[:2]  # the product and exp(c * 2) are live together
    second = re.findall(r"out=(k\d+)\)", kernels[1])[0]
    assert not np.shares_memory(ns[first[0]], ns[first[1]])
    assert ns[second].shape != ns[first[0]].shape and np.shares_memory(ns[second], ns[first[0]])


def test_numpy_references_are_hoisted_into_single_names() -> None:
    """Generated code calls ``_np_add_reduce``, bound once to ``np.add.reduce``, not ``_np.add.reduce``."""
    from graphc.backends.numpy.codegen import hoist_numpy

    src, bound = hoist_numpy("v0 = _np.add.reduce(_np.exp(a0), axis=(0,))\nv1 = _np.multiply(v0, k1)\n")
    assert src == "v0 = _np_add_reduce(_np_exp(a0), axis=(0,))\nv1 = _np_multiply(v0, k1)\n"
    assert bound == {"_np_add_reduce": np.add.reduce, "_np_exp": np.exp, "_np_multiply": np.multiply}
    g, y = _mlp()
    run = gc.compile(gc.sum(y))
    run({"x": np.ones((2, 4), np.float32), **gc.init_params(g)})
    assert "_np." not in run.sources()[0] and "_np_add_reduce(" in run.sources()[0]

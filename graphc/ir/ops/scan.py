"""The ``scan`` op: a loop whose body is a subgraph, run once per step over time-major inputs.

Inputs are ``(carries…, xs…, consts…)``; ``attrs["body"]`` is a :class:`Graph` with inputs
``(carry…, x_t…, const…)`` and outputs ``(new carry…, y_t…)``. ``num_carry``/``num_xs`` split the inputs (the
rest are constants), ``length`` is the number of steps. Each ``xs`` input has shape ``(length, *x_t.shape)``
(time-major, stacked on axis 0). Outputs are ``(final carries…, stacked ys…)`` where each stacked ``y`` has shape
``(length, *y_t.shape)``. With ``reverse`` the steps run ``length-1 … 0`` (stacked outputs stay indexed by step).
With ``save_carries`` the op has one more output per carry: the carry *entering* each step, stacked
``(length, *carry.shape)`` — what the VJP needs.

VJP (backprop through time): a reverse ``scan`` whose body is the VJP of the forward body, built with
:func:`graphc.autodiff.backprop` on an inlined copy of the body. The carries entering each step are **saved**
by the forward pass: the DSL (:func:`graphc.dsl.scan`) always emits ``save_carries=True``, so the backward
scan reads them at the cost of ``length × carry`` memory. A scan made without saved carries (``save_carries=
False``, e.g. a backward scan being differentiated again) is **recomputed** once: the VJP emits a second
forward scan with ``save_carries=True`` on the same inputs. Cotangents of the constants are accumulated in
extra carries of the backward scan. The graph size is independent of ``length`` either way.

**Residuals**: the last ``num_residuals`` body outputs are values the forward pass stacks only for the VJP
(the DSL picks carry-dependent results of costly ops — an LSTM's ``h @ U`` and its gate activations — whose
recomputation would cost the backward step a third GEMM and every transcendental again). The backward body
reads them instead of recomputing: their consumers, and VJP rules that read the node's own output, use the
saved slice; the producing node is the point through which their cotangent flows back, then dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphc.ir.dtypes import as_dtype
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.opdef import Attrs, AttrSpec, Case, OpDef, OpKind, RuleError, register
from graphc.ir.ops import rules
from graphc.ir.rewrite import Rebuilder
from graphc.ir.types import TensorType


def split(attrs: Attrs) -> tuple[Graph, int, int, int, int]:
    """``(body, num_carry, num_xs, num_consts, num_ys)`` of a scan's attributes; raises :class:`RuleError`."""
    body = attrs["body"]
    if not isinstance(body, Graph):
        raise RuleError("body must be a graph")
    nc, nx = attrs["num_carry"], attrs["num_xs"]
    nk = len(body.inputs) - nc - nx
    ny = len(body.outputs) - nc
    if nc < 0 or nx < 0 or nk < 0 or ny < 0:
        raise RuleError(f"body with {len(body.inputs)} inputs / {len(body.outputs)} outputs does not fit "
                        f"num_carry={nc}, num_xs={nx}")
    nres = attrs.get("num_residuals", 0)
    if not 0 <= nres <= ny or any(v.producer is None for v in body.outputs[len(body.outputs) - nres:]):
        raise RuleError(f"num_residuals={nres}: residuals must be among the {ny} ys and made by body nodes")
    if attrs["length"] < 0:
        raise RuleError("length must be ≥ 0")
    for i in range(nc):
        if body.inputs[i].type != body.outputs[i].type:
            raise RuleError(f"carry {i}: the body maps {body.inputs[i].type} to {body.outputs[i].type}")
    return body, nc, nx, nk, ny


def _expected_inputs(attrs: Attrs) -> list[TensorType]:
    body, nc, nx, _, _ = split(attrs)
    t = attrs["length"]
    return [TensorType((t, *v.shape), v.dtype) if nc <= i < nc + nx else v.type for i, v in enumerate(body.inputs)]


def _output_types(attrs: Attrs) -> list[TensorType]:
    body, nc, _, _, _ = split(attrs)
    t = attrs["length"]
    outs = [o.type for o in body.outputs[:nc]] + [TensorType((t, *o.shape), o.dtype) for o in body.outputs[nc:]]
    if attrs["save_carries"]:
        outs += [TensorType((t, *v.shape), v.dtype) for v in body.inputs[:nc]]
    return outs


def _scan_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    expected = [t.shape for t in _expected_inputs(attrs)]
    if list(shapes) != expected:
        raise RuleError(f"inputs {list(shapes)} do not match the body's (carries, stacked xs, consts) {expected}")
    return tuple(t.shape for t in _output_types(attrs))


def _scan_dtype(dtypes: rules.DTypes, attrs: Attrs) -> rules.DTypes:
    if list(dtypes) != [t.dtype for t in _expected_inputs(attrs)]:
        raise RuleError("input dtypes do not match the body's", dtype=True)
    return tuple(t.dtype for t in _output_types(attrs))


def _zeros(t: TensorType, graph: Graph) -> Value:
    from graphc import dsl as G

    return G.broadcast_to(G.constant(0.0, t.dtype, graph=graph), t.shape)


def backward_body(body: Graph, nc: int, nx: int, nres: int = 0,
                  residual_cts: bool = False) -> tuple[Graph, list[int], list[int], list[int]]:
    """The VJP of one step of ``body`` as a graph for a reverse scan.

    Returns ``(graph, fc, fy, fk)``: the float carry, float y and float const positions (relative to their
    group; residual ys excluded). The graph's inputs are ``(ct_carry[fc]…, acc_const[fk]…, carry_t…, x_t…,
    ct_y_t[fy]…, ct_saved_t[fc]…, residual_t…, const…)`` and its outputs ``(ct_carry_in[fc]…, acc_const +
    ct_const_t [fk]…, ct_x_t[float xs]…)``: carries first (the cotangents flowing to the previous step and the
    running const sums), then the per-step x cotangents. ``nres``: how many trailing body outputs are
    residuals (see the module docstring); with ``residual_cts`` they take cotangents like other ys (when the
    backward pass itself is differentiated, the residuals it read receive some).
    """
    from graphc.autodiff import backprop, path_from

    nk = len(body.inputs) - nc - nx
    carries, xs, consts = body.inputs[:nc], body.inputs[nc:nc + nx], body.inputs[nc + nx:]
    residuals = body.outputs[len(body.outputs) - nres:]
    ys = body.outputs[nc:] if residual_cts else body.outputs[nc:len(body.outputs) - nres]
    fc = [i for i, v in enumerate(carries) if v.dtype.is_float]
    fk = [i for i in range(nk) if consts[i].dtype.is_float]
    fx = [i for i in range(nx) if xs[i].dtype.is_float]
    fy = [i for i, v in enumerate(ys) if v.dtype.is_float]
    g = Graph(f"{body.name}_vjp")
    with g:
        ct_c = [g.add_placeholder(f"ct_carry{i}", carries[i].type) for i in fc]
        acc_k = [g.add_placeholder(f"acc_const{i}", consts[i].type) for i in fk]
        c_in = [g.add_placeholder(f"carry{i}", v.type) for i, v in enumerate(carries)]
        x_in = [g.add_placeholder(f"x{i}", v.type) for i, v in enumerate(xs)]
        ct_y = [g.add_placeholder(f"ct_y{i}", ys[i].type) for i in fy]
        ct_s = [g.add_placeholder(f"ct_saved{i}", carries[i].type) for i in fc]
        r_in = [g.add_placeholder(f"residual{i}", v.type) for i, v in enumerate(residuals)]
        k_in = [g.add_placeholder(f"const{i}", v.type) for i, v in enumerate(consts)]
        env: dict[Value, Value] = dict(zip(body.inputs, [*c_in, *x_in, *k_in], strict=True))
        saved_for = dict(zip(residuals, r_in, strict=True))
        replayed: dict[Node, Value] = {}  # replayed residual producer → the saved slice its consumers read
        first = len(g.nodes)
        for n in body.nodes:
            outs = g.emit(n.op, [env[v] for v in n.inputs], n.attrs, loc=n.loc)
            if len(n.outputs) == 1 and n.outputs[0] in saved_for:
                replayed[outs[0].producer] = saved_for[n.outputs[0]]  # type: ignore[index]
                outs = (saved_for[n.outputs[0]],)
            env.update(zip(n.outputs, outs, strict=True))
        sources = [v for v in (*c_in, *x_in, *k_in, *r_in) if v.dtype.is_float]
        on_path, depends = path_from(g.nodes[first:], sources)
        seeds: dict[Value, Value] = {}
        for o, c in [*((env[body.outputs[i]], ct_c[j]) for j, i in enumerate(fc)),
                     *((env[ys[i]], ct_y[j]) for j, i in enumerate(fy))]:
            seeds[o] = c if o not in seeds else seeds[o] + c
        # an output that is directly an input (identity carry) already holds its seed: backprop adds the rest
        for node in reversed(on_path):
            saved = replayed.get(node)
            if saved is not None and saved in seeds:  # the saved slice's cotangent enters its producer
                seeds[node.outputs[0]] = seeds[saved]
            backprop([node], seeds, depends, tag=False)

        def ct_of(v: Value) -> Value:
            c = seeds.get(v)
            return c if c is not None else _zeros(v.type, g)

        outs_c = [ct_of(c_in[i]) + ct_s[j] for j, i in enumerate(fc)]
        outs_k = [acc_k[j] + ct_of(k_in[i]) for j, i in enumerate(fk)]
        outs_x = [ct_of(x_in[i]) for i in fx]
        g.outputs = [*outs_c, *outs_k, *outs_x]
    return _read_saved(g, replayed), fc, fy, fk


def _read_saved(g: Graph, replayed: dict[Node, Value]) -> Graph:
    """``g`` with every remaining use of a replayed residual producer's output (VJP rules that read their own
    output: sigmoid, tanh, exp…) reading the saved slice instead, so the producer itself is dropped."""
    if not replayed:
        return g
    rb = Rebuilder(g)
    for n in g.nodes:
        saved = replayed.get(n)
        if saved is not None:
            rb.replace(n, [rb[saved]])
        else:
            rb.copy(n)
    return rb.finish()


def _scan_vjp(node: Node, cts: tuple[Value | None, ...], needs: tuple[bool, ...]) -> Sequence[Value | None]:
    body, nc, nx, _, ny = split(node.attrs)
    nres = node.attrs["num_residuals"]
    graph = node.inputs[0].graph
    length, reverse = node.attrs["length"], node.attrs["reverse"]
    xs, consts = node.inputs[nc:nc + nx], node.inputs[nc + nx:]
    forward: Sequence[Value] = node.outputs
    if not node.attrs["save_carries"]:  # recompute: one more forward scan, this time saving the carries
        forward = graph.emit("scan", list(node.inputs), {**node.attrs, "save_carries": True}, loc=node.loc)
    saved = list(forward[nc + ny:])
    residuals = list(forward[nc + ny - nres:nc + ny])
    residual_cts = any(i < len(cts) and cts[i] is not None for i in range(nc + ny - nres, nc + ny))
    bbody, fc, fy, fk = backward_body(body, nc, nx, nres, residual_cts)

    def ct(i: int) -> Value:
        c = cts[i] if i < len(cts) else None
        return c if c is not None else _zeros(node.outputs[i].type, graph)

    init = [ct(i) for i in fc] + [_zeros(consts[i].type, graph) for i in fk]
    ct_saved = [ct(nc + ny + i) if node.attrs["save_carries"] else _zeros(saved[i].type, graph) for i in fc]
    bxs = [*saved, *xs, *[ct(nc + i) for i in fy], *ct_saved, *residuals]
    outs = graph.emit("scan", [*init, *bxs, *consts],
                      {"body": bbody, "num_carry": len(init), "num_xs": len(bxs), "length": length,
                       "reverse": not reverse, "save_carries": False}, loc=node.loc)
    result: list[Value | None] = [None] * len(node.inputs)
    for j, i in enumerate(fc):
        result[i] = outs[j]
    for j, i in enumerate(fk):
        result[nc + nx + i] = outs[len(fc) + j]
    fx = [i for i in range(nx) if xs[i].dtype.is_float]
    for j, i in enumerate(fx):
        result[nc + i] = outs[len(init) + j]
    return [r if need else None for r, need in zip(result, needs, strict=True)]


def example_body(dtype: str = "float64") -> Graph:
    """An RNN-like step for the registry's cases: carry h (2, 3), x_t (2, 3), const W (3, 3);
    ``h' = tanh(h @ W + x_t)``, ``y_t = h' * x_t``."""
    dt = as_dtype(dtype)
    with Graph("scan_example") as g:
        h = g.add_placeholder("h", TensorType((2, 3), dt))
        x = g.add_placeholder("x", TensorType((2, 3), dt))
        w = g.add_placeholder("W", TensorType((3, 3), dt))
        (m,) = g.emit("matmul", [h, w])
        (s,) = g.emit("add", [m, x])
        (h2,) = g.emit("tanh", [s])
        (y,) = g.emit("mul", [h2, x])
        g.outputs = [h2, y]
    return g


def example_body_with_residual(dtype: str = "float64") -> Graph:
    """:func:`example_body` that also saves ``h @ W`` as a residual (its last output)."""
    g = example_body(dtype)
    g.outputs = [*g.outputs, g.nodes[0].outputs[0]]
    return g


_ATTRS = (AttrSpec("body", "any"), AttrSpec("num_carry", "int"), AttrSpec("num_xs", "int"), AttrSpec("length", "int"),
          AttrSpec("reverse", "bool", False), AttrSpec("save_carries", "bool", False),
          AttrSpec("num_residuals", "int", 0))
_CASE = {"body": example_body, "num_carry": 1, "num_xs": 1, "length": 4}

register(OpDef("scan", OpKind.OPAQUE, None, _scan_shape, _scan_dtype, _ATTRS, _scan_vjp,
               (Case(((2, 3), (4, 2, 3), (3, 3)), _CASE),
                Case(((2, 3), (4, 2, 3), (3, 3)), {**_CASE, "reverse": True, "save_carries": True}),
                Case(((2, 3), (4, 2, 3), (3, 3)), {**_CASE, "body": example_body_with_residual, "num_residuals": 1,
                                                   "save_carries": True})),
               "a loop: runs its body graph once per step, threading carries and stacking per-step outputs"))

"""Algebraic simplification: identities that remove work without changing any result.

Rewrites (each only when the result keeps the node's exact type):

* ``x + 0``, ``0 + x``, ``x - 0``, ``x * 1``, ``1 * x``, ``x / 1``, ``x ** 1`` → ``x``;
  ``x * -1``, ``0 - x`` → ``-x``; ``x ** 2`` → ``x * x``;
* ``neg(neg x)`` → ``x``; ``log(exp x)`` → ``x``;
* ``transpose(transpose x)`` → one transpose (or ``x``); ``reshape(reshape x)`` → one reshape (or ``x``);
  a reshape, broadcast or cast to the type ``x`` already has → ``x``; ``reshape(sum(x, keepdims=True))``
  that only drops the kept axes → ``sum(x, keepdims=False)`` (also mean, max);
* ``stop_gradient x`` → ``x`` (it only matters to autodiff, which runs before passes);
* ``where(c, x, x)`` → ``x``;
* a value broadcast from a single element (``broadcast_to(s)``, ``s`` of size 1) is used as ``s`` wherever that
  changes nothing: in an elementwise op that another operand already gives the result's shape
  (``x * broadcast_to(s)`` → ``x * s``); an elementwise op on nothing but such values runs on the single
  elements and broadcasts the result (``broadcast_to(s) / n`` → ``broadcast_to(s / n)``); a reshape or second
  broadcast of one is one broadcast of ``s``. The gradient seed of a mean, broadcast over the batch and scaled,
  so becomes a scalar factor;
* ``unslice(a) + unslice(b)`` into adjacent blocks of one axis (step 1, same zeros shape) → one ``unslice`` of
  ``concat([a, b])``, or just the concat when it covers the whole shape (the gradient of a value sliced into
  parts, e.g. an LSTM's four gates, becomes one concat instead of zero-filled scatters and adds).

``log(exp x)`` → ``x`` is exact mathematically but not bit for bit (it removes two roundings, and an
overflow for large ``x``). ``exp(log x)`` is *not* rewritten: it equals ``x`` only for ``x > 0`` (for
``x ≤ 0`` it is NaN or 0), so the rewrite would change results. ``x * 0`` is not rewritten either (``inf * 0`` is NaN).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.ir.analysis import users
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.opdef import OpKind
from graphc.ir.rewrite import Rebuilder
from graphc.passes.constant_folding import const_array


def _single(v: Value) -> bool:
    """Whether ``v`` has exactly one element (a static shape of ones, or a scalar)."""
    return all(d == 1 for d in v.shape)


def _broadcast_source(v: Value) -> Value | None:
    """The single-element value that ``v`` is a ``broadcast_to`` of, if it is one."""
    p = _producer(v, "broadcast_to")
    return p.inputs[0] if p is not None and _single(p.inputs[0]) else None


def _sink_broadcasts(rb: Rebuilder, node: Node, ins: list[Value]) -> Value | None:
    """An elementwise ``node`` with operands broadcast from single elements, on those elements instead (see the
    module docstring); ``None`` when no operand is such a broadcast or nothing would change."""
    out = node.outputs[0]
    sources = [_broadcast_source(v) for v in ins]
    if all(s is None for s in sources) or any(s is not None and s.ndim > out.ndim for s in sources):
        return None
    # Every operand keeps its dtype and has at most out.ndim axes, so the op's rules give out's dtype again and
    # a result of at most out.ndim axes: the emitted nodes always fit (nothing is emitted only to be dropped).
    smaller = [v if s is None else s for v, s in zip(ins, sources, strict=True)]
    if all(_single(v) for v in smaller):  # all uniform: compute once, broadcast the result
        (one,) = rb.emit(node, node.op.name, smaller, node.attrs)
        return rb.emit(node, "broadcast_to", [one], {"shape": out.shape})[0]
    if any(s is None and v.shape == out.shape for v, s in zip(ins, sources, strict=True)):
        # another operand fixes the shape, and single elements broadcast against it as before
        return rb.emit(node, node.op.name, smaller, node.attrs)[0]
    return None


def _is(v: Value, scalar: float) -> bool:
    a = const_array(v)
    return a is not None and a.size > 0 and bool(np.all(a == scalar))


def _producer(v: Value, op: str) -> Node | None:
    n = v.producer
    return n if n is not None and n.op.name == op else None


def _merge_unslices(rb: Rebuilder, node: Node, ins: list[Value]) -> Value | None:
    """``unslice a + unslice b`` over adjacent blocks of one axis → one unslice of their concat; also
    ``(x + unslice a) + unslice b`` → ``x + unslice(concat)`` (exact: a and b cover disjoint elements, so each
    element adds the same two numbers in either association)."""
    merged = _merge_pair(rb, node, ins[0], ins[1])
    if merged is not None:
        return merged
    for p, q in ((ins[0], ins[1]), (ins[1], ins[0])):
        inner = _producer(p, "add")
        if inner is None or _producer(q, "unslice") is None:
            continue
        for r, other in ((inner.inputs[0], inner.inputs[1]), (inner.inputs[1], inner.inputs[0])):
            m = _merge_pair(rb, node, r, q)
            if m is not None and other.type == node.outputs[0].type:
                whole = _merge_pair(rb, node, other, m)
                return whole if whole is not None else rb.emit(node, "add", [other, m])[0]
    return None


def _merge_pair(rb: Rebuilder, node: Node, va: Value, vb: Value) -> Value | None:
    from graphc.dsl.layout import END

    ua, ub = _producer(va, "unslice"), _producer(vb, "unslice")
    if ua is None or ub is None or ua.attrs["shape"] != ub.attrs["shape"] or va.type != vb.type:
        return None
    if va.type != node.outputs[0].type:
        return None
    sa, sb = ua.attrs["slices"], ub.attrs["slices"]
    differ = [i for i, (x, y) in enumerate(zip(sa, sb, strict=True)) if x != y]
    if len(differ) != 1:
        return None
    ax = differ[0]
    (a0, a1, ast), (b0, b1, bst) = sa[ax], sb[ax]
    if ast != 1 or bst != 1 or min(a0, b0) < 0:
        return None
    if a1 == b0 and a1 != END:
        first, second, merged = ua, ub, (a0, b1, 1)
    elif b1 == a0 and b1 != END:
        first, second, merged = ub, ua, (b0, a1, 1)
    else:
        return None
    joined = rb.emit(node, "concat", [first.inputs[0], second.inputs[0]], {"axis": ax})[0]  # new-graph values
    shape = ua.attrs["shape"]
    slices = tuple(merged if i == ax else sl for i, sl in enumerate(sa))
    full = all(sl == (0, END, 1) or (isinstance(d, int) and sl == (0, d, 1)) for sl, d in zip(slices, shape,
                                                                                          strict=True))
    if full and joined.type == node.outputs[0].type:
        return joined
    return rb.emit(node, "unslice", [joined], {"shape": shape, "slices": slices})[0]


_REDUCTIONS = ("sum", "mean", "max")


def _squeeze_reduction(rb: Rebuilder, node: Node, ins: list[Value], sole_user: bool) -> Value | None:
    """``reshape(reduce(x, keepdims=True))`` dropping exactly the kept axes → ``reduce(x, keepdims=False)``
    (what the VJP of a broadcast produces for every bias). Only when the reshape is the reduction's sole user,
    so the reduction is replaced, never duplicated."""
    inner = ins[0].producer
    if not sole_user or inner is None or inner.op.name not in _REDUCTIONS or not inner.attrs["keepdims"]:
        return None
    axes = inner.attrs["axis"]
    squeezed = tuple(d for i, d in enumerate(inner.outputs[0].shape) if i not in axes)
    if squeezed != node.outputs[0].shape:
        return None
    return rb.emit(node, inner.op.name, [inner.inputs[0]], {**inner.attrs, "keepdims": False})[0]



def _simplify(rb: Rebuilder, node: Node, ins: list[Value], sole_user: bool) -> Value | None:
    """The value ``node`` reduces to, or ``None`` to keep it. May emit replacement nodes. ``sole_user``: the
    node is the only reader of its first input."""
    out = node.outputs[0]
    op = node.op.name
    same = [v for v in ins if v.type == out.type]
    if node.op.kind is OpKind.ELEMENTWISE:
        sunk = _sink_broadcasts(rb, node, ins)
        if sunk is not None:
            return sunk

    def keep_if(cond: bool, v: Value) -> Value | None:
        return v if cond and v.type == out.type else None

    if op == "add":
        first = keep_if(_is(ins[1], 0), ins[0])
        if first is None:
            first = keep_if(_is(ins[0], 0), ins[1])
        return first if first is not None else _merge_unslices(rb, node, ins)
    if op == "sub":
        if _is(ins[1], 0):
            return keep_if(True, ins[0])
        if _is(ins[0], 0) and ins[1].type == out.type:
            return rb.emit(node, "neg", [ins[1]])[0]
        return None
    if op == "mul":
        for a, b in ((ins[0], ins[1]), (ins[1], ins[0])):
            if _is(b, 1) and a.type == out.type:
                return a
            if _is(b, -1) and a.type == out.type:
                return rb.emit(node, "neg", [a])[0]
        return None
    if op == "div":
        return keep_if(_is(ins[1], 1), ins[0])
    if op == "pow":
        if _is(ins[1], 1):
            return keep_if(True, ins[0])
        if _is(ins[1], 2) and ins[0].type == out.type:
            return rb.emit(node, "mul", [ins[0], ins[0]])[0]
        return None
    if op == "neg":
        inner = _producer(ins[0], "neg")
        return keep_if(inner is not None, inner.inputs[0]) if inner is not None else None
    if op == "log":
        inner = _producer(ins[0], "exp")
        return keep_if(inner is not None, inner.inputs[0]) if inner is not None else None
    if op in ("reshape", "broadcast_to", "cast", "stop_gradient"):
        if same:
            return same[0]
        source = _broadcast_source(ins[0]) if op in ("reshape", "broadcast_to") else None
        if source is not None and source.ndim <= out.ndim:
            return rb.emit(node, "broadcast_to", [source], {"shape": out.shape})[0]
        inner = _producer(ins[0], "reshape") if op == "reshape" else None
        if inner is not None:
            src = inner.inputs[0]
            return src if src.type == out.type else rb.emit(node, "reshape", [src], node.attrs)[0]
        return _squeeze_reduction(rb, node, ins, sole_user) if op == "reshape" else None
    if op == "transpose":
        inner = _producer(ins[0], "transpose")
        if inner is None:
            return None
        perm = tuple(inner.attrs["perm"][p] for p in node.attrs["perm"])
        src = inner.inputs[0]
        if perm == tuple(range(len(perm))):
            return keep_if(True, src)
        return rb.emit(node, "transpose", [src], {"perm": perm})[0]
    if op == "where":
        return keep_if(ins[1] is ins[2], ins[1])
    return None


def algebraic_simplification(graph: Graph) -> Graph:
    """Apply the identities above in one forward sweep (chains collapse because inputs are already simplified)."""
    rb = Rebuilder(graph)
    readers = users(graph.nodes)
    outputs = set(graph.outputs)
    for node in graph.nodes:
        ins = [rb[v] for v in node.inputs]
        sole = bool(node.inputs) and len(readers[node.inputs[0]]) == 1 and node.inputs[0] not in outputs
        simpler: Any = _simplify(rb, node, ins, sole) if len(node.outputs) == 1 else None
        if simpler is None:
            rb.copy(node, ins)
        else:
            rb.replace(node, [simpler])
    return rb.finish()

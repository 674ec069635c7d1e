"""``scan``: trace a Python step function into a loop body and emit one ``scan`` node.

The step function is traced once, into its own body :class:`Graph`, whatever the number of steps: the graph
size does not grow with the sequence length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphc.errors import GraphBuildError, ShapeError
from graphc.ir.graph import Graph, Value
from graphc.ir.source import capture
from graphc.ir.types import TensorType

Tree = Value | Sequence[Value] | None


def _flat(x: Tree, what: str) -> tuple[list[Value], bool]:
    """Flatten a value or a tuple/list of values; the flag says whether it was a single value."""
    if x is None:
        return [], False
    if isinstance(x, Value):
        return [x], True
    vals = list(x)
    for v in vals:
        if not isinstance(v, Value):
            raise GraphBuildError(f"scan: {what} must be graph values, got {type(v).__name__}", loc=capture())
    return vals, False


def _unflat(vals: Sequence[Value], single: bool) -> Any:
    return vals[0] if single else tuple(vals)


# Ops whose per-step results the forward pass saves for the backward pass rather than let it recompute them.
_SAVED_OPS = frozenset({"matmul", "conv2d", "sigmoid", "tanh", "exp", "log", "softmax", "log_softmax", "elu"})


def _residuals(body: Graph, carries: Sequence[Value], outputs: Sequence[Value]) -> list[Value]:
    """Float results of expensive ops that depend on the carries (so they cannot be hoisted out of the loop and
    would be recomputed by the backward step) — saved as residuals, see :mod:`graphc.ir.ops.scan`."""
    from graphc.autodiff import path_from

    on_path, _ = path_from(body.nodes, list(carries))
    taken = set(outputs)
    return [n.outputs[0] for n in on_path
            if n.op.name in _SAVED_OPS and n.outputs[0].dtype.is_float and n.outputs[0] not in taken]


def scan(fn: Callable[..., tuple[Tree, Tree]], init: Tree, xs: Tree = None, consts: Sequence[Value] = (),
         length: int | None = None, reverse: bool = False) -> tuple[Any, Any]:
    """Loop ``fn`` over the leading (time) axis of ``xs``, like ``jax.lax.scan``.

    ``fn(carry, x_t, *consts) -> (new_carry, y_t)`` is called once, on placeholders of a fresh body graph:
    ``carry`` has the structure of ``init`` (a value or a tuple of values), ``x_t`` that of ``xs`` with axis 0
    dropped (``None`` without ``xs``). ``fn`` may only use its arguments and constants it makes: values of the
    enclosing graph (weights) must be passed through ``consts``. ``new_carry`` must match ``init`` in types;
    ``y_t`` may be a value, a tuple or ``None``. Every ``xs`` must have the same static leading length (or pass
    ``length`` when there are no ``xs``).

    Returns ``(final_carry, ys)``: the carry after the last step (structured like ``init``) and the per-step
    outputs stacked on axis 0, shape ``(length, *y_t.shape)`` (structured like ``y_t``). Carries entering each
    step, and the carry-dependent results of matmuls and transcendental activations, are saved for the VJP
    (residuals: the backward step reads them instead of recomputing them; see :mod:`graphc.ir.ops.scan`).
    Raises :class:`ShapeError` on mismatches.
    """
    carries, c_single = _flat(init, "init")
    x_vals, x_single = _flat(xs, "xs")
    k_vals = list(consts)
    outer = [*carries, *x_vals, *k_vals]
    if not outer:
        raise GraphBuildError("scan: needs at least one carry, x or const", loc=capture())
    graph = outer[0].graph
    lengths = {v.shape[0] if v.shape else None for v in x_vals}
    if length is None:
        if len(lengths) != 1:
            raise ShapeError(f"scan: xs need one common leading length, got {sorted(map(str, lengths))}",
                             loc=capture())
        length = lengths.pop()  # type: ignore[assignment]
    elif lengths and lengths != {length}:
        raise ShapeError(f"scan: xs leading lengths {sorted(map(str, lengths))} differ from length={length}",
                         loc=capture())
    if not isinstance(length, int):
        raise ShapeError(f"scan: the time axis must be static, got {length}", loc=capture())

    body = Graph(f"{graph.name}/scan_body")
    with body:
        c_in = [body.add_placeholder(f"carry{i}", v.type) for i, v in enumerate(carries)]
        x_in = [body.add_placeholder(f"x{i}", TensorType(v.shape[1:], v.dtype)) for i, v in enumerate(x_vals)]
        k_in = [body.add_placeholder(f"const{i}", v.type) for i, v in enumerate(k_vals)]
        x_arg = None if xs is None else _unflat(x_in, x_single)
        result = fn(_unflat(c_in, c_single), x_arg, *k_in)
        if not isinstance(result, tuple) or len(result) != 2:
            raise GraphBuildError("scan: fn must return (new_carry, y)", loc=capture())
        new_c, _ = _flat(result[0], "new_carry")
        ys, y_single = _flat(result[1], "y")
        if len(new_c) != len(carries) or any(a.type != b.type for a, b in zip(new_c, c_in, strict=False)):
            raise ShapeError(f"scan: fn maps carries {[v.type for v in c_in]} to {[v.type for v in new_c]}",
                             loc=capture())
        for v in (*new_c, *ys):
            if v.graph is not body:
                raise GraphBuildError(f"scan: {v!r} comes from graph {v.graph.name!r}; pass outer values "
                                      "through consts", loc=capture())
        residuals = _residuals(body, c_in, [*new_c, *ys])
        body.outputs = [*new_c, *ys, *residuals]
    outs = graph.emit("scan", outer, {"body": body, "num_carry": len(carries), "num_xs": len(x_vals),
                                      "length": length, "reverse": reverse, "save_carries": True,
                                      "num_residuals": len(residuals)})
    nc = len(carries)
    return _unflat(list(outs[:nc]), c_single), (None if result[1] is None else
                                                 _unflat(list(outs[nc:nc + len(ys)]), y_single))

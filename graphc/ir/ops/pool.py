"""2-D pooling over NCHW inputs: ``max_pool2d``, ``avg_pool2d`` and the ops their gradients are made of.

Attributes: ``kernel`` (kh, kw), ``stride`` (sh, sw) and ``padding`` (top, bottom, left, right), each side at
most half the kernel so that every window holds at least one real element. Output sizes follow
:func:`graphc.ir.ops.conv.window_out_size` (windows that run past the padded input are dropped).

* ``max_pool2d`` pads with −∞. Its gradient goes to the **first** maximum of each window in row-major order
  (as in XLA, PyTorch and TensorFlow), so a tie never duplicates gradient. ``max_pool2d_grad(x, g)`` routes the
  pooled cotangent ``g`` to those positions; its adjoint ``max_pool2d_gather(x, c)`` reads ``c`` at those
  positions. Both are linear in their second input (and piecewise constant in ``x``), so each one's VJP is the
  other.
* ``avg_pool2d`` pads with zeros and always divides by ``kh·kw`` (padding counts, PyTorch's default);
  ``avg_pool2d_grad(g)`` spreads ``g / (kh·kw)`` back over each window and is its adjoint (``input_hw`` gives
  the input's spatial size).

Global average pooling is ``mean`` over the spatial axes (see :func:`graphc.dsl.global_avg_pool`).
"""

from __future__ import annotations

from collections.abc import Sequence

from graphc.ir.graph import Node, Value
from graphc.ir.opdef import Attrs, AttrSpec, Case, Linear, OpDef, OpKind, RuleError, register
from graphc.ir.ops import rules
from graphc.ir.ops.conv import check_geometry, out_hw, spatial
from graphc.ir.types import format_shape

Cts = tuple[Value | None, ...]
Needs = tuple[bool, ...]
Grads = Sequence[Value | None]

_POOL = (AttrSpec("kernel", "ints"), AttrSpec("stride", "ints"), AttrSpec("padding", "ints", (0, 0, 0, 0)))


def _geometry(attrs: Attrs) -> dict[str, tuple[int, ...]]:
    return {k: attrs[k] for k in ("kernel", "stride", "padding")}


def pooled_hw(what: str, h: int, w: int, attrs: Attrs) -> tuple[int, int]:
    """Check the pooling attributes and return the output's spatial size."""
    kernel, stride, padding = attrs["kernel"], attrs["stride"], attrs["padding"]
    check_geometry(what, kernel, stride, padding)
    kh, kw = kernel
    if max(padding[:2]) > kh // 2 or max(padding[2:]) > kw // 2:
        raise RuleError(f"{what}: padding {padding} exceeds half the {kh}×{kw} window")
    return out_hw(what, h, w, (kh, kw), stride, padding)


def _pool_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (xs,) = shapes
    n, c, h, w = spatial(xs, "pool")
    return ((n, c, *pooled_hw("pool", h, w, attrs)),)


def _emit(op: str, inputs: tuple[Value, ...], attrs: Attrs, **extra: object) -> Value:
    return inputs[0].graph.emit(op, inputs, {**_geometry(attrs), **extra})[0]


# -- max ------------------------------------------------------------------------------------------------------


def _max_pool_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    assert cts[0] is not None
    return [_emit("max_pool2d_grad", (node.inputs[0], cts[0]), node.attrs)]


def _max_grad_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    xs, gs = shapes
    n, c, h, w = spatial(xs, "max_pool2d_grad")
    if tuple(gs) != (n, c, *pooled_hw("max_pool2d_grad", h, w, attrs)):
        raise RuleError(f"cotangent {format_shape(gs)} is not the pooled shape of {format_shape(xs)}")
    return (xs,)


def _max_grad_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    x = node.inputs[0]
    assert cts[0] is not None
    return [None, _emit("max_pool2d_gather", (x, cts[0]), node.attrs) if needs[1] else None]


def _gather_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    xs, cs = shapes
    if tuple(cs) != tuple(xs):
        raise RuleError(f"the gathered tensor {format_shape(cs)} must have the input's shape {format_shape(xs)}")
    return _pool_shape((xs,), attrs)


def _gather_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    x = node.inputs[0]
    assert cts[0] is not None
    return [None, _emit("max_pool2d_grad", (x, cts[0]), node.attrs) if needs[1] else None]


_MAX_CASES = (
    Case(((2, 3, 6, 6),), {"kernel": (2, 2), "stride": (2, 2)}),
    Case(((2, 2, 7, 5),), {"kernel": (3, 3), "stride": (2, 2), "padding": (1, 1, 1, 0)}),
    Case(((1, 2, 5, 6),), {"kernel": (2, 3), "stride": (1, 2)}),
    Case(((2, 1, 5, 5),), {"kernel": (2, 2), "stride": (2, 2)}),  # odd size: the last row and column are dropped
)


def _two(cases: tuple[Case, ...], second: str) -> tuple[Case, ...]:
    """The pooling cases as cases of a (x, second-input) gradient op."""
    out = []
    for c in cases:
        (xs,) = c.shapes
        n, ch, h, w = xs
        kernel, stride = c.attrs["kernel"], c.attrs["stride"]
        pad = c.attrs.get("padding", (0, 0, 0, 0))
        oh = (h + pad[0] + pad[1] - kernel[0]) // stride[0] + 1
        ow = (w + pad[2] + pad[3] - kernel[1]) // stride[1] + 1
        out.append(Case((xs, (n, ch, oh, ow) if second == "pooled" else xs), c.attrs))
    return tuple(out)


register(OpDef("max_pool2d", OpKind.OPAQUE, 1, _pool_shape, rules.float_same, _POOL, _max_pool_vjp, _MAX_CASES,
               "maximum over each kh×kw window (−∞ padding)"))
register(OpDef("max_pool2d_grad", OpKind.OPAQUE, 2, _max_grad_shape, rules.float_same, _POOL, _max_grad_vjp,
               _two(_MAX_CASES, "pooled"),
               "max_pool2d's VJP: g routed to each window's first maximum of x (summed where windows overlap)",
               linear=Linear("joint", (1,))))
register(OpDef("max_pool2d_gather", OpKind.OPAQUE, 2, _gather_shape, rules.float_same, _POOL, _gather_vjp,
               _two(_MAX_CASES, "input"),
               "c read at each window's first maximum of x (the adjoint of max_pool2d_grad)",
               linear=Linear("joint", (1,))))


# -- average ----------------------------------------------------------------------------------------------------


def _avg_pool_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    x = node.inputs[0]
    assert cts[0] is not None
    return [_emit("avg_pool2d_grad", (cts[0],), node.attrs, input_hw=tuple(x.shape[2:]))]  # type: ignore[arg-type]


def _avg_grad_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (gs,) = shapes
    n, c, oh, ow = spatial(gs, "avg_pool2d_grad", "cotangent")
    if len(attrs["input_hw"]) != 2:
        raise RuleError(f"input_hw needs 2 values, got {attrs['input_hw']}")
    h, w = attrs["input_hw"]
    if pooled_hw("avg_pool2d_grad", h, w, attrs) != (oh, ow):
        raise RuleError(f"cotangent {format_shape(gs)} is not the pooled size of a {h}×{w} input")
    return ((n, c, h, w),)


def _avg_grad_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    assert cts[0] is not None
    return [_emit("avg_pool2d", (cts[0],), node.attrs)]


_AVG_CASES = (
    Case(((2, 3, 6, 6),), {"kernel": (2, 2), "stride": (2, 2)}),
    Case(((2, 2, 7, 5),), {"kernel": (3, 3), "stride": (2, 1), "padding": (1, 1, 1, 0)}),
    Case(((1, 2, 5, 6),), {"kernel": (2, 3), "stride": (1, 2)}),
)
register(OpDef("avg_pool2d", OpKind.OPAQUE, 1, _pool_shape, rules.float_same, _POOL, _avg_pool_vjp, _AVG_CASES,
               "mean over each kh×kw window (zero padding counted)", linear=Linear("joint")))
register(OpDef("avg_pool2d_grad", OpKind.OPAQUE, 1, _avg_grad_shape, rules.float_same,
               (AttrSpec("input_hw", "ints"), *_POOL), _avg_grad_vjp,
               (Case(((2, 3, 3, 3),), {"input_hw": (6, 6), "kernel": (2, 2), "stride": (2, 2)}),
                Case(((2, 2, 4, 4),), {"input_hw": (7, 5), "kernel": (3, 3), "stride": (2, 1),
                                       "padding": (1, 1, 1, 0)}),
                Case(((1, 2, 4, 2),), {"input_hw": (5, 6), "kernel": (2, 3), "stride": (1, 2)})),
               "avg_pool2d's VJP: each pooled cotangent spread evenly over its window", linear=Linear("joint")))

"""Reductions (sum, mean, max, argmax) and the softmax family."""

from __future__ import annotations

from collections.abc import Sequence

from graphc import dsl as G
from graphc.ir.dtypes import DType
from graphc.ir.graph import Node, Value
from graphc.ir.opdef import Attrs, AttrSpec, Case, Linear, OpDef, OpKind, RuleError, nondiff, register
from graphc.ir.ops import rules
from graphc.ir.types import Shape

Cts = tuple[Value | None, ...]
Needs = tuple[bool, ...]
Grads = Sequence[Value | None]

_AXES = (AttrSpec("axis", "ints"), AttrSpec("keepdims", "bool", False))
_REDUCE_CASES = (
    Case(((3, 4),), {"axis": (1,)}),
    Case(((3, 4),), {"axis": (0, 1)}),
    Case(((2, 3, 4),), {"axis": (0, 2), "keepdims": True}),
    Case(((5,),), {"axis": (0,)}),
)


def _kept_shape(x: Value, attrs: Attrs) -> Shape:
    """``x``'s shape with the reduced axes set to 1 (the keepdims form)."""
    return tuple(1 if i in attrs["axis"] else d for i, d in enumerate(x.shape))


def _spread(node: Node, g: Value) -> Value:
    """Broadcast a reduction's cotangent back over the reduced axes."""
    x = node.inputs[0]
    return G.broadcast_to(G.reshape(g, _kept_shape(x, node.attrs)), x.shape)


def _sum_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    return [_spread(node, cts[0])]  # type: ignore[arg-type]


def _mean_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    x = node.inputs[0]
    return [_spread(node, cts[0]) / G.count(x, node.attrs["axis"])]  # type: ignore[arg-type]


def _max_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    x, y = node.inputs[0], node.outputs[0]
    kept = _kept_shape(x, node.attrs)
    hit = G.cast(G.equal(x, G.reshape(y, kept)), x.dtype)
    share = hit / G.sum(hit, node.attrs["axis"], keepdims=True)  # ties share the gradient equally
    return [_spread(node, cts[0]) * share]  # type: ignore[arg-type]


register(OpDef("sum", OpKind.REDUCTION, 1, rules.reduce_shape, rules.numeric_same, _AXES, _sum_vjp, _REDUCE_CASES,
               "sum over axes", linear=Linear("joint")))
register(OpDef("mean", OpKind.REDUCTION, 1, rules.reduce_shape, rules.float_same, _AXES, _mean_vjp, _REDUCE_CASES,
               "mean over axes", linear=Linear("joint")))
register(OpDef("max", OpKind.REDUCTION, 1, rules.reduce_shape, rules.numeric_same, _AXES, _max_vjp, _REDUCE_CASES,
               "maximum over axes"))


def _argmax_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (shape,) = shapes
    rules.check_axes((attrs["axis"],), len(shape))
    return (tuple(d for i, d in enumerate(shape) if i != attrs["axis"]),)


def _argmax_dtype(dtypes: rules.DTypes, attrs: Attrs) -> rules.DTypes:
    if dtypes[0].is_bool:
        raise RuleError("needs a numeric input")
    return (DType.int64,)


register(OpDef("argmax", OpKind.REDUCTION, 1, _argmax_shape, _argmax_dtype, (AttrSpec("axis", "int"),), nondiff,
               (Case(((3, 4),), {"axis": 1}, fd=False), Case(((3, 4),), {"axis": 0}, fd=False)),
               "index of the maximum along an axis (int64)"))


def _softmax_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    g, y = cts[0], node.outputs[0]
    return [y * (g - G.sum(g * y, node.attrs["axis"], keepdims=True))]  # type: ignore[operator]


def _log_softmax_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    g, y = cts[0], node.outputs[0]
    return [g - G.exp(y) * G.sum(g, node.attrs["axis"], keepdims=True)]  # type: ignore[operator]


_SOFTMAX_CASES = (Case(((3, 5),), {"axis": 1}), Case(((3, 5),), {"axis": 0}), Case(((2, 3, 4),), {"axis": 2}))
register(OpDef("softmax", OpKind.REDUCTION, 1, rules.one_axis_same_shape, rules.float_same,
               (AttrSpec("axis", "int"),), _softmax_vjp, _SOFTMAX_CASES, "exp(x)/sum(exp(x)) along an axis"))
register(OpDef("log_softmax", OpKind.REDUCTION, 1, rules.one_axis_same_shape, rules.float_same,
               (AttrSpec("axis", "int"),), _log_softmax_vjp, _SOFTMAX_CASES, "x - logsumexp(x) along an axis"))


# -- softmax cross-entropy with integer labels ---------------------------------------------------------------
# One op for the loss every classifier ends with (TensorFlow's SparseSoftmaxCrossEntropyWithLogits has the same
# two outputs). Written with primitives it is one_hot → log_softmax → mul → sum in the forward pass and five
# more small ops in the backward; as one op it is one max-shifted log-sum-exp, and the gradient with respect
# to the logits — softmax minus one-hot — falls out of the same exponentials as its second output, so the
# backward pass is a single scale. Labels outside [0, classes) match one_hot's zero rows: loss 0, gradient 0.


def _xent_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    logits, labels = shapes
    if len(logits) < 1 or not isinstance(logits[-1], int):
        raise RuleError("logits need a static class axis (the last)")
    if tuple(labels) != tuple(logits[:-1]):
        raise RuleError(f"labels of shape {tuple(labels)} must have the logits' shape without the class axis "
                        f"{tuple(logits[:-1])}")
    return (tuple(logits[:-1]), tuple(logits))


def _xent_dtype(dtypes: rules.DTypes, attrs: Attrs) -> rules.DTypes:
    logits, labels = dtypes
    if not logits.is_float:
        raise RuleError(f"logits must be float, got {logits}", dtype=True)
    if not labels.is_int:
        raise RuleError(f"labels must be integers, got {labels}", dtype=True)
    return (logits, logits)


def _xent_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    x, labels = node.inputs
    dlogits = node.outputs[1]
    g_loss, g_d = cts
    grad: Value | None = None
    if g_loss is not None:
        grad = dlogits * G.expand_dims(g_loss, -1)
    if g_d is not None:  # second order: dlogits = valid·softmax(x) − one_hot, so its VJP is valid·softmax's
        p = G.softmax(x, -1)
        classes = x.shape[-1]
        assert isinstance(classes, int)  # the shape rule requires a static class axis
        valid = G.sum(G.one_hot(labels, classes, x.dtype), -1, keepdims=True)
        term = valid * p * (g_d - G.sum(g_d * p, -1, keepdims=True))
        grad = term if grad is None else grad + term
    return [grad, None]


register(OpDef("softmax_xent", OpKind.OPAQUE, 2, _xent_shape, _xent_dtype, (), _xent_vjp,
               (Case(((4, 5), (4,)), dtypes=("float64", "int64"), domain=("real", "int:5")),
                Case(((2, 3, 4), (2, 3)), dtypes=("float64", "int32"), domain=("real", "int:4")),
                Case(((6, 3), (6,)), dtypes=("float64", "int64"), domain=("real", "int:5"))),  # some out of range
               "softmax cross-entropy with integer labels along the last axis → (per-example loss, "
               "d loss / d logits); out-of-range labels give 0 and 0"))

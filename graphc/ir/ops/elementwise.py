"""Elementwise ops: arithmetic, comparisons, selection, casts and activation functions.

VJP rules are written with the DSL, so the gradient they emit is ordinary IR. Binary rules reduce broadcast
gradients back to each input's shape with ``sum_to``.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphc import dsl as G
from graphc.ir.graph import Node, Value
from graphc.ir.opdef import AttrSpec, Case, DTypeRule, Linear, OpDef, OpKind, VJPRule, nondiff, register
from graphc.ir.ops import rules

Cts = tuple[Value | None, ...]
Needs = tuple[bool, ...]
Grads = Sequence[Value | None]

_UNARY = (Case(((3, 4),)), Case(((2, 3, 5),)), Case(((),)))
_UNARY_NZ = (Case(((3, 4),), domain=("nonzero",)), Case(((5,),), domain=("nonzero",)))
_BINARY = (Case(((3, 4), (3, 4))), Case(((2, 3, 4), (4,))), Case(((3, 1), (1, 5))), Case(((), (2, 3))))


def _unary(name: str, vjp: VJPRule, dtype_rule: DTypeRule = rules.float_same, cases: tuple[Case, ...] = _UNARY,
           attrs: tuple[AttrSpec, ...] = (), doc: str = "", linear: Linear | None = None) -> OpDef:
    return register(OpDef(name, OpKind.ELEMENTWISE, 1, rules.same_shape, dtype_rule, attrs, vjp, cases, doc,
                          linear=linear))


def _binary(name: str, vjp: VJPRule, dtype_rule: DTypeRule = rules.numeric_same,
            cases: tuple[Case, ...] = _BINARY, commutative: bool = False, doc: str = "",
            linear: Linear | None = None) -> OpDef:
    return register(OpDef(name, OpKind.ELEMENTWISE, 2, rules.broadcast, dtype_rule, (), vjp, cases, doc,
                          commutative=commutative, linear=linear))


def _float_in(node: Node, i: int) -> bool:
    return node.inputs[i].dtype.is_float


# -- arithmetic ---------------------------------------------------------------------------------------------


def _add_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (g,) = cts
    assert g is not None  # single-output ops are only asked for a VJP when their output has a cotangent
    a, b = node.inputs
    return [G.sum_to(g, a.shape) if needs[0] else None, G.sum_to(g, b.shape) if needs[1] else None]


def _sub_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (g,) = cts
    assert g is not None
    a, b = node.inputs
    return [G.sum_to(g, a.shape) if needs[0] else None, G.sum_to(-g, b.shape) if needs[1] else None]


def _mul_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (g,) = cts
    a, b = node.inputs
    return [G.sum_to(g * b, a.shape) if needs[0] else None, G.sum_to(g * a, b.shape) if needs[1] else None]


def _div_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (g,) = cts
    a, b = node.inputs
    y = node.outputs[0]
    return [G.sum_to(g / b, a.shape) if needs[0] else None, G.sum_to(-(g * y) / b, b.shape) if needs[1] else None]


def _pow_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (g,) = cts
    a, b = node.inputs
    y = node.outputs[0]
    ga = G.sum_to(g * b * (a ** (b - 1.0)), a.shape) if needs[0] else None
    gb = G.sum_to(g * y * G.log(a), b.shape) if needs[1] else None
    return [ga, gb]


def _select_vjp(first_wins: str) -> VJPRule:
    """maximum/minimum: the gradient goes to the selected input (to ``a`` at ties)."""

    def vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
        (g,) = cts
        assert g is not None
        a, b = node.inputs
        mask = G.greater_equal(a, b) if first_wins == "max" else G.less_equal(a, b)
        zero = G.constant(0.0, g.dtype, graph=g.graph)
        ga = G.sum_to(G.where(mask, g, zero), a.shape) if needs[0] else None
        gb = G.sum_to(G.where(mask, zero, g), b.shape) if needs[1] else None
        return [ga, gb]

    return vjp


add = _binary("add", _add_vjp, commutative=True, doc="a + b", linear=Linear("joint", (0, 1)))
sub = _binary("sub", _sub_vjp, doc="a - b", linear=Linear("joint", (0, 1)))
mul = _binary("mul", _mul_vjp, commutative=True, doc="a * b", linear=Linear("each", (0, 1)))
_DIV_CASES = (Case(((3, 4), (3, 4)), domain=("real", "nonzero")), Case(((2, 3), (3,)), domain=("real", "nonzero")))
_POW_CASES = (Case(((3, 4), (3, 4)), domain=("positive", "real")), Case(((2, 3), ()), domain=("positive", "real")))
div = _binary("div", _div_vjp, rules.float_same, doc="a / b", cases=_DIV_CASES, linear=Linear("each", (0,)))
pow_ = _binary("pow", _pow_vjp, rules.float_same, doc="a ** b", cases=_POW_CASES)
maximum = _binary("maximum", _select_vjp("max"), commutative=True, doc="elementwise max")
minimum = _binary("minimum", _select_vjp("min"), commutative=True, doc="elementwise min")

_COMPARE_CASES = (Case(((3, 4), (3, 4)), fd=False), Case(((2, 3), (3,)), fd=False))
for _name in ("less", "less_equal", "greater", "greater_equal", "equal", "not_equal"):
    _binary(_name, nondiff, rules.to_bool, _COMPARE_CASES, commutative=_name in ("equal", "not_equal"),
            doc=f"elementwise {_name} → bool")


def _neg_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    return [-cts[0]]  # type: ignore[operator]


def _exp_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    return [cts[0] * node.outputs[0]]  # type: ignore[operator]


def _log_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    return [cts[0] / node.inputs[0]]  # type: ignore[operator]


def _sqrt_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    return [cts[0] * 0.5 / node.outputs[0]]  # type: ignore[operator]


def _abs_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    return [cts[0] * G.sign(node.inputs[0])]  # type: ignore[operator]


def _zero_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    """Piecewise-constant functions (sign, floor, step): the derivative is zero almost everywhere."""
    return [None] * len(node.inputs)


neg = _unary("neg", _neg_vjp, rules.numeric_same, doc="-x", linear=Linear("joint"))
exp = _unary("exp", _exp_vjp, doc="e**x")
log = _unary("log", _log_vjp, cases=(Case(((3, 4),), domain=("positive",)),), doc="natural log")
sqrt = _unary("sqrt", _sqrt_vjp, cases=(Case(((3, 4),), domain=("positive",)),), doc="square root")
abs_ = _unary("abs", _abs_vjp, rules.numeric_same, _UNARY_NZ, doc="|x|")
sign = _unary("sign", _zero_vjp, rules.numeric_same, _UNARY_NZ, doc="-1, 0 or 1")
floor = _unary("floor", _zero_vjp, cases=_UNARY_NZ, doc="round towards -inf")
stop_gradient = _unary("stop_gradient", _zero_vjp, rules.first_input, doc="identity with zero gradient",
                       cases=(Case(((3, 4),), fd=False), Case(((),), fd=False)), linear=Linear("joint"))


# -- activations --------------------------------------------------------------------------------------------


def _sigmoid_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    y = node.outputs[0]
    return [cts[0] * (y * (1.0 - y))]  # type: ignore[operator]


def _tanh_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    y = node.outputs[0]
    return [cts[0] * (1.0 - y * y)]  # type: ignore[operator]


def _relu_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    # the mask from the output (y > 0 iff x > 0): x is then dead after the forward op, so the ReLU can join
    # its producer's fused kernel and x's buffer is free for reuse
    return [cts[0] * G.step(node.outputs[0])]  # type: ignore[operator]


def _leaky_relu_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    x = node.inputs[0]
    alpha = node.attrs["alpha"]
    slope = G.step(x) * (1.0 - alpha) + alpha
    return [cts[0] * slope]  # type: ignore[operator]


def _elu_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    x, y = node.inputs[0], node.outputs[0]
    alpha = node.attrs["alpha"]
    pos = G.step(x)
    # d/dx = 1 for x > 0, alpha * exp(x) = y + alpha otherwise
    return [cts[0] * (pos + (1.0 - pos) * (y + alpha))]  # type: ignore[operator]


sigmoid = _unary("sigmoid", _sigmoid_vjp, doc="1 / (1 + exp(-x))")
tanh = _unary("tanh", _tanh_vjp, doc="hyperbolic tangent")
relu = _unary("relu", _relu_vjp, rules.numeric_same, _UNARY_NZ, doc="max(x, 0)")
leaky_relu = _unary("leaky_relu", _leaky_relu_vjp, cases=_UNARY_NZ, attrs=(AttrSpec("alpha", "float", 0.01),),
                    doc="x if x > 0 else alpha * x")
elu = _unary("elu", _elu_vjp, cases=_UNARY_NZ, attrs=(AttrSpec("alpha", "float", 1.0),),
             doc="x if x > 0 else alpha * (exp(x) - 1)")
step = _unary("step", _zero_vjp, rules.numeric_same, _UNARY_NZ, attrs=(AttrSpec("threshold", "float", 0.0),),
              doc="1 if x > threshold else 0 (the perceptron's unit)")


# -- selection and casts --------------------------------------------------------------------------------------


def _where_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (g,) = cts
    c, a, b = node.inputs
    zero = G.constant(0.0, g.dtype, graph=g.graph)  # type: ignore[union-attr]
    ga = G.sum_to(G.where(c, g, zero), a.shape) if needs[1] else None
    gb = G.sum_to(G.where(c, zero, g), b.shape) if needs[2] else None
    return [None, ga, gb]


def _where_dtype(dtypes: rules.DTypes, attrs: object) -> rules.DTypes:
    from graphc.ir.opdef import RuleError

    if not dtypes[0].is_bool:
        raise RuleError(f"condition must be bool, got {dtypes[0]}")
    return rules.any_same(dtypes[1:], attrs)  # type: ignore[arg-type]


register(OpDef(
    "where", OpKind.ELEMENTWISE, 3, rules.broadcast, _where_dtype, (), _where_vjp,
    (Case(((3, 4), (3, 4), (3, 4)), dtypes=("bool", "float64", "float64"), domain=("bool", "real", "real")),
     Case(((3, 1), (1, 4), ()), dtypes=("bool", "float64", "float64"), domain=("bool", "real", "real"))),
    "cond ? a : b",
))


def _cast_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    src = node.inputs[0].dtype
    if not (src.is_float and node.outputs[0].dtype.is_float):
        return [None]
    return [G.cast(cts[0], src)]


register(OpDef(
    "cast", OpKind.ELEMENTWISE, 1, rules.same_shape, rules.attr_dtype, (AttrSpec("dtype", "dtype"),), _cast_vjp,
    (Case(((3, 4),), {"dtype": "float64"}), Case(((3, 4),), {"dtype": "float32"}, fd=False),
     Case(((3,),), {"dtype": "int32"}, fd=False)),
    "convert dtype",
))

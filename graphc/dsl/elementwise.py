"""Elementwise DSL functions: arithmetic, comparisons, selection, casts and activations.

Binary functions broadcast like NumPy; Python numbers take the other operand's dtype.
"""

from __future__ import annotations

from typing import Any

from graphc.dsl.builder import lift, lift_all
from graphc.ir.dtypes import as_dtype
from graphc.ir.graph import Value


def _unary(op: str, x: Any, **attrs: Any) -> Value:
    v = lift(x)
    return v.graph.emit(op, (v,), attrs)[0]


def _binary(op: str, a: Any, b: Any) -> Value:
    va, vb = lift_all(a, b)
    return va.graph.emit(op, (va, vb))[0]


def add(a: Any, b: Any) -> Value:
    """``a + b``."""
    return _binary("add", a, b)


def sub(a: Any, b: Any) -> Value:
    """``a - b``."""
    return _binary("sub", a, b)


def mul(a: Any, b: Any) -> Value:
    """``a * b``."""
    return _binary("mul", a, b)


def div(a: Any, b: Any) -> Value:
    """``a / b`` (floating point)."""
    return _binary("div", a, b)


def pow(a: Any, b: Any) -> Value:
    """``a ** b`` (floating point)."""
    return _binary("pow", a, b)


def maximum(a: Any, b: Any) -> Value:
    """Elementwise maximum; at ties the gradient goes to ``a``."""
    return _binary("maximum", a, b)


def minimum(a: Any, b: Any) -> Value:
    """Elementwise minimum; at ties the gradient goes to ``a``."""
    return _binary("minimum", a, b)


def less(a: Any, b: Any) -> Value:
    return _binary("less", a, b)


def less_equal(a: Any, b: Any) -> Value:
    return _binary("less_equal", a, b)


def greater(a: Any, b: Any) -> Value:
    return _binary("greater", a, b)


def greater_equal(a: Any, b: Any) -> Value:
    return _binary("greater_equal", a, b)


def equal(a: Any, b: Any) -> Value:
    """Elementwise ``a == b`` (the ``==`` operator is identity on values)."""
    return _binary("equal", a, b)


def not_equal(a: Any, b: Any) -> Value:
    return _binary("not_equal", a, b)


def where(cond: Any, a: Any, b: Any) -> Value:
    """``a`` where ``cond`` (bool) holds, else ``b``; all three broadcast."""
    c = lift(cond)
    va, vb = lift_all(a, b)
    return c.graph.emit("where", (c, va, vb))[0]


def cast(x: Any, dtype: Any) -> Value:
    """Convert to ``dtype`` (a no-op node is not emitted when the dtype already matches)."""
    v = lift(x)
    dt = as_dtype(dtype)
    if v.dtype is dt:
        return v
    return v.graph.emit("cast", (v,), {"dtype": dt})[0]


def neg(x: Any) -> Value:
    return _unary("neg", x)


def exp(x: Any) -> Value:
    return _unary("exp", x)


def log(x: Any) -> Value:
    return _unary("log", x)


def sqrt(x: Any) -> Value:
    return _unary("sqrt", x)


def abs(x: Any) -> Value:
    return _unary("abs", x)


def sign(x: Any) -> Value:
    return _unary("sign", x)


def floor(x: Any) -> Value:
    return _unary("floor", x)


def square(x: Any) -> Value:
    """``x * x``."""
    v = lift(x)
    return mul(v, v)


def sigmoid(x: Any) -> Value:
    """The logistic function ``1 / (1 + exp(-x))``, computed stably."""
    return _unary("sigmoid", x)


def tanh(x: Any) -> Value:
    return _unary("tanh", x)


def relu(x: Any) -> Value:
    """``max(x, 0)``; gradient 0 at 0."""
    return _unary("relu", x)


def leaky_relu(x: Any, alpha: float = 0.01) -> Value:
    """``x`` for ``x > 0``, else ``alpha * x``."""
    return _unary("leaky_relu", x, alpha=alpha)


def elu(x: Any, alpha: float = 1.0) -> Value:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return _unary("elu", x, alpha=alpha)


def step(x: Any, threshold: float = 0.0) -> Value:
    """The perceptron's threshold unit: 1 where ``x > threshold``, else 0, in ``x``'s dtype (gradient 0)."""
    return _unary("step", x, threshold=threshold)


def stop_gradient(x: Any) -> Value:
    """Identity whose gradient is zero."""
    return _unary("stop_gradient", x)


def one_hot(labels: Any, depth: int, dtype: Any = "float32") -> Value:
    """Integer labels → one-hot rows of length ``depth`` (a new last axis); not differentiable."""
    v = lift(labels)
    return v.graph.emit("one_hot", (v,), {"depth": depth, "dtype": as_dtype(dtype)})[0]

"""The JAX lowering table: op name → a function that computes one node with ``jax.numpy``/``jax.lax`` calls.

A lowering is called while :mod:`graphc.backends.jax.tracing` traces a program under ``jax.jit``, so it runs
once per compiled input signature and never at run time. It receives

* ``args`` — the node's input values (JAX tracers, or concrete arrays for constants), in input order;
* ``attrs`` — the node's checked attributes (see the op's :class:`~graphc.ir.opdef.OpDef`);
* ``ctx`` — a :class:`LowerCtx` holding the symbol binding and backend options,

and returns the node's output (one array; a tuple of arrays for multi-output ops).

Semantics are those of the NumPy backend (:mod:`graphc.backends.numpy.lowering` and its ``runtime``), the
reference: same dtypes (every scalar operand is typed with the tensor's dtype, so float32 stays float32 even
with 64-bit mode on), the same out-of-range conventions (``one_hot`` gives zero rows), ``slice`` stops equal
to :data:`graphc.dsl.layout.END` mean "to the end", ``unslice`` scatters into zeros, integer ``sum`` keeps its
dtype, ``argmax`` is int64. The tracer checks every result's shape and dtype against the IR type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from graphc.backends.jax.layout import LAYOUT_TABLE, logical
from graphc.dsl.layout import END
from graphc.errors import GraphcError, LoweringError
from graphc.ir.dtypes import DType
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.opdef import Attrs
from graphc.ir.types import Dim, Sym, bind_dim, bind_shape


@dataclass(frozen=True)
class LowerCtx:
    """What a lowering may know beyond its inputs: the binding of symbolic dimensions and backend options.

    ``precision`` is passed to every ``matmul`` (``lax.Precision.HIGHEST`` by default so float32 products are
    true float32 on GPUs too, where XLA's default would use TF32 and drift from the NumPy reference).
    """

    binding: Mapping[Sym, int]
    precision: lax.Precision | None = lax.Precision.HIGHEST
    channels_last: bool = False
    """Run convolution networks channels-last (see :mod:`graphc.backends.jax.layout`); else NCHW throughout."""

    def dims(self, dims: Sequence[Dim]) -> tuple[int, ...]:
        """Concrete sizes of (possibly symbolic) dimensions under this binding."""
        return tuple(bind_dim(d, self.binding) for d in dims)


Lowering = Callable[[Sequence[Any], Attrs, LowerCtx], Any]
TABLE: dict[str, Lowering] = {}


def lower_nodes(nodes: Iterable[Node], env: dict[Value, Any], ctx: LowerCtx) -> None:
    """Compute ``nodes`` (in topological order) from the values in ``env``, adding their outputs to ``env``.

    Every result is checked against the node's IR type (shape under ``ctx.binding``, dtype): this runs while
    tracing, so the check costs nothing per call, and a lowering that disagrees with its op's rules raises
    :class:`LoweringError` at the node's source line instead of computing wrong numbers. An exception
    inside a lowering becomes a :class:`LoweringError` at that line too (chained to the original).

    ``env`` may hold :class:`~graphc.backends.jax.layout.ChannelsLast` values; read results through
    :func:`~graphc.backends.jax.layout.logical`.
    """
    for node in nodes:
        name = node.op.name
        try:
            result = _matmul_of_transposes(node, env, ctx) if name == "matmul" else None
            if result is None:
                args = [env[v] for v in node.inputs]
                aware = LAYOUT_TABLE.get(name) if ctx.channels_last else None
                if aware is not None:
                    result = aware(args, node.attrs, ctx)
                if result is None:
                    result = TABLE[name]([logical(a) for a in args], node.attrs, ctx)
        except GraphcError:
            raise
        except Exception as e:  # a JAX error deep in a lowering: report the node and the user's line instead
            raise LoweringError(
                f"jax backend: lowering of {node.op.name!r} failed: {type(e).__name__}: {e}", loc=node.loc
            ) from e
        results = (result,) if len(node.outputs) == 1 else tuple(result)
        for value, array in zip(node.outputs, results, strict=True):
            want_shape, want_dtype = bind_shape(value.shape, ctx.binding), value.dtype.numpy
            if tuple(array.shape) != want_shape or np.dtype(array.dtype) != want_dtype:
                got = f"{np.dtype(array.dtype)}{list(array.shape)}"
                raise LoweringError(
                    f"jax backend: lowering of {node.op.name!r} gave {got}, "
                    f"the IR says {want_dtype}{list(want_shape)} ({value.type})",
                    loc=node.loc,
                )
            env[value] = array


def _swapped_2d(v: Value) -> Value | None:
    """``x`` when ``v = transpose(x)`` of a matrix, else None."""
    p = v.producer
    if p is not None and p.op.name == "transpose" and v.ndim == 2 and tuple(p.attrs["perm"]) == (1, 0):
        return p.inputs[0]
    return None


def _matmul_of_transposes(node: Node, env: dict[Value, Any], ctx: LowerCtx) -> Any:
    """A product of matrices with a transposed operand as one ``dot_general`` contracting the untransposed
    matrix along its other axis — what ``jax.grad`` emits for a matmul's VJP — else None. XLA would fold the
    transpose itself, but one op instead of two keeps a training step's HLO smaller and its compile faster."""
    a, b = node.inputs
    sa, sb = _swapped_2d(a), _swapped_2d(b)
    if a.ndim != 2 or b.ndim != 2 or (sa is None and sb is None):
        return None
    xa, ca = (logical(env[sa]), 0) if sa is not None else (logical(env[a]), 1)
    xb, cb = (logical(env[sb]), 1) if sb is not None else (logical(env[b]), 0)
    return lax.dot_general(xa, xb, (((ca,), (cb,)), ((), ())), precision=ctx.precision)


def _typed(x: Any, v: float) -> Any:
    """``v`` as a scalar of ``x``'s dtype, exactly as the NumPy backend converts attribute scalars.

    A NumPy scalar is strongly typed in JAX, so it never widens ``x`` (a Python float would be weakly typed,
    which is also safe, but this keeps the int truncation of e.g. ``step(int_x, 0.5)`` identical to NumPy's).
    """
    return np.dtype(x.dtype).type(v)


# -- elementwise ---------------------------------------------------------------------------------------------


def _call(fn: Callable[..., Any]) -> Lowering:
    def lower(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
        return fn(*args)

    return lower


_ELEMENTWISE: dict[str, Callable[..., Any]] = {
    "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "div": jnp.true_divide, "pow": jnp.power,
    "maximum": jnp.maximum, "minimum": jnp.minimum, "less": jnp.less, "less_equal": jnp.less_equal,
    "greater": jnp.greater, "greater_equal": jnp.greater_equal, "equal": jnp.equal,
    "not_equal": jnp.not_equal,
    "neg": jnp.negative, "exp": jnp.exp, "log": jnp.log, "sqrt": jnp.sqrt, "abs": jnp.abs, "sign": jnp.sign,
    "floor": jnp.floor, "tanh": jnp.tanh, "where": jnp.where, "sigmoid": jax.nn.sigmoid,
    "stop_gradient": lax.stop_gradient,
}
for _op, _fn in _ELEMENTWISE.items():
    TABLE[_op] = _call(_fn)


def _relu(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    return jnp.maximum(x, _typed(x, 0))


def _step(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    return (x > _typed(x, attrs["threshold"])).astype(x.dtype)


def _leaky_relu(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    return jnp.where(x > _typed(x, 0), x, x * _typed(x, attrs["alpha"]))


def _elu(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    neg = jnp.expm1(jnp.minimum(x, _typed(x, 0))) * _typed(x, attrs["alpha"])
    return jnp.where(x > _typed(x, 0), x, neg)


def _cast(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    return args[0].astype(attrs["dtype"].numpy)


TABLE["relu"] = _relu
TABLE["step"] = _step
TABLE["leaky_relu"] = _leaky_relu
TABLE["elu"] = _elu
TABLE["cast"] = _cast
TABLE["matmul"] = lambda args, attrs, ctx: jnp.matmul(args[0], args[1], precision=ctx.precision)


# -- reductions ----------------------------------------------------------------------------------------------


def _sum(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    # dtype=: jnp.sum widens int32 to int64 under 64-bit mode (as np.sum does); graphc keeps the input dtype
    return jnp.sum(x, axis=attrs["axis"], keepdims=attrs["keepdims"], dtype=x.dtype)


def _mean(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    return jnp.mean(x, axis=attrs["axis"], keepdims=attrs["keepdims"], dtype=x.dtype)


def _max(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    return jnp.max(args[0], axis=attrs["axis"], keepdims=attrs["keepdims"])


def _argmax(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    return jnp.argmax(args[0], axis=attrs["axis"]).astype(np.int64)


def _softmax(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    axis = attrs["axis"]
    # the same max-shifted form as the NumPy runtime, so both backends round alike
    z = jnp.exp(x - jnp.max(x, axis=axis, keepdims=True))
    return z / jnp.sum(z, axis=axis, keepdims=True)


def _log_softmax(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    axis = attrs["axis"]
    z = x - jnp.max(x, axis=axis, keepdims=True)
    return z - jnp.log(jnp.sum(jnp.exp(z), axis=axis, keepdims=True))


def _softmax_xent(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    x, labels = args
    z = x - jnp.max(x, axis=-1, keepdims=True)
    e = jnp.exp(z)
    s = jnp.sum(e, axis=-1, keepdims=True)
    y = jax.nn.one_hot(labels, x.shape[-1], dtype=x.dtype)  # zero rows for out-of-range labels, as in NumPy
    valid = jnp.sum(y, axis=-1)
    loss = valid * jnp.log(s[..., 0]) - jnp.sum(y * z, axis=-1)
    return loss, (e / s) * valid[..., None] - y


TABLE["sum"] = _sum
TABLE["mean"] = _mean
TABLE["max"] = _max
TABLE["argmax"] = _argmax
TABLE["softmax"] = _softmax
TABLE["log_softmax"] = _log_softmax
TABLE["softmax_xent"] = _softmax_xent


# -- layout --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AxisSlice:
    """A Python slice of one axis as XLA wants it: ``x[first : first + (count-1)*stride + 1 : stride]``, then
    reversed when the slice ran backwards. Negative steps become a forward strided slice plus ``lax.rev``, so
    ``slice`` and ``unslice`` lower to ``slice``/``rev``/``pad`` — no gathers or scatters."""

    first: int
    count: int
    stride: int
    reverse: bool


def _axis_slice(size: int, start: int, stop: int, step: int) -> _AxisSlice:
    idx = range(*slice(start, None if stop == END else stop, step).indices(size))
    if not idx:
        return _AxisSlice(0, 0, 1, False)
    if step > 0:
        return _AxisSlice(idx[0], len(idx), step, False)
    return _AxisSlice(idx[-1], len(idx), -step, True)


def _plan(shape: Sequence[int], slices: Sequence[tuple[int, int, int]]) -> list[_AxisSlice]:
    return [_axis_slice(n, *s) for n, s in zip(shape, slices, strict=True)]


def _reversed_axes(plan: Sequence[_AxisSlice]) -> tuple[int, ...]:
    return tuple(i for i, p in enumerate(plan) if p.reverse and p.count > 1)


def _slice(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (x,) = args
    plan = _plan(x.shape, attrs["slices"])
    out = lax.slice(
        x,
        [p.first for p in plan],
        [p.first + (p.count - 1) * p.stride + 1 if p.count else p.first for p in plan],
        [p.stride for p in plan],
    )
    rev = _reversed_axes(plan)
    return lax.rev(out, rev) if rev else out


def _unslice(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (g,) = args
    shape = ctx.dims(attrs["shape"])
    plan = _plan(shape, attrs["slices"])
    rev = _reversed_axes(plan)
    if rev:
        g = lax.rev(g, rev)
    # interior padding puts stride-1 zeros between the slice's elements; low/high padding fills the rest
    config = [
        (p.first, n - p.first - (p.count - 1) * p.stride - 1, p.stride - 1) if p.count else (n, 0, 0)
        for n, p in zip(shape, plan, strict=True)
    ]
    return lax.pad(g, np.zeros((), g.dtype), config)


TABLE["reshape"] = lambda args, attrs, ctx: jnp.reshape(args[0], ctx.dims(attrs["shape"]))
TABLE["transpose"] = lambda args, attrs, ctx: jnp.transpose(args[0], attrs["perm"])
TABLE["broadcast_to"] = lambda args, attrs, ctx: jnp.broadcast_to(args[0], ctx.dims(attrs["shape"]))
TABLE["concat"] = lambda args, attrs, ctx: jnp.concatenate(list(args), axis=attrs["axis"])
TABLE["slice"] = _slice
TABLE["unslice"] = _unslice


# -- creation ------------------------------------------------------------------------------------------------


def _constant(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    arr = attrs["value"].array
    return jnp.asarray(arr, dtype=arr.dtype)  # typed: embedded in the XLA computation as a literal


def _dimsize(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    dtype: DType = attrs["dtype"]
    return jnp.asarray(int(np.prod(ctx.dims(attrs["dims"]))), dtype=dtype.numpy)


def _one_hot(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    (labels,) = args
    # labels outside [0, depth) match no column: an all-zero row, as in the NumPy runtime
    hits = labels[..., None] == jnp.arange(attrs["depth"], dtype=labels.dtype)
    return hits.astype(attrs["dtype"].numpy)


TABLE["constant"] = _constant
TABLE["dimsize"] = _dimsize
TABLE["one_hot"] = _one_hot


# -- fused groups ------------------------------------------------------------------------------------------


def _fused(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    # XLA does its own fusion: the group's body is simply traced inline into the enclosing computation
    body: Graph = attrs["body"]
    env: dict[Value, Any] = dict(zip(body.inputs, args, strict=True))
    lower_nodes(body.nodes, env, ctx)
    outs = tuple(env[v] for v in body.outputs)  # channels-last results stay so: the caller's env takes them
    return outs[0] if len(outs) == 1 else outs


TABLE["fused"] = _fused

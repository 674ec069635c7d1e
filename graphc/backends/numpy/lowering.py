"""The NumPy lowering table: op name → a function that writes the Python expression computing one node.

A lowering receives the node, the generated variable names of its inputs and the :class:`LowerCtx`, and returns
an expression string. Only generated identifiers, names of vetted callables and ``repr`` of validated ints and
bools ever appear in the source; every other payload (floats, arrays, dtypes, slices) is passed through the
context's constant table, so nothing a user named or fed can become code.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from graphc.dsl.layout import END
from graphc.ir.graph import Node, Value
from graphc.ir.types import Dim, Sym, bind_dim


class LowerCtx:
    """Per-specialisation state: the symbol binding and the table of constants the program closes over."""

    def __init__(self, binding: Mapping[Sym, int]) -> None:
        self.binding = binding
        self.consts: dict[str, Any] = {}
        self.functions: list[str] = []  # sources of helper functions (fused kernels) the program calls
        self._by_id: dict[int, str] = {}
        self._by_key: dict[tuple[Any, ...], str] = {}
        self._scratch: list[tuple[str, tuple[int, ...], np.dtype[Any], int]] = []  # see scratch()
        # With memory planning, the values whose memory the program returns (MemoryPlan.returned); others may
        # live in buffers the executable keeps between calls. None: no planning — every result is a fresh array.
        self.returned: frozenset[Value] | None = None

    def const(self, obj: Any) -> str:
        """Name of a constant holding ``obj`` in the generated namespace."""
        key = id(obj)
        name = self._by_id.get(key)
        if name is None:
            name = f"k{len(self.consts)}"
            self.consts[name] = obj
            self._by_id[key] = name
        return name

    def filled(self, shape: tuple[int, ...], dtype: np.dtype[Any], value: float) -> str:
        """Name of a read-only array of ``shape`` holding ``value`` everywhere (one per shape, dtype and value
        per specialisation)."""
        key = ("filled", shape, np.dtype(dtype).str, value)
        name = self._by_key.get(key)
        if name is None:
            arr = np.full(shape, value, dtype)
            arr.setflags(write=False)
            name = self._by_key[key] = self.const(arr)
        return name

    def zeros(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> str:
        """Name of a read-only zeros array of ``shape``.

        ``np.maximum(x, 0)`` against a scalar runs a non-vectorised loop in NumPy 2.x, about 3x slower than
        against an array of zeros of x's shape, so ReLU compares with one of these."""
        return self.filled(shape, dtype, 0.0)

    def scratch(self, shape: tuple[int, ...], dtype: np.dtype[Any], ordinal: int) -> str:
        """Name of a persistent scratch array for a fused kernel's temporary: the kernel's ``ordinal``-th
        temporary live at once (of any shape). Kernels run one at a time and their temporaries die when they
        return, so every kernel's ``ordinal``-th temporary lives in the same memory: one arena per ordinal,
        as large as the largest such temporary (see :meth:`bind_scratch`). A temporary written into one costs
        no allocation (for arrays of 128 KiB and up, an mmap and its page faults per call), and sharing keeps
        the step's working set small (less to fetch back into cache after other work)."""
        key = ("scratch", shape, np.dtype(dtype).str, ordinal)
        name = self._by_key.get(key)
        if name is None:
            name = self._by_key[key] = f"k{len(self.consts)}"
            self.consts[name] = None  # bound to a view of its arena by bind_scratch
            self._scratch.append((name, shape, np.dtype(dtype), ordinal))
        return name

    def bind_scratch(self) -> None:
        """Allocate the scratch arenas and point every scratch name at its view (after all lowering)."""
        size: dict[int, int] = {}
        for _, shape, dtype, ordinal in self._scratch:
            size[ordinal] = max(size.get(ordinal, 0), math.prod(shape) * dtype.itemsize)
        # NumPy aligns array data for any dtype, so a view from offset 0 is aligned too
        arenas = {ordinal: np.empty(n, np.uint8) for ordinal, n in size.items()}
        for name, shape, dtype, ordinal in self._scratch:
            self.consts[name] = arenas[ordinal][: math.prod(shape) * dtype.itemsize].view(dtype).reshape(shape)

    def dims(self, dims: tuple[Dim, ...]) -> tuple[int, ...]:
        return tuple(bind_dim(d, self.binding) for d in dims)


def ints(t: tuple[int, ...]) -> str:
    """Source for a tuple of ints (validated as ints, so ``repr`` is safe)."""
    assert all(type(i) is int for i in t)
    return repr(tuple(t))


def int_(i: int) -> str:
    """Source for one validated int."""
    assert type(i) is int
    return repr(i)


Lowering = Callable[[Node, list[str], LowerCtx], str]
TABLE: dict[str, Lowering] = {}


def _np_call(fn: str) -> Lowering:
    def lower(node: Node, a: list[str], ctx: LowerCtx) -> str:
        return f"_np.{fn}({', '.join(a)})"

    return lower


for _op, _fn in {
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "divide", "pow": "power",
    "maximum": "maximum", "minimum": "minimum", "less": "less", "less_equal": "less_equal",
    "greater": "greater", "greater_equal": "greater_equal", "equal": "equal", "not_equal": "not_equal",
    "neg": "negative", "exp": "exp", "log": "log", "sqrt": "sqrt", "abs": "absolute", "sign": "sign",
    "floor": "floor", "tanh": "tanh", "where": "where", "matmul": "matmul",
}.items():
    TABLE[_op] = _np_call(_fn)


def _attr_call(fn: str, attr: str) -> Lowering:
    def lower(node: Node, a: list[str], ctx: LowerCtx) -> str:
        return f"{fn}({a[0]}, {ctx.const(node.inputs[0].dtype.numpy.type(node.attrs[attr]))})"

    return lower


TABLE["sigmoid"] = lambda n, a, c: f"_rt.sigmoid({a[0]})"
def relu_zero(node: Node, ctx: LowerCtx) -> str:
    """The zero ReLU compares with: an array of the output's shape (see :meth:`LowerCtx.zeros`), or a scalar
    for a 0-d output."""
    out = node.outputs[0]
    if out.ndim == 0:
        return ctx.const(out.dtype.numpy.type(0))
    return ctx.zeros(ctx.dims(out.shape), out.dtype.numpy)


TABLE["relu"] = lambda n, a, c: f"_np.maximum({a[0]}, {relu_zero(n, c)})"
TABLE["step"] = _attr_call("_rt.step", "threshold")
TABLE["leaky_relu"] = _attr_call("_rt.leaky_relu", "alpha")
TABLE["elu"] = _attr_call("_rt.elu", "alpha")
TABLE["stop_gradient"] = lambda n, a, c: a[0]
TABLE["cast"] = lambda n, a, c: f"{a[0]}.astype({c.const(n.attrs['dtype'].numpy)})"


def reduction(node: Node, a: list[str], ctx: LowerCtx, out: str | None = None) -> str:
    """sum/mean/max as ufunc reductions (``np.add.reduce``…): the same arithmetic as ``np.sum``/``np.mean``
    without their Python-level wrappers, which cost more than the work on small arrays. ``mean`` divides the
    sum by the (bound) element count, as ``np.mean`` does."""
    axis, keep = ints(node.attrs["axis"]), bool(node.attrs["keepdims"])
    x = node.inputs[0]
    o = f", out={out}" if out else ""
    if node.op.name == "sum" and not x.dtype.is_float:
        return f"_rt.int_sum({a[0]}, {axis}, {keep!r})"
    if node.op.name == "max":
        return f"_np.maximum.reduce({a[0]}, axis={axis}, keepdims={keep!r}{o})"
    count = math.prod(ctx.dims(tuple(x.shape[i] for i in node.attrs["axis"])))
    if x.ndim == 2 and node.attrs["axis"] == (0,) and not keep and count > 0:
        # Column sums (bias gradients, batch means) as a matrix-vector product with a row of ones (or of
        # 1/rows for a mean): BLAS reads the matrix once at full speed, about twice as fast as add.reduce,
        # which adds row after row.
        weight = 1.0 if node.op.name == "sum" else 1.0 / count
        ones = ctx.filled((count,), x.dtype.numpy, weight)
        return f"_np.matmul({ones}, {a[0]}{o})"
    total = f"_np.add.reduce({a[0]}, axis={axis}, keepdims={keep!r}{o})"
    if node.op.name == "sum":
        return total
    return f"_np.true_divide({total}, {ctx.const(x.dtype.numpy.type(count))}{o})"


TABLE["sum"] = reduction
TABLE["mean"] = reduction
TABLE["max"] = reduction
TABLE["argmax"] = lambda n, a, c: f"_np.argmax({a[0]}, axis={int_(n.attrs['axis'])})"
TABLE["softmax"] = lambda n, a, c: f"_rt.softmax({a[0]}, {int_(n.attrs['axis'])})"
TABLE["log_softmax"] = lambda n, a, c: f"_rt.log_softmax({a[0]}, {int_(n.attrs['axis'])})"
TABLE["softmax_xent"] = lambda n, a, c: f"_rt.softmax_xent({a[0]}, {a[1]})"


def _index(node: Node, ctx: LowerCtx) -> str:
    return ctx.const(tuple(slice(s, None if e == END else e, st) for s, e, st in node.attrs["slices"]))


TABLE["reshape"] = lambda n, a, c: f"_np.reshape({a[0]}, {ints(c.dims(n.attrs['shape']))})"
def _transpose(n: Node, a: Sequence[str], c: LowerCtx) -> str:
    # ``.T`` reverses all axes, as (1, 0) does for a matrix, without the function call (~1 µs of a 1 ms step)
    perm = n.attrs["perm"]
    return f"{a[0]}.T" if perm == (1, 0) else f"_np.transpose({a[0]}, {ints(perm)})"


TABLE["transpose"] = _transpose
TABLE["broadcast_to"] = lambda n, a, c: f"_np.broadcast_to({a[0]}, {ints(c.dims(n.attrs['shape']))})"
TABLE["concat"] = lambda n, a, c: f"_np.concatenate(({', '.join(a)},), axis={int_(n.attrs['axis'])})"
TABLE["slice"] = lambda n, a, c: f"{a[0]}[{_index(n, c)}]"
TABLE["unslice"] = lambda n, a, c: f"_rt.unslice({a[0]}, {ints(c.dims(n.attrs['shape']))}, {_index(n, c)})"


def _constant(node: Node, a: list[str], ctx: LowerCtx) -> str:
    arr = node.attrs["value"].array
    # NumPy scalars are cheaper than 0-d arrays as ufunc operands
    return ctx.const(arr[()] if arr.ndim == 0 else arr)


def _dimsize(node: Node, a: list[str], ctx: LowerCtx) -> str:
    size = int(np.prod(ctx.dims(node.attrs["dims"])))
    return ctx.const(node.attrs["dtype"].numpy.type(size))


TABLE["constant"] = _constant
TABLE["dimsize"] = _dimsize
TABLE["one_hot"] = lambda n, a, c: (
    f"_rt.one_hot({a[0]}, {int_(n.attrs['depth'])}, {c.const(n.attrs['dtype'].numpy)})"
)


def _fused(node: Node, a: list[str], ctx: LowerCtx) -> str:
    from graphc.backends.numpy.kernels import kernel

    name = f"_fused{len(ctx.functions)}"
    ctx.functions.append(kernel(node, ctx, name))
    return f"{name}({', '.join(a)})"


TABLE["fused"] = _fused

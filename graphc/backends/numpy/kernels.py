"""Kernels for fused groups: one generated Python function per ``fused`` node.

A group's intermediates are never all materialised:

* **in place** — each op writes into the buffer of an input that dies at that op (same shape and dtype, and
  allocated by the kernel itself, so never a caller's array or a view), so a chain of *n* elementwise ops costs
  about one allocation instead of *n*; a leading matmul's product is the first such buffer (the epilogue);
* **blocked** — when every op has an ``out=`` form, every input is a scalar or has the output's exact shape, and
  the output is large, the chain runs over 64k-element blocks with a few block-sized scratch buffers, so the
  temporaries stay in cache and the data is streamed from memory once.
"""

from __future__ import annotations

import math

from graphc.backends.numpy.lowering import LowerCtx, int_, ints, reduction, relu_zero
from graphc.ir.graph import Graph, Node, Value

BLOCK = 1 << 16

# op → (ufunc name, takes its attribute as a trailing scalar). These have an exact ``out=`` form.
_UFUNCS: dict[str, str] = {
    "add": "_np.add", "sub": "_np.subtract", "mul": "_np.multiply", "div": "_np.divide", "pow": "_np.power",
    "maximum": "_np.maximum", "minimum": "_np.minimum", "neg": "_np.negative", "exp": "_np.exp", "log": "_np.log",
    "sqrt": "_np.sqrt", "abs": "_np.absolute", "sign": "_np.sign", "floor": "_np.floor", "tanh": "_np.tanh",
    "less": "_np.less", "less_equal": "_np.less_equal", "greater": "_np.greater",
    "greater_equal": "_np.greater_equal", "equal": "_np.equal", "not_equal": "_np.not_equal",
}
_ATTR_HELPERS = {"step": ("_rt.step", "threshold"), "leaky_relu": ("_rt.leaky_relu", "alpha"),
                 "elu": ("_rt.elu", "alpha")}


def _call(node: Node, args: list[str], out: str | None, ctx: LowerCtx, zero: str | None = None) -> str | None:
    """Source computing ``node`` into ``out`` (or allocating when ``out`` is None); None if no out= form.
    ``zero`` names the zeros ReLU compares with (default: :func:`relu_zero`)."""
    o = f", out={out}" if out else ""
    op = node.op.name
    if op in _UFUNCS:
        return f"{_UFUNCS[op]}({', '.join(args)}{o})"
    if op == "relu":
        return f"_np.maximum({args[0]}, {zero or relu_zero(node, ctx)}{o})"
    if op == "sigmoid":
        return f"_rt.sigmoid({args[0]}{o})"
    if op in _ATTR_HELPERS:
        fn, attr = _ATTR_HELPERS[op]
        return f"{fn}({args[0]}, {ctx.const(node.inputs[0].dtype.numpy.type(node.attrs[attr]))}{o})"
    return None


def _last_uses(body: Graph) -> dict[Value, int]:
    last: dict[Value, int] = {}
    for k, n in enumerate(body.nodes):
        for v in n.inputs:
            last[v] = k
    return last


def _blockable(node: Node, body: Graph, ctx: LowerCtx) -> bool:
    out = body.outputs[0]
    shape = ctx.dims(out.shape)
    if math.prod(shape) < 4 * BLOCK or not out.dtype.is_float:
        return False
    for n in body.nodes:
        if _call(n, ["x"] * len(n.inputs), "o", ctx, "z") is None or any(o.dtype != out.dtype for o in n.outputs):
            return False
    for v in body.inputs:
        s = ctx.dims(v.shape)
        if s != shape and math.prod(s) != 1:
            return False
    return True


def kernel(node: Node, ctx: LowerCtx, name: str, with_out: bool = False,
           aliased: frozenset[int] = frozenset()) -> str:
    """Source of ``def name(x0, x1, …[, out])`` computing the fused node (see the module docstring).

    With ``with_out`` the kernel writes its result into the array ``out`` (memory planning chose it) and
    returns it. ``aliased`` lists the inputs that may share memory with ``out``: the kernel reads them all
    before it first writes ``out``; the others do not overlap it, so ``out`` can hold intermediates (a leading
    matmul's product goes straight into it, with no temporary).
    """
    body: Graph = node.attrs["body"]
    if _blockable(node, body, ctx):
        return _blocked_kernel(body, ctx, name, with_out)
    return _inplace_kernel(body, ctx, name, with_out, aliased)


def _inplace_kernel(body: Graph, ctx: LowerCtx, name: str, with_out: bool, aliased: frozenset[int]) -> str:
    from graphc.backends.numpy.lowering import TABLE

    names: dict[Value, str] = {v: f"x{i}" for i, v in enumerate(body.inputs)}
    owned: set[Value] = set()  # values held in a buffer this kernel allocated (safe to overwrite)
    last = _last_uses(body)
    params = [names[v] for v in body.inputs] + (["out"] if with_out else [])
    lines = [f"def {name}({', '.join(params)}):"]
    final = body.nodes[-1]
    # ``out`` may take an intermediate from the first node after every aliased input's last read
    out_free_from = max((last.get(body.inputs[i], -1) + 1 for i in aliased), default=0) if with_out else None
    scratch_slot: dict[Value, int] = {}  # intermediates held in scratch arenas → their ordinal
    for k, n in enumerate(body.nodes):
        out = n.outputs[0]
        args = [names[v] for v in n.inputs]
        if with_out and n is final:
            src = _call(n, args, "out", ctx)
            lines.append(f"    {src}" if src is not None else f"    _np.copyto(out, {TABLE[n.op.name](n, args, ctx)})")
            lines.append("    return out")
            return "\n".join(lines)
        reuse = next((v for v in n.inputs if v in owned and last[v] == k and v.type == out.type), None)
        if (reuse is None and out_free_from is not None and k >= out_free_from and out.type == final.outputs[0].type
                and supports_out(n)):
            lines.append(f"    {out_call(n, args, 'out', ctx)}")
            names[out] = "out"
            owned.add(out)
            out_free_from = None  # once: from here on ``out`` holds a live value
            continue
        dest = names[reuse] if reuse is not None else None
        if reuse is not None and reuse in scratch_slot:
            scratch_slot[out] = scratch_slot[reuse]  # in place: the result stays in that scratch buffer
        if dest is None and with_out and out.ndim > 0 and supports_out(n):
            # the kernel's result goes to ``out``, so no temporary escapes: use a shared scratch buffer
            slot = scratch_slot[out] = _free_slot(scratch_slot, last, k)
            buf = ctx.scratch(ctx.dims(out.shape), out.dtype.numpy, slot)
            lines.append(f"    t{k} = {out_call(n, args, buf, ctx)}")
            names[out] = f"t{k}"
            owned.add(out)
            continue
        src = _call(n, args, dest, ctx)
        if src is not None:
            var = dest if dest is not None else f"t{k}"
            fresh = True
        else:  # no out= form: lower as usual, into a new variable
            src = TABLE[n.op.name](n, args, ctx)
            var = f"t{k}"
            fresh = n.op.name != "stop_gradient"  # identity returns its input, which is not ours to overwrite
        lines.append(f"    {var} = {src}")
        names[out] = var
        if fresh and out.ndim > 0:  # 0-d results come back as NumPy scalars, which cannot be written into
            owned.add(out)
    lines.append(f"    return {names[body.outputs[0]]}")
    return "\n".join(lines)


def _free_slot(held: dict[Value, int], last: dict[Value, int], k: int) -> int:
    """The lowest scratch ordinal (see :meth:`LowerCtx.scratch`) that no value still read at or after node
    ``k`` holds: temporaries live at the same time never share an arena."""
    taken = {ordinal for v, ordinal in held.items() if last.get(v, -1) >= k}
    return min(set(range(len(taken) + 1)) - taken)


def _blocked_kernel(body: Graph, ctx: LowerCtx, name: str, with_out: bool) -> str:
    out = body.outputs[0]
    shape = ctx.dims(out.shape)
    dtype = ctx.const(out.dtype.numpy)
    full = [v for v in body.inputs if ctx.dims(v.shape) == shape]
    params = [f"x{i}" for i in range(len(body.inputs))] + (["out"] if with_out else [])
    lines = [f"def {name}({', '.join(params)}):"]
    if not with_out:
        lines.append(f"    out = _np.empty({ints(shape)}, {dtype})")
    lines.append("    fo = out.reshape(-1)")
    names: dict[Value, str] = {}
    for i, v in enumerate(body.inputs):
        if v in full:
            lines.append(f"    f{i} = _np.ascontiguousarray(x{i}).reshape(-1)")
        else:
            lines.append(f"    f{i} = x{i}")  # a size-1 operand broadcasts against every block as it is
        names[v] = f"f{i}"
    last = _last_uses(body)
    # Scratch slots: a value lives in a slot from its definition to its last use.
    slot_of: dict[Value, int] = {}
    free: list[int] = []
    n_slots = 0
    plan: list[tuple[Node, int | None]] = []
    for k, n in enumerate(body.nodes):
        for v in n.inputs:
            if v in slot_of and last[v] == k:
                free.append(slot_of[v])
        if n is body.nodes[-1]:
            plan.append((n, None))
            continue
        if free:
            s = free.pop()
        else:
            s = n_slots
            n_slots += 1
        slot_of[n.outputs[0]] = s
        plan.append((n, s))
    for s in range(n_slots):
        lines.append(f"    s{s} = _np.empty({int_(BLOCK)}, {dtype})")
    lines.append(f"    for st in _range(0, fo.size, {int_(BLOCK)}):")
    lines.append(f"        en = st + {int_(BLOCK)}")
    lines.append("        ob = fo[st:en]")
    lines.append("        m = ob.size")
    for i, v in enumerate(body.inputs):
        if v in full:
            lines.append(f"        b{i} = f{i}[st:en]")
            names[v] = f"b{i}"
    # One view per scratch buffer per block (slicing inside every call would make a view per operand).
    lines.extend(f"        w{s} = s{s}[:m]" for s in range(n_slots))
    if any(n.op.name == "relu" for n in body.nodes):
        lines.append(f"        zb = {ctx.zeros((BLOCK,), out.dtype.numpy)}[:m]")
    for n, slot in plan:
        dst = "ob" if slot is None else f"w{slot}"
        args = [names[v] for v in n.inputs]
        lines.append(f"        {_call_checked(n, args, dst, ctx, 'zb')}")
        if slot is not None:
            names[n.outputs[0]] = f"w{slot}"
    lines.append("    return out")
    return "\n".join(lines)


def _call_checked(n: Node, args: list[str], dst: str, ctx: LowerCtx, zero: str) -> str:
    src = _call(n, args, dst, ctx, zero)
    assert src is not None  # _blockable checked every op has an out= form
    return src


def supports_out(node: Node) -> bool:
    """Whether the NumPy backend can direct this node's output into a given array (see :func:`out_call`)."""
    op = node.op.name
    if op in ("matmul", "fused"):
        return True
    if op in ("sum", "mean", "max"):
        return node.inputs[0].dtype.is_float
    return _call(node, ["x"] * len(node.inputs), "o", _PROBE, "z") is not None


class _Probe(LowerCtx):
    def __init__(self) -> None:
        super().__init__({})


_PROBE = _Probe()


def out_call(node: Node, args: list[str], out: str, ctx: LowerCtx, aliased: frozenset[int] = frozenset()) -> str:
    """Source computing ``node`` into the array named ``out`` (for nodes where :func:`supports_out` holds);
    ``aliased``: the inputs that may share memory with ``out`` (see :func:`kernel`)."""
    op = node.op.name
    if op == "matmul":
        return f"_np.matmul({args[0]}, {args[1]}, out={out})"
    if op in ("sum", "mean", "max"):
        return reduction(node, args, ctx, out)
    if op == "fused":
        fname = f"_fused{len(ctx.functions)}"
        ctx.functions.append(kernel(node, ctx, fname, with_out=True, aliased=aliased))
        return f"{fname}({', '.join([*args, out])})"
    src = _call(node, args, out, ctx)
    assert src is not None
    return src

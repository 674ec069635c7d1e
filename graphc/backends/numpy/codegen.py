"""Lowering a :class:`Program` to straight-line Python over NumPy, compiled once per input signature.

The generated function has one assignment per node and no dispatch: running it costs the NumPy calls and
nothing per node on top. Variable names are generated (``a0`` for inputs, ``v3`` for values, ``k1`` for
constants), never taken from user names, and the source is compiled from a string built only from those names,
vetted callables and validated integers — see :mod:`graphc.backends.numpy.lowering`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphc.backends.numpy import runtime
from graphc.backends.numpy.lowering import TABLE, LowerCtx
from graphc.backends.program import Program
from graphc.errors import LoweringError
from graphc.ir.graph import Node, Value
from graphc.ir.types import Sym, bind_shape


@dataclass
class Generated:
    """Generated source, the namespace it closes over, and the compiled function."""

    source: str
    namespace: dict[str, Any]
    fn: Any
    memory: Any = None  # the MemoryPlan used


def generate(program: Program, binding: Mapping[Sym, int], name: str = "run", *,
             donate: frozenset[str] = frozenset(), plan_memory: bool = True) -> Generated:
    """Write and compile the program's function ``run(a0, a1, ...) -> tuple`` for ``binding``.

    With ``plan_memory``, intermediates live in buffers allocated once for this specialisation and shared by
    liveness (see :mod:`graphc.passes.memory`), and donated inputs are updated in place.
    """
    from graphc.backends.numpy.kernels import out_call, supports_out
    from graphc.passes.memory import MemoryPlan
    from graphc.passes.memory import plan_memory as make_plan

    ctx = LowerCtx(binding)
    names: dict[Value, str] = {}
    params = []
    for i, v in enumerate(program.inputs):
        names[v] = f"a{i}"
        params.append(f"a{i}")
    static = fold_static(program, binding)
    live = [n for n in program.nodes if n.outputs[0] not in static]
    plan = (make_plan(live, program.inputs, program.outputs, binding, donate, supports_out)
            if plan_memory else MemoryPlan())
    if plan_memory:
        ctx.returned = plan.returned
    for buf, (shape, dtype) in plan.buffers.items():
        ctx.consts[buf] = np.empty(shape, dtype)
    body: list[str] = []
    counter = 0
    for node in program.nodes:
        lower = TABLE.get(node.op.name)
        if lower is None:
            raise LoweringError(f"numpy backend: no lowering for op {node.op.name!r}", loc=node.loc)
        if node.outputs[0] in static:  # computed now, once: the program refers to the result
            for o in node.outputs:
                names[o] = ctx.const(static[o])
            continue
        args = [names[v] for v in node.inputs]
        target = plan.out.get(node)
        if target is not None:
            dest = names[target] if isinstance(target, Value) else target
            expr = out_call(node, args, dest, ctx, plan.aliased.get(node, frozenset()))
        else:
            expr = lower(node, args, ctx)
        if node.op.name == "constant":  # refer to the constant by its table name: no assignment needed
            names[node.outputs[0]] = expr
            continue
        outs = []
        for o in node.outputs:
            names[o] = f"v{counter}"
            outs.append(names[o])
            counter += 1
        body.append(f"    {', '.join(outs)} = {expr}")
    ctx.bind_scratch()
    rets = ", ".join(names[v] for v in program.outputs)
    body.append(f"    return ({rets},)")
    source = "".join(f + "\n\n" for f in ctx.functions)
    source += f"def {name}({', '.join(params)}):\n" + "\n".join(body) + "\n"
    source, hoisted = hoist_numpy(source)
    namespace: dict[str, Any] = {"_np": np, "_rt": runtime, "_range": range, "__builtins__": {}, **hoisted}
    namespace.update(ctx.consts)
    code = compile(source, f"<graphc:{program.graph.name}>", "exec")
    exec(code, namespace)
    return Generated(source, namespace, namespace[name], plan)


# ``_np.name`` or ``_np.name.attr`` in generated source (only generated identifiers and vetted names appear there).
_NUMPY_REF = re.compile(r"\b_np\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)")


def hoist_numpy(source: str) -> tuple[str, dict[str, Any]]:
    """``source`` with every ``_np.add`` / ``_np.add.reduce`` turned into one name (``_np_add``,
    ``_np_add_reduce``) and the objects those names stand for.

    A call through ``_np.add.reduce`` looks up a global and then two attributes on every run; a hoisted name is
    one global lookup. On a step of a few dozen small NumPy calls, run after other work has evicted the
    dictionaries those lookups read, that is about 1% of a W1 step. NumPy's attributes never change, so
    binding them at generation time is exact."""
    hoisted: dict[str, Any] = {}

    def bind(m: re.Match[str]) -> str:
        path = m.group(1)
        name = "_np_" + path.replace(".", "_")
        if name not in hoisted:
            obj: Any = np
            for part in path.split("."):
                obj = getattr(obj, part)
            hoisted[name] = obj
        return name

    return _NUMPY_REF.sub(bind, source), hoisted


# Values computed at specialisation time are kept only up to this size (they live as long as the executable).
MAX_STATIC_ELEMENTS = 1 << 20
_NOT_STATIC = {"constant", "random_uniform", "scan"}


def fold_static(program: Program, binding: Mapping[Sym, int]) -> dict[Value, Any]:
    """Values that depend on no fed input, computed once per specialisation (read-only arrays).

    With the symbols bound, a graph's batch-dependent constants — the gradient seed broadcast over the batch,
    ``1/B`` — no longer depend on anything run-time. Program outputs are left to the program, so callers never
    receive a shared read-only array.
    """
    outputs = set(program.outputs)
    static: dict[Value, Any] = {}
    known: dict[Value, Any] = {}
    for node in program.nodes:
        if node.op.name == "constant":
            known[node.outputs[0]] = node.attrs["value"].array
            continue
        if node.op.name in _NOT_STATIC or not all(v in known for v in node.inputs):
            continue
        if any(math.prod(bind_shape(o.shape, binding)) > MAX_STATIC_ELEMENTS for o in node.outputs):
            continue
        results = evaluate_node(node, [known[v] for v in node.inputs], binding)
        for o, r in zip(node.outputs, results, strict=True):
            arr = np.array(r, dtype=o.dtype.numpy)
            arr.setflags(write=False)
            known[o] = arr[()] if arr.ndim == 0 else arr
            if o not in outputs:
                static[o] = known[o]
        if any(o in outputs for o in node.outputs):
            for o in node.outputs:
                static.pop(o, None)
    return static


def evaluate_node(node: Node, arrays: Sequence[Any], binding: Mapping[Sym, int] | None = None) -> tuple[Any, ...]:
    """Run one node on concrete arrays with its NumPy lowering (constant folding uses this).

    Symbolic dimensions in attributes are resolved with ``binding``. A fused node runs its body node by node.
    The generated expression is evaluated in the same restricted namespace as whole programs.
    """
    if node.op.name == "fused":
        body = node.attrs["body"]
        env: dict[Value, Any] = dict(zip(body.inputs, arrays, strict=True))
        for n in body.nodes:
            env.update(zip(n.outputs, evaluate_node(n, [env[v] for v in n.inputs], binding), strict=True))
        return tuple(env[o] for o in body.outputs)
    lower = TABLE.get(node.op.name)
    if lower is None:
        raise LoweringError(f"numpy backend: no lowering for op {node.op.name!r}", loc=node.loc)
    ctx = LowerCtx(binding or {})
    expr = lower(node, [f"a{i}" for i in range(len(arrays))], ctx)
    namespace: dict[str, Any] = {"_np": np, "_rt": runtime, "__builtins__": {}, **ctx.consts}
    namespace.update({f"a{i}": a for i, a in enumerate(arrays)})
    out = eval(compile(expr, "<graphc:fold>", "eval"), namespace)
    return tuple(out) if len(node.outputs) > 1 else (out,)

"""Lowering a :class:`Program` to straight-line Python over NumPy, compiled once per input signature.

The generated function has one assignment per node and no dispatch: running it costs the NumPy calls and
nothing per node on top. Variable names are generated (``a0`` for inputs, ``v3`` for values, ``k1`` for
constants), never taken from user names, and the source is compiled from a string built only from those names,
vetted callables and validated integers — see :mod:`graphc.backends.numpy.lowering`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphc.backends.numpy import runtime
from graphc.backends.numpy.lowering import TABLE, LowerCtx
from graphc.backends.program import Program
from graphc.errors import LoweringError
from graphc.ir.graph import Node, Value
from graphc.ir.types import Sym


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
    plan = (make_plan(program.nodes, program.inputs, program.outputs, binding, donate, supports_out)
            if plan_memory else MemoryPlan())
    for buf, (shape, dtype) in plan.buffers.items():
        ctx.consts[buf] = np.empty(shape, dtype)
    body: list[str] = []
    counter = 0
    for node in program.nodes:
        lower = TABLE.get(node.op.name)
        if lower is None:
            raise LoweringError(f"numpy backend: no lowering for op {node.op.name!r}", loc=node.loc)
        args = [names[v] for v in node.inputs]
        target = plan.out.get(node)
        if target is not None:
            dest = names[target] if isinstance(target, Value) else target
            expr = out_call(node, args, dest, ctx)
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
    rets = ", ".join(names[v] for v in program.outputs)
    body.append(f"    return ({rets},)")
    source = "".join(f + "\n\n" for f in ctx.functions)
    source += f"def {name}({', '.join(params)}):\n" + "\n".join(body) + "\n"
    namespace: dict[str, Any] = {"_np": np, "_rt": runtime, "_range": range, "__builtins__": {}}
    namespace.update(ctx.consts)
    code = compile(source, f"<graphc:{program.graph.name}>", "exec")
    exec(code, namespace)
    return Generated(source, namespace, namespace[name], plan)


def evaluate_node(node: Node, arrays: Sequence[Any]) -> tuple[Any, ...]:
    """Run one node on concrete arrays with its NumPy lowering (constant folding uses this).

    The node's shapes must be static; the generated expression is evaluated in the same restricted namespace
    as whole programs.
    """
    lower = TABLE.get(node.op.name)
    if lower is None:
        raise LoweringError(f"numpy backend: no lowering for op {node.op.name!r}", loc=node.loc)
    ctx = LowerCtx({})
    expr = lower(node, [f"a{i}" for i in range(len(arrays))], ctx)
    namespace: dict[str, Any] = {"_np": np, "_rt": runtime, "__builtins__": {}, **ctx.consts}
    namespace.update({f"a{i}": a for i, a in enumerate(arrays)})
    out = eval(compile(expr, "<graphc:fold>", "eval"), namespace)
    return tuple(out) if len(node.outputs) > 1 else (out,)

"""NumPy lowering of ``scan``: a Python loop over steps calling the body, compiled once per specialisation.

The body is lowered with the ordinary code generator (:func:`graphc.backends.numpy.codegen.generate`) without
memory planning, so each step returns fresh arrays that can be stacked safely. The loop itself is
:func:`run_scan`, handed to the generated program as a constant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphc.backends.numpy.lowering import TABLE, LowerCtx
from graphc.backends.program import Program
from graphc.ir.analysis import live_nodes
from graphc.ir.graph import Graph, Node


def run_scan(step: Callable[..., tuple[Any, ...]], nc: int, nx: int, length: int, reverse: bool, save: bool,
             out_shapes: list[tuple[int, ...]], out_dtypes: list[Any], buffers: list[Any] | None,
             *args: Any) -> tuple[Any, ...]:
    """Run ``step`` ``length`` times: ``(carries, x_t, consts) → (carries', y_t)``; returns ``(final carries…,
    stacked ys…, [stacked carries entering each step…])``. ``out_shapes``/``out_dtypes`` describe the stacked
    outputs (used to allocate them up front, and when ``length`` is 0); ``buffers``, when given, are arrays
    of those shapes the executable keeps between calls (memory planning): filling them again costs no
    allocation and no page faults, which for a training step's saved activations is megabytes per call."""
    carries = list(args[:nc])
    xs, consts = args[nc:nc + nx], args[nc + nx:]
    stacked = buffers if buffers is not None else [np.empty(s, d) for s, d in zip(out_shapes, out_dtypes,
                                                                                  strict=True)]
    ny = len(stacked) - (nc if save else 0)
    for t in (range(length - 1, -1, -1) if reverse else range(length)):
        if save:
            for i in range(nc):
                stacked[ny + i][t] = carries[i]
        outs = step(*carries, *(x[t] for x in xs), *consts)
        carries = list(outs[:nc])
        for i in range(ny):
            stacked[i][t] = outs[nc + i]
    # a carry passed through unchanged would alias the caller's array: hand back copies the program owns
    finals = [np.array(c, copy=True) for c in carries]
    return (*finals, *stacked)


def compile_body(body: Graph, ctx: LowerCtx) -> Callable[..., tuple[Any, ...]]:
    """The body as a Python function of all its inputs (in order) returning all its outputs.

    The body is first run through the default pass pipeline (simplification and fusion: it runs ``length``
    times, so its per-step cost is what matters), then lowered without memory planning.
    """
    from graphc.backends.numpy.codegen import generate
    from graphc.passes import optimize

    opt = optimize(body).graph
    by_name = {v.name: v for v in opt.inputs}
    used = [i for i, v in enumerate(body.inputs) if v.name in by_name]
    prog = Program(opt, [by_name[body.inputs[i].name] for i in used], live_nodes(opt, list(opt.outputs)),
                   list(opt.outputs), "list")
    fn = generate(prog, ctx.binding, "step", plan_memory=False).fn
    if len(used) == len(body.inputs):
        return fn  # type: ignore[no-any-return]

    def step(*args: Any) -> tuple[Any, ...]:  # the optimised body reads fewer inputs than the scan passes
        return fn(*(args[i] for i in used))  # type: ignore[no-any-return]

    return step


def _scan(node: Node, a: list[str], ctx: LowerCtx) -> str:

    body: Graph = node.attrs["body"]
    nc, nx = node.attrs["num_carry"], node.attrs["num_xs"]
    step = compile_body(body, ctx)
    stacked = node.outputs[nc:]
    shapes = [ctx.dims(v.shape) for v in stacked]
    dtypes = [v.dtype.numpy for v in stacked]
    fn = ctx.const(step)
    # Stacked outputs the program does not return reuse buffers kept between calls (final carries are copies).
    keep = ctx.returned is not None and ctx.returned.isdisjoint(stacked)
    buffers = ctx.const([np.empty(s, d) for s, d in zip(shapes, dtypes, strict=True)]) if keep else "None"
    call = (f"_rt_scan({fn}, {nc!r}, {nx!r}, {int(node.attrs['length'])!r}, {bool(node.attrs['reverse'])!r}, "
            f"{bool(node.attrs['save_carries'])!r}, {ctx.const(shapes)}, {ctx.const(dtypes)}, {buffers}, "
            f"{', '.join(a)})")
    call = call.replace("_rt_scan", ctx.const(run_scan))
    return call if len(node.outputs) > 1 else f"{call}[0]"


TABLE["scan"] = _scan

"""JAX lowering of ``scan``: ``jax.lax.scan`` over the body traced with :func:`lower_nodes`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jax import lax

from graphc.backends.jax.layout import logical
from graphc.backends.jax.lowering import TABLE, LowerCtx, lower_nodes
from graphc.ir.graph import Graph, Value
from graphc.ir.opdef import Attrs


def _scan(args: Sequence[Any], attrs: Attrs, ctx: LowerCtx) -> Any:
    body: Graph = attrs["body"]
    nc, nx, length = attrs["num_carry"], attrs["num_xs"], attrs["length"]
    save = attrs["save_carries"]
    consts = tuple(args[nc + nx:])

    def step(carry: tuple[Any, ...], x: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        env: dict[Value, Any] = dict(zip(body.inputs, (*carry, *x, *consts), strict=True))
        lower_nodes(body.nodes, env, ctx)
        outs = tuple(logical(env[v]) for v in body.outputs)
        ys = outs[nc:] + (carry if save else ())
        return outs[:nc], ys

    final, ys = lax.scan(step, tuple(args[:nc]), tuple(args[nc:nc + nx]), length=length,
                         reverse=bool(attrs["reverse"]))
    outs = (*final, *ys)
    return outs[0] if len(outs) == 1 else outs


TABLE["scan"] = _scan

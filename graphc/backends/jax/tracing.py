"""Turning a :class:`Program` into one Python function of JAX calls, for ``jax.jit`` to trace.

The function walks the program's nodes once per trace — that is, once per compiled input signature — calling
each node's lowering from :data:`graphc.backends.jax.lowering.TABLE`. After tracing, XLA runs one fused
computation and no Python runs per node. While tracing, every lowered result is checked against the node's IR
type (see :func:`~graphc.backends.jax.lowering.lower_nodes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from graphc.backends.jax.layout import logical
from graphc.backends.jax.lowering import TABLE, LowerCtx, lower_nodes
from graphc.backends.program import Program
from graphc.errors import GraphcError, LoweringError
from graphc.ir.dtypes import DType
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.types import Sym


def nodes_within(nodes: Iterable[Node]) -> Iterator[Node]:
    """``nodes`` and, recursively, the nodes of subgraphs they hold as attributes (fused groups' bodies)."""
    for node in nodes:
        yield node
        for attr in node.attrs.values():
            if isinstance(attr, Graph):
                yield from nodes_within(attr.nodes)


def check_lowerable(program: Program) -> None:
    """Raise :class:`LoweringError` (with the node's source line) for the first node, fused bodies included,
    whose op has no lowering."""
    for node in nodes_within(program.nodes):
        if node.op.name not in TABLE:
            raise LoweringError(f"jax backend: no lowering for op {node.op.name!r}", loc=node.loc)


def check_input_names(program: Program, names: Sequence[str], option: str) -> None:
    """Raise :class:`GraphcError` for names in ``names`` that are not inputs of the program's graph.

    Graph inputs that this program does not read (pruned with the nodes the outputs do not need) are accepted,
    so one option value can serve executables compiled for different outputs of a graph.
    """
    known = {v.name for v in program.graph.inputs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise GraphcError(
            f"{option}: graph {program.graph.name!r} has no input(s) {', '.join(map(repr, unknown))} "
            f"(inputs: {', '.join(repr(v.name) for v in program.graph.inputs)})"
        )


def needs_x64(program: Program) -> bool:
    """Whether any value of the program (input, intermediate — fused bodies included — or output) is
    64-bit (int64 or float64)."""
    wide = (DType.int64, DType.float64)
    return any(v.dtype in wide for v in program.inputs) or any(
        o.dtype in wide for node in nodes_within(program.nodes) for o in node.outputs
    )


def make_function(
    program: Program, binding: Mapping[Sym, int], ctx: LowerCtx
) -> Callable[..., tuple[Any, ...]]:
    """``f(*inputs) -> tuple of outputs`` in JAX calls for one binding of the program's symbols.

    Inputs are taken positionally in ``program.inputs`` order; outputs come back as a tuple in
    ``program.outputs`` order. ``ctx.binding`` must be ``binding``.
    """
    check_lowerable(program)
    inputs, nodes, outputs = list(program.inputs), list(program.nodes), list(program.outputs)

    def run(*args: Any) -> tuple[Any, ...]:
        env: dict[Value, Any] = dict(zip(inputs, args, strict=True))
        lower_nodes(nodes, env, ctx)
        return tuple(logical(env[v]) for v in outputs)

    run.__name__ = function_name(program)
    return run


def function_name(program: Program) -> str:
    """The name jax sees for the program's function (HLO module names and profiles show it)."""
    return f"graphc_{_identifier(program.graph.name)}"


def _identifier(name: str) -> str:
    """A Python identifier from a graph name (jax uses the function name in HLO module names and profiles)."""
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and not out[0].isdigit() else f"g_{out}"

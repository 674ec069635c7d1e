"""Graph → graph passes and the pipeline that runs them.

The default pipeline (:func:`default_passes`, names in :data:`PASS_NAMES`) simplifies, then fuses. Each pass
preserves the values of ``graph.outputs``; :func:`optimize` runs them on a copy of the part of a graph that the
requested outputs need.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from graphc.gcpause import gc_paused
from graphc.ir.analysis import live_nodes
from graphc.ir.graph import Graph, Value
from graphc.ir.rewrite import Rebuilder
from graphc.passes.algebraic import algebraic_simplification
from graphc.passes.constant_folding import constant_folding
from graphc.passes.cse import common_subexpression_elimination
from graphc.passes.dce import dead_code_elimination
from graphc.passes.fusion import fusion
from graphc.passes.pipeline import Pass, PassRecord, Pipeline, PipelineResult
from graphc.passes.scale_folding import scale_folding

SIMPLIFY: list[Pass] = [
    Pass("constant_folding", constant_folding, "evaluate nodes whose inputs are all constants"),
    Pass("algebraic", algebraic_simplification, "remove identities such as x*1, neg(neg x), transpose pairs"),
    Pass("cse", common_subexpression_elimination, "merge identical computations"),
    Pass("scale_folding", scale_folding, "apply a factor every end of a linear computation shares once, upstream"),
    Pass("dce", dead_code_elimination, "drop nodes no output needs"),
]


def default_passes() -> list[Pass]:
    """The default pipeline (simplification, then fusion)."""
    return [*SIMPLIFY, Pass("fusion", fusion, "group elementwise chains and matmul epilogues into fused nodes")]


PASS_NAMES = tuple(p.name for p in default_passes())  # the default pipeline's order


def select(names: Iterable[str] | str | None) -> list[Pass]:
    """Passes by name (``"default"`` / ``None``: the default pipeline; ``"none"`` or ``[]``: none)."""
    if names is None or names == "default":
        return default_passes()
    if names == "none":
        return []
    by_name = {p.name: p for p in default_passes()}
    chosen = []
    for n in [names] if isinstance(names, str) else names:
        if n not in by_name:
            raise ValueError(f"unknown pass {n!r}; passes are {', '.join(by_name)}")
        chosen.append(by_name[n])
    return chosen


def extract(graph: Graph, outputs: Sequence[Value]) -> Graph:
    """A copy of the part of ``graph`` that ``outputs`` need, with ``outputs`` as its outputs."""
    rb = Rebuilder(graph)
    for node in live_nodes(graph, outputs):
        rb.copy(node)
    return rb.finish(outputs)


def optimize(graph: Graph, outputs: Sequence[Value] | None = None, passes: Iterable[str] | str | None = None,
             *, verify_each: bool = False, keep: Iterable[str] = ()) -> PipelineResult:
    """Run the chosen passes on a copy of what ``outputs`` (default: ``graph.outputs``) need."""
    with gc_paused():
        start = extract(graph, list(graph.outputs if outputs is None else outputs))
    return Pipeline(select(passes), verify_each=verify_each).run(start, keep)


__all__ = ["PASS_NAMES", "Pass", "PassRecord", "Pipeline", "PipelineResult", "default_passes", "extract",
           "optimize", "select"]

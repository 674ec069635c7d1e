"""Passes and the pipeline that runs them.

A pass is a named function ``Graph -> Graph`` that preserves what ``graph.outputs`` compute. The pipeline runs
passes in order, optionally verifies the graph after each (always in tests), records per-pass wall time and node
counts, and keeps snapshots after chosen passes for printing or rendering. A pass that raises or leaves a broken
graph fails loudly with a :class:`PassError` naming the pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from graphc.errors import GraphcError, PassError
from graphc.gcpause import gc_paused
from graphc.ir.graph import Graph
from graphc.ir.verifier import verify

PassFn = Callable[[Graph], Graph]


@dataclass(frozen=True)
class Pass:
    """A named graph transformation."""

    name: str
    fn: PassFn
    doc: str = ""

    def __call__(self, graph: Graph) -> Graph:
        return self.fn(graph)


@dataclass
class PassRecord:
    """What one pass did: its wall time and the node count before and after."""

    name: str
    seconds: float
    nodes_before: int
    nodes_after: int


@dataclass
class PipelineResult:
    """The final graph, per-pass records and the snapshots asked for (pass name → graph after it)."""

    graph: Graph
    records: list[PassRecord] = field(default_factory=list)
    snapshots: dict[str, Graph] = field(default_factory=dict)

    def stats(self) -> str:
        """A small table: pass, time, nodes before → after."""
        lines = [f"{'pass':<20} {'ms':>9} {'nodes':>13}"]
        for r in self.records:
            lines.append(f"{r.name:<20} {r.seconds * 1e3:9.2f} {r.nodes_before:6d} → {r.nodes_after:<6d}")
        total = sum(r.seconds for r in self.records)
        lines.append(f"{'total':<20} {total * 1e3:9.2f}")
        return "\n".join(lines)


class Pipeline:
    """Run ``passes`` in order. ``verify_each`` checks the graph after every pass (tests always turn it on)."""

    def __init__(self, passes: Sequence[Pass], *, verify_each: bool = False) -> None:
        names = [p.name for p in passes]
        if len(set(names)) != len(names):
            raise ValueError(f"pass names must be unique: {names}")
        self.passes = list(passes)
        self.verify_each = verify_each

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.passes]

    def run(self, graph: Graph, keep: Iterable[str] = ()) -> PipelineResult:
        """Apply every pass; ``keep`` names passes after which to keep a snapshot (``"input"``: the start)."""
        keep = set(keep)
        unknown = keep - set(self.names) - {"input"}
        if unknown:
            raise PassError(f"no pass named {', '.join(sorted(unknown))}; passes are {', '.join(self.names)}")
        with gc_paused():
            return self._run(graph, keep)

    def _run(self, graph: Graph, keep: set[str]) -> PipelineResult:
        result = PipelineResult(graph)
        if "input" in keep:
            result.snapshots["input"] = graph
        for p in self.passes:
            before = len(graph.nodes)
            t0 = time.perf_counter()
            try:
                out = p(graph)
            except GraphcError as e:
                raise PassError(f"pass {p.name!r} failed: {e}") from e
            except Exception as e:  # a bug in a pass must not pass silently or look like a user error
                raise PassError(f"pass {p.name!r} crashed: {type(e).__name__}: {e}") from e
            seconds = time.perf_counter() - t0
            if not isinstance(out, Graph):
                raise PassError(f"pass {p.name!r} returned {type(out).__name__}, not a Graph")
            if self.verify_each:
                try:
                    verify(out)
                except GraphcError as e:
                    raise PassError(f"pass {p.name!r} produced an invalid graph: {e}") from e
            if len(out.outputs) != len(graph.outputs):
                raise PassError(f"pass {p.name!r} changed the number of outputs")
            result.records.append(PassRecord(p.name, seconds, before, len(out.nodes)))
            if p.name in keep:
                result.snapshots[p.name] = out
            graph = out
        result.graph = graph
        return result

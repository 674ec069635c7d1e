"""The rendering entry point: :func:`render` and the :class:`Rendered` picture it returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import graphviz  # type: ignore[import-untyped]

from graphc.ir.graph import Graph, Value
from graphc.viz import formats
from graphc.viz.collapse import Grouping
from graphc.viz.dot import Counts, Options, build_digraph
from graphc.viz.errors import DotNotFoundError, RenderError
from graphc.viz.summary import resolve_values
from graphc.viz.view import VIEWS, Selection, select


class Rendered:
    """A rendered graph: DOT source always, pictures through the Graphviz ``dot`` program.

    ``digraph`` is the underlying :class:`graphviz.Digraph`; ``counts`` says how many op nodes, value nodes,
    collapsed boxes, clusters and edges (by kind) were drawn. In Jupyter it displays as SVG, or as DOT text
    with an install hint when ``dot`` is missing.
    """

    def __init__(
        self, digraph: graphviz.Digraph, selection: Selection, counts: Counts, default_format: str
    ) -> None:
        self.digraph = digraph
        self.selection = selection
        self.counts = counts
        self.default_format = default_format

    @property
    def view(self) -> str:
        return self.selection.view

    @property
    def source(self) -> str:
        """The DOT text (needs no ``dot`` program)."""
        return str(self.digraph.source)

    def pipe(self, format: str | None = None) -> bytes:
        """The picture as bytes in ``format`` (default: the render's ``format=``, else svg).

        Raises :class:`DotNotFoundError` for picture formats without ``dot``.
        """
        return formats.pipe(self.digraph, formats.format_for(None, format or self.default_format))

    def save(self, path: str | Path, format: str | None = None) -> Path:
        """Write to ``path``; the format comes from ``format`` or the suffix (``.dot``/``.gv`` always work,
        ``.svg``/``.png``/``.pdf`` need ``dot``: :class:`DotNotFoundError` otherwise). Returns the path."""
        return formats.write(self.digraph, path, format)

    # -- Jupyter ---------------------------------------------------------------------------------------------
    def _repr_svg_(self) -> str | None:
        if not formats.dot_available():
            return None
        try:
            return self.pipe("svg").decode("utf-8")
        except RenderError:
            return None

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **_: Any
    ) -> dict[str, str]:
        bundle: dict[str, str] = {"text/plain": repr(self)}
        svg = self._repr_svg_()
        if svg is not None:
            bundle["image/svg+xml"] = svg
        else:
            hint = str(DotNotFoundError("svg"))
            bundle["text/plain"] = f"{self.source}\n// {hint}"
        if include is not None:
            bundle = {k: v for k, v in bundle.items() if k in set(include)}
        if exclude is not None:
            bundle = {k: v for k, v in bundle.items() if k not in set(exclude)}
        return bundle

    def __repr__(self) -> str:
        c = self.counts
        boxes = f", {c.boxes} collapsed scopes" if c.boxes else ""
        return (
            f"<Rendered {self.selection.graph.name!r} {self.view} view: {c.op_nodes} ops, "
            f"{c.value_nodes} values{boxes}, {c.clusters} clusters, {c.n_edges} edges>"
        )


def _graph_and_outputs(obj: Any, outputs: Iterable[Value] | None) -> tuple[Graph, list[Value] | None]:
    if isinstance(obj, Graph):
        return obj, list(outputs) if outputs is not None else None
    if isinstance(obj, Value):
        vals: list[Any] = [obj]
    elif isinstance(obj, Mapping):
        vals = list(obj.values())
    elif isinstance(obj, Sequence) and not isinstance(obj, str):
        vals = list(obj)
    else:
        vals = []
    if not vals or not all(isinstance(v, Value) for v in vals):
        raise RenderError(
            f"render: expected a Graph, a value, or a list or dict of values, got {type(obj).__name__}"
        )
    graph = vals[0].graph
    if any(v.graph is not graph for v in vals):
        raise RenderError("render: the values belong to different graphs")
    return graph, list(outputs) if outputs is not None else vals


def render(
    graph_or_values: Graph | Value | Sequence[Value] | Mapping[str, Value],
    view: str = "forward",
    *,
    outputs: Iterable[Value] | None = None,
    values: Mapping[Any, Any] | None = None,
    collapse: bool = False,
    depth: int | None = None,
    path: str | Path | None = None,
    format: str | None = None,
    rankdir: str | None = None,
    legend: bool = True,
    links: bool = True,
    fold_constants: bool = True,
    vjp_groups: bool = True,
    title: str | None = None,
) -> Rendered:
    """Draw a graph (or the part of it that some values need) with graphviz.

    ``view``: ``"forward"`` (nodes not tagged backward/update), ``"backward"`` (autodiff's nodes, with the
    forward values they read drawn faded) or ``"joint"`` (everything, updates included). ``outputs`` restricts
    the drawing to what those values depend on (default: the whole graph, or the given values).

    ``values`` maps :class:`Value` objects or names (``"fc1/W"``, ``"%3"``) to arrays from a real run (see
    :func:`graphc.viz.capture_values`): value nodes then summarise them (shape, mean, std, min, max; ≤ 10
    elements in full), and in backward/joint views each value with a known gradient shows it beside,
    micrograd's ``data | grad`` box.

    ``collapse=True`` draws every top-level name scope as one box; ``depth=N`` keeps N scope levels as
    clusters and collapses deeper ones (implies collapsing). ``path`` writes the picture (format from
    ``format`` or the suffix: ``.dot`` always works, ``.svg``/``.png``/``.pdf`` need the Graphviz ``dot``
    program and raise :class:`DotNotFoundError` with install instructions without it); ``format`` is also
    what :meth:`Rendered.pipe` returns by default (svg otherwise).

    Drawing options: ``rankdir`` (default ``"LR"``, micrograd's left-to-right, and ``"TB"`` for the backward
    view, where gradients flow down from the loss to the parameters; in the joint view gradient edges are laid
    out against the flow, so the backward pass runs right-to-left alongside the forward pass), ``legend``,
    ``links`` (dotted links from backward ops to the forward op they differentiate and from gradients to their
    values), ``fold_constants`` (scalar constants inside their users' labels), ``vjp_groups`` (one dotted
    cluster per differentiated forward op), ``title``.

    Raises :class:`RenderError` for an unknown view/format, values of another graph, or a backward view of a
    graph without gradients. Cost is linear in the size of the drawn graph.
    """
    if view not in VIEWS:
        raise RenderError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    if rankdir is None:
        rankdir = "TB" if view == "backward" else "LR"
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise RenderError(f"rankdir must be LR, TB, RL or BT, got {rankdir!r}")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise RenderError(f"depth must be an int >= 0, got {depth!r}")
    if format is not None:
        formats.format_for(None, format)
    graph, outs = _graph_and_outputs(graph_or_values, outputs)
    sel = select(graph, view, outs, fold_constants=fold_constants)
    level = depth if depth is not None else (0 if collapse else None)
    grouping = Grouping(sel, level, vjp_groups=vjp_groups)
    arrays = resolve_values(values, sel.values, sel.names)
    if sel.view != "forward":  # gradients shown beside values may not be drawn themselves
        extra = {g for g in sel.gradient_of.values() if g not in arrays}
        if extra and values:
            arrays.update(resolve_values(values, extra, sel.names))
    digraph, counts = build_digraph(
        sel,
        grouping,
        arrays,
        Options(rankdir=rankdir, legend=legend, links=links, title=title, mirror=sel.view == "joint"),
    )
    rendered = Rendered(digraph, sel, counts, format or "svg")
    if path is not None:
        rendered.save(path, format)
    return rendered


def save_views(
    graph: Graph,
    directory: str | Path,
    views: Sequence[str] = VIEWS,
    *,
    format: str | None = None,
    **options: Any,
) -> list[Path]:
    """Write ``<directory>/<view>.<format>`` for each view; returns the paths.

    ``format`` defaults to ``svg`` when the ``dot`` program is installed and ``dot`` text otherwise (what
    ``graphc demo`` needs). ``options`` go to :func:`render`.
    """
    fmt = format or ("svg" if formats.dot_available() else "dot")
    out = Path(directory)
    return [render(graph, v, **options).save(out / f"{v}.{fmt}", fmt) for v in views]

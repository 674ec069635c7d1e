"""``graphc render MODEL.py``: draw the graph a model file builds.

::

    graphc render MODEL.py [--view forward|backward|joint] [-o OUT] [--format F] [--collapse] [--depth N]
                           [--after PASS]

The CLI layer (argument parsing) lives in :mod:`graphc.cli`; this module does the work so it can be tested
without a subprocess.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from graphc.errors import ModelFileError
from graphc.ir.graph import Graph, Value
from graphc.modelfile import with_gradients
from graphc.viz import formats
from graphc.viz.api import render
from graphc.viz.errors import RenderError
from graphc.viz.view import VIEWS


def differentiate_if_needed(graph: Graph, view: str, log: TextIO) -> Graph:
    """For a backward/joint view, the graph with backward nodes (:func:`graphc.modelfile.with_gradients`);
    raises :class:`RenderError` when it has none and no single loss to build them from."""
    if view == "forward":
        return graph
    try:
        return with_gradients(graph, log, asked_by=f"the {view} view")
    except ModelFileError as e:
        raise RenderError(e.bare_message) from None


def snapshot_after(graph: Graph, after: str) -> Graph:
    """The graph as the default pass pipeline leaves it after pass ``after`` (``"input"``: before any pass).

    The pipeline keeps what the graph's outputs need, plus the gradients autodiff recorded (so the backward
    view of a snapshot shows the backward graph even when ``build()`` returned only the loss).
    """
    from graphc.errors import PassError
    from graphc.passes import PASS_NAMES, optimize

    if after not in (*PASS_NAMES, "input"):
        raise RenderError(f"--after: unknown pass {after!r}; passes are {', '.join(PASS_NAMES)} (or input)")
    if not graph.outputs:
        raise RenderError("--after needs a graph with outputs (return them from build())")
    try:
        grads: list[Value] = list(graph.meta.get("gradients", {}).values())
        outputs = list(dict.fromkeys([*graph.outputs, *grads]))
        return optimize(graph, outputs, keep=[after], verify_each=True).snapshots[after]
    except PassError as e:
        raise RenderError(f"--after {after}: {e}") from e


def default_out(model_path: str | Path, view: str, fmt: str | None) -> Path:
    """``<model stem>-<view>.<fmt>`` in the current directory; svg when ``dot`` is installed, else dot."""
    chosen = fmt or ("svg" if formats.dot_available() else "dot")
    return Path(f"{Path(model_path).stem}-{view}.{chosen}")


def render_command(
    model_path: str | Path,
    view: str = "forward",
    out: str | Path | None = None,
    fmt: str | None = None,
    collapse: bool = False,
    depth: int | None = None,
    after: str | None = None,
    *,
    unroll: int | None = None,
    log: TextIO | None = None,
) -> Path:
    """Load the model file, optionally run the pass pipeline up to ``after``, render ``view`` and write it.

    ``out`` defaults to ``<stem>-<view>.svg`` (``.dot`` without the ``dot`` program); the format comes from
    ``fmt`` or the suffix of ``out``. A backward/joint view of a model that built no gradients gets them from
    :func:`differentiate_if_needed`. With ``unroll``, each scan is drawn with its first ``unroll`` steps
    inlined (:func:`graphc.viz.unroll.unroll_scans`, the picture of backprop through time). Prints
    ``wrote PATH`` (and notes) to ``log`` (default stderr); returns the path. Raises
    :class:`graphc.GraphcError` subclasses (:class:`RenderError`, :class:`DotNotFoundError` with install
    instructions, :class:`graphc.errors.ModelFileError`) for the CLI to report.
    """
    from graphc.modelfile import load_model_file

    stream = log if log is not None else sys.stderr
    if view not in VIEWS:
        raise RenderError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    target = Path(out) if out is not None else default_out(model_path, view, fmt)
    chosen = formats.format_for(target, fmt)
    if chosen in formats.IMAGE_FORMATS and not formats.dot_available():
        from graphc.viz.errors import DotNotFoundError

        raise DotNotFoundError(chosen)
    graph = load_model_file(str(model_path))
    graph = differentiate_if_needed(graph, view, stream)
    if after is not None:
        graph = snapshot_after(graph, after)
    if unroll is not None:
        from graphc.viz.unroll import unroll_scans

        graph = unroll_scans(graph, unroll)
    title = f"{graph.name} · {view} view" + (f" · after {after}" if after else "")
    title += f" · scans unrolled {unroll} steps" if unroll is not None else ""
    rendered = render(graph, view, collapse=collapse, depth=depth, title=title)
    path = rendered.save(target, chosen)
    print(f"wrote {path} ({rendered!r})", file=stream)
    return path


__all__ = ["default_out", "differentiate_if_needed", "render_command", "snapshot_after"]

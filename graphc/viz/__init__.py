"""graphviz rendering of graphc graphs: forward, backward and joint views, with run values and collapsing.

::

    import graphc as gc
    from graphc.viz import render
    pic = render(graph, "backward", values=gc.viz.capture_values(graph, feeds))
    pic.save("backward.svg")      # .dot always works; .svg/.png/.pdf need the Graphviz `dot` program
    pic.source                    # the DOT text

Modules: :mod:`~graphc.viz.view` (what a view draws), :mod:`~graphc.viz.collapse` (clusters and collapsed
scopes), :mod:`~graphc.viz.style` (looks and legend), :mod:`~graphc.viz.labels` (what elements say),
:mod:`~graphc.viz.summary` (tensor summaries), :mod:`~graphc.viz.dot` (digraph assembly),
:mod:`~graphc.viz.formats` (files and the ``dot`` program), :mod:`~graphc.viz.cli` (``graphc render``).
"""

from graphc.viz.api import Rendered, render, save_views
from graphc.viz.errors import DotNotFoundError, RenderError
from graphc.viz.formats import FORMATS, dot_available
from graphc.viz.summary import capture_values, summarize
from graphc.viz.view import VIEWS

__all__ = [
    "FORMATS",
    "VIEWS",
    "DotNotFoundError",
    "RenderError",
    "Rendered",
    "capture_values",
    "dot_available",
    "render",
    "save_views",
    "summarize",
]

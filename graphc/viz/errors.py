"""Errors the renderer raises on purpose.

Both derive from :class:`graphc.GraphcError`, so ``except graphc.GraphcError`` catches them with every other
user-facing graphc error.
"""

from __future__ import annotations

from graphc.errors import GraphcError

INSTALL_HINT = (
    "the Graphviz `dot` program is needed for {fmt} output and was not found on PATH. Install Graphviz "
    "(Debian/Ubuntu: `sudo apt-get install graphviz`; Fedora: `sudo dnf install graphviz`; macOS: "
    "`brew install graphviz`; conda: `conda install -c conda-forge graphviz`; Windows: "
    "https://graphviz.org/download/), or save as .dot instead, which needs nothing and can be turned into a "
    "picture later with `dot -T{fmt} graph.dot -o graph.{fmt}`"
)


class RenderError(GraphcError, ValueError):
    """A render that cannot be made as asked: unknown view or format, nothing to draw, a graph without
    gradients asked for its backward view."""


class DotNotFoundError(RenderError):
    """SVG/PNG/PDF output was asked for but the Graphviz ``dot`` program is not installed.

    The message says how to install it; DOT text output never needs it.
    """

    def __init__(self, fmt: str) -> None:
        super().__init__(INSTALL_HINT.format(fmt=fmt))
        self.format = fmt

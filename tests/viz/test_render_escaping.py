"""Hostile names (quotes, newlines, backslashes, markup, code) show as written and cannot break the DOT."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

import pytest
from vizkit import Dot

import graphc as gc
from graphc.autodiff import grad
from graphc.ir.graph import Graph
from graphc.viz import render

HOSTILE = [
    'say "hi"',
    "two\nlines",
    "<b>bold</b> & <i>",
    "__import__('os').system('echo pwned')",
    "ends with a backslash\\",
    "dot escape \\N \\G \\l",
    "}; x -> y [label=\"pwned\"]; {",
    "]> <TABLE>",
]


def hostile_graph() -> tuple[Graph, list[gc.Value]]:
    with gc.Graph('evil"graph<>\n') as g:
        xs = [gc.placeholder(name, (2,)) for name in HOSTILE]
        with gc.name_scope('scope "<&>\n'):
            w = gc.parameter("w\\", (2,))
            total = xs[0] * w
            for x in xs[1:]:
                total = total + x
        loss = gc.sum(total * total)
        grad(loss, [w, xs[0]])
    g.outputs = [loss]
    return g, xs


def test_hostile_names_are_escaped_in_every_view(dot: Callable[[str], Dot]) -> None:
    g, xs = hostile_graph()
    for view in ("forward", "backward", "joint"):
        src = render(g, view).source
        d = dot(src)
        # every line is one whole statement: nothing a name holds starts a new line or statement
        for line in src.splitlines()[1:-1]:
            stripped = line.strip()
            assert stripped.endswith(("]", "{", "}")), line
        for x in xs:
            node = d.nodes.get(f"v{x.id}")
            if node is None:
                continue  # not drawn in this view
            assert "<b>" not in node["label"] and "<i>" not in node["label"]
            assert "\n" not in node["label"] and "\n" not in node["tooltip"]
        labels = " ".join(a.get("label", "") for a in d.nodes.values())
        assert "<b>" not in labels and "<TABLE>\"" not in labels
        if view != "backward":  # the backward view draws only the inputs it differentiates or reads
            assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;" in labels
            assert "__import__(&#x27;os&#x27;)" in labels
        assert "__import__('os')" not in labels
        # quoted values hold no backslash but DOT's own \n and \": no name can end the string or form \N
        quoted = [v for a in [*d.nodes.values(), *(e[2] for e in d.edges)] for v in a.values()
                  if not v.startswith("<")]
        assert not [v for v in quoted if re.search(r'\\[^n"]', v)]
        if view != "backward":
            assert "name dot escape ⧵N ⧵G ⧵l" in src and "name ends with a backslash⧵" in src


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz dot program")
def test_hostile_names_give_valid_dot_and_readable_svg() -> None:
    g, _ = hostile_graph()
    for view in ("forward", "backward", "joint"):
        svg = render(g, view).pipe("svg").decode()  # dot rejects invalid DOT: RenderError
        assert "evil" in svg, view
        if view != "backward":
            assert "&lt;b&gt;bold&lt;/b&gt;" in svg, view
            assert "__import__(&#39;os&#39;)" in svg or "__import__(&#x27;os&#x27;)" in svg, view
            assert "x &#45;&gt; y [label=" in svg, "the injected DOT is shown as text, not obeyed"
            assert "dot escape \\N \\G \\l" in svg, "an HTML label shows backslashes as written"
            assert "name dot escape ⧵N ⧵G ⧵l" in svg, "tooltips never let Graphviz expand \\N"

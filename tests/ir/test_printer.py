"""The text form: golden listings, stable naming, and quoting of hostile names."""

from __future__ import annotations

import graphc as gc
from graphc.ir.printer import format_graph, quote_name


def _mlp() -> gc.Graph:
    with gc.Graph("mlp") as g:
        x = gc.placeholder("x", (None, 4))
        with gc.name_scope("fc1"):
            w = gc.parameter("W", (4, 8))
            b = gc.parameter("b", (8,))
            h = gc.relu(x @ w + b)
        y = gc.softmax(h * 2.0, axis=-1)
        g.outputs = [y, gc.mean(y)]
    return g


GOLDEN = """\
graph mlp(%x:f32[B,4], %fc1/W:f32[4,8], %fc1/b:f32[8]) {
  %1:f32[B,8] = matmul %x, %fc1/W
  %2:f32[B,8] = add %1, %fc1/b
  %3:f32[B,8] = relu %2
  %4:f32[B,8] = mul %3, 2.0
  %5:f32[B,8] = softmax[axis=1] %4
  %6:f32[] = mean[axis=(0,1) keepdims=False] %5
  return %5, %6
}"""


def test_golden_mlp_listing() -> None:
    assert format_graph(_mlp()) == GOLDEN


def test_str_of_graph_is_the_listing() -> None:
    assert str(_mlp()) == GOLDEN


def test_named_values_print_under_their_names_and_stay_unique() -> None:
    with gc.Graph("g") as g:
        x = gc.placeholder("x", (3,))
        a = g.emit("exp", [x], name="h")[0]
        b = g.emit("exp", [a], name="h")[0]
        g.outputs = [b]
    text = format_graph(g)
    assert "%h:f32[3] = exp %x" in text
    assert "%h.1:f32[3] = exp %h" in text


def test_locations_point_at_this_file() -> None:
    text = format_graph(_mlp(), with_loc=True)
    assert "# test_printer.py:" in text


def test_hostile_names_are_quoted_and_cannot_forge_lines() -> None:
    evil = 'x"\n  %9:f32[] = exp %x  # forged'
    with gc.Graph("g") as g:
        x = gc.placeholder(evil, (2,))
        g.outputs = [gc.exp(x)]
    text = format_graph(g)
    assert len(text.splitlines()) == 4  # header, one equation, return, closing brace
    assert quote_name(evil) in text
    assert quote_name("fc1/W") == "fc1/W"
    assert quote_name("a b") == '"a b"'

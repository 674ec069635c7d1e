"""What each drawn element says: HTML-like labels and plain-text tooltips.

* An op node shows its name in bold, its non-default attributes, and any folded scalar operands in argument
  order (``(·, 2.0)``: ``·`` is an incoming edge).
* A value node is micrograd's ``data | grad`` box at tensor scale: the first column holds the printed name and
  type (plus ``∂loss/∂%x`` for gradients, the literal of a constant); with ``values=`` a ``data`` column
  summarises the array, and in backward/joint views a ``grad`` column summarises the value's gradient.
* A collapsed box names its scope and counts what it hides.
* Tooltips carry the element's id, scope and the user's ``file:line``.

Every piece of user text passes through :mod:`graphc.viz.text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphc.ir.constant import ConstValue
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.opdef import REQUIRED
from graphc.ir.printer import format_attr
from graphc.viz import text
from graphc.viz.collapse import Box
from graphc.viz.summary import summarize
from graphc.viz.view import Selection, role

_SMALL = '<FONT POINT-SIZE="9">{}</FONT>'
_ATTR_LIMIT = 40


def op_attr_text(node: Node) -> list[str]:
    """``name=value`` for each attribute that differs from its default (constants' payloads and subgraphs are
    summarised, not printed)."""
    defaults = {a.name: a.default for a in node.op.attrs}
    out: list[str] = []
    for k, v in node.attrs.items():
        default = defaults.get(k, REQUIRED)
        if default is not REQUIRED and _same(v, default):
            continue
        if isinstance(v, Graph):
            shown = f"<graph {v.name}: {len(v.nodes)} nodes>"
        elif isinstance(v, ConstValue):
            shown = repr(v)
        else:
            try:
                shown = format_attr(v)
            except Exception:  # a payload whose str() fails must not break the picture
                shown = type(v).__name__
        out.append(text.shorten(f"{k}={shown}", _ATTR_LIMIT))
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and other odd attribute payloads: never equal to a default
        return False


def op_label(sel: Selection, node: Node, vjp_line: str | None = None) -> text.Html:
    """The HTML-like label of an op node."""
    parts = [f"<B>{text.html(node.op.name)}</B>"]
    parts.extend(_SMALL.format(text.html(a)) for a in op_attr_text(node))
    if any(v in sel.folded for v in node.inputs):
        args = ", ".join(sel.folded.get(v, "·") for v in node.inputs)
        parts.append(_SMALL.format(text.html(text.shorten(f"({args})", _ATTR_LIMIT))))
    if vjp_line is not None:
        parts.append(_SMALL.format(text.html(vjp_line)))
    return text.Html("<BR/>".join(parts))


def op_tooltip(sel: Selection, node: Node, n_backward: int = 0) -> list[str]:
    """Tooltip lines of an op: its id, scope, source line and, for backward ops, the forward op they
    differentiate (the shared id)."""
    lines = [sel.op_id(node)]
    if node.scope:
        lines.append(f"scope {node.scope}")
    lines.append(f"at {node.loc.full}")
    fwd = node.tags.get("grad_of")
    if role(node) == "backward" and isinstance(fwd, Node):
        lines.append(f"backward of {sel.op_id(fwd)} ({fwd.loc})")
    elif role(node) == "backward" and isinstance(node.tags.get("seed_of"), Value):
        lines.append("gradient seed")
    if n_backward:
        lines.append(f"differentiated by {n_backward} backward op(s): ∂ {sel.op_id(node)}")
    lines.extend(op_attr_text(node))
    return lines


def _column(rows: list[str], *, header: str | None = None) -> str:
    cells = []
    if header is not None:
        cells.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="8" COLOR="#6b7280">{header}</FONT></TD></TR>')
    cells.extend(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
    return (
        '<TD><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        + "".join(cells)
        + "</TABLE></TD>"
    )


def value_label(sel: Selection, v: Value, arrays: Mapping[Value, Any], *, show_grad: bool) -> text.Html:
    """The HTML-like label of a value node: identity column, then ``data`` and ``grad`` columns when arrays
    for them were given."""
    name = "seed" if v in sel.seeds else sel.printed(v)
    ident = [f"<B>{text.html(name)}</B>", _SMALL.format(text.html(str(v.type)))]
    d = sel.grad_text(v)
    if d is not None:
        ident.append(_SMALL.format(text.html(d)))
    elif v in sel.losses:
        ident.append(_SMALL.format("loss"))
    p = v.producer
    if p is not None and p.op.name == "constant" and v not in sel.seeds:
        ident.append(_SMALL.format(text.html(text.shorten(repr(p.attrs["value"]), _ATTR_LIMIT))))
    cols = [_column(ident)]
    if v in arrays:
        cols.append(_column([text.html(s) for s in summarize(arrays[v])], header="data"))
    g = sel.gradient_of.get(v)
    if show_grad and g is not None and g in arrays:
        cols.append(
            _column([text.html(s) for s in summarize(arrays[g])], header=f"grad {text.html(sel.printed(g))}")
        )
    rules = ' COLUMNS="*"' if len(cols) > 1 else ""
    return text.Html(
        f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2"{rules}><TR>'
        + "".join(cols)
        + "</TR></TABLE>"
    )


def value_tooltip(sel: Selection, v: Value, kind_text: str) -> list[str]:
    """Tooltip lines of a value: printed name and type, kind, where it was made."""
    lines = [f"{sel.printed(v)}: {v.type}", kind_text]
    if v.name is not None and v.name != sel.names.get(v):
        lines.append(f"name {v.name}")
    d = sel.grad_text(v)
    if d is not None:
        lines.append(d)
    if v.producer is not None:
        lines.append(f"made by {sel.op_id(v.producer)} at {v.producer.loc.full}")
    g = sel.gradient_of.get(v)
    if g is not None:
        lines.append(f"gradient: {sel.printed(g)}")
    return lines


def box_label(sel: Selection, box: Box) -> text.Html:
    """The HTML-like label of a collapsed scope: its name, op counts and parameters."""
    name = ("∇ " if box.side == "bwd" else "") + "/".join(box.path)
    parts = [f"<B>{text.html(name)}</B>"]
    n_ops = sum(box.ops.values())
    if n_ops:
        common = ", ".join(f"{k}×{c}" if c > 1 else k for k, c in box.ops.most_common(4))
        more = ", …" if len(box.ops) > 4 else ""
        parts.append(_SMALL.format(text.html(f"{n_ops} ops: {common}{more}")))
    if box.params:
        shown = [f"{sel.printed(p)}:{p.type}" for p in box.params]
        parts.append(_SMALL.format(text.html(_listing("params", shown))))
    if box.gradients:
        parts.append(_SMALL.format(text.html(_listing("makes", [sel.printed(g) for g in box.gradients]))))
    if not n_ops and not box.params and box.n_values:
        parts.append(_SMALL.format(f"{box.n_values} values"))
    return text.Html("<BR/>".join(parts))


def _listing(what: str, items: list[str], limit: int = 3) -> str:
    more = f" +{len(items) - limit}" if len(items) > limit else ""
    return text.shorten(f"{what} {', '.join(items[:limit])}{more}", 64)


def box_tooltip(box: Box) -> list[str]:
    """Tooltip lines of a collapsed scope."""
    what = "backward of scope" if box.side == "bwd" else "scope"
    return [f"{what} {'/'.join(box.path)} (collapsed)", f"{sum(box.ops.values())} ops, {box.n_values} values"]

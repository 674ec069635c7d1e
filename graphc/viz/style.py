"""How each kind of element looks: colours, shapes and line styles, and the legend that explains them.

The renderer classifies every drawn element into a :class:`ValueKind` or :class:`OpKind` (see
:mod:`graphc.viz.view`) and asks this module for its DOT attributes; nothing else in the package names a
colour. Forward elements are drawn in neutral greys with coloured inputs, backward elements in red with dashed
outlines, optimizer updates in violet; values drawn only as context (forward values in the backward view) are
faded.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from graphc.viz import text

FONT = "Helvetica"


class ValueKind(enum.Enum):
    """What a value node is, for styling and the legend (the value is the legend text)."""

    PLACEHOLDER = "placeholder (fed input)"
    PARAM = "parameter"
    CONSTANT = "constant"
    ACTIVATION = "forward value"
    LOSS = "loss"
    GRADIENT = "gradient (∂loss/∂input)"
    COTANGENT = "backward value (∂loss/∂·)"
    UPDATE = "updated state"


class OpKind(enum.Enum):
    """What an op node is, for styling and the legend."""

    FORWARD = "forward op"
    BACKWARD = "backward op"
    UPDATE = "update op"
    FUSED = "fused group"


class EdgeKind(enum.Enum):
    """What an edge means, for styling and the legend."""

    DATA = "data flow (label n = argument n)"
    GRAD = "gradient flow"
    READ = "backward reads a forward value"
    UPDATE = "update"
    GRAD_OF = "differentiates (backward → forward op)"
    SEED = "seed: ∂loss/∂loss = 1 starts backprop"
    GRAD_LINK = "is the gradient of"
    CARRY = "loop carry: this step's output is the next step's input"


@dataclass(frozen=True)
class Look:
    """Colours and line style of one kind."""

    fill: str
    line: str
    font: str = "#111827"
    style: str = "solid"  # solid | dashed | dotted
    bold: bool = False


VALUE_LOOKS: dict[ValueKind, Look] = {
    ValueKind.PLACEHOLDER: Look("#dbeafe", "#2563eb", bold=True),
    ValueKind.PARAM: Look("#fef3c7", "#d97706", bold=True),
    ValueKind.CONSTANT: Look("#f3f4f6", "#9ca3af", font="#4b5563"),
    ValueKind.ACTIVATION: Look("#ffffff", "#4b5563"),
    ValueKind.LOSS: Look("#fed7aa", "#ea580c", bold=True),
    ValueKind.GRADIENT: Look("#fecaca", "#b91c1c", font="#7f1d1d", bold=True),
    ValueKind.COTANGENT: Look("#fff1f2", "#e11d48", font="#881337", style="dashed"),
    ValueKind.UPDATE: Look("#ede9fe", "#7c3aed", font="#4c1d95"),
}

OP_LOOKS: dict[OpKind, Look] = {
    OpKind.FORWARD: Look("#e5e7eb", "#4b5563"),
    OpKind.BACKWARD: Look("#fee2e2", "#dc2626", font="#991b1b", style="dashed"),
    OpKind.UPDATE: Look("#ddd6fe", "#6d28d9", font="#4c1d95"),
    OpKind.FUSED: Look("#cffafe", "#0891b2", font="#164e63"),
}

EDGE_LOOKS: dict[EdgeKind, Look] = {
    EdgeKind.DATA: Look("", "#374151"),
    EdgeKind.GRAD: Look("", "#dc2626", font="#b91c1c", bold=True),
    EdgeKind.READ: Look("", "#9ca3af", font="#6b7280", style="dashed"),
    EdgeKind.UPDATE: Look("", "#7c3aed", font="#6d28d9"),
    EdgeKind.GRAD_OF: Look("", "#f59e0b", font="#b45309", style="dotted"),
    EdgeKind.SEED: Look("", "#ea580c", font="#c2410c", style="dotted", bold=True),
    EdgeKind.GRAD_LINK: Look("", "#b91c1c", font="#b91c1c", style="dotted"),
    EdgeKind.CARRY: Look("", "#7c3aed", font="#6d28d9", style="dashed", bold=True),
}

_FADE = "66"  # alpha appended to colours of context elements
_FADED_FONT = "#6b7280"

CLUSTER_FORWARD = {"color": "#9ca3af", "fontcolor": "#374151", "style": "rounded", "bgcolor": "#f9fafb"}
CLUSTER_BACKWARD = {
    "color": "#fca5a5",
    "fontcolor": "#991b1b",
    "style": "rounded,dashed",
    "bgcolor": "#fffafa",
}
CLUSTER_VJP = {"color": "#fecaca", "fontcolor": "#b91c1c", "style": "rounded,dotted", "bgcolor": "#fff5f5"}
CLUSTER_SCAN = {"color": "#7c3aed", "fontcolor": "#4c1d95", "style": "rounded,bold", "bgcolor": "#faf5ff"}
CLUSTER_FUSED = {"color": "#0891b2", "fontcolor": "#155e75", "style": "rounded", "bgcolor": "#ecfeff"}


def _style(look: Look, *extra: str) -> str:
    parts = ["filled", *extra]
    if look.style != "solid":
        parts.append(look.style)
    if look.bold:
        parts.append("bold")
    return ",".join(parts)


def value_attrs(kind: ValueKind, *, faded: bool = False, output: bool = False) -> dict[str, str]:
    """DOT attributes of a value node (a rounded box holding an HTML table label)."""
    look = VALUE_LOOKS[kind]
    attrs = {
        "shape": "box",
        "style": _style(look, "rounded"),
        "fillcolor": look.fill,
        "color": look.line,
        "fontcolor": look.font,
        "margin": "0.04,0.02",
    }
    if kind is ValueKind.LOSS or output:
        attrs["peripheries"] = "2"
    if faded:
        attrs.update(fillcolor=look.fill + _FADE, color=look.line + _FADE, fontcolor=_FADED_FONT)
        attrs["style"] = "filled,rounded,dashed"
        attrs.pop("peripheries", None)
    return attrs


def op_attrs(kind: OpKind) -> dict[str, str]:
    """DOT attributes of an op node (an ellipse with the op name and key attributes)."""
    look = OP_LOOKS[kind]
    return {
        "shape": "ellipse" if kind is not OpKind.FUSED else "box3d",
        "style": _style(look),
        "fillcolor": look.fill,
        "color": look.line,
        "fontcolor": look.font,
        "margin": "0.03,0.01",
    }


def box_attrs(kind: OpKind, *, faded: bool = False) -> dict[str, str]:
    """DOT attributes of a collapsed scope (one box standing for every node of the scope)."""
    look = OP_LOOKS[kind]
    attrs = {
        "shape": "box3d",
        "style": _style(look),
        "fillcolor": look.fill,
        "color": look.line,
        "fontcolor": look.font,
    }
    if faded:
        attrs.update(
            fillcolor=look.fill + _FADE, color=look.line + _FADE, fontcolor=_FADED_FONT, style="filled,dashed"
        )
    return attrs


def edge_attrs(kind: EdgeKind) -> dict[str, str]:
    """DOT attributes of an edge of this kind."""
    look = EDGE_LOOKS[kind]
    attrs = {"color": look.line, "fontcolor": look.font}
    if look.style != "solid":
        attrs["style"] = look.style
    if look.bold:
        attrs["penwidth"] = "1.6"
    if kind in (EdgeKind.DATA, EdgeKind.GRAD, EdgeKind.READ, EdgeKind.UPDATE):
        attrs.update(labelfontsize="9", labeldistance="1.4", labelangle="-35")
    if kind is EdgeKind.CARRY:  # a back edge: it must not stretch the layout
        attrs.update(constraint="false", label="next step", fontsize="9")
    if kind in (EdgeKind.GRAD_OF, EdgeKind.GRAD_LINK):
        attrs.update(
            constraint="false", arrowhead="odot" if kind is EdgeKind.GRAD_OF else "vee", arrowsize="0.6"
        )
    return attrs


def legend_label(
    values: Iterable[ValueKind], ops: Iterable[OpKind], edges: Iterable[EdgeKind], faded: bool, boxes: bool
) -> text.Html:
    """The legend as one HTML-like label: a swatch and a line of text for each kind that the picture uses."""
    rows = ['<TR><TD COLSPAN="2"><B>legend</B></TD></TR>']

    def swatch(look: Look, text_: str, *, rounded: bool = False, fill: str | None = None) -> None:
        style = "rounded" if rounded else ""
        if look.style in ("dashed", "dotted"):
            style = (style + "," if style else "") + look.style
        style_attr = f' STYLE="{style}"' if style else ""
        rows.append(
            f'<TR><TD BGCOLOR="{fill or look.fill}" COLOR="{look.line}" BORDER="1"{style_attr} WIDTH="28">'
            " </TD>"
            f'<TD ALIGN="LEFT">{text.html(text_)}</TD></TR>'
        )

    for vk in ValueKind:
        if vk in set(values):
            swatch(VALUE_LOOKS[vk], vk.value, rounded=True)
    if faded:
        swatch(Look("#f3f4f6", "#9ca3af", style="dashed"), "faded: forward context, read only")
    op_set = set(ops)
    for ok in OpKind:
        if ok in op_set:
            swatch(OP_LOOKS[ok], ok.value)
    if boxes:
        rows.append(
            '<TR><TD BORDER="1" WIDTH="28">▣</TD>'
            '<TD ALIGN="LEFT">collapsed scope (one box per scope)</TD></TR>'
        )
    edge_set = set(edges)
    arrows = {"solid": "──▶", "dashed": "╌╌▶", "dotted": "┈┈▶"}
    for ek in EdgeKind:
        if ek in edge_set:
            look = EDGE_LOOKS[ek]
            rows.append(
                f'<TR><TD><FONT COLOR="{look.line}">{arrows[look.style]}</FONT></TD>'
                f'<TD ALIGN="LEFT">{text.html(ek.value)}</TD></TR>'
            )
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
    return text.Html(table + "".join(rows) + "</TABLE>")

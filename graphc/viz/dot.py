"""Assembling the DOT: nodes, edges, clusters, links and the legend, wrapped in a ``graphviz.Digraph``.

Input is a :class:`~graphc.viz.view.Selection` (what to draw) and a :class:`~graphc.viz.collapse.Grouping`
(where it goes); output is the digraph plus :class:`Counts` of what was emitted. Edges:

* data edges run producer op → value → consumer op; an edge into a non-commutative op with two or more inputs
  is labelled with its argument position (``0``, ``1``) at its head, as are the outputs of multi-output ops
  at their tail;
* edges of backward ops are red where gradient flows and grey-dashed where they read a forward value;
* the seed ``∂loss/∂loss = 1`` hangs off its loss by a dotted edge;
* links that do not shape the layout (``constraint=false``): each VJP group (or lone backward op) points at
  the forward op it differentiates when both are drawn, and each gradient at the value it is the gradient of;
* with collapsing, an edge touching a box stands for all parallel edges and is drawn once;
* with ``mirror`` (the joint view), gradient edges are declared against the flow and drawn with
  ``dir=back``, so the backward pass is laid out right-to-left alongside the forward pass it mirrors.

Statements are written directly (every value through :func:`graphc.viz.text.dot_value`), one pass over the
selection, so the DOT is linear in graph size; the digraph only carries them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import graphviz  # type: ignore[import-untyped]

from graphc.ir.graph import Graph, Node, Value
from graphc.ir.printer import scalar_literal
from graphc.viz import labels, style, text
from graphc.viz.collapse import Box, Cluster, Element, Grouping, element_id
from graphc.viz.style import EdgeKind, OpKind, ValueKind
from graphc.viz.view import Selection, fused_subgraph, role, scan_body

_END_LABELLED = frozenset({EdgeKind.DATA, EdgeKind.GRAD, EdgeKind.READ, EdgeKind.UPDATE})
_SWAP_ENDS = {"headlabel": "taillabel", "taillabel": "headlabel", "ltail": "lhead", "lhead": "ltail"}


@dataclass
class Counts:
    """What a render emitted (for tests, and for the picture's ``repr``)."""

    op_nodes: int = 0
    value_nodes: int = 0
    boxes: int = 0
    clusters: int = 0
    edges: Counter[str] = field(default_factory=Counter)

    @property
    def n_edges(self) -> int:
        return sum(self.edges.values())


@dataclass(frozen=True)
class Options:
    """Drawing options that do not change what is selected."""

    rankdir: str = "LR"
    legend: bool = True
    links: bool = True  # backward → forward op links and gradient → value links
    expand_fused: bool = True
    expand_scans: bool = True  # a scan as a cluster holding its body (else one plain op node)
    title: str | None = None
    mirror: bool = False  # gradient edges laid out against the flow (the joint view)


_CAPTIONS = {
    "backward": "backprop: gradients flow from the seed ∂loss/∂loss = 1 to ∂loss/∂ of each input;\n"
    "each dotted box holds the ops that differentiate one forward op (∂ op → %y); faded values are forward "
    "values they read",
    "joint": "forward data flows in black, gradients in red from the seed ∂loss/∂loss = 1 back to each "
    "parameter;\ndotted links join each gradient to its parameter and each ∂ box to the op it differentiates",
}


def _caption(view: str, opts: Options) -> str:
    """A short reading guide under the title of the backward and joint views (none with a custom title)."""
    words = _CAPTIONS.get(view)
    if words is None or opts.title is not None or not opts.legend:
        return ""
    body = "<BR/>".join(text.html(line) for line in words.split("\n"))
    return f'<BR/><FONT POINT-SIZE="10">{body}</FONT>'


class _Writer:
    """DOT statements into a list of lines, indented by cluster depth."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = "\t"

    def stmt(self, head: str, attrs: Mapping[str, str]) -> None:
        self.lines.append(f"{self.indent}{head} {text.attr_list(attrs)}\n")

    def open(self, name: str) -> None:
        self.lines.append(f"{self.indent}subgraph {name} {{\n")
        self.indent += "\t"

    def close(self) -> None:
        self.indent = self.indent[:-1]
        self.lines.append(f"{self.indent}}}\n")


class _Builder:
    def __init__(
        self, sel: Selection, grouping: Grouping, arrays: Mapping[Value, Any], opts: Options
    ) -> None:
        self.sel = sel
        self.grouping = grouping
        self.arrays = arrays
        self.opts = opts
        self.out = _Writer()
        self.counts = Counts()
        self.value_kinds: set[ValueKind] = set()
        self.op_kinds: set[OpKind] = set()
        self.edge_kinds: set[EdgeKind] = set()
        self.show_grad = sel.view != "forward"
        self.n_backward: Counter[Node] = Counter()
        for n in sel.nodes:
            fwd = n.tags.get("grad_of")
            if role(n) == "backward" and isinstance(fwd, Node):
                self.n_backward[fwd] += 1
        # fused nodes drawn as clusters: input i → [(inner consumer id, label)]; output j → inner producer id
        self.fused_in: dict[Node, list[list[tuple[str, str | None]]]] = {}
        self.fused_out: dict[Node, list[str | None]] = {}
        # a fused node's own id names no DOT node: links to or from it attach to an inner op, clipped at the
        # cluster border (fused node id → (inner op id, cluster name))
        self.fused_anchor: dict[str, tuple[str, str]] = {}
        self.seen_edges: set[tuple[str, str, EdgeKind]] = set()

    # -- nodes and clusters ---------------------------------------------------------------------------------
    def build(self) -> graphviz.Digraph:
        sel, opts, out = self.sel, self.opts, self.out
        title = opts.title if opts.title is not None else f"{sel.graph.name} · {sel.view} view"
        out.stmt(
            "graph",
            {
                "rankdir": opts.rankdir,
                "compound": "true",
                "newrank": "true",
                "nodesep": "0.18",
                "ranksep": "0.3",
                "fontname": style.FONT,
                "fontsize": "14",
                "labelloc": "t",
                "label": text.Html(f"<B>{text.html(title)}</B>" + _caption(sel.view, opts)),
            },
        )
        out.stmt("node", {"fontname": style.FONT, "fontsize": "11", "height": "0.3"})
        out.stmt("edge", {"fontname": style.FONT, "fontsize": "9", "arrowsize": "0.7"})
        for m in self.grouping.top:
            self._emit(m)
        for c in self.grouping.roots:
            self._emit_cluster(c)
        self._edges()
        if opts.legend:
            legend = style.legend_label(
                self.value_kinds,
                self.op_kinds,
                self.edge_kinds,
                faded=bool(sel.faded),
                boxes=bool(self.grouping.boxes),
            )
            out.stmt("legend", {"label": legend, "shape": "plain", "fontsize": "10"})
        return graphviz.Digraph(name="graphc", body=out.lines)

    def _emit_cluster(self, c: Cluster) -> None:
        self.counts.clusters += 1
        look = {
            "scope": style.CLUSTER_BACKWARD if c.side == "bwd" else style.CLUSTER_FORWARD,
            "vjp": style.CLUSTER_VJP,
        }[c.kind]
        self.out.open(c.dot_name)
        self.out.stmt(
            "graph",
            {
                "label": c.label,
                "tooltip": text.lines(c.tooltip),
                "fontname": style.FONT,
                "fontsize": "11",
                **look,
            },
        )
        for m in c.members:
            self._emit(m)
        for child in c.children:
            self._emit_cluster(child)
        self.out.close()

    def _emit(self, m: Element | Box) -> None:
        sel = self.sel
        if isinstance(m, Box):
            self.counts.boxes += 1
            if not m.faded:
                self.op_kinds.add(m.kind)
            self.out.stmt(
                m.dot_id,
                {
                    "label": labels.box_label(sel, m),
                    "tooltip": text.lines(labels.box_tooltip(m)),
                    **style.box_attrs(m.kind, faded=m.faded),
                },
            )
        elif isinstance(m, Node):
            kind = sel.op_kind[m]
            sub = fused_subgraph(m) if self.opts.expand_fused else None
            if sub is not None:
                self._emit_fused(m, sub)
                return
            body = scan_body(m) if self.opts.expand_scans else None
            if body is not None:
                self._emit_fused(m, body, scan=True)
                return
            self.counts.op_nodes += 1
            self.op_kinds.add(kind)
            self.out.stmt(
                element_id(m),
                {
                    "label": labels.op_label(sel, m, self.grouping.vjp_label.get(m)),
                    "tooltip": text.lines(labels.op_tooltip(sel, m, self.n_backward[m])),
                    **style.op_attrs(kind),
                },
            )
        else:
            vkind = sel.value_kind[m]
            self.counts.value_nodes += 1
            self.value_kinds.add(vkind)
            self.out.stmt(
                element_id(m),
                {
                    "label": labels.value_label(sel, m, self.arrays, show_grad=self.show_grad),
                    "tooltip": text.lines(labels.value_tooltip(sel, m, vkind.value)),
                    **style.value_attrs(vkind, faded=m in sel.faded, output=m in sel.outputs),
                },
            )

    def _emit_fused(self, node: Node, body: Graph, scan: bool = False) -> None:
        """A fused node — or with ``scan`` a scan — as a cluster of its body's ops; the body's values become
        edges between them, and a scan's carries dashed back edges from the op making the next carry to the
        ops reading the current one."""
        self.counts.clusters += 1
        inner_kind = self.sel.op_kind[node] if scan else OpKind.FUSED
        self.op_kinds.add(inner_kind)
        inner = [
            n
            for n in body.nodes
            if not (n.op.name == "constant" and scalar_literal(n.outputs[0]) is not None)
        ]
        producer: dict[Value, str] = {o: f"n{n.id}" for n in inner for o in n.outputs}
        index = {v: i for i, v in enumerate(body.inputs)}
        ins: list[list[tuple[str, str | None]]] = [[] for _ in body.inputs]
        inner_edges: list[tuple[str, str, str | None]] = []
        cluster = f"cluster_{node.op.name}_{node.id}"
        if inner:
            self.fused_anchor[element_id(node)] = (f"n{inner[0].id}", cluster)
        outs = self.sel.op_id(node).removeprefix(node.op.name)
        title = f"<B>{text.html(node.op.name)}</B>{text.html(outs)}"
        if scan:
            steps = node.attrs.get("length")
            title += f"<BR/>body run {text.html(str(steps))} times" if isinstance(steps, int) else ""
        self.out.open(cluster)
        self.out.stmt(
            "graph",
            {
                "label": text.Html(title),
                "fontname": style.FONT,
                "fontsize": "10",
                "tooltip": text.lines([self.sel.op_id(node), f"at {node.loc.full}", f"{len(inner)} ops"]),
                **(style.CLUSTER_SCAN if scan else style.CLUSTER_FUSED),
            },
        )
        for n in inner:
            self.counts.op_nodes += 1
            folded = [scalar_literal(v) for v in n.inputs]
            parts = [f"<B>{text.html(n.op.name)}</B>"]
            if any(f is not None for f in folded):
                args = ", ".join(f if f is not None else "·" for f in folded)
                parts.append(f'<FONT POINT-SIZE="9">{text.html(text.shorten(f"({args})"))}</FONT>')
            self.out.stmt(
                f"n{n.id}",
                {
                    "label": text.Html("<BR/>".join(parts)),
                    "tooltip": text.lines([f"{n.op.name} inside {self.sel.op_id(node)}", f"at {n.loc.full}"]),
                    **style.op_attrs(inner_kind),
                },
            )
            positional = not n.op.commutative and len(n.inputs) >= 2
            for i, v in enumerate(n.inputs):
                lab = str(i) if positional else None
                if v in producer:
                    inner_edges.append((producer[v], f"n{n.id}", lab))
                elif v in index:
                    ins[index[v]].append((f"n{n.id}", lab))
        for src, dst, lab in inner_edges:
            self._edge(src, dst, EdgeKind.DATA, lab)
        if scan:
            for i in range(node.attrs.get("num_carry", 0)):
                nxt = producer.get(body.outputs[i])
                if nxt is None:  # the carry passes through unchanged: nothing inside makes it
                    continue
                for dst, _ in ins[i]:
                    self._edge(nxt, dst, EdgeKind.CARRY)
        self.out.close()
        self.fused_in[node] = ins
        # outputs without an inner producer (a scan's saved carries) leave from the cluster's border
        extra: list[str | None] = [None] * (len(node.outputs) - len(body.outputs))
        self.fused_out[node] = [producer.get(o) for o in body.outputs] + extra

    # -- edges ----------------------------------------------------------------------------------------------
    def _edge(
        self, src: str, dst: str, kind: EdgeKind, label: str | None = None, at: str = "head", **extra: str
    ) -> None:
        attrs = style.edge_attrs(kind)
        if label is not None:  # argument positions sit next to the op they belong to
            attrs[f"{at}label" if kind in _END_LABELLED else "label"] = label
        attrs.update(extra)
        if (
            self.opts.mirror and kind is EdgeKind.GRAD
        ):  # declared reversed, drawn forward: the ends swap roles
            attrs = {_SWAP_ENDS.get(k, k): v for k, v in attrs.items()}
            attrs["dir"] = "back"
            src, dst = dst, src
        self.out.stmt(f"{src} -> {dst}", attrs)
        self.counts.edges[kind.name] += 1
        self.edge_kinds.add(kind)

    def _connect(
        self,
        src: str | None,
        dst: str | None,
        kind: EdgeKind,
        label: str | None = None,
        at: str = "head",
        **extra: str,
    ) -> None:
        if src is None or dst is None or src == dst:
            return
        if src in self.fused_anchor:
            src, extra["ltail"] = self.fused_anchor[src]
        if dst in self.fused_anchor:
            dst, extra["lhead"] = self.fused_anchor[dst]
        if src in self._boxes or dst in self._boxes:  # a box edge stands for all parallel edges
            key = (src, dst, kind)
            if key in self.seen_edges:
                return
            self.seen_edges.add(key)
            label = None
        self._edge(src, dst, kind, label, at, **extra)

    def _edges(self) -> None:
        sel, grouping, connect = self.sel, self.grouping, self._connect
        self._boxes = boxes = {b.dot_id for b in grouping.boxes.values()}
        for n in sel.nodes:
            r = role(n)
            out_kind = (
                EdgeKind.GRAD if r == "backward" else EdgeKind.UPDATE if r == "update" else EdgeKind.DATA
            )
            positional = not n.op.commutative and len(n.inputs) >= 2
            fused_in = self.fused_in.get(n)
            me = grouping.rep(n)
            for i, v in enumerate(n.inputs):
                if v in sel.folded:
                    continue
                kind = out_kind
                if r == "backward":
                    p = v.producer
                    kind = EdgeKind.GRAD if (p is not None and role(p) == "backward") else EdgeKind.READ
                source = grouping.rep(v)
                if fused_in is not None and me is not None and me not in boxes:
                    for target, lab in fused_in[i]:
                        connect(source, target, kind, lab)
                    continue
                connect(source, me, kind, str(i) if positional else None)
            fused_out = self.fused_out.get(n)
            for j, o in enumerate(n.outputs):
                src = (fused_out[j] or me) if fused_out is not None and me not in boxes else me
                connect(src, grouping.rep(o), out_kind, f"out {j}" if len(n.outputs) > 1 else None, "tail")

        for seed, loss in sel.seeds.items():
            connect(grouping.rep(loss), grouping.rep(seed), EdgeKind.SEED, "∂/∂")
        if not self.opts.links:
            return
        for wrt, g in sel.graph.meta.get("gradients", {}).items():
            a, b = grouping.rep(g), grouping.rep(wrt)
            if a not in boxes and b not in boxes:  # between boxes the ∂ link says it already
                connect(a, b, EdgeKind.GRAD_LINK)
        linked: set[Node] = set()
        for n in sel.nodes:
            fwd = n.tags.get("grad_of")
            if role(n) != "backward" or not isinstance(fwd, Node):
                continue
            fwd_rep = grouping.rep(fwd)
            if fwd_rep is None:
                continue
            cluster = grouping.vjp_cluster_of(fwd)
            if cluster is None:
                connect(grouping.rep(n), fwd_rep, EdgeKind.GRAD_OF)
            elif fwd not in linked:  # one link per VJP group, from the group's border
                linked.add(fwd)
                connect(grouping.rep(n), fwd_rep, EdgeKind.GRAD_OF, ltail=cluster.dot_name)


def build_digraph(
    sel: Selection, grouping: Grouping, arrays: Mapping[Value, Any], opts: Options
) -> tuple[graphviz.Digraph, Counts]:
    """The digraph of a selection placed by a grouping; ``arrays`` maps values to run results (may be
    empty)."""
    b = _Builder(sel, grouping, arrays, opts)
    return b.build(), b.counts

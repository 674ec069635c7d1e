"""Assembling the ``graphviz.Digraph``: nodes, edges, clusters, links and the legend.

Input is a :class:`~graphc.viz.view.Selection` (what to draw) and a :class:`~graphc.viz.collapse.Grouping`
(where it goes); output is the digraph plus :class:`Counts` of what was emitted. Edges:

* data edges run producer op → value → consumer op; an edge into a non-commutative op with two or more inputs
  is labelled with its argument position (``0``, ``1``), as are the outputs of multi-output ops;
* edges of backward ops are red where gradient flows and grey-dashed where they read a forward value;
* the seed ``∂loss/∂loss = 1`` hangs off its loss by a dotted edge;
* links that do not shape the layout (``constraint=false``): each VJP group (or lone backward op) points at
  the forward op it differentiates when both are drawn, and each gradient at the value it is the gradient of;
* with collapsing, an edge touching a box stands for all parallel edges and is drawn once.

Emission is one pass over the selection, so the DOT is linear in graph size.
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
from graphc.viz.view import Selection, fused_subgraph, role

_END_LABELLED = frozenset({EdgeKind.DATA, EdgeKind.GRAD, EdgeKind.READ, EdgeKind.UPDATE})


@dataclass
class Counts:
    """What a render emitted (for tests, and for the title line)."""

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
    title: str | None = None
    mirror: bool = (
        False  # lay gradient edges out against the flow, so the backward pass runs back under the forward
    )


class _Builder:
    def __init__(
        self, sel: Selection, grouping: Grouping, arrays: Mapping[Value, Any], opts: Options
    ) -> None:
        self.sel = sel
        self.grouping = grouping
        self.arrays = arrays
        self.opts = opts
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
        # fused nodes drawn as clusters: outer input i → inner (consumer id, label); outer output j → inner id
        self.fused_in: dict[Node, list[list[tuple[str, str | None]]]] = {}
        self.fused_out: dict[Node, list[str | None]] = {}
        self.seen_edges: set[tuple[str, str, EdgeKind]] = set()

    # -- nodes -----------------------------------------------------------------------------------------------
    def build(self) -> graphviz.Digraph:
        sel, opts = self.sel, self.opts
        title = opts.title if opts.title is not None else f"{sel.graph.name} · {sel.view} view"
        dot = graphviz.Digraph(
            name="graphc",
            graph_attr={
                "rankdir": opts.rankdir,
                "compound": "true",
                "newrank": "true",
                "nodesep": "0.18",
                "ranksep": "0.3",
                "fontname": style.FONT,
                "labelloc": "t",
                "fontsize": "14",
                "label": f"<<B>{text.html(title)}</B>>",
            },
            node_attr={"fontname": style.FONT, "fontsize": "11", "height": "0.3"},
            edge_attr={"fontname": style.FONT, "fontsize": "9", "arrowsize": "0.7"},
        )
        for m in self.grouping.top:
            self._emit(dot, m)
        for c in self.grouping.roots:
            self._emit_cluster(dot, c)
        self._edges(dot)
        if opts.legend:
            dot.node(
                "legend",
                label=style.legend_label(
                    self.value_kinds,
                    self.op_kinds,
                    self.edge_kinds,
                    faded=bool(self.sel.faded),
                    boxes=bool(self.grouping.boxes),
                ),
                shape="plain",
                fontsize="10",
            )
        return dot

    def _emit_cluster(self, parent: graphviz.Digraph, c: Cluster) -> None:
        self.counts.clusters += 1
        attrs = {
            "scope": style.CLUSTER_BACKWARD if c.side == "bwd" else style.CLUSTER_FORWARD,
            "vjp": style.CLUSTER_VJP,
            "fused": style.CLUSTER_FUSED,
        }[c.kind]
        with parent.subgraph(name=c.dot_name) as sub:
            sub.attr(
                label=c.label,
                tooltip=text.plain_lines(c.tooltip),
                fontname=style.FONT,
                fontsize="11",
                **attrs,
            )
            for m in c.members:
                self._emit(sub, m)
            for child in c.children:
                self._emit_cluster(sub, child)

    def _emit(self, g: graphviz.Digraph, m: Element | Box) -> None:
        sel = self.sel
        if isinstance(m, Box):
            self.counts.boxes += 1
            self.op_kinds.add(m.kind)
            g.node(
                m.dot_id,
                label=labels.box_label(sel, m),
                tooltip=text.plain_lines(labels.box_tooltip(m)),
                **style.box_attrs(m.kind, faded=m.faded),
            )
        elif isinstance(m, Node):
            kind = sel.op_kind[m]
            sub = fused_subgraph(m) if self.opts.expand_fused else None
            if sub is not None:
                self._emit_fused(g, m, sub)
                return
            self.counts.op_nodes += 1
            self.op_kinds.add(kind)
            g.node(
                element_id(m),
                label=labels.op_label(sel, m, self.grouping.vjp_label.get(m)),
                tooltip=text.plain_lines(labels.op_tooltip(sel, m, self.n_backward[m])),
                **style.op_attrs(kind),
            )
        else:
            vkind = sel.value_kind[m]
            faded = m in sel.faded
            self.counts.value_nodes += 1
            self.value_kinds.add(vkind)
            g.node(
                element_id(m),
                label=labels.value_label(sel, m, self.arrays, show_grad=self.show_grad),
                tooltip=text.plain_lines(labels.value_tooltip(sel, m, vkind.value)),
                **style.value_attrs(vkind, faded=faded, output=m in sel.outputs),
            )

    def _emit_fused(self, g: graphviz.Digraph, node: Node, sub: Graph) -> None:
        """A fused node as a cluster of its subgraph's ops (inner values become edges)."""
        self.counts.clusters += 1
        self.op_kinds.add(OpKind.FUSED)
        inner = [
            n for n in sub.nodes if not (n.op.name == "constant" and scalar_literal(n.outputs[0]) is not None)
        ]
        producer: dict[Value, str] = {o: f"n{n.id}" for n in inner for o in n.outputs}
        index = {v: i for i, v in enumerate(sub.inputs)}
        ins: list[list[tuple[str, str | None]]] = [[] for _ in sub.inputs]
        with g.subgraph(name=f"cluster_fused_{node.id}") as c:
            c.attr(
                label=f"<<B>fused</B> {text.html(self.sel.op_id(node))}>",
                fontname=style.FONT,
                fontsize="10",
                tooltip=text.plain_lines([self.sel.op_id(node), f"at {node.loc.full}", f"{len(inner)} ops"]),
                **style.CLUSTER_FUSED,
            )
            for n in inner:
                self.counts.op_nodes += 1
                folded = [scalar_literal(v) for v in n.inputs]
                parts = [f"<B>{text.html(n.op.name)}</B>"]
                if any(f is not None for f in folded):
                    args = ", ".join(f if f is not None else "·" for f in folded)
                    parts.append(f'<FONT POINT-SIZE="9">{text.html(text.shorten(f"({args})"))}</FONT>')
                c.node(f"n{n.id}", label="<" + "<BR/>".join(parts) + ">", **style.op_attrs(OpKind.FUSED))
                positional = not n.op.commutative and len(n.inputs) >= 2
                for i, v in enumerate(n.inputs):
                    lab = str(i) if positional else None
                    if v in producer:
                        self._edge(c, producer[v], f"n{n.id}", EdgeKind.DATA, lab)
                    elif v in index:
                        ins[index[v]].append((f"n{n.id}", lab))
        self.fused_in[node] = ins
        self.fused_out[node] = [producer.get(o) for o in sub.outputs]

    # -- edges -----------------------------------------------------------------------------------------------
    def _edge(
        self,
        g: graphviz.Digraph,
        src: str,
        dst: str,
        kind: EdgeKind,
        label: str | None = None,
        at: str = "head",
        **extra: str,
    ) -> None:
        attrs = style.edge_attrs(kind)
        if label is not None:  # argument positions sit next to the op they belong to
            attrs[f"{at}label" if kind in _END_LABELLED else "label"] = label
        attrs.update(extra)
        if self.opts.mirror and kind is EdgeKind.GRAD:  # declared reversed, drawn forward: ends swap roles
            swap = {"headlabel": "taillabel", "taillabel": "headlabel"}
            attrs = {swap.get(k, k): v for k, v in attrs.items()}
            attrs["dir"] = "back"
            src, dst = dst, src
        g.edge(src, dst, **attrs)
        self.counts.edges[kind.name] += 1
        self.edge_kinds.add(kind)

    def _edges(self, dot: graphviz.Digraph) -> None:
        sel, grouping = self.sel, self.grouping
        boxes = {b.dot_id for b in grouping.boxes.values()}
        seen = self.seen_edges

        def connect(
            src: str | None,
            dst: str | None,
            kind: EdgeKind,
            label: str | None = None,
            at: str = "head",
            **extra: str,
        ) -> None:
            if src is None or dst is None or src == dst:
                return
            if src in boxes or dst in boxes:  # a box edge stands for all parallel edges
                key = (src, dst, kind)
                if key in seen:
                    return
                seen.add(key)
                label = None
            self._edge(dot, src, dst, kind, label, at, **extra)

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
                if r == "backward":
                    p = v.producer
                    kind = EdgeKind.GRAD if (p is not None and role(p) == "backward") else EdgeKind.READ
                else:
                    kind = out_kind
                source = grouping.rep(v)
                if fused_in is not None and me is not None and me not in boxes:
                    for target, lab in fused_in[i]:
                        connect(source, target, kind, lab)
                    continue
                connect(source, me, kind, str(i) if positional else None)
            fused_out = self.fused_out.get(n)
            for j, o in enumerate(n.outputs):
                src = fused_out[j] if fused_out is not None and me not in boxes else me
                connect(src, grouping.rep(o), out_kind, f"out {j}" if len(n.outputs) > 1 else None, "tail")

        for seed, loss in sel.seeds.items():
            connect(grouping.rep(loss), grouping.rep(seed), EdgeKind.SEED, "∂/∂")
        if not self.opts.links:
            return
        for wrt, g in sel.graph.meta.get("gradients", {}).items():
            src, dst = grouping.rep(g), grouping.rep(wrt)
            if src not in boxes and dst not in boxes:  # between boxes the ∂ link says it already
                connect(src, dst, EdgeKind.GRAD_LINK)
        linked: set[object] = set()
        for n in sel.nodes:
            fwd = n.tags.get("grad_of")
            if role(n) != "backward" or not isinstance(fwd, Node):
                continue
            fwd_rep = grouping.rep(fwd)
            if fwd_rep is None:
                continue
            cluster = grouping.vjp_cluster_of(fwd)
            if cluster is not None:
                if fwd in linked:
                    continue
                linked.add(fwd)
                connect(grouping.rep(n), fwd_rep, EdgeKind.GRAD_OF, ltail=cluster.dot_name)
            else:
                connect(grouping.rep(n), fwd_rep, EdgeKind.GRAD_OF)


def build_digraph(
    sel: Selection, grouping: Grouping, arrays: Mapping[Value, Any], opts: Options
) -> tuple[graphviz.Digraph, Counts]:
    """The digraph of a selection placed by a grouping; ``arrays`` maps values to run results (may be
    empty)."""
    b = _Builder(sel, grouping, arrays, opts)
    return b.build(), b.counts

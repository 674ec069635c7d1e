"""Which elements a view draws, and what kind each one is.

A view selects op nodes by their ``role`` tag (set by autodiff and the optimizers):

* ``forward``: nodes not tagged ``backward`` or ``update``;
* ``backward``: nodes tagged ``backward``, plus the forward values they read, drawn faded as context;
* ``joint``: every node (forward, backward and updates).

``outputs`` restricts any view to the nodes those values depend on. Constant nodes are never drawn as ops: a
constant is drawn as its value, and a scalar constant is folded into the label of the op that uses it (``pow
(·, 2.0)``), except the gradient seed ``∂loss/∂loss = 1``, which is always drawn. Graph inputs are drawn when
something drawn reads them. Every value is named as :func:`graphc.format_graph` names it, so a picture and the
text form of the same graph agree on ``%h`` and ``%7``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from graphc.ir.graph import Graph, Node, Value
from graphc.ir.printer import Namer, scalar_literal
from graphc.viz.errors import RenderError
from graphc.viz.style import OpKind, ValueKind

View = Literal["forward", "backward", "joint"]
VIEWS: tuple[str, ...] = get_args(View)

FUSED_OP = "fused"


def role(node: Node) -> str:
    """A node's role tag: ``"forward"`` (also when untagged), ``"backward"`` or ``"update"``."""
    r = node.tags.get("role")
    return r if isinstance(r, str) else "forward"


FUSED_BODY_ATTRS = ("body", "subgraph")


def fused_subgraph(node: Node) -> Graph | None:
    """The subgraph a fused node holds (``attrs["body"]``, the fusion pass's contract, or
    ``attrs["subgraph"]``), else ``None``.

    Contract the renderer relies on: ``body.inputs[i]`` stands for ``node.inputs[i]`` and ``body.outputs[j]``
    for ``node.outputs[j]``; a fused node that breaks it is drawn as a plain op.
    """
    if node.op.name != FUSED_OP or not isinstance(node.attrs, Mapping):
        return None
    sub = next((node.attrs[k] for k in FUSED_BODY_ATTRS if isinstance(node.attrs.get(k), Graph)), None)
    if sub is None:
        return None
    if len(sub.inputs) != len(node.inputs) or len(sub.outputs) != len(node.outputs):
        return None
    return sub


SCAN_OP = "scan"


def scan_body(node: Node) -> Graph | None:
    """The body a ``scan`` node runs each step, else ``None``. Its inputs stand for the node's inputs
    (carries, per-step slices of the ``xs``, constants) and its outputs for the node's first outputs (final
    carries, stacked per-step outputs); saved-carry outputs have no body counterpart."""
    if node.op.name != SCAN_OP or not isinstance(node.attrs, Mapping):
        return None
    body = node.attrs.get("body")
    if not isinstance(body, Graph) or len(body.inputs) != len(node.inputs) or len(body.outputs) > len(node.outputs):
        return None
    return body


def printed_names(graph: Graph) -> dict[Value, str]:
    """Every value's printed name without ``%``, numbered as :func:`graphc.format_graph` numbers it."""
    namer = Namer()
    names: dict[Value, str] = {}
    for v in graph.inputs:
        names[v] = namer(v)
    scalars: list[Value] = []
    for n in graph.nodes:
        if n.op.name == "constant" and n.attrs["value"].is_scalar:
            scalars.append(n.outputs[0])
            continue
        for o in n.outputs:
            names[o] = namer(o)
    for (
        v
    ) in scalars:  # named only if drawn unfolded (the seed); numbered after the rest, as nothing prints them
        names[v] = namer(v)
    return names


@dataclass
class Selection:
    """What one view of one graph draws. Collections keep graph order so renders are deterministic."""

    graph: Graph
    view: str
    nodes: list[Node]  # op nodes drawn (no constant nodes)
    values: list[Value]  # value nodes drawn
    faded: set[Value]  # drawn only as context (forward values in the backward view)
    folded: dict[Value, str]  # scalar constants shown inside their users' labels → literal text
    outputs: set[Value]
    names: dict[Value, str]
    losses: list[Value]
    seeds: dict[Value, Value]  # seed value (∂loss/∂loss) → its loss
    grad_of_value: dict[Value, Value]  # gradient or cotangent value → the value it is the gradient of
    gradient_of: dict[Value, Value]  # value → its gradient (wrt targets, and cotangents when recorded)
    value_kind: dict[Value, ValueKind] = field(default_factory=dict)
    op_kind: dict[Node, OpKind] = field(default_factory=dict)

    def printed(self, v: Value) -> str:
        """``%name`` of a value (``%?`` for a value of another graph)."""
        return "%" + self.names.get(v, "?")

    def op_id(self, node: Node) -> str:
        """The id a picture shows for an op: ``relu → %3`` (its outputs' printed names); an op of another
        graph (a forward node a pass replaced) is named by its source line instead."""
        if any(o not in self.names for o in node.outputs):
            return f"{node.op.name} @ {node.loc}"
        outs = ", ".join(self.printed(o) for o in node.outputs)
        return f"{node.op.name} → {outs}" if outs else node.op.name

    def grad_text(self, v: Value) -> str | None:
        """``∂loss/∂%x`` for a gradient, seed or recorded cotangent value; ``None`` for other values."""
        if v in self.seeds:
            return "∂loss/∂loss = 1"
        of = self.grad_of_value.get(v)
        return None if of is None else f"∂loss/∂{self.printed(of)}"


def select(
    graph: Graph,
    view: str,
    outputs: Iterable[Value] | None = None,
    *,
    fold_constants: bool = True,
) -> Selection:
    """Choose the elements of ``view`` (one of :data:`VIEWS`); raises :class:`RenderError` for an unknown
    view, for outputs of another graph, and for a backward view of a graph without backward nodes."""
    if view not in VIEWS:
        raise RenderError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    outs = list(outputs) if outputs is not None else []
    for v in outs:
        if not isinstance(v, Value) or v.graph is not graph:
            raise RenderError(f"outputs: {v!r} is not a value of graph {graph.name!r}")
    from graphc.ir.analysis import live_nodes

    base = live_nodes(graph, outs) if outs else graph.nodes
    if view == "forward":
        chosen = [n for n in base if role(n) == "forward"]
    elif view == "backward":
        chosen = [n for n in base if role(n) == "backward"]
        if not chosen:
            raise RenderError(
                f"graph {graph.name!r} has no backward nodes to draw: build gradients first with "
                "graphc.autodiff.grad(loss, params), or render view='forward'"
            )
    else:
        chosen = list(base)

    marked_order = outs if outs else list(graph.outputs)
    marked = set(marked_order)
    meta: dict[str, Any] = graph.meta
    losses = [v for v in meta.get("losses", ()) if isinstance(v, Value) and v.graph is graph]
    gradient_of: dict[Value, Value] = {}
    for table in (meta.get("gradients"), meta.get("cotangents")):
        if isinstance(table, Mapping):
            gradient_of.update(
                (k, g)
                for k, g in table.items()
                if isinstance(k, Value) and isinstance(g, Value) and k.graph is g.graph is graph
            )
    if not isinstance(meta.get("cotangents"), Mapping):
        for k, g in infer_cotangents(graph).items():
            gradient_of.setdefault(k, g)
    grad_of_value: dict[Value, Value] = {}
    for k, g in gradient_of.items():
        grad_of_value.setdefault(g, k)
    grads = (
        {g for g in meta["gradients"].values() if isinstance(g, Value) and g.graph is graph}
        if isinstance(meta.get("gradients"), Mapping)
        else set()
    )

    ops: list[Node] = []
    produced: list[Value] = []
    folded: dict[Value, str] = {}
    seeds: dict[Value, Value] = {}
    for n in chosen:
        if n.op.name == "constant":
            v = n.outputs[0]
            seed_of = n.tags.get("seed_of")
            if isinstance(seed_of, Value):
                if seed_of.graph is not graph:  # a pass copied the seed but not its loss: find the copy
                    seed_of = losses[0] if len(losses) == 1 else None
                if seed_of is not None:
                    seeds[v] = seed_of
            literal = scalar_literal(v)
            if fold_constants and literal is not None and v not in seeds and v not in marked:
                folded[v] = literal
            else:
                produced.append(v)
            continue
        ops.append(n)
        produced.extend(n.outputs)

    drawn = set(produced)
    chosen_set = set(chosen)
    context: list[Value] = []
    seen: set[Value] = set()

    def read(v: Value) -> None:
        if v in drawn or v in folded or v in seen:
            return
        literal = scalar_literal(v)
        if fold_constants and literal is not None:
            folded[v] = literal
            return
        seen.add(v)
        context.append(v)

    for n in ops:
        for v in n.inputs:
            read(v)
    for v in marked_order:  # in order: a render must not depend on set iteration
        if v not in drawn and (v.producer is None or v.producer in chosen_set):
            read(v)
    for loss in seeds.values():
        read(loss)
    if not ops and not produced and not context:
        for v in graph.inputs:
            read(v)

    if view == "backward":  # everything the backward nodes read from outside is forward context
        faded = set(context)
    else:
        faded = {v for v in context if v.producer is not None and v.producer not in chosen_set}

    order = {v: i for i, v in enumerate(graph.inputs)}
    inputs_first = sorted((v for v in context if v in order), key=order.__getitem__)
    values = inputs_first + [v for v in context if v not in order] + produced

    sel = Selection(
        graph=graph,
        view=view,
        nodes=ops,
        values=values,
        faded=faded,
        folded=folded,
        outputs=marked,
        names=printed_names(graph),
        losses=losses,
        seeds=seeds,
        grad_of_value=grad_of_value,
        gradient_of=gradient_of,
    )
    for v in values:
        sel.value_kind[v] = classify_value(v, losses, grads, seeds)
    for n in ops:
        sel.op_kind[n] = classify_op(n)
    return sel


def infer_cotangents(graph: Graph) -> dict[Value, Value]:
    """Forward value → the backward value holding ∂loss/∂(it), read off autodiff's tags.

    Used when autodiff did not record ``graph.meta["cotangents"]``. The nodes that differentiate one forward
    op (``tags["grad_of"]``) read that op's output cotangent from outside their group: the one value they read
    that another backward node (or the seed) made. Ops with several outputs, or whose group reads more than
    one such value, are left out rather than guessed. Linear in graph size.
    """
    groups: dict[Node, list[Node]] = {}
    for n in graph.nodes:
        fwd = n.tags.get("grad_of")
        if isinstance(fwd, Node) and role(n) == "backward":
            groups.setdefault(fwd, []).append(n)
    found: dict[Value, Value] = {}
    for fwd, members in groups.items():
        if len(fwd.outputs) != 1 or fwd.outputs[0].graph is not graph:  # a pass replaced the forward node
            continue
        inside = set(members)
        outside: set[Value] = set()
        for n in members:
            for v in n.inputs:
                p = v.producer
                if p is None or p in inside or role(p) != "backward":
                    continue
                if p.op.name != "constant" or isinstance(p.tags.get("seed_of"), Value):
                    outside.add(v)
        if len(outside) == 1:
            found[fwd.outputs[0]] = outside.pop()
    return found


def classify_value(
    v: Value, losses: list[Value], grads: set[Value], seeds: Mapping[Value, Value]
) -> ValueKind:
    """The kind a value is drawn as. Loss and gradient win over everything; then the input roles; then what
    made it (a constant, a backward node, an update)."""
    if v in losses:
        return ValueKind.LOSS
    if v in grads or v in seeds:
        return ValueKind.GRADIENT
    if v.role == "placeholder":
        return ValueKind.PLACEHOLDER
    if v.role == "param":
        return ValueKind.PARAM
    p = v.producer
    if p is not None and p.op.name == "constant":
        return ValueKind.CONSTANT
    if p is not None and role(p) == "backward":
        return ValueKind.COTANGENT
    if p is not None and role(p) == "update":
        return ValueKind.UPDATE
    return ValueKind.ACTIVATION


def classify_op(node: Node) -> OpKind:
    """The kind an op is drawn as: fused groups, then by role tag."""
    if node.op.name == FUSED_OP:
        return OpKind.FUSED
    r = role(node)
    if r == "backward":
        return OpKind.BACKWARD
    if r == "update":
        return OpKind.UPDATE
    return OpKind.FORWARD

"""Where each drawn element goes: name-scope clusters, VJP groups, and collapsed scope boxes.

Name scopes (``Node.scope``, and the ``a/b/`` prefix of an input's name) become nested clusters. Backward
nodes are placed by the scope of the forward node they differentiate (``tags["grad_of"]``), in a parallel
tree of backward clusters labelled ``∇ scope``, so forward and backward of a layer stay apart and the picture
stays a left-to-right DAG. Inside a backward cluster, the nodes that differentiate one forward op form a VJP
group (a dotted cluster labelled ``∂ matmul → %4``).

Collapsing keeps the top ``depth`` scope levels as clusters and draws every deeper scope as one box that
stands for all its nodes and values (``depth=0``: every top-level scope is a box). Nodes outside any scope are
always drawn. Losses, seeds and outputs other than gradients stay visible next to their box; a box lists the
gradients it makes. Everything here is one pass over the selection, linear in its size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graphc.ir.graph import Node, Value
from graphc.viz import text
from graphc.viz.style import OpKind, ValueKind
from graphc.viz.view import Selection, role

Element = Node | Value
Side = str  # "fwd" | "bwd"


@dataclass(eq=False)
class Cluster:
    """A DOT cluster: a name scope (``kind="scope"``) or a VJP group (``"vjp"``)."""

    dot_name: str
    kind: str
    side: Side
    path: tuple[str, ...]
    label: text.Html
    parent: Cluster | None
    children: list[Cluster] = field(default_factory=list)
    members: list[Element | Box] = field(default_factory=list)
    tooltip: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Box:
    """A collapsed scope: one DOT node standing for every element of the scope and its sub-scopes."""

    dot_id: str
    side: Side
    path: tuple[str, ...]
    parent: Cluster | None
    ops: Counter[str] = field(default_factory=Counter)
    params: list[Value] = field(default_factory=list)
    gradients: list[Value] = field(default_factory=list)
    n_values: int = 0
    n_faded: int = 0
    all_update: bool = True

    @property
    def kind(self) -> OpKind:
        if self.side == "bwd":
            return OpKind.BACKWARD
        return OpKind.UPDATE if self.ops and self.all_update else OpKind.FORWARD

    @property
    def faded(self) -> bool:
        """Only context values inside (a forward scope seen from the backward view)."""
        return not self.ops and self.n_values == self.n_faded


class Grouping:
    """The placement of every element of a :class:`Selection`.

    ``home[e]`` is the innermost cluster of a drawn element (``None``: top level); ``box_of[e]`` is the box
    that stands for a hidden element; ``roots`` are the top-level clusters and ``top`` the top-level members.
    ``vjp_label[node]`` holds the ``∂ op → %y`` line for backward nodes not drawn inside a VJP cluster.
    """

    def __init__(self, sel: Selection, depth: int | None = None, *, vjp_groups: bool = True) -> None:
        if depth is not None and depth < 0:
            raise ValueError(f"depth must be >= 0, got {depth}")
        self.sel = sel
        self.depth = depth
        self.clusters: dict[tuple[object, ...], Cluster] = {}
        self.boxes: dict[tuple[Side, tuple[str, ...]], Box] = {}
        self.home: dict[Element, Cluster | None] = {}
        self.box_of: dict[Element, Box] = {}
        self.roots: list[Cluster] = []
        self.top: list[Element | Box] = []
        self.vjp_label: dict[Node, str] = {}
        self._paths: dict[str, tuple[str, ...]] = {"": ()}
        # kept visible beside their box: losses, seeds and outputs other than gradients (a collapsed ∇ box
        # lists the gradients it makes instead: one value per parameter would double a collapsed picture)
        grads = {v for v, k in sel.value_kind.items() if k is ValueKind.GRADIENT}
        pinned = (set(sel.outputs) - grads) | set(sel.losses) | set(sel.seeds)

        group_size: Counter[Node] = Counter()
        if vjp_groups:
            for n in sel.nodes:
                fwd = n.tags.get("grad_of")
                if role(n) == "backward" and isinstance(fwd, Node):
                    group_size[fwd] += 1

        for n in sel.nodes:
            side, path = self._place_node(n)
            fwd = n.tags.get("grad_of")
            group = fwd if isinstance(fwd, Node) and group_size[fwd] >= 2 else None
            if role(n) == "backward" and isinstance(fwd, Node) and group is None:
                self.vjp_label[n] = "∂ " + sel.op_id(fwd)
            self._put(n, side, path, group, pinned=False)
        for v in sel.values:
            p = v.producer
            if p is not None:
                side, path = self._place_node(p)
                fwd = p.tags.get("grad_of")
                group = fwd if isinstance(fwd, Node) and group_size[fwd] >= 2 and p in self.home else None
            else:
                side, path, group = "fwd", self._path(_input_scope(v)), None
            self._put(v, side, path, group, pinned=v in pinned)

    # -- placement -------------------------------------------------------------------------------------------
    def _path(self, scope: str) -> tuple[str, ...]:
        got = self._paths.get(scope)
        if got is None:
            got = self._paths[scope] = tuple(scope.split("/"))
        return got

    def _place_node(self, n: Node) -> tuple[Side, tuple[str, ...]]:
        if role(n) == "backward":
            fwd = n.tags.get("grad_of")
            scope = fwd.scope if isinstance(fwd, Node) and not n.scope else n.scope
            return "bwd", self._path(scope)
        return "fwd", self._path(n.scope)

    def _put(
        self, e: Element, side: Side, path: tuple[str, ...], group: Node | None, *, pinned: bool
    ) -> None:
        d = self.depth
        if d is not None and len(path) > d:
            if pinned:
                path, group = path[:d], None
            else:
                self._hide(e, side, path[: d + 1])
                return
        parent = self._cluster(side, path)
        if group is not None:
            parent = self._vjp_cluster(group, parent, side, path)
        self.home[e] = parent
        (parent.members if parent is not None else self.top).append(e)

    def _hide(self, e: Element, side: Side, path: tuple[str, ...]) -> None:
        key = (side, path)
        box = self.boxes.get(key)
        if box is None:
            parent = self._cluster(side, path[:-1])
            box = Box(f"s{len(self.boxes)}", side, path, parent)
            self.boxes[key] = box
            (parent.members if parent is not None else self.top).append(box)
        self.box_of[e] = box
        if isinstance(e, Node):
            box.ops[e.op.name] += 1
            box.all_update = box.all_update and role(e) == "update"
        else:
            box.n_values += 1
            box.n_faded += e in self.sel.faded
            if e.role == "param":
                box.params.append(e)
            elif self.sel.value_kind.get(e) is ValueKind.GRADIENT:
                box.gradients.append(e)

    def _cluster(self, side: Side, path: tuple[str, ...]) -> Cluster | None:
        if not path:
            return None
        key: tuple[object, ...] = ("scope", side, path)
        got = self.clusters.get(key)
        if got is not None:
            return got
        parent = self._cluster(side, path[:-1])
        name = path[-1]
        label = ("∇ " if side == "bwd" else "") + name
        c = Cluster(
            f"cluster_{len(self.clusters)}",
            "scope",
            side,
            path,
            text.Html(f"<B>{text.html(label)}</B>"),
            parent,
            tooltip=[("backward of scope " if side == "bwd" else "scope ") + "/".join(path)],
        )
        self._attach(key, c)
        return c

    def _vjp_cluster(self, fwd: Node, parent: Cluster | None, side: Side, path: tuple[str, ...]) -> Cluster:
        key: tuple[object, ...] = ("vjp", fwd)
        got = self.clusters.get(key)
        if got is not None:
            return got
        op_id = self.sel.op_id(fwd)
        label = text.Html(
            f'<FONT POINT-SIZE="10">∂ {text.html(op_id)}</FONT>'
            f'<BR/><FONT POINT-SIZE="8">{text.html(str(fwd.loc))}</FONT>'
        )
        c = Cluster(
            f"cluster_{len(self.clusters)}",
            "vjp",
            side,
            path,
            label,
            parent,
            tooltip=[f"backward of {op_id}", f"forward op at {fwd.loc.full}"],
        )
        self._attach(key, c)
        return c

    def _attach(self, key: tuple[object, ...], c: Cluster) -> None:
        self.clusters[key] = c
        if c.parent is None:
            self.roots.append(c)
        else:
            c.parent.children.append(c)

    # -- queries ---------------------------------------------------------------------------------------------
    def rep(self, e: Element) -> str | None:
        """The DOT id that stands for ``e``: its own, its box's, or ``None`` when it is not drawn at all."""
        box = self.box_of.get(e)
        if box is not None:
            return box.dot_id
        if e in self.home:
            return element_id(e)
        return None

    def vjp_cluster_of(self, fwd: Node) -> Cluster | None:
        """The VJP cluster of a forward node's backward nodes, if they were drawn as one."""
        return self.clusters.get(("vjp", fwd))


def element_id(e: Element) -> str:
    """The DOT id of a node (``n12``) or value (``v34``); never contains user text."""
    return f"n{e.id}" if isinstance(e, Node) else f"v{e.id}"


def _input_scope(v: Value) -> str:
    name = v.name or ""
    return name.rsplit("/", 1)[0] if "/" in name else ""

"""Fusion: group chains of elementwise ops (and a leading matmul, the epilogue pattern) into ``fused`` nodes.

Rules, applied in one forward sweep over the graph (linear in its size):

* every elementwise node starts or joins a group;
* a node joins the groups of the producers of its inputs when *all* uses of that input are by this node (so no
  intermediate of a group is needed outside it — the group has a single output and fusing cannot create a
  cycle); several such groups merge;
* a ``matmul`` whose only use is an elementwise node becomes the head of that node's group (``matmul + bias +
  activation`` is one kernel); a group holds at most one matmul, always first;
* reductions, layout ops and everything else end groups (they are not elementwise);
* nodes that read no graph input (only constants and symbolic sizes, as the ``1/batch`` of a mean) stay out:
  a backend computes them once per input signature, which it cannot do inside a group that reads data;
* groups of a single node are left alone.
"""

from __future__ import annotations

from graphc.ir.analysis import users
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.opdef import OpKind
from graphc.ir.rewrite import Rebuilder
from graphc.ir.types import TensorType


class _Group:
    __slots__ = ("has_matmul", "members")

    def __init__(self) -> None:
        self.members: list[Node] = []
        self.has_matmul = False


_STATIC_SOURCES = frozenset({"constant", "dimsize"})


def _fusable(node: Node) -> bool:
    return node.op.kind is OpKind.ELEMENTWISE and len(node.outputs) == 1


def find_groups(graph: Graph) -> list[list[Node]]:
    """The fusion groups (members in graph order) that have two nodes or more."""
    uses = users(graph.nodes)
    outputs = set(graph.outputs)
    group_of: dict[Node, _Group] = {}
    order = {n: i for i, n in enumerate(graph.nodes)}
    static: set[Node] = set()  # nodes that read no graph input, directly or through other nodes
    for node in graph.nodes:
        if node.op.name in _STATIC_SOURCES or (node.inputs and all(v.producer in static for v in node.inputs)):
            static.add(node)
            continue
        if not _fusable(node):
            continue
        joined: list[_Group] = []
        head: Node | None = None
        for v in dict.fromkeys(node.inputs):
            p = v.producer
            if p is None or v in outputs or any(u is not node for u in uses.get(v, ())):
                continue
            if p in group_of:
                if group_of[p] not in joined:
                    joined.append(group_of[p])
            elif p.op.name == "matmul" and head is None:
                head = p
        group = _Group()
        for g in joined:
            if g.has_matmul and group.has_matmul:
                continue  # at most one matmul per group: leave this one's group as it is
            group.members.extend(g.members)
            group.has_matmul |= g.has_matmul
            for m in g.members:
                group_of[m] = group
        if head is not None and not group.has_matmul:
            group.members.append(head)
            group.has_matmul = True
            group_of[head] = group
        group.members.append(node)
        group_of[node] = group
    seen: set[int] = set()
    result = []
    for g in group_of.values():
        if id(g) in seen or len(g.members) < 2:
            continue
        seen.add(id(g))
        result.append(sorted(g.members, key=order.__getitem__))
    return result


def _body(members: list[Node], name: str) -> tuple[Graph, list[Value]]:
    """The group as a standalone graph, and the external values feeding it (in order of first use)."""
    inside = {o for m in members for o in m.outputs}
    externals: list[Value] = []
    for m in members:
        for v in m.inputs:
            if v not in inside and v not in externals:
                externals.append(v)
    body = Graph(name)
    env: dict[Value, Value] = {}
    for i, v in enumerate(externals):
        env[v] = body.add_placeholder(f"p{i}", TensorType(v.shape, v.dtype))
    for m in members:
        copy = Node(m.op, tuple(env[v] for v in m.inputs), m.attrs, m.loc, m.scope, m.tags)
        copy.outputs = tuple(Value(body, o.type, "node", name=None, producer=copy, index=i)
                             for i, o in enumerate(m.outputs))
        body.nodes.append(copy)
        env.update(zip(m.outputs, copy.outputs, strict=True))
    body.outputs = [env[members[-1].outputs[0]]]
    return body, externals


def fusion(graph: Graph) -> Graph:
    """Replace each fusion group by one ``fused`` node holding the group as its body."""
    groups = find_groups(graph)
    root_of: dict[Node, list[Node]] = {g[-1]: g for g in groups}
    absorbed = {m for g in groups for m in g[:-1]}
    rb = Rebuilder(graph)
    for k, node in enumerate(graph.nodes):
        if node in absorbed:
            continue
        members = root_of.get(node)
        if members is None:
            rb.copy(node)
            continue
        body, externals = _body(members, f"fused_{k}")
        (out,) = rb.emit(node, "fused", [rb[v] for v in externals], {"body": body})
        out.name = node.outputs[0].name
        rb.replace(node, [out])
    return rb.finish()

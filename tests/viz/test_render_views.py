"""Structure of the forward, backward and joint views of a 2-layer MLP: what is drawn, how it looks, and how
the backward nodes are tied to the forward nodes they differentiate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from vizkit import MLP, Dot

import graphc as gc
from graphc.ir.graph import Graph
from graphc.viz import RenderError, render
from graphc.viz.style import OP_LOOKS, VALUE_LOOKS, OpKind, ValueKind


def _role(n: object) -> str:
    return getattr(n, "tags", {}).get("role") or "forward"


def _is_scalar_const(v: gc.Value) -> bool:
    p = v.producer
    return p is not None and p.op.name == "constant" and v.shape == ()


def _node_id(v: gc.Value) -> str:
    return f"v{v.id}"


def test_forward_view_counts(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    d = dot(render(mlp.graph, "forward").source)
    # matmul, add, relu (fc1); matmul, add (fc2); sub, pow, mean
    assert len(d.ids("n")) == 8
    # x, y, 4 parameters, 8 node outputs (the scalar 2.0 of pow is folded into its op)
    assert len(d.ids("v")) == 14
    # every op: one edge per non-folded input and one per output
    assert len(d.edges) == 3 + 3 + 2 + 3 + 3 + 3 + 2 + 2
    assert len(d.clusters) == 2  # fc1, fc2
    assert "legend" in d.nodes
    labels = [d.nodes[i]["label"] for i in d.ids("n")]
    assert sorted(lab.split("</B>")[0].removeprefix("<<B>") for lab in labels) == sorted(
        ["matmul", "add", "relu", "matmul", "add", "sub", "pow", "mean"])
    assert any("(·, 2.0)" in lab for lab in labels), "the folded constant shows in pow's label"
    assert any("axis=(0,1)" in lab for lab in labels), "key attributes show in the label"


def test_backward_view_counts(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    g = mlp.graph
    backward = [n for n in g.nodes if _role(n) == "backward"]
    drawn_ops = [n for n in backward if n.op.name != "constant"]
    made = [o for n in backward for o in n.outputs if not (_is_scalar_const(o) and "seed_of" not in n.tags)]
    read = {v for n in drawn_ops for v in n.inputs
            if not (v.producer is not None and _role(v.producer) == "backward") and not _is_scalar_const(v)}
    d = dot(render(g, "backward").source)
    assert len(d.ids("n")) == len(drawn_ops)
    assert set(d.ids("v")) == {_node_id(v) for v in [*made, *read, mlp.loss]}
    assert mlp.loss not in made and _node_id(mlp.loss) in d.nodes, "the loss is drawn as context for the seed"
    # ∇ fc1 and ∇ fc2, plus one VJP group per forward op whose derivative takes two or more ops
    assert sum("∇ fc" in d.source.split(c)[1].split("\n")[1] for c in d.clusters) == 2
    for v in read:  # forward values are context: faded and dashed
        assert "dashed" in d.nodes[_node_id(v)]["style"]
        assert d.nodes[_node_id(v)]["fillcolor"].endswith("66")


def test_joint_view_draws_everything(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    g = mlp.graph
    d = dot(render(g, "joint").source)
    assert len(d.ids("n")) == sum(1 for n in g.nodes if n.op.name != "constant")
    fwd = dot(render(g, "forward").source)
    bwd = dot(render(g, "backward").source)
    assert set(fwd.ids("n")) | set(bwd.ids("n")) == set(d.ids("n"))
    assert set(fwd.ids("v")) | set(bwd.ids("v")) == set(d.ids("v"))


def test_styles_per_kind(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    d = dot(render(mlp.graph, "joint").source)
    node = d.nodes
    assert node[_node_id(mlp.x)]["fillcolor"] == VALUE_LOOKS[ValueKind.PLACEHOLDER].fill
    for p in mlp.params.values():
        assert node[_node_id(p)]["fillcolor"] == VALUE_LOOKS[ValueKind.PARAM].fill
    assert node[_node_id(mlp.loss)]["fillcolor"] == VALUE_LOOKS[ValueKind.LOSS].fill
    assert node[_node_id(mlp.loss)]["peripheries"] == "2"
    for gv in mlp.grads.values():
        assert node[_node_id(gv)]["fillcolor"] == VALUE_LOOKS[ValueKind.GRADIENT].fill
        assert "∂loss/∂%" in node[_node_id(gv)]["label"]
    assert node[_node_id(mlp.hidden)]["fillcolor"] == VALUE_LOOKS[ValueKind.ACTIVATION].fill
    for n in mlp.graph.nodes:
        if n.op.name == "constant":
            continue
        attrs = node[f"n{n.id}"]
        if _role(n) == "backward":
            assert attrs["fillcolor"] == OP_LOOKS[OpKind.BACKWARD].fill and "dashed" in attrs["style"]
        else:
            assert attrs["fillcolor"] == OP_LOOKS[OpKind.FORWARD].fill and "dashed" not in attrs["style"]
    seeds = [n for n in mlp.graph.nodes if n.tags.get("seed_of") is mlp.loss]
    assert len(seeds) == 1
    seed = _node_id(seeds[0].output)
    assert "∂loss/∂loss = 1" in node[seed]["label"]
    assert d.edges_between(_node_id(mlp.loss), seed), "the seed hangs off its loss"


@pytest.mark.parametrize("view", ["forward", "backward", "joint"])
@pytest.mark.parametrize("depth", [None, 0])
def test_every_edge_joins_declared_nodes(
    mlp: MLP, dot: Callable[[str], Dot], view: str, depth: int | None
) -> None:
    d = dot(render(mlp.graph, view, depth=depth).source)
    assert not d.undeclared() and not d.dangling_clusters()


def test_renders_are_deterministic(dot: Callable[[str], Dot]) -> None:
    import re

    from vizkit import build_mlp

    def canonical(src: str) -> str:
        ids: dict[str, str] = {}
        return re.sub(r"\b[nv]\d+\b", lambda m: ids.setdefault(m.group(0), f"x{len(ids)}"), src)

    for view in ("forward", "backward", "joint"):
        first, second = (render(build_mlp().graph, view).source for _ in range(2))
        assert canonical(first) == canonical(second)


def test_constants_are_drawn_as_values() -> None:
    import numpy as np

    with gc.Graph("consts") as g:
        x = gc.placeholder("x", (3,))
        y = x * gc.constant(np.array([1.0, 2.0, 3.0], np.float32)) + 1.5
    r = render(g, outputs=[y])
    const = [v for v in r.selection.values if v.producer is not None and v.producer.op.name == "constant"]
    assert len(const) == 1
    assert r.selection.value_kind[const[0]] is ValueKind.CONSTANT
    assert "[1.,2.,3.]" in r.source
    assert "(·, 1.5)" in r.source
    assert f'fillcolor="{VALUE_LOOKS[ValueKind.CONSTANT].fill}"' in r.source


def test_operand_positions_on_non_commutative_ops(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    d = dot(render(mlp.graph, "forward").source)
    sub = next(n for n in mlp.graph.nodes if n.op.name == "sub")
    mm1 = next(n for n in mlp.graph.nodes if n.op.name == "matmul")
    add1 = next(n for n in mlp.graph.nodes if n.op.name == "add")
    [e0] = d.edges_between(_node_id(mlp.out), f"n{sub.id}")
    [e1] = d.edges_between(_node_id(mlp.y), f"n{sub.id}")
    assert (e0["headlabel"], e1["headlabel"]) == ("0", "1")
    [m0] = d.edges_between(_node_id(mlp.x), f"n{mm1.id}")
    [m1] = d.edges_between(_node_id(mlp.params["fc1/W"]), f"n{mm1.id}")
    assert (m0["headlabel"], m1["headlabel"]) == ("0", "1")
    for v in add1.inputs:  # add is commutative: no positions
        assert all("headlabel" not in a for a in d.edges_between(_node_id(v), f"n{add1.id}"))


def test_repeated_operand_has_two_edges(dot: Callable[[str], Dot]) -> None:
    with gc.Graph("square") as g:
        x = gc.placeholder("x", (2,))
        y = x - x
    d = dot(render(g, outputs=[y]).source)
    node = y.producer
    assert node is not None
    assert sorted(a["headlabel"] for a in d.edges_between(f"v{x.id}", f"n{node.id}")) == ["0", "1"]


def test_backward_nodes_are_linked_to_their_forward_nodes(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    g = mlp.graph
    d = dot(render(g, "joint").source)
    differentiated = {n.tags["grad_of"] for n in g.nodes if _role(n) == "backward" and n.tags.get("grad_of")}
    links = [(s, t, a) for s, t, a in d.edges if a.get("constraint") == "false" and a.get("style") == "dotted"
             and a.get("arrowhead") == "odot"]
    assert {t for _, t, _ in links} == {f"n{f.id}" for f in differentiated}
    assert all(a.get("ltail", "").startswith("cluster_") or s.startswith("n") for s, _, a in links)
    # in the backward view (forward ops not drawn) the shared id lives in tooltips and cluster labels
    b = dot(render(g, "backward").source)
    matmul2 = [n for n in g.nodes if n.op.name == "matmul" and _role(n) == "forward"][1]
    out_name = render(g, "backward").selection.printed(matmul2.output)
    ident = f"matmul → {out_name}"
    vjp_ops = [n for n in g.nodes if n.tags.get("grad_of") is matmul2]
    assert vjp_ops
    for n in vjp_ops:
        if n.op.name != "constant":
            assert f"backward of {ident}" in b.nodes[f"n{n.id}"]["tooltip"]
    assert f"∂ {ident}" in b.source


def test_gradients_link_to_their_parameters(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    d = dot(render(mlp.graph, "joint").source)
    for name, p in mlp.params.items():
        [link] = d.edges_between(_node_id(mlp.grads[name]), _node_id(p))
        assert link["constraint"] == "false"


def test_tooltips_carry_file_and_line(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    d = dot(render(mlp.graph, "joint").source)
    here = "vizkit.py"
    for n in mlp.graph.nodes:
        if n.op.name != "constant":
            assert f"{here}:{n.loc.line}" in d.nodes[f"n{n.id}"]["tooltip"]
    relu = next(n for n in mlp.graph.nodes if n.op.name == "relu")
    assert f"vizkit.py:{relu.loc.line}" in d.nodes[f"n{relu.id}"]["tooltip"]


def test_legend_lists_the_kinds_drawn(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    fwd = dot(render(mlp.graph, "forward").source).nodes["legend"]["label"]
    for kind in ("placeholder", "parameter", "loss", "forward op", "data flow"):
        assert kind in fwd
    assert "backward op" not in fwd
    joint = dot(render(mlp.graph, "joint").source).nodes["legend"]["label"]
    for kind in ("gradient", "backward op", "gradient flow", "differentiates", "seed"):
        assert kind in joint
    assert "legend [" not in render(mlp.graph, legend=False).source


def test_value_names_match_the_text_form(mlp: MLP) -> None:
    import re

    text = gc.format_graph(mlp.graph)
    names = set(re.findall(r"%([\w./]+):", text))
    src = render(mlp.graph, "joint").source
    for name in names:
        assert f"<B>%{name}</B>" in src


def test_outputs_restrict_the_drawing(mlp: MLP, dot: Callable[[str], Dot]) -> None:
    d = dot(render(mlp.hidden, "forward").source)  # a value: just what it needs
    assert len(d.ids("n")) == 3  # matmul, add, relu
    assert _node_id(mlp.y) not in d.nodes
    d2 = dot(render(mlp.graph, "backward", outputs=[mlp.grads["fc2/b"]]).source)
    assert _node_id(mlp.grads["fc2/b"]) in d2.nodes and _node_id(mlp.grads["fc1/W"]) not in d2.nodes


def test_backward_view_without_gradients_is_a_clear_error() -> None:
    with gc.Graph("plain") as g:
        x = gc.placeholder("x", (2,))
        gc.relu(x)
    with pytest.raises(RenderError, match=r"autodiff\.grad"):
        render(g, "backward")


def test_bad_arguments() -> None:
    g = Graph("empty")
    with pytest.raises(RenderError, match="unknown view"):
        render(g, "sideways")
    with pytest.raises(RenderError, match="depth"):
        render(g, depth=-1)
    with pytest.raises(RenderError, match="expected a Graph"):
        render(42)  # type: ignore[arg-type]
    with pytest.raises(RenderError, match="unknown format"):
        render(g, format="bmp")
    with gc.Graph("other"):
        stranger = gc.placeholder("z", (1,))
    with pytest.raises(RenderError, match="not a value of graph"):
        render(g, outputs=[stranger])


def test_update_nodes_appear_only_in_the_joint_view(mlp: MLP) -> None:
    g = mlp.graph
    with g, g.tagging(role="update"):
        new_w = mlp.params["fc1/W"] - 0.1 * mlp.grads["fc1/W"]
    g.outputs.append(new_w)
    assert new_w.producer is not None
    assert f"n{new_w.producer.id} " not in render(g, "forward").source
    assert f"n{new_w.producer.id} " not in render(g, "backward").source
    joint = render(g, "joint")
    assert f"n{new_w.producer.id} " in joint.source
    assert joint.selection.op_kind[new_w.producer] is OpKind.UPDATE
    assert "update op" in joint.source

"""``graphc render MODEL.py`` (the work behind the CLI), pass snapshots and fused groups."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from vizkit import MLP, parse_dot

from graphc.viz import DotNotFoundError, RenderError, formats, render
from graphc.viz.cli import render_command, snapshot_after
from graphc.viz.view import fused_subgraph

WITH_GRADS = """
import graphc as gc
from graphc.autodiff import grad

def build():
    with gc.Graph("tiny") as g:
        x = gc.placeholder("x", (None, 3))
        with gc.name_scope("dense"):
            w = gc.parameter("w", (3, 2), init="xavier_uniform")
            b = gc.parameter("b", (2,))
            h = gc.tanh(x @ w + b)
        loss = gc.mean(h * h - 0.5 * h)
        g.outputs = [loss, *grad(loss, [w, b])]
    return g
"""

LOSS_ONLY = """
import graphc as gc

def build():
    with gc.Graph("lossonly") as g:
        x = gc.placeholder("x", (None, 3))
        w = gc.parameter("w", (3, 2), init="xavier_uniform")
        return gc.mean(gc.relu(x @ w))
"""

NO_LOSS = """
import graphc as gc

def build():
    with gc.Graph("noloss") as g:
        x = gc.placeholder("x", (None, 3))
        w = gc.parameter("w", (3, 2), init="xavier_uniform")
        return gc.relu(x @ w)
"""


def _model(tmp_path: Path, source: str, name: str = "model.py") -> Path:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return path


def test_render_command_writes_each_view(tmp_path: Path) -> None:
    model = _model(tmp_path, WITH_GRADS)
    for view in ("forward", "backward", "joint"):
        log = io.StringIO()
        out = render_command(model, view, tmp_path / f"{view}.dot", None, False, None, log=log)
        src = out.read_text(encoding="utf-8")
        assert src.startswith("digraph graphc {") and f"tiny · {view} view" in src
        assert f"wrote {out}" in log.getvalue()
    assert "∇ dense" in (tmp_path / "backward.dot").read_text(encoding="utf-8")
    collapsed = render_command(model, "joint", tmp_path / "c.dot", None, True, None, log=io.StringIO())
    assert "collapsed scope" in collapsed.read_text(encoding="utf-8")
    deep = render_command(model, "joint", tmp_path / "d.dot", "dot", False, 0, log=io.StringIO())
    assert "collapsed scope" in deep.read_text(encoding="utf-8")


def test_backward_view_of_a_model_without_gradients_builds_them(tmp_path: Path) -> None:
    log = io.StringIO()
    model = _model(tmp_path, LOSS_ONLY)
    out = render_command(model, "backward", tmp_path / "b.dot", None, False, None, log=log)
    assert "%grad/w" in out.read_text(encoding="utf-8")
    assert "built no gradients; differentiated its scalar output" in log.getvalue()
    with pytest.raises(RenderError, match="needs gradients"):
        render_command(_model(tmp_path, NO_LOSS, "n.py"), "joint", tmp_path / "n.dot", None, False, None,
                       log=io.StringIO())


def test_default_output_name_and_missing_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model(tmp_path, WITH_GRADS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(formats.shutil, "which", lambda name: None)
    out = render_command(model, "forward", None, None, False, None, log=io.StringIO())
    assert out == Path("model-forward.dot") and out.exists()
    with pytest.raises(DotNotFoundError, match="apt-get install graphviz"):
        render_command(model, "forward", "pic.svg", None, False, None, log=io.StringIO())
    with pytest.raises(RenderError, match="unknown view"):
        render_command(model, "upside-down", None, None, False, None, log=io.StringIO())


def test_after_a_pass_renders_the_snapshot(tmp_path: Path) -> None:
    model = _model(tmp_path, WITH_GRADS)
    for after in ("input", "cse", "fusion"):
        path = tmp_path / f"{after}.dot"
        out = render_command(model, "joint", path, None, False, None, after, log=io.StringIO())
        assert f"after {after}" in out.read_text(encoding="utf-8")
    with pytest.raises(RenderError, match="unknown pass"):
        render_command(model, "forward", tmp_path / "x.dot", None, False, None, "nonsense", log=io.StringIO())


def test_fused_groups_render_as_clusters(mlp: MLP) -> None:
    fused = snapshot_after(mlp.graph, "fusion")
    groups = [n for n in fused.nodes if fused_subgraph(n) is not None]
    for view in ("forward", "backward", "joint"):
        try:
            r = render(fused, view)
        except RenderError:
            assert view == "backward"  # a pass may leave no node tagged backward
            continue
        d = parse_dot(r.source)
        assert not d.undeclared() and not d.dangling_clusters(), view
        drawn = [n for n in groups if n in set(r.selection.nodes)]
        assert r.source.count("subgraph cluster_fused_") == len(drawn)
        for n in drawn:
            body = fused_subgraph(n)
            assert body is not None
            for inner in body.nodes:
                if inner.op.name != "constant":
                    assert f"\tn{inner.id} [" in r.source
        render(fused, view, collapse=True)  # a fused node inside a collapsed scope is just counted


def test_xor_net_renders_in_every_view() -> None:
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2] / "examples"))
    from xor import build_model

    import graphc as gc

    model = build_model()
    with model.graph:
        gc.grad(model.loss, list(model.params or ()))
    for view in ("forward", "backward", "joint"):
        src = gc.render(model.graph, view).source
        assert "hidden" in src and "out" in src


def test_lenet_renders_in_every_view_from_python_and_the_cli(tmp_path: Path) -> None:
    import sys

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "examples"))
    from lenet_digits import build_model

    import graphc as gc

    model = build_model()
    with model.graph:
        gc.grad(model.loss, list(model.params or ()))
    for view in ("forward", "backward", "joint"):
        src = gc.render(model.graph, view).source
        assert "conv2d" in src and "max_pool2d" in src
    model_file = tmp_path / "lenet_model.py"
    model_file.write_text(
        f"import sys\nsys.path.insert(0, {str(root / 'examples')!r})\n"
        "from lenet_digits import build_model\n\n"
        "def build():\n    m = build_model()\n    m.graph.outputs = [m.loss]\n    return m.graph\n"
    )
    out = tmp_path / "lenet.dot"
    from graphc.cli import main

    assert main(["render", str(model_file), "--view", "joint", "-o", str(out)]) == 0
    assert "conv2d_kernel_grad" in out.read_text()

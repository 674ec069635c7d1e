"""Output formats: DOT always, pictures through `dot`, a clear message without it, Jupyter display."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from vizkit import MLP

from graphc.viz import DotNotFoundError, RenderError, formats, render, save_views

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz dot program")


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the Graphviz `dot` program is not installed."""
    monkeypatch.setattr(formats.shutil, "which", lambda name: None)
    monkeypatch.setenv("PATH", "")


def test_dot_text_needs_no_dot_program(mlp: MLP, tmp_path: Path, no_dot: None) -> None:
    r = render(mlp.graph, "joint")
    for name in ("g.dot", "g.gv"):
        path = r.save(tmp_path / name)
        assert path.read_text(encoding="utf-8") == r.source
    assert r.source.startswith("digraph graphc {")
    path = tmp_path / "sub" / "direct.dot"
    render(mlp.graph, path=path)
    assert path.read_text(encoding="utf-8").startswith("digraph")


def test_pictures_without_dot_say_how_to_install_it(mlp: MLP, tmp_path: Path, no_dot: None) -> None:
    r = render(mlp.graph)
    for fmt in ("svg", "png", "pdf"):
        with pytest.raises(DotNotFoundError, match="apt-get install graphviz") as e:
            r.save(tmp_path / f"g.{fmt}")
        assert ".dot" in str(e.value) and f"-T{fmt}" in str(e.value)
        assert not (tmp_path / f"g.{fmt}").exists()
    with pytest.raises(DotNotFoundError):
        render(mlp.graph, path=tmp_path / "g.svg")


def test_jupyter_falls_back_to_dot_text(mlp: MLP, no_dot: None) -> None:
    r = render(mlp.graph, "backward")
    assert r._repr_svg_() is None
    bundle = r._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"].startswith("digraph graphc {") and "Install Graphviz" in bundle["text/plain"]


def test_unknown_formats_are_rejected(mlp: MLP, tmp_path: Path) -> None:
    r = render(mlp.graph)
    with pytest.raises(RenderError, match="unknown format 'bmp'"):
        r.save(tmp_path / "g.bmp")
    with pytest.raises(RenderError, match="cannot tell the format"):
        r.save(tmp_path / "noext")
    assert r.save(tmp_path / "noext", "dot").read_text(encoding="utf-8") == r.source


def test_repr_counts_what_was_drawn(mlp: MLP) -> None:
    assert repr(render(mlp.graph)) == "<Rendered 'mlp' forward view: 8 ops, 14 values, 2 clusters, 21 edges>"


@needs_dot
def test_every_view_renders_to_svg_with_the_expected_labels(mlp: MLP, tmp_path: Path) -> None:
    expected = {
        "forward": ["mlp · forward view", "%fc1/W", "%x", "matmul", "relu", "f32[B,4]", "mean", "legend"],
        "backward": ["∇ fc1", "∇ fc2", "%grad/fc1/W", "∂loss/∂loss = 1", "∂ matmul", "transpose", "seed"],
        "joint": ["%fc2/b", "%grad/fc2/b", "relu", "∂loss/∂%fc2/W", "gradient flow"],
    }
    for view, words in expected.items():
        path = render(mlp.graph, view).save(tmp_path / f"{view}.svg")
        svg = path.read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
        for word in words:
            assert word in svg, (view, word)
        collapsed = render(mlp.graph, view, collapse=True).pipe("svg").decode()
        assert "</svg>" in collapsed


@needs_dot
def test_png_and_pdf_and_jupyter_svg(mlp: MLP, tmp_path: Path) -> None:
    r = render(mlp.graph, "joint")
    assert r.save(tmp_path / "j.png").read_bytes().startswith(b"\x89PNG")
    assert r.save(tmp_path / "j.pdf").read_bytes().startswith(b"%PDF")
    svg = r._repr_svg_()
    assert svg is not None and "<svg" in svg
    assert set(r._repr_mimebundle_()) == {"text/plain", "image/svg+xml"}
    assert set(r._repr_mimebundle_(include=["image/svg+xml"])) == {"image/svg+xml"}


def test_save_views_writes_one_file_per_view(mlp: MLP, tmp_path: Path) -> None:
    paths = save_views(mlp.graph, tmp_path / "out", format="dot")
    assert [p.name for p in paths] == ["forward.dot", "backward.dot", "joint.dot"]
    assert all(p.read_text(encoding="utf-8").startswith("digraph") for p in paths)


def test_save_views_defaults_to_dot_text_without_the_program(mlp: MLP, tmp_path: Path, no_dot: None) -> None:
    assert {p.suffix for p in save_views(mlp.graph, tmp_path)} == {".dot"}

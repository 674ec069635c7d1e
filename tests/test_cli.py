"""The graphc command: --version, print, errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import graphc as gc
from graphc.cli import main

MODEL = """
import graphc as gc

def build():
    with gc.Graph("tiny") as g:
        x = gc.placeholder("x", (None, 3))
        w = gc.parameter("w", (3, 2), init="xavier_uniform")
        return gc.relu(x @ w)
"""


def test_version(capsys: object) -> None:
    out = subprocess.run([sys.executable, "-m", "graphc.cli", "--version"], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == f"graphc {gc.__version__}"


def test_print_model_file(tmp_path: os.PathLike[str], capsys: object) -> None:
    path = os.path.join(tmp_path, "model.py")
    with open(path, "w") as f:
        f.write(MODEL)
    assert main(["print", path, "--loc"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert out.splitlines()[0] == "graph tiny(%x:f32[B,3], %w:f32[3,2]) {"
    assert "%1:f32[B,2] = matmul %x, %w  # model.py:8" in out
    assert out.splitlines()[-2] == "  return %2"


def test_model_file_errors_are_reported(tmp_path: os.PathLike[str], capsys: object) -> None:
    path = os.path.join(tmp_path, "empty.py")
    with open(path, "w") as f:
        f.write("x = 1\n")
    assert main(["print", path]) == 1
    assert "define build()" in capsys.readouterr().err  # type: ignore[attr-defined]
    assert main(["print", os.path.join(tmp_path, "missing.py")]) == 1


def test_demo_trains_prints_accuracy_and_writes_renders(tmp_path: os.PathLike[str]) -> None:
    out = os.path.join(tmp_path, "renders")
    proc = subprocess.run([sys.executable, "-m", "graphc.cli", "demo", "--out", out], capture_output=True, text=True,
                          check=True, timeout=300)
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("test accuracy: ")
    assert float(last.split(": ")[1]) >= 0.97
    files = sorted(os.listdir(out))
    suffix = ".svg" if shutil.which("dot") else ".dot"
    assert files == [f"backward{suffix}", f"forward{suffix}", f"joint{suffix}"]
    with open(os.path.join(out, f"backward{suffix}")) as f:
        text = f.read()
    assert "grad/fc1/W" in text


def test_render_command_writes_dot(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "model.py")
    with open(path, "w") as f:
        f.write(MODEL)
    target = os.path.join(tmp_path, "fwd.dot")
    assert main(["render", path, "--view", "forward", "-o", target]) == 0
    with open(target) as f:
        assert f.read().lstrip().startswith("digraph")


def test_examples_are_model_files(capsys: object) -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert main(["print", os.path.join(root, "examples", "xor.py")]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert out.startswith("graph xor(%x:f32[B,2], %y:f32[B,1], %hidden/W:f32[2,4]")


def test_print_with_gradients(tmp_path: os.PathLike[str], capsys: object) -> None:
    """``--grad`` differentiates the model's loss, so the printed graph and the pass snapshots hold the backward
    graph; without a scalar loss it is an error naming what is missing."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    xor = os.path.join(root, "examples", "xor.py")
    assert main(["print", xor, "--grad", "--after", "fusion", "--stats"]) == 0
    captured = capsys.readouterr()  # type: ignore[attr-defined]
    assert "differentiated its scalar output" in captured.err
    out = captured.out
    assert "%grad/hidden/W:f32[2,4] = matmul" in out and "%grad/out/W:f32[4,1]" in out
    assert "fused[body={matmul·" in out  # the backward matmul epilogues were fused
    plain = os.path.join(tmp_path, "model.py")
    with open(plain, "w") as f:
        f.write(MODEL)  # its output is a matrix, not a loss
    assert main(["print", plain, "--grad"]) == 1
    assert "--grad needs gradients, and graph 'tiny' has none" in capsys.readouterr().err  # type: ignore[attr-defined]

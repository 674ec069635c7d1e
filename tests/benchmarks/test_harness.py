"""The benchmark harness runs from its documented command line and writes the documented JSON layout.

Smoke runs only (3 iterations, NumPy implementations): timings from a test are meaningless, so nothing here
asserts a speed. What is asserted is the interface ../shared/BENCHMARKS.md fixes: per workload ``threads``,
``check`` and one entry per implementation with medians and ratios (``seconds`` per depth for C1).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path / "bench.json"
    md = tmp_path / "bench.md"
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--threads", "1", "--iters", "3",
         "--impls", "numpy_hand,graphc_numpy", "--json", str(out), "--md", str(md), *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
    )
    data = json.loads(out.read_text()) if out.exists() else {}
    return proc, data


@pytest.mark.parametrize("workload", ["W1", "W5"])
def test_timed_workload_json_layout(tmp_path: Path, workload: str) -> None:
    proc, data = _run(tmp_path, "--workload", workload)
    assert proc.returncode == 0, proc.stderr
    entry = data[workload]
    assert entry["threads"] == 1
    assert entry["check"] == "ok"
    assert set(entry["impls"]) == {"numpy_hand", "graphc_numpy"}
    for timing in entry["impls"].values():
        assert timing["n"] == 3
        assert 0 < timing["min_ms"] <= timing["median_ms"] <= timing["max_ms"]
    assert entry["impls"]["numpy_hand"]["ratio"] == 1.0
    hand, ours = entry["impls"]["numpy_hand"], entry["impls"]["graphc_numpy"]
    assert ours["ratio"] == pytest.approx(ours["median_ms"] / hand["median_ms"], rel=1e-3)
    header = (tmp_path / "bench.md").read_text().splitlines()[0]
    assert "threads: 1 (pinned)" in header
    assert "allocator:" in header


def test_compile_workload_reports_seconds_per_depth(tmp_path: Path) -> None:
    proc, data = _run(tmp_path, "--workload", "C1")
    assert proc.returncode == 0, proc.stderr
    entry = data["C1"]
    assert entry["check"] == "ok"
    for timing in entry["impls"].values():
        assert set(timing["seconds"]) == {"25", "50", "100", "200"}
        assert all(s > 0 for s in timing["seconds"].values())


def test_unknown_workload_is_a_usage_error(tmp_path: Path) -> None:
    proc, _ = _run(tmp_path, "--workload", "W9")
    assert proc.returncode == 2
    assert "W9" in proc.stderr


_HEAP_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from benchmarks.allocator import steady_heap

def on_heap(address):
    for line in open("/proc/self/maps"):
        if line.rstrip().endswith("[heap]"):
            low, high = (int(x, 16) for x in line.split()[0].split("-"))
            if low <= address < high:
                return True
    return False

before = on_heap(np.empty(4 << 20, np.uint8).ctypes.data)
line = steady_heap()
after = on_heap(np.empty(4 << 20, np.uint8).ctypes.data)
print(line, before, after, line == steady_heap(), sep="|")
"""


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc/self/maps (Linux)")
def test_steady_heap_serves_large_blocks_from_the_heap() -> None:
    """glibc maps a 4 MiB block afresh on each allocation by default (``before``); after ``steady_heap`` it
    comes from the heap, where freed blocks are reused warm. Run in a fresh process: it changes that process's
    allocator."""
    proc = subprocess.run([sys.executable, "-c", _HEAP_PROBE, str(REPO)], capture_output=True, text=True,
                          check=True)
    line, _before, after, idempotent = proc.stdout.strip().split("|")
    if "glibc" not in line:
        pytest.skip(line)
    assert line == "allocator: glibc, mmap threshold 32 MiB, no trimming"
    assert (after, idempotent) == ("True", "True")  # before: usually "False", unless glibc raised its threshold


@pytest.mark.parametrize("workload", ["W1", "W3"])
def test_unchecked_variant_follows_the_same_trajectory(tmp_path: Path, workload: str) -> None:
    """``graphc_numpy_unchecked`` carries the state in its argument list by position: the 5-step loss check
    (``check == "ok"``) is what shows the positions are right."""
    proc, data = _run(tmp_path, "--workload", workload, "--impls", "numpy_hand,graphc_numpy_unchecked")
    assert proc.returncode == 0, proc.stderr
    assert data[workload]["check"] == "ok"
    assert set(data[workload]["impls"]) == {"numpy_hand", "graphc_numpy_unchecked"}

"""The code base stays ruff-clean and type-checks (both tools come with the test extra)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *cmd], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean() -> None:
    proc = _run("ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


@pytest.mark.slow
def test_package_type_checks() -> None:
    proc = _run("mypy", "graphc", "--ignore-missing-imports")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]

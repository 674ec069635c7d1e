"""Fixtures for the renderer tests (the models and the DOT reader live in ``vizkit``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import pytest

# The suite runs with --import-mode=importlib, which puts no test folder on sys.path; the tests here share
# the helpers in vizkit.py, so this folder goes on the path (vizkit is a name nothing else uses).
sys.path.insert(0, os.path.dirname(__file__))

from vizkit import MLP, Dot, build_chain, build_mlp, parse_dot

from graphc.ir.graph import Graph


@pytest.fixture
def mlp() -> MLP:
    return build_mlp()


@pytest.fixture
def chain() -> Callable[..., Graph]:
    return build_chain


@pytest.fixture
def dot() -> Callable[[str], Dot]:
    return parse_dot

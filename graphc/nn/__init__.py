"""Layers that create parameters in their own name scope (scopes become clusters in renders)."""

from graphc.nn.activations import resolve as activation
from graphc.nn.dense import Dense
from graphc.nn.layer import Layer

__all__ = ["Dense", "Layer", "activation"]

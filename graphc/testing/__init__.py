"""Helpers for testing ops and backends, shared by graphc's own suite and by anyone adding an op."""

from graphc.testing.opcases import CaseGraph, build_case, feeds_for, finite_difference_vjp, sample_inputs

__all__ = ["CaseGraph", "build_case", "feeds_for", "finite_difference_vjp", "sample_inputs"]

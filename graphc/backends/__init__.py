"""Backends lower programs to executables. ``numpy`` is built in; ``jax`` is imported only when asked for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphc.backends.executable import Executable
from graphc.backends.program import OutputSpec, Program, make_program
from graphc.errors import GraphcError

BACKENDS = ("numpy", "jax")


def compile(
    outputs: OutputSpec, *, backend: str = "numpy", passes: Iterable[str] | str | None = None,
    verify: bool = False, **options: Any
) -> Executable:
    """Compile the part of the graph that ``outputs`` need into an executable for ``backend``.

    ``outputs`` is one value, a list of values or a dict name → value; calling the executable with a mapping
    ``{input name: array}`` returns results in the same structure. ``passes`` picks the optimisation pipeline
    (``"default"``, ``"none"`` or a list of pass names, see :mod:`graphc.passes`); ``None`` means the backend's
    choice: the full pipeline for NumPy, none for JAX (XLA simplifies and fuses the traced function itself, so
    running graphc's passes first would only add compile time). The user's graph is never modified — passes
    work on a copy. ``verify`` checks the graph after every pass. The pipeline's record (per-pass time, node
    counts) is on ``executable.pipeline``.
    """
    if passes is None:
        passes = "none" if backend == "jax" else "default"
    program = make_program(outputs)
    result = None
    if passes not in ("none", [], ()):
        from graphc.passes import optimize

        result = optimize(program.graph, program.outputs, passes, verify_each=verify)
        # The feeds an executable takes are fixed by the graph as written: an input that optimisation made
        # unnecessary is still accepted (and checked), so whether a feed is required never depends on passes.
        program = Program(result.graph, [result.graph.input(v.name) for v in program.inputs],  # type: ignore[arg-type]
                          result.graph.nodes, list(result.graph.outputs), program.structure, program.keys)
    exe = executable_class(backend)(program, **options)
    exe.pipeline = result
    return exe


def executable_class(backend: str) -> type[Executable]:
    """The :class:`Executable` subclass of ``backend`` (importing the backend: JAX only when asked for)."""
    if backend == "numpy":
        from graphc.backends.numpy import NumpyExecutable

        return NumpyExecutable
    if backend == "jax":
        from graphc.backends.jax import JaxExecutable

        return JaxExecutable
    raise GraphcError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Executable", "compile", "executable_class"]

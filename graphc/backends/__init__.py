"""Backends lower programs to executables. ``numpy`` is built in; ``jax`` is imported only when asked for."""

from __future__ import annotations

from typing import Any

from graphc.backends.executable import Executable
from graphc.backends.program import OutputSpec, make_program
from graphc.errors import GraphcError

BACKENDS = ("numpy", "jax")


def compile(outputs: OutputSpec, *, backend: str = "numpy", **options: Any) -> Executable:  # noqa: A001
    """Compile the part of the graph that ``outputs`` need into an executable for ``backend``.

    ``outputs`` is one value, a list of values or a dict name → value; calling the executable with a mapping
    ``{input name: array}`` returns results in the same structure.
    """
    program = make_program(outputs)
    if backend == "numpy":
        from graphc.backends.numpy import NumpyExecutable

        return NumpyExecutable(program, **options)
    if backend == "jax":
        from graphc.backends.jax import JaxExecutable  # type: ignore[import-not-found]

        return JaxExecutable(program, **options)  # type: ignore[no-any-return]
    raise GraphcError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Executable", "compile"]

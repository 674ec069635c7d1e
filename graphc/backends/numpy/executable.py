"""The NumPy backend's executable: generated straight-line Python per input signature."""

from __future__ import annotations

from graphc.backends.executable import Executable, Specialised
from graphc.backends.numpy.codegen import Generated, generate
from graphc.backends.program import Program
from graphc.ir.types import Sym


class NumpyExecutable(Executable):
    """Runs a program as generated NumPy code; ``sources()`` shows what was generated."""

    backend = "numpy"

    def __init__(self, program: Program, donate: tuple[str, ...] = (), plan_memory: bool = True) -> None:
        """``plan_memory`` turns on buffer reuse (see :mod:`graphc.passes.memory`). Intermediates then live in
        buffers owned by the executable, so one executable must not be called from two threads at once."""
        super().__init__(program, donate)
        self.plan_memory = plan_memory
        self._generated: list[Generated] = []

    def specialise(self, binding: dict[Sym, int]) -> Specialised:
        gen = generate(self.program, binding, donate=self.donate, plan_memory=self.plan_memory)
        self._generated.append(gen)
        fn: Specialised = gen.fn
        return fn

    def memory_plans(self) -> list[object]:
        """The memory plan of each specialisation (``.summary()`` gives peak bytes before/after)."""
        return [g.memory for g in self._generated]

    def sources(self) -> list[str]:
        """The generated source of each specialisation, in order of compilation."""
        return [g.source for g in self._generated]

"""Data-parallel execution through JAX sharding (XLA SPMD).

A :class:`DataParallel` plan says how each input and output of a program is laid out over a device mesh:
batch inputs are split along axis 0 over every mesh axis, everything else (parameters, optimizer state,
scalars) is replicated. The plan becomes ``in_shardings``/``out_shardings`` of ``jax.jit``; XLA's SPMD
partitioner then splits the computation and inserts the collectives — in a training step, the all-reduce of
the gradients of replicated parameters. There is no scheduler of our own.

Outputs whose leading dimension is the leading symbol of a batch input (per-example predictions, say) stay
split over the devices; ``np.asarray`` gathers them. Everything else comes back replicated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from graphc.backends.jax.tracing import check_input_names
from graphc.backends.program import Program
from graphc.errors import GraphcError
from graphc.ir.graph import Value
from graphc.ir.types import Sym, bind_dim

BATCH_AXIS = "batch"


def default_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
    """A 1-D mesh named ``"batch"`` over ``devices`` (default: every device of JAX's default platform)."""
    devs = list(jax.devices() if devices is None else devices)
    if not devs:
        raise GraphcError("data parallel: no devices")
    return Mesh(np.array(devs), (BATCH_AXIS,))


@dataclass(frozen=True)
class DataParallel:
    """A layout of a program's inputs and outputs over ``mesh``.

    ``batch`` holds the positions (in ``program.inputs``) of the inputs split along axis 0; the rest are
    replicated. Build one with :func:`plan_data_parallel`.
    """

    mesh: Mesh
    batch: frozenset[int]

    @property
    def size(self) -> int:
        """The number of devices the batch is split over."""
        return int(self.mesh.devices.size)

    @property
    def _split(self) -> NamedSharding:
        return NamedSharding(self.mesh, PartitionSpec(tuple(self.mesh.axis_names)))

    @property
    def _replicated(self) -> NamedSharding:
        return NamedSharding(self.mesh, PartitionSpec())

    def splits(self, program: Program, binding: Mapping[Sym, int]) -> bool:
        """Whether this signature is split: every batch input's axis 0 divides evenly over the devices."""
        return all(bind_dim(program.inputs[i].shape[0], binding) % self.size == 0 for i in self.batch)

    def shardings(
        self, program: Program, binding: Mapping[Sym, int]
    ) -> tuple[tuple[NamedSharding, ...], tuple[NamedSharding, ...]]:
        """``(in_shardings, out_shardings)`` for ``jax.jit``, one per program input / output.

        Batch inputs are split, other inputs replicated; an output is split when its leading dimension is the
        leading symbol of a batch input. A signature that does not split evenly (the last, short batch of an
        epoch, say) runs with everything replicated on every device of the mesh: the same results, without
        the speed-up, and the outputs stay on the mesh so state flows on into the next (split) call.
        """
        if not self.splits(program, binding):
            return (self._replicated,) * len(program.inputs), (self._replicated,) * len(program.outputs)
        batch_syms = {d for d in (program.inputs[i].shape[0] for i in self.batch) if isinstance(d, Sym)}
        ins = tuple(self._split if i in self.batch else self._replicated for i in range(len(program.inputs)))
        outs = tuple(
            self._split if v.ndim and v.shape[0] in batch_syms else self._replicated for v in program.outputs
        )
        return ins, outs


def plan_data_parallel(
    program: Program, *, mesh: Mesh | None = None, batch_inputs: Sequence[str] | None = None
) -> DataParallel:
    """Plan data-parallel execution of ``program`` over ``mesh`` (default: :func:`default_mesh`).

    ``batch_inputs`` names the inputs to split along axis 0; by default every placeholder whose leading
    dimension is symbolic (the batch ``B``), while parameters are replicated. Names of graph inputs this
    program does not read are ignored; names the graph does not have, and rank-0 batch inputs, raise
    :class:`GraphcError`.
    """
    mesh = default_mesh() if mesh is None else mesh
    if not isinstance(mesh, Mesh):
        raise GraphcError(f"mesh= takes a jax.sharding.Mesh, got {type(mesh).__name__}")
    position = {v.name: i for i, v in enumerate(program.inputs)}
    if batch_inputs is None:
        chosen = [v for v in program.inputs if _is_batched_placeholder(v)]
        if not chosen:
            raise GraphcError(
                "data parallel: no placeholder has a symbolic leading (batch) dimension; name the inputs to "
                "split with batch_inputs="
            )
    else:
        if isinstance(batch_inputs, str):
            batch_inputs = (batch_inputs,)
        check_input_names(program, batch_inputs, "batch_inputs")
        chosen = [program.inputs[position[n]] for n in batch_inputs if n in position]
    for v in chosen:
        if v.ndim == 0:
            raise GraphcError(f"data parallel: batch input {v.name!r} is a scalar; it has no axis 0 to split")
    return DataParallel(mesh, frozenset(position[v.name] for v in chosen))  # type: ignore[index]


def _is_batched_placeholder(v: Value) -> bool:
    return v.role == "placeholder" and v.ndim > 0 and isinstance(v.shape[0], Sym)

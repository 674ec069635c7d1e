"""Memory planning for the NumPy backend: liveness analysis and buffer reuse over a straight-line program.

Given a scheduled program and the concrete shapes of one specialisation, :func:`plan_memory` decides for each
node where its output goes:

* intermediates go into **persistent buffers** allocated once per specialisation and reused on every call;
  buffers are shared between values whose lifetimes do not overlap (liveness), and an elementwise op may write
  **in place** into the buffer of an input that dies at that op;
* **donated** inputs (a training step's parameters and optimizer state) are overwritten in place by the output
  that replaces them, when nothing reads them afterwards;
* program outputs are never placed in persistent buffers (the next call would overwrite them).

Views (reshape, transpose, broadcast, slice, identities) alias their input's memory, so a buffer stays live as
long as any value that may alias it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from graphc.ir.graph import Node, Value
from graphc.ir.opdef import OpKind
from graphc.ir.types import Sym, bind_shape

VIEW_OPS = {"reshape", "transpose", "broadcast_to", "slice", "stop_gradient"}
NEVER = 1 << 62


@dataclass
class MemoryPlan:
    """Where each node writes: ``out[node]`` is a buffer name (``"m3"``), a donated input's value, or absent
    (the op allocates). ``buffers`` maps buffer name → (shape, NumPy dtype string)."""

    out: dict[Node, str | Value] = field(default_factory=dict)
    # For nodes writing in place: the positions of their inputs that may share memory with the destination
    # (the dying input itself and any view of it). Absent: the destination overlaps no input.
    aliased: dict[Node, frozenset[int]] = field(default_factory=dict)
    buffers: dict[str, tuple[tuple[int, ...], str]] = field(default_factory=dict)
    # The memory the program hands back to its caller: its outputs and, through views, what they alias. A value
    # outside this set may live in memory the executable keeps between calls.
    returned: frozenset[Value] = frozenset()
    naive_bytes: int = 0  # every intermediate in its own allocation, all alive until the call returns
    planned_bytes: int = 0  # persistent buffers + intermediates the plan cannot place
    inplace_donations: int = 0

    def summary(self) -> str:
        return (f"intermediates: {self.naive_bytes / 1e6:.2f} MB unplanned → {self.planned_bytes / 1e6:.2f} MB "
                f"planned ({len(self.buffers)} reusable buffers, {self.inplace_donations} in-place state updates)")


def view_roots(nodes: list[Node]) -> dict[Value, Value]:
    """Each node output → the value whose memory it may share: itself, or for a view (reshape, transpose…) the
    root of the view's input."""
    root: dict[Value, Value] = {}
    for n in nodes:
        for o in n.outputs:
            root[o] = root.get(n.inputs[0], n.inputs[0]) if n.op.name in VIEW_OPS and n.inputs else o
    return root


def plan_memory(nodes: list[Node], inputs: list[Value], outputs: list[Value], binding: Mapping[Sym, int],
                donate: frozenset[str], supports_out: Callable[[Node], bool]) -> MemoryPlan:
    """Plan buffers for ``nodes`` (see the module docstring). ``supports_out(node)`` says whether the backend
    can direct that node's output into a given array."""
    plan = MemoryPlan()
    output_set = set(outputs)
    root = view_roots(nodes)
    for v in inputs:
        root[v] = v
    # A buffer lives until the last use of any value aliasing it; program outputs live forever.
    last: dict[Value, int] = {}
    for k, n in enumerate(nodes):
        for v in n.inputs:
            r = root.get(v, v)
            last[r] = max(last.get(r, -1), k)
    for v in outputs:
        last[root.get(v, v)] = NEVER
    plan.returned = frozenset(root.get(v, v) for v in outputs) | output_set

    def nbytes(v: Value) -> int:
        return math.prod(bind_shape(v.shape, binding)) * v.dtype.numpy.itemsize

    holder: dict[Value, str] = {}  # root value → buffer name
    pool: dict[tuple[tuple[int, ...], str], list[str]] = {}
    fresh_bytes = 0
    for k, n in enumerate(nodes):
        single = len(n.outputs) == 1
        o = n.outputs[0]
        placed = False
        if single and n.op.name not in VIEW_OPS and n.op.name != "constant" and o.ndim > 0 and supports_out(n):
            shape = bind_shape(o.shape, binding)
            key = (shape, o.dtype.numpy.str)
            if last.get(o, -1) == NEVER:  # a program output: only a dying donated input may hold it
                for v in n.inputs:
                    if (v.name in donate and v.producer is None and v.type == o.type and root.get(v, v) is v
                            and last.get(v, -1) == k and v not in output_set):
                        plan.out[n] = v
                        plan.aliased[n] = _aliases(n, v, root)
                        plan.inplace_donations += 1
                        placed = True
                        break
            elif n.op.kind is OpKind.ELEMENTWISE or n.op.name == "fused":
                for v in n.inputs:  # in place into a dying input's buffer
                    r = root.get(v, v)
                    if r is v and v in holder and last.get(v, -1) == k and v.type == o.type:
                        name = holder.pop(v)
                        holder[o] = name
                        plan.out[n] = name
                        plan.aliased[n] = _aliases(n, v, root)
                        placed = True
                        break
            if not placed and last.get(o, -1) != NEVER:
                free = pool.get(key)
                name = free.pop() if free else f"m{len(plan.buffers)}"
                if name not in plan.buffers:
                    plan.buffers[name] = key
                holder[o] = name
                plan.out[n] = name
                placed = True
        for o2 in n.outputs:
            if o2 not in holder and last.get(o2, -1) != NEVER and o2.ndim > 0 and root.get(o2, o2) is o2:
                fresh_bytes += nbytes(o2)
            if last.get(o2, -1) != NEVER and o2.ndim > 0:
                plan.naive_bytes += nbytes(o2) if root.get(o2, o2) is o2 else 0
        # Return buffers whose every alias is now dead (freed after placing, so no op writes into its input
        # unless it is elementwise and chose to above).
        for v in dict.fromkeys(n.inputs):
            r = root.get(v, v)
            if r in holder and last.get(r, -1) == k:
                name = holder.pop(r)
                pool.setdefault(plan.buffers[name], []).append(name)
        for o2 in n.outputs:  # an output nobody reads frees at once
            if o2 in holder and o2 not in last:
                name = holder.pop(o2)
                pool.setdefault(plan.buffers[name], []).append(name)
    plan.planned_bytes = fresh_bytes + sum(math.prod(s) * _itemsize(dt) for s, dt in plan.buffers.values())
    return plan


def _aliases(n: Node, v: Value, root: Mapping[Value, Value]) -> frozenset[int]:
    return frozenset(i for i, u in enumerate(n.inputs) if root.get(u, u) is v)


def _itemsize(dtype_str: str) -> int:
    import numpy as np

    return int(np.dtype(dtype_str).itemsize)

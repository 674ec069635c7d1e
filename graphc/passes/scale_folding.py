"""Scale folding: move a constant factor that every end of a linear computation applies up to where it is cheap.

A training step ends in ``W - lr * grad_W`` for every parameter, and every ``grad_W`` is linear in the loss
gradient's seed. Instead of one multiplication per parameter (a pass over every weight matrix), the factor can
be applied once where the linear computation starts — usually to a constant such as the ``1/batch`` of a mean,
where it costs nothing. The pass finds such factors and moves them:

* a **terminal** is ``x * k`` (either operand order) with ``k`` a finite, non-zero scalar constant;
* a value **carries** ``k`` when every use of it is a terminal of ``k`` or an argument in which the using node
  is linear and whose result carries ``k`` — so multiplying the value by ``k`` and dropping the terminals
  downstream gives the same results. Program outputs never carry a factor (their values must not change);
* where each carrying value's factor goes is chosen by cost (elements multiplied): into a constant (free, the
  constant is scaled), through a linear node into its inputs, or as a new ``mul`` on the value itself (a
  **root**); a terminal is only removed when its factor can go somewhere cheaper than the terminal itself.

Linearity is what each op declares (:class:`graphc.ir.opdef.Linear`, ``OpDef.linear``): ``joint`` ops are
linear in the listed arguments together (``a + b``: scale both and the result is scaled), ``each`` ops in any
one of them (``a @ b``: scale one). An op that declares nothing is treated as non-linear, which is always safe.
The rewrite is checked as it is built: if some node would see its factor twice (``g * g`` with ``g`` carrying
``k``), the pass returns the graph unchanged.

Like reassociating any product, this changes results by rounding only (``(k·a)·b`` for ``k·(a·b)``). With
gradients or optimizer slots among the outputs (momentum, Adam) nothing carries the learning rate and the graph
is left as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphc.ir.analysis import live_nodes, users
from graphc.ir.constant import ConstValue
from graphc.ir.graph import Graph, Node, Value
from graphc.ir.rewrite import Rebuilder
from graphc.passes.constant_folding import const_array, emit_constant

# A symbolic dimension counts as this many elements when comparing costs (batch-sized, typically).
SYMBOLIC_EXTENT = 256

Key = tuple[str, float]  # a factor: (dtype, value)


@dataclass(frozen=True)
class _Terminal:
    slot: int  # the argument the factor multiplies
    key: Key


def _linear_slots(node: Node) -> tuple[str, tuple[int, ...]] | None:
    """How ``node`` is linear, and in which arguments (None: not linear in any)."""
    spec = node.op.linear
    if spec is None or len(node.outputs) != 1:
        return None
    slots = spec.slots(len(node.inputs), node.attrs)
    return None if slots is None else (spec.mode, slots)


def _terminal(node: Node) -> _Terminal | None:
    """``node`` as a terminal: ``x * k`` with ``k`` a finite non-zero scalar constant and the result of x's type."""
    if node.op.name != "mul":
        return None
    out = node.outputs[0]
    if not out.dtype.is_float:
        return None
    for slot in (0, 1):
        k = const_array(node.inputs[1 - slot])
        if k is None or k.size != 1 or node.inputs[slot].type != out.type:
            continue
        value = float(k.reshape(()))
        if value != 0.0 and math.isfinite(value):
            return _Terminal(slot, (out.dtype.numpy.str, value))
    return None


def _size(v: Value) -> int:
    return math.prod(d if isinstance(d, int) else SYMBOLIC_EXTENT for d in v.shape)


_ROOT, _FOLD = "root", "fold"


class _Abort(Exception):
    """The planned rewrite would apply a factor twice somewhere: keep the graph."""


def scale_folding(graph: Graph) -> Graph:
    """Move the factors of terminals into constants or onto cheaper values (see the module docstring)."""
    nodes = live_nodes(graph, graph.outputs)  # dead nodes (left for dce) impose nothing and are dropped
    terminals = {n: t for n in nodes if (t := _terminal(n)) is not None}
    if not terminals:
        return graph
    linear = {n: _linear_slots(n) for n in nodes}
    carries = _carried_factors(nodes, graph.outputs, terminals, linear)
    choice = _placements(nodes, carries, linear)
    demanded = _demand(nodes, terminals, carries, choice)
    removed = sum(_size(n.inputs[t.slot]) for n, t in terminals.items() if n.inputs[t.slot] in demanded)
    added = sum(_size(v) for v in demanded if choice[v][0] == _ROOT)
    if added >= removed:  # nothing to gain (this also covers "no terminal can move")
        return graph
    try:
        return _rewrite(graph, nodes, terminals, carries, choice, demanded, linear)
    except _Abort:
        return graph


Linearity = dict[Node, tuple[str, tuple[int, ...]] | None]  # _linear_slots of each live node, computed once


def _carried_factors(nodes: list[Node], graph_outputs: list[Value], terminals: dict[Node, _Terminal],
                     linear: Linearity) -> dict[Value, Key]:
    """Value → the factor it carries (values carrying none are absent). One reverse sweep."""
    readers = users(nodes)
    outputs = set(graph_outputs)
    carries: dict[Value, Key] = {}

    def through(user: Node, slot: int) -> Key | None:
        """The factor that ``user``'s use of its argument ``slot`` applies, if any."""
        t = terminals.get(user)
        if t is not None and t.slot == slot:
            return t.key
        lin = linear[user]
        return carries.get(user.outputs[0]) if lin is not None and slot in lin[1] else None

    for node in reversed(nodes):
        for v in node.outputs:
            if v in outputs or not v.dtype.is_float or v not in readers:
                continue
            keys = {through(user, slot) for user in readers[v] for slot, a in enumerate(user.inputs) if a is v}
            if len(keys) == 1 and None not in keys:
                carries[v] = keys.pop()  # type: ignore[assignment]
    return carries


def _placements(nodes: list[Node], carries: dict[Value, Key], linear: Linearity) -> dict[Value, tuple[Any, float]]:
    """For each carrying value, where its factor is cheapest to apply: ``(_FOLD, 0)`` for a constant,
    ``((inputs…), cost)`` through its linear producer, or ``(_ROOT, size)``. One forward sweep."""
    choice: dict[Value, tuple[Any, float]] = {}
    for node in nodes:
        lin = linear[node]  # None for nodes with several outputs
        for out in node.outputs:
            if out in carries:
                choice[out] = _placement(node, out, lin, carries, choice)
    return choice


def _placement(node: Node, out: Value, lin: tuple[str, tuple[int, ...]] | None, carries: dict[Value, Key],
               choice: dict[Value, tuple[Any, float]]) -> tuple[Any, float]:
    """The cheapest place for ``out``'s factor, given the choices already made for ``node``'s inputs."""
    if node.op.name == "constant":
        return (_FOLD, 0.0)
    key = carries[out]
    best: tuple[Any, float] = (_ROOT, float(_size(out)))
    if lin is None:
        return best
    mode, slots = lin
    args = [node.inputs[i] for i in slots]
    if mode == "joint":  # every linear argument takes the factor
        if all(carries.get(a) == key for a in args):
            distinct = list(dict.fromkeys(args))
            cost = sum(choice[a][1] for a in distinct)
            if cost <= best[1]:  # ties go upstream, where more uses may share the factor
                best = (tuple(distinct), cost)
        return best
    for a in args:  # one argument takes it (not one read twice: x * x would be scaled twice)
        if carries.get(a) == key and node.inputs.count(a) == 1 and choice[a][1] <= best[1]:
            best = ((a,), choice[a][1])
    return best


def _demand(nodes: list[Node], terminals: dict[Node, _Terminal], carries: dict[Value, Key],
            choice: dict[Value, tuple[Any, float]]) -> set[Value]:
    """The values to hold pre-scaled: the arguments of terminals whose factor can go somewhere cheaper than the
    terminal, and everything their placements pass the factor to. One reverse sweep."""
    demanded: set[Value] = set()
    for node, t in terminals.items():
        x = node.inputs[t.slot]
        if carries.get(x) == t.key and choice[x][0] != _ROOT:
            demanded.add(x)
    for node in reversed(nodes):
        for out in node.outputs:
            if out in demanded and isinstance(choice[out][0], tuple):
                demanded.update(choice[out][0])
    return demanded


def _rewrite(graph: Graph, nodes: list[Node], terminals: dict[Node, _Terminal], carries: dict[Value, Key],
             choice: dict[Value, tuple[Any, float]], demanded: set[Value], linear: Linearity) -> Graph:
    """Rebuild with each value in ``demanded`` (and whatever they feed linearly) held times its factor."""
    rb = Rebuilder(graph)
    scaled: set[Value] = set()  # source values whose new counterpart is scaled
    factors: dict[Key, Value] = {}

    def times(node: Node, v: Value, key: Key) -> Value:
        """Emit ``v * factor`` (``v`` in the new graph), attributed to ``node``."""
        if key not in factors:
            value = ConstValue(np.array(key[1], dtype=v.dtype.numpy))
            factors[key] = rb.emit(node, "constant", (), {"value": value, "dtype": v.dtype})[0]
        return rb.emit(node, "mul", [v, factors[key]])[0]

    for node in nodes:
        t = terminals.get(node)
        if t is not None and node.inputs[t.slot] in scaled:
            rb.replace(node, [rb[node.inputs[t.slot]]])
            continue
        ins = [rb[v] for v in node.inputs]
        out = node.outputs[0]
        lin = linear[node]
        linear_args = set(lin[1]) if lin is not None else set()
        if any(v in scaled for i, v in enumerate(node.inputs) if i not in linear_args):
            raise _Abort  # a factor would reach a non-linear argument
        hit = [i for i in linear_args if node.inputs[i] in scaled]
        is_scaled = False
        if hit and lin is not None:
            if out not in carries:
                raise _Abort
            if lin[0] == "joint":
                for i in linear_args - set(hit):  # mixed: bring the other arguments to the same scale
                    ins[i] = times(node, ins[i], carries[out])
                is_scaled = True
            elif len(hit) == 1:
                is_scaled = True
            else:
                raise _Abort  # the factor would be applied twice
        if out in demanded and not is_scaled and choice[out][0] == _FOLD:
            arr = const_array(out)
            assert arr is not None
            rb.replace(node, [emit_constant(rb, node, out, arr * np.array(carries[out][1], arr.dtype))])
            scaled.add(out)
            continue
        rb.copy(node, ins)
        if is_scaled:
            scaled.add(out)
        for o in node.outputs:
            if o in demanded and o not in scaled:  # a root (or a push whose inputs ended up unscaled)
                rb.map[o] = times(node, rb[o], carries[o])
                scaled.add(o)
    if any(v in scaled for v in graph.outputs):
        raise _Abort
    return rb.finish()

"""State updates: how a layer says "after a training step, this non-trainable parameter holds that value".

Optimizers update trainable parameters from gradients; some state changes by other rules — batch norm's running
averages, a dropout key that advances every step. A layer declares such a change with :func:`update_state`;
the declaration lives in ``graph.meta["state_updates"]`` (parameter → new value), and
:class:`graphc.train.TrainStep` adds every declared update to the state the step returns. Evaluation never
applies them.
"""

from __future__ import annotations

from graphc.errors import GraphBuildError
from graphc.ir.graph import Graph, Value
from graphc.ir.source import capture

META_KEY = "state_updates"


def update_state(state: Value, new_value: Value) -> None:
    """Declare that each training step replaces ``state`` (a non-trainable parameter) by ``new_value``.

    ``new_value`` must be a value of the same graph with the same type. Declaring two updates of one parameter
    is an error (a layer called twice in training mode, say).
    """
    if state.role != "param" or state.param is None or state.param.trainable:
        raise GraphBuildError(f"update_state: {state!r} is not a non-trainable parameter "
                              "(create it with parameter(..., trainable=False))", loc=capture())
    if new_value.graph is not state.graph:
        raise GraphBuildError(f"update_state: {new_value!r} belongs to another graph than {state!r}", loc=capture())
    if new_value.type != state.type:
        raise GraphBuildError(f"update_state: new value {new_value.type} does not match {state!r}", loc=capture())
    updates = state.graph.meta.setdefault(META_KEY, {})
    if state in updates:
        raise GraphBuildError(f"update_state: {state!r} already has an update (is a stateful layer called twice "
                              "in training mode?)", loc=capture())
    updates[state] = new_value


def state_updates(graph: Graph) -> dict[Value, Value]:
    """The declared updates of ``graph``: parameter → its value after a training step (in declaration order)."""
    return dict(graph.meta.get(META_KEY, {}))

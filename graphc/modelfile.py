"""Loading the graph a model file builds (for ``graphc print`` and ``graphc render``), and giving it gradients
when a view of the backward graph asks for them.

A model file is a Python script of the user's that exposes its graph in one of two ways:

* a function ``build()`` returning a :class:`graphc.Graph` (with ``graph.outputs`` set), a value, a list or
  dict of values (which become the outputs), or a :class:`graphc.train.Model` (its loss and predictions become
  the outputs); or
* a module-level variable ``graph`` holding a :class:`graphc.Graph`.

The file is the user's own code and is run as such; nothing read from data files is ever executed.
"""

from __future__ import annotations

import os
import runpy
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from graphc.errors import ModelFileError
from graphc.ir.graph import Graph, Value


def load_model_file(path: str) -> Graph:
    """Run the model file and return its graph with outputs set; raises :class:`ModelFileError`."""
    if not os.path.isfile(path):
        raise ModelFileError(f"model file {path!r} does not exist")
    namespace = runpy.run_path(path, run_name="__graphc_model__")
    if callable(namespace.get("build")):
        return as_graph(namespace["build"](), path)
    if isinstance(namespace.get("graph"), Graph):
        return as_graph(namespace["graph"], path)
    raise ModelFileError(f"{path}: define build() returning a graph (or its outputs), or a variable `graph`")


def as_graph(obj: Any, where: str = "model") -> Graph:
    """A graph from what ``build()`` returned: a Graph, a value, or a list/dict of values (the outputs)."""
    if isinstance(obj, Graph):
        return obj
    from graphc.train.model import Model

    if isinstance(obj, Model):
        obj = [v for v in (obj.loss, obj.predictions) if v is not None]
    if isinstance(obj, Value):
        outs = [obj]
    elif isinstance(obj, Mapping):
        outs = list(obj.values())
    elif isinstance(obj, Sequence) and obj and all(isinstance(v, Value) for v in obj):
        outs = list(obj)
    else:
        raise ModelFileError(f"{where}: build() returned {type(obj).__name__}, not a Graph or graph values")
    graph = outs[0].graph
    if any(v.graph is not graph for v in outs):
        raise ModelFileError(f"{where}: build() returned values of different graphs")
    graph.outputs = outs
    return graph


def with_gradients(graph: Graph, log: TextIO, asked_by: str) -> Graph:
    """``graph`` with backward nodes: as it is when it has some, else with the gradients of its loss appended to
    its outputs (noted on ``log``), for a backward view or ``graphc print --grad``.

    The loss is the graph's only float scalar output; the gradients are taken with respect to every trainable
    float parameter. Raises :class:`ModelFileError` naming ``asked_by`` when there is no such single loss.
    """
    if any(n.tags.get("role") == "backward" for n in graph.nodes):
        return graph
    scalars = [v for v in graph.outputs if v.shape == () and v.dtype.is_float]
    params = [p for p in graph.parameters if p.dtype.is_float and (p.param is None or p.param.trainable)]
    if len(scalars) != 1 or not params:
        raise ModelFileError(
            f"{asked_by} needs gradients, and graph {graph.name!r} has none: build them in the model file with "
            "graphc.autodiff.grad(loss, params), or give the graph exactly one float scalar output (the loss)"
        )
    from graphc.autodiff import grad

    grads = grad(scalars[0], params, unused="zero")
    graph.outputs = [*graph.outputs, *grads]
    print(
        f"graphc: {graph.name}: the model file built no gradients; differentiated its scalar output (the "
        f"loss) with respect to its {len(params)} trainable parameter(s)",
        file=log,
    )
    return graph

"""Loading the graph a model file builds (for ``graphc print`` and ``graphc render``).

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
from typing import Any

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

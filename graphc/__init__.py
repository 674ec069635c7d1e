"""graphc: a static computation-graph compiler for neural networks.

Build a graph with the DSL, transform it with passes (autodiff, simplification, fusion), compile it for the
NumPy or JAX backend, and render it with graphviz::

    import graphc as gc
    with gc.Graph("mlp") as g:
        x = gc.placeholder("x", (None, 4))
        w = gc.parameter("w", (4, 2), init="xavier_uniform")
        y = gc.relu(x @ w)
    run = gc.compile(y)
    run({"x": np.ones((3, 4), np.float32), "w": gc.init_params(g)["w"]})
"""

from graphc import dsl
from graphc._version import __version__
from graphc.autodiff import grad
from graphc.backends import Executable, compile
from graphc.dsl import *  # noqa: F403 - the DSL is graphc's main namespace
from graphc.errors import (
    AttrError,
    CheckpointError,
    DTypeError,
    FeedError,
    GradError,
    GraphBuildError,
    GraphcError,
    LoweringError,
    PassError,
    ShapeError,
    UnknownOpError,
    VerifyError,
)
from graphc.init import init_params
from graphc.ir import BATCH, DType, Graph, Sym, TensorType, Value, bool_, float32, float64, int32, int64, verify
from graphc.ir import ops as _ops  # registers every op
from graphc.ir.printer import format_graph

__all__ = [
    "__version__", "Executable", "compile", "dsl", "grad", "init_params", "render", "format_graph", "verify",
    "Graph", "Value", "TensorType", "DType", "Sym", "BATCH", "float32", "float64", "int32", "int64", "bool_",
    "GraphcError", "ShapeError", "DTypeError", "AttrError", "FeedError", "GradError", "GraphBuildError",
    "UnknownOpError", "VerifyError", "LoweringError", "PassError", "CheckpointError",
    *dsl.__all__,
]
del _ops

from graphc import losses, nn, optim, train  # noqa: E402, F401 - after the core they build on
from graphc.viz import render  # noqa: E402

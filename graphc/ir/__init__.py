"""The intermediate representation: types, values, nodes, graphs, the op registry, printer and verifier.

Op definitions live in :mod:`graphc.ir.ops` (imported by the ``graphc`` package, which registers them).
"""

from graphc.ir.dtypes import DType, as_dtype, bool_, float32, float64, int32, int64
from graphc.ir.graph import Graph, Node, ParamSpec, Value, default_graph
from graphc.ir.opdef import AttrSpec, Case, OpDef, OpKind, all_ops, get_op, register
from graphc.ir.printer import format_graph
from graphc.ir.source import SourceLoc
from graphc.ir.types import BATCH, Dim, Shape, Sym, TensorType
from graphc.ir.verifier import verify

__all__ = [
    "BATCH", "AttrSpec", "Case", "DType", "Dim", "Graph", "Node", "OpDef", "OpKind", "ParamSpec", "Shape",
    "SourceLoc", "Sym", "TensorType", "Value", "all_ops", "as_dtype", "bool_", "default_graph", "float32",
    "float64", "format_graph", "get_op", "int32", "int64", "register", "verify",
]

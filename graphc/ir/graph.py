"""The IR: :class:`Graph`, :class:`Node` and :class:`Value`.

A graph is typed, first-order SSA, like a jaxpr: ordered ``inputs`` (placeholders and parameters), ``nodes`` in
topological order, and ``outputs``. Every value is defined exactly once, by a node or as a graph input. Inputs of
a node are an ordered tuple, so ``a + a`` has two edges. Nodes record the user's ``file:line``.

Values are also the user's handle in the DSL: arithmetic operators on a :class:`Value` build nodes (see
:mod:`graphc.dsl`). ``==`` is identity (values are dict keys); use :func:`graphc.equal` for the elementwise op.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from graphc.errors import DTypeError, GraphBuildError, ShapeError
from graphc.ir import source
from graphc.ir.dtypes import DType
from graphc.ir.opdef import Attrs, OpDef, RuleError, get_op
from graphc.ir.source import SourceLoc
from graphc.ir.types import Shape, TensorType

Role = Literal["placeholder", "param", "node"]
Initializer = Callable[..., Any]

_ids = itertools.count()


@dataclass(frozen=True)
class ParamSpec:
    """What makes a graph input a parameter: how to initialise it, and whether optimizers update it."""

    init: Initializer | None
    trainable: bool = True


class Value:
    """A typed SSA value: a graph input (placeholder/parameter) or an output of a node."""

    __slots__ = ("__weakref__", "graph", "id", "index", "name", "param", "producer", "role", "type")

    # Make NumPy defer to our reflected operators (``np_array * value``) instead of broadcasting over us.
    __array_ufunc__ = None

    def __init__(
        self,
        graph: Graph,
        type: TensorType,
        role: Role,
        name: str | None = None,
        producer: Node | None = None,
        index: int = 0,
        param: ParamSpec | None = None,
    ) -> None:
        self.graph = graph
        self.type = type
        self.role = role
        self.name = name
        self.producer = producer
        self.index = index
        self.param = param
        self.id = next(_ids)

    # -- type accessors ---------------------------------------------------------------------------------------
    @property
    def shape(self) -> Shape:
        return self.type.shape

    @property
    def dtype(self) -> DType:
        return self.type.dtype

    @property
    def ndim(self) -> int:
        return len(self.type.shape)

    def __repr__(self) -> str:
        label = self.name if self.name is not None else f"#{self.id}"
        return f"<Value {label}:{self.type}>"

    def __bool__(self) -> bool:
        raise GraphBuildError(
            f"the truth value of symbolic {self!r} is unknown while the graph is built; "
            "use graphc.where(...) for data-dependent choices"
        )

    def __len__(self) -> int:
        if not self.shape:
            raise ShapeError(f"len() of a scalar {self!r}")
        d = self.shape[0]
        if not isinstance(d, int):
            raise ShapeError(f"len() of {self!r}: leading dimension {d} is symbolic")
        return d

    __hash__ = object.__hash__

    # -- DSL operators: defined in graphc.dsl, looked up lazily so the IR does not import the DSL at load ----
    def __add__(self, o: Any) -> Value:
        return _dsl().add(self, o)

    def __radd__(self, o: Any) -> Value:
        return _dsl().add(o, self)

    def __sub__(self, o: Any) -> Value:
        return _dsl().sub(self, o)

    def __rsub__(self, o: Any) -> Value:
        return _dsl().sub(o, self)

    def __mul__(self, o: Any) -> Value:
        return _dsl().mul(self, o)

    def __rmul__(self, o: Any) -> Value:
        return _dsl().mul(o, self)

    def __truediv__(self, o: Any) -> Value:
        return _dsl().div(self, o)

    def __rtruediv__(self, o: Any) -> Value:
        return _dsl().div(o, self)

    def __pow__(self, o: Any) -> Value:
        return _dsl().pow(self, o)

    def __rpow__(self, o: Any) -> Value:
        return _dsl().pow(o, self)

    def __matmul__(self, o: Any) -> Value:
        return _dsl().matmul(self, o)

    def __rmatmul__(self, o: Any) -> Value:
        return _dsl().matmul(o, self)

    def __neg__(self) -> Value:
        return _dsl().neg(self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _dsl().abs(self)

    def __lt__(self, o: Any) -> Value:
        return _dsl().less(self, o)

    def __le__(self, o: Any) -> Value:
        return _dsl().less_equal(self, o)

    def __gt__(self, o: Any) -> Value:
        return _dsl().greater(self, o)

    def __ge__(self, o: Any) -> Value:
        return _dsl().greater_equal(self, o)

    def __getitem__(self, index: Any) -> Value:
        return _dsl().index(self, index)

    @property
    def T(self) -> Value:
        return _dsl().transpose(self)

    def reshape(self, *shape: Any) -> Value:
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return _dsl().reshape(self, shape)

    def transpose(self, *perm: int) -> Value:
        return _dsl().transpose(self, perm or None)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Value:
        return _dsl().sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Value:
        return _dsl().mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Value:
        return _dsl().max(self, axis, keepdims)

    def astype(self, dtype: Any) -> Value:
        return _dsl().cast(self, dtype)


_dsl_module: Any = None


def _dsl() -> Any:
    global _dsl_module
    if _dsl_module is None:
        import graphc.dsl as d

        _dsl_module = d
    return _dsl_module


class Node:
    """One op application: ``outputs = op[attrs](*inputs)``, made at ``loc`` inside name scope ``scope``.

    ``tags`` carry metadata that is not part of the computation: ``role`` (``"forward"``, ``"backward"``,
    ``"update"``) and, for backward nodes, ``grad_of`` (the forward node they differentiate).
    """

    __slots__ = ("attrs", "id", "inputs", "loc", "op", "outputs", "scope", "tags")

    def __init__(
        self,
        op: OpDef,
        inputs: tuple[Value, ...],
        attrs: Attrs,
        loc: SourceLoc,
        scope: str = "",
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        self.op = op
        self.inputs = inputs
        self.attrs = attrs
        self.outputs: tuple[Value, ...] = ()
        self.loc = loc
        self.scope = scope
        self.tags: dict[str, Any] = dict(tags) if tags else {}
        self.id = next(_ids)

    @property
    def output(self) -> Value:
        """The single output (raises for multi-output nodes)."""
        if len(self.outputs) != 1:
            raise ValueError(f"{self.op.name} has {len(self.outputs)} outputs")
        return self.outputs[0]

    def __repr__(self) -> str:
        return f"<Node {self.op.name} #{self.id} at {self.loc}>"


_state = threading.local()


def _graph_stack() -> list[Graph]:
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    return stack


def default_graph() -> Graph:
    """The innermost graph entered with ``with graph:``; raises if there is none."""
    stack = _graph_stack()
    if not stack:
        raise GraphBuildError("no active graph: build inside `with graphc.Graph() as g:`")
    return stack[-1]


class Graph:
    """A computation graph under construction or transformation.

    Use as a context manager to make it the target of DSL calls that have no graph to infer from
    (placeholders, parameters, constants)::

        with graphc.Graph("mlp") as g:
            x = graphc.placeholder("x", (None, 64))
    """

    def __init__(self, name: str = "graph") -> None:
        self.name = name
        self.inputs: list[Value] = []
        self.nodes: list[Node] = []
        self.outputs: list[Value] = []
        self._input_names: dict[str, Value] = {}
        self._scope: list[str] = []
        self._tags: dict[str, Any] = {}
        self._loc: SourceLoc | None = None
        self._emit_hooks: list[Callable[[Node], None]] = []
        # Facts passes and renderers use but the computation does not: autodiff records "losses" (list of
        # values) and "gradients" ({wrt value: gradient value}).
        self.meta: dict[str, Any] = {}

    # -- context -----------------------------------------------------------------------------------------------
    def __enter__(self) -> Graph:
        _graph_stack().append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _graph_stack().pop()

    @contextlib.contextmanager
    def name_scope(self, name: str) -> Iterator[str]:
        """Nest a name scope: names made inside get the ``a/b/`` prefix; scopes become render clusters."""
        if not name or "/" in name:
            raise GraphBuildError(f"name scope {name!r} must be non-empty and contain no '/'")
        self._scope.append(name)
        try:
            yield self.scope
        finally:
            self._scope.pop()

    @property
    def scope(self) -> str:
        """The current scope path, ``""`` or ``"a/b"``."""
        return "/".join(self._scope)

    def scoped(self, name: str | None) -> str | None:
        if name is None:
            return None
        return f"{self.scope}/{name}" if self._scope else name

    @contextlib.contextmanager
    def tagging(self, **tags: Any) -> Iterator[None]:
        """Attach ``tags`` to every node emitted inside (autodiff marks its nodes ``role="backward"``)."""
        saved = self._tags
        self._tags = {**saved, **tags}
        try:
            yield
        finally:
            self._tags = saved

    @contextlib.contextmanager
    def located(self, loc: SourceLoc) -> Iterator[None]:
        """Record ``loc`` as the source of every node emitted inside (autodiff points backward nodes at the
        forward line they differentiate)."""
        saved = self._loc
        self._loc = loc
        try:
            yield
        finally:
            self._loc = saved

    # -- inputs ------------------------------------------------------------------------------------------------
    def _add_input(self, name: str, type: TensorType, role: Role, param: ParamSpec | None) -> Value:
        if not isinstance(name, str) or not name:
            raise GraphBuildError(f"input name {name!r} must be a non-empty string")
        full = self.scoped(name)
        assert full is not None
        if full in self._input_names:
            raise GraphBuildError(f"graph {self.name!r} already has an input named {full!r}", loc=source.capture())
        v = Value(self, type, role, name=full, param=param)
        self.inputs.append(v)
        self._input_names[full] = v
        return v

    def add_placeholder(self, name: str, type: TensorType) -> Value:
        """Add a fed input. Its name (scoped) is the key users feed arrays under."""
        return self._add_input(name, type, "placeholder", None)

    def add_parameter(self, name: str, type: TensorType, init: Initializer | None, trainable: bool = True) -> Value:
        """Add a parameter: an input that belongs to the model's state, created by ``init(rng, shape, dtype)``."""
        return self._add_input(name, type, "param", ParamSpec(init, trainable))

    def input(self, name: str) -> Value:
        """The graph input with this (full, scoped) name."""
        try:
            return self._input_names[name]
        except KeyError:
            raise GraphBuildError(f"graph {self.name!r} has no input named {name!r}") from None

    @property
    def placeholders(self) -> list[Value]:
        return [v for v in self.inputs if v.role == "placeholder"]

    @property
    def parameters(self) -> list[Value]:
        return [v for v in self.inputs if v.role == "param"]

    # -- nodes -------------------------------------------------------------------------------------------------
    def emit(
        self,
        op: str | OpDef,
        inputs: Sequence[Value],
        attrs: Mapping[str, Any] | None = None,
        name: str | None = None,
        loc: SourceLoc | None = None,
    ) -> tuple[Value, ...]:
        """Append one node and return its outputs.

        Runs the op's attribute check, shape rule and dtype rule now, at build time: a bad combination raises a
        :class:`ShapeError`/:class:`DTypeError` naming the op, the input types and the user's file:line. No
        numerical work is done.
        """
        opdef = op if isinstance(op, OpDef) else get_op(op)
        if loc is None:
            loc = self._loc if self._loc is not None else source.capture()
        inputs = tuple(inputs)
        for v in inputs:
            if not isinstance(v, Value):
                raise GraphBuildError(f"{opdef.name}: input {v!r} is not a graph value", loc=loc)
            if v.graph is not self:
                raise GraphBuildError(
                    f"{opdef.name}: input {v!r} belongs to graph {v.graph.name!r}, not {self.name!r}", loc=loc
                )
        if opdef.arity is not None and len(inputs) != opdef.arity:
            raise GraphBuildError(f"{opdef.name} takes {opdef.arity} inputs, got {len(inputs)}", loc=loc)
        try:
            checked = opdef.check_attrs(attrs or {})
        except Exception as e:
            if hasattr(e, "loc") and e.loc is None:
                e.loc = loc
                e.args = (f"{e} (at {loc})",)
            raise
        out_types = infer_types(opdef, tuple(v.type for v in inputs), checked, loc)
        node = Node(opdef, inputs, checked, loc, self.scope, self._tags)
        full = self.scoped(name)
        node.outputs = tuple(
            Value(self, t, "node", name=full if i == 0 else (f"{full}.{i}" if full else None), producer=node, index=i)
            for i, t in enumerate(out_types)
        )
        self.nodes.append(node)
        for hook in self._emit_hooks:
            hook(node)
        return node.outputs

    def append_node(self, node: Node) -> None:
        """Append an already-built node (passes that rebuild graphs use this; types are trusted)."""
        self.nodes.append(node)

    def __repr__(self) -> str:
        return f"<Graph {self.name!r}: {len(self.inputs)} inputs, {len(self.nodes)} nodes, {len(self.outputs)} outputs>"

    def __str__(self) -> str:
        from graphc.ir.printer import format_graph

        return format_graph(self)


def infer_types(
    opdef: OpDef, in_types: tuple[TensorType, ...], attrs: Attrs, loc: SourceLoc | None
) -> tuple[TensorType, ...]:
    """Apply an op's dtype and shape rules, turning rule failures into errors that name op, types and line."""
    shapes = tuple(t.shape for t in in_types)
    dtypes = tuple(t.dtype for t in in_types)
    try:
        out_dtypes = opdef.dtype_rule(dtypes, attrs)
    except RuleError as e:
        raise DTypeError(f"{opdef.name}: {e} (inputs: {_describe(in_types)})", loc=loc) from None
    try:
        out_shapes = opdef.shape_rule(shapes, attrs)
    except RuleError as e:
        cls = DTypeError if e.is_dtype else ShapeError
        raise cls(f"{opdef.name}: {e} (inputs: {_describe(in_types)})", loc=loc) from None
    return tuple(TensorType(s, d) for s, d in zip(out_shapes, out_dtypes, strict=True))


def _describe(types: tuple[TensorType, ...]) -> str:
    return ", ".join(str(t) for t in types) or "no inputs"

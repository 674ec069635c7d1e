"""The op record and the registry that holds one record per op.

An :class:`OpDef` is the single home of everything graphc knows about an op independent of any backend: its
attribute schema, shape rule, dtype rule, VJP rule, fusion kind and the test cases from which the registry-driven
tests are generated. Backends keep their own lowering tables keyed by op name.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from graphc.errors import AttrError, UnknownOpError
from graphc.ir.dtypes import DType, as_dtype
from graphc.ir.types import Dim, Shape, Sym, as_dim

if TYPE_CHECKING:
    from graphc.ir.graph import Node, Value


class OpKind(enum.Enum):
    """How an op takes part in fusion."""

    ELEMENTWISE = "elementwise"  # out[i] depends on in[i] only (after broadcasting)
    REDUCTION = "reduction"  # reduces axes (sum, max, softmax's normaliser)
    LAYOUT = "layout"  # moves or copies data without arithmetic (reshape, transpose, slice)
    OPAQUE = "opaque"  # everything else (matmul, constants, loops)


class RuleError(Exception):
    """Raised by shape/dtype rules; :meth:`Graph.emit` wraps it into a ShapeError/DTypeError with context."""

    def __init__(self, message: str, *, dtype: bool = False) -> None:
        super().__init__(message)
        self.is_dtype = dtype


# -- attributes ---------------------------------------------------------------------------------------------

AttrCoerce = Callable[[Any], Any]


def _int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int | np.integer):
        raise TypeError("expected an int")
    return int(v)


def _float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        raise TypeError("expected a number")
    return float(v)


def _bool(v: Any) -> bool:
    if not isinstance(v, bool | np.bool_):
        raise TypeError("expected a bool")
    return bool(v)


def _ints(v: Any) -> tuple[int, ...]:
    if isinstance(v, int | np.integer) and not isinstance(v, bool):
        return (int(v),)
    return tuple(_int(x) for x in v)


def _opt_ints(v: Any) -> tuple[int, ...] | None:
    return None if v is None else _ints(v)


def _dims(v: Any) -> tuple[Dim, ...]:
    return tuple(d if isinstance(d, Sym) else as_dim(d) for d in v)


def _slices(v: Any) -> tuple[tuple[int, int, int], ...]:
    return tuple((_int(a), _int(b), _int(c)) for a, b, c in v)


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError("expected a str")
    return v


ATTR_KINDS: dict[str, AttrCoerce] = {
    "int": _int,
    "float": _float,
    "bool": _bool,
    "ints": _ints,
    "opt_ints": _opt_ints,
    "dims": _dims,
    "dtype": as_dtype,
    "slices": _slices,
    "str": _str,
    "any": lambda v: v,  # only for values graphc itself makes (constants, subgraphs), never printed as code
}

REQUIRED: Any = object()


@dataclass(frozen=True, slots=True)
class AttrSpec:
    """One attribute: its name, kind (a key of :data:`ATTR_KINDS`) and default (``REQUIRED`` if none)."""

    name: str
    kind: str
    default: Any = REQUIRED


class Attrs(dict[str, Any]):
    """A read-only, hashable attribute dict (hashable so CSE can key on ``(op, inputs, attrs)``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda kv: kv[0])))

    def _readonly(self, *a: Any, **k: Any) -> None:
        raise TypeError("node attributes are read-only")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _readonly  # type: ignore[assignment]


# -- test cases ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """An example invocation from which the registry tests are generated.

    ``shapes`` are concrete input shapes; ``dtypes`` default to float64 for every input (float32 too for the
    parity tests); ``domain`` per input: ``"real"``, ``"positive"``, ``"nonzero"`` (|x| ≥ 0.1, away from kinks),
    ``"bool"`` or ``"int:N"`` (integers in [0, N)); ``symbolic`` marks the shape-rule test run with the first dim
    of every input as the batch symbol.
    """

    shapes: tuple[tuple[int, ...], ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)
    dtypes: tuple[str, ...] | None = None
    domain: tuple[str, ...] | None = None
    fd: bool = True  # run the finite-difference VJP check on this case


# -- the op record --------------------------------------------------------------------------------------------

ShapeRule = Callable[[tuple[Shape, ...], Attrs], tuple[Shape, ...]]
DTypeRule = Callable[[tuple[DType, ...], Attrs], tuple[DType, ...]]
VJPRule = Callable[["Node", tuple["Value | None", ...], tuple[bool, ...]], Sequence["Value | None"]]


def nondiff(node: Node, cotangents: tuple[Value | None, ...], needs: tuple[bool, ...]) -> list[Value | None]:
    """VJP rule of ops whose outputs carry no gradient (comparisons, argmax, one_hot): nothing flows back."""
    return [None] * len(node.inputs)


@dataclass(frozen=True)
class Linear:
    """How an op is linear, for passes that move constant factors through it (scale folding).

    ``joint``: linear in the listed arguments together (``a + b``: scale both and the result is scaled);
    ``each``: in any one of them (``a @ b``: scale one). ``args`` lists argument positions (``None``: all).
    Arguments not listed are used non-linearly (``a / b`` is linear in ``a`` only). ``when``, if given, says for
    which attributes the op is linear at all (padding: only with zeros). The registry test checks the claim
    numerically on the op's cases.
    """

    mode: Literal["joint", "each"]
    args: tuple[int, ...] | None = (0,)
    when: Callable[[Mapping[str, Any]], bool] | None = None

    def slots(self, n_inputs: int, attrs: Mapping[str, Any]) -> tuple[int, ...] | None:
        """The linear argument positions of a node with ``n_inputs`` inputs and ``attrs`` (None: not linear)."""
        if self.when is not None and not self.when(attrs):
            return None
        return tuple(range(n_inputs)) if self.args is None else self.args


@dataclass(frozen=True)
class OpDef:
    """Everything backend-independent about one op.

    ``arity`` is the number of inputs (``None``: variadic, at least one). ``shape_rule`` and ``dtype_rule`` map
    input shapes/dtypes and the attributes to output shapes/dtypes, raising :class:`RuleError` on bad input.
    ``vjp(node, cotangents, needs)`` maps a node and its output cotangents (``None``: zero) to one cotangent per
    input, emitting ordinary IR with the DSL; it only builds the entries whose ``needs`` flag is set and returns
    ``None`` for the rest (and for zero gradients). :func:`nondiff` marks non-differentiable ops. ``cases``
    drive the generated tests; an op with none fails the registry test. ``linear`` says in which arguments the
    op is linear (:class:`Linear`; ``None``: treated as non-linear, which is always safe).
    """

    name: str
    kind: OpKind
    arity: int | None
    shape_rule: ShapeRule
    dtype_rule: DTypeRule
    attrs: tuple[AttrSpec, ...] = ()
    vjp: VJPRule | None = None
    cases: tuple[Case, ...] = ()
    doc: str = ""
    commutative: bool = False
    linear: Linear | None = None

    def check_attrs(self, given: Mapping[str, Any]) -> Attrs:
        """Validate and canonicalise attributes against the schema; raises :class:`AttrError`."""
        known = {a.name for a in self.attrs}
        extra = sorted(set(given) - known)
        if extra:
            raise AttrError(f"{self.name}: unknown attribute(s) {', '.join(map(repr, extra))}")
        out = Attrs()
        for spec in self.attrs:
            if spec.name in given:
                raw = given[spec.name]
            elif spec.default is REQUIRED:
                raise AttrError(f"{self.name}: missing required attribute {spec.name!r}")
            else:
                raw = spec.default
            try:
                val = raw if raw is None and spec.default is None else ATTR_KINDS[spec.kind](raw)
            except (TypeError, ValueError) as e:
                raise AttrError(f"{self.name}: attribute {spec.name}={raw!r} is invalid ({e})") from None
            dict.__setitem__(out, spec.name, val)
        return out


_REGISTRY: dict[str, OpDef] = {}


def register(op: OpDef) -> OpDef:
    """Add an op to the registry; a second record under the same name is a programming error."""
    if op.name in _REGISTRY:
        raise ValueError(f"op {op.name!r} registered twice")
    _REGISTRY[op.name] = op
    return op


def get_op(name: str) -> OpDef:
    """Look up an op by name; raises :class:`UnknownOpError` listing near names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        import difflib

        near = difflib.get_close_matches(str(name), list(_REGISTRY), n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise UnknownOpError(f"unknown op {name!r}{hint}") from None


def all_ops() -> dict[str, OpDef]:
    """A snapshot of the registry, name → record."""
    return dict(_REGISTRY)

"""graphc's exception hierarchy.

Every error a user can provoke is a :class:`GraphcError`. Messages name the op (or feed, or pass), the shapes
involved and the user's ``file:line`` so a mistake can be found without reading a traceback from deep inside
NumPy or JAX.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphc.ir.source import SourceLoc


class GraphcError(Exception):
    """Base class of every error graphc raises on purpose."""

    def __init__(self, message: str, *, loc: SourceLoc | None = None) -> None:
        self.loc = loc
        self.bare_message = message
        super().__init__(f"{message} (at {loc})" if loc is not None else message)


class ShapeError(GraphcError, ValueError):
    """Input shapes that an op cannot accept (bad broadcast, matmul mismatch, bad axis, bad reshape)."""


class DTypeError(GraphcError, TypeError):
    """Input dtypes that an op cannot accept, or an unknown dtype."""


class AttrError(GraphcError, ValueError):
    """A missing, unknown or ill-typed op attribute."""


class UnknownOpError(GraphcError, KeyError):
    """An op name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return Exception.__str__(self)


class GraphBuildError(GraphcError, ValueError):
    """Misuse of the graph builder: values from two graphs mixed, no active graph, duplicate names."""


class FeedError(GraphcError, ValueError):
    """A missing, extra, wrongly shaped or wrongly typed array fed to an executable."""


class VerifyError(GraphcError):
    """The verifier found a structurally broken graph (SSA, order, types)."""


class GradError(GraphcError, ValueError):
    """Autodiff cannot differentiate what was asked (non-scalar loss, integer wrt, missing VJP)."""


class LoweringError(GraphcError):
    """A backend cannot lower a node (no lowering registered for the op)."""


class PassError(GraphcError):
    """A pass failed or produced a broken graph; the message names the pass."""


class CheckpointError(GraphcError, ValueError):
    """A checkpoint file that is corrupt, truncated or does not match the model."""


class ModelFileError(GraphcError):
    """A model file given to the CLI that does not expose a graph the documented way."""

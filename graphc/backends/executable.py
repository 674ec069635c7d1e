"""The compiled-function interface every backend shares.

An :class:`Executable` takes arrays by input name and returns the outputs in the structure they were asked for
(one value, a list or a dict). It checks feeds before computing, binds symbolic dimensions, and caches one
specialised function per concrete input signature (as ``jax.jit`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from graphc.backends import feeds as feed_checks
from graphc.backends.program import Program
from graphc.errors import FeedError
from graphc.gcpause import gc_paused
from graphc.ir.types import Sym

Specialised = Callable[..., tuple[Any, ...]]


def tuple_getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """``container -> (container[k] for k in keys)`` as a tuple, whatever the number of keys (``itemgetter``,
    so the lookups run in C; ``itemgetter`` alone returns a bare item for one key)."""
    if len(keys) >= 2:
        return itemgetter(*keys)
    if keys:
        only = keys[0]
        return lambda container: (container[only],)
    return lambda container: ()


class Executable:
    """Base class: subclasses implement :meth:`specialise` (one compiled function per input signature)."""

    backend = "abstract"

    def __init__(self, program: Program, donate: tuple[str, ...] = ()) -> None:
        """``donate`` names inputs whose buffers the caller gives up (a training step's state): backends may
        reuse them for outputs, so the caller must not read a donated array after the call."""
        self.program = program
        unknown = set(donate) - {v.name for v in program.graph.inputs}
        if unknown:
            raise FeedError(f"donate: no inputs named {', '.join(sorted(map(repr, unknown)))}")
        self.donate = frozenset(donate)
        self.pipeline: Any = None  # the optimisation record (graphc.passes.PipelineResult), set by compile
        self.input_names: list[str] = program.input_names
        self._dtypes = tuple(v.dtype.numpy for v in program.inputs)
        self._cache: dict[tuple[tuple[int, ...], ...], Specialised] = {}
        self._gather = tuple_getter(self.input_names)
        pack = program.pack
        self._pack: Callable[[tuple[Any, ...]], Any] = (
            (lambda r: r[0]) if program.structure == "single" else pack  # the hot path of single outputs
        )

    # -- calling -----------------------------------------------------------------------------------------------
    def __call__(self, feeds: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Any:
        """Run on ``feeds`` (a mapping from input name to array; keyword arguments work for plain names)."""
        return self._pack(self.run_flat(feeds, **kwargs))

    def run_flat(self, feeds: Mapping[str, Any] | None = None, /, **kwargs: Any) -> tuple[Any, ...]:
        """As calling the executable, but the outputs come back as one flat tuple in the order of
        ``program.outputs`` (for callers that unpack them anyway, such as a training step)."""
        fn, args = self.prepare(feeds, **kwargs)
        return fn(*args)

    def unchecked(self, feeds: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Specialised:
        """The function compiled for the signature (dtypes and shapes) of ``feeds``, compiling it now if need be,
        for a loop that feeds that one signature over and over.

        ``f(*arrays)`` takes the arrays positionally in :attr:`input_names` order and returns what
        :meth:`run_flat` returns, without the checks :meth:`run_flat` makes on every call (names, dtypes,
        shapes: on a 1 ms step about 6 µs, several times that when the caches are cold). ``feeds`` is checked
        as a call checks it; arrays of any other signature passed to ``f`` are the caller's error, which the
        backend may or may not detect. Donated inputs are consumed as by a call.
        """
        return self.prepare(feeds, **kwargs)[0]

    def prepare(self, feeds: Mapping[str, Any] | None = None, /, **kwargs: Any) -> tuple[Specialised, Any]:
        """The feeds checked as a call checks them (names; dtypes, converting Python numbers and lists) and the
        function compiled for their shapes, compiling it now if need be: ``(function, arrays in input order)``."""
        if kwargs:
            feeds = {**feeds, **kwargs} if feeds else kwargs
        elif feeds is None:
            feeds = {}
        try:
            args: Any = self._gather(feeds)
        except (KeyError, TypeError):
            feed_checks.check_names(self.input_names, feeds if isinstance(feeds, Mapping) else {})
            raise FeedError(f"feeds must be a mapping from input name to array, got {type(feeds).__name__}") from None
        return self._prepare_gathered(feeds, args)

    def _prepare_gathered(self, feeds: Mapping[str, Any], args: Any) -> tuple[Specialised, Any]:
        """:meth:`prepare` once ``args`` holds ``feeds`` gathered in input order."""
        if len(feeds) != len(self.input_names):
            feed_checks.check_names(self.input_names, feeds)
        try:
            key = tuple([a.shape for a in args])
            ok = tuple([a.dtype for a in args]) == self._dtypes
        except AttributeError:  # Python numbers or lists among the feeds
            ok = False
        if not ok:
            args = [feed_checks.coerce(v, a) for v, a in zip(self.program.inputs, args, strict=True)]
            key = tuple([a.shape for a in args])
        fn = self._cache.get(key)
        return (fn if fn is not None else self._build(key, args)), args

    def _build(self, key: tuple[tuple[int, ...], ...], args: Any) -> Specialised:
        binding = feed_checks.bind(self.program.inputs, args)  # reads .ndim/.shape only: no host copy
        with gc_paused():
            fn = self.specialise(binding)
        self._cache[key] = fn
        return fn

    @classmethod
    def donation_pays(cls, **options: Any) -> bool:
        """Whether executables compiled with ``options`` gain from donated inputs (``donate=``): a training step
        donates its state only where this holds, unless told otherwise. The base answer is yes."""
        return True

    # -- for subclasses ----------------------------------------------------------------------------------------
    def specialise(self, binding: dict[Sym, int]) -> Specialised:
        """Compile the program for one binding of its symbols; returns ``f(*arrays) -> tuple of outputs``."""
        raise NotImplementedError

    @property
    def signatures(self) -> list[tuple[tuple[int, ...], ...]]:
        """The input signatures compiled so far."""
        return list(self._cache)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self.program.graph.name!r}: inputs {self.input_names}, "
                f"{len(self.program.nodes)} nodes, {len(self._cache)} specialisation(s)>")

"""Calling an executable over and over with part of its inputs carried over from its own outputs.

A training loop feeds a step its state and a batch, and the next call gets the new state the last call returned.
The state's arrays come out of the program itself, so their dtypes and shapes are known to be right: checking
them again on every call, and moving them through dictionaries, is pure overhead. :class:`Carried` holds the
carried arrays in argument order, checks only what is fed (names, dtypes, shapes: the same
:class:`~graphc.errors.FeedError` as a call) and puts each output back in its input's slot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphc.backends import feeds as feed_checks
from graphc.backends.executable import Executable, Specialised, tuple_getter
from graphc.errors import FeedError


class Carried:
    """``executable`` with the inputs named in ``values`` carried: each call returns all outputs, as
    :meth:`Executable.run_flat` does, and input ``name`` is then replaced by output ``feedback[name]``.

    Every carried input needs a static shape and a feedback output of exactly its type, so what comes back can
    go in again unchecked. The arrays in ``values`` are checked once, here; donated inputs are consumed by each
    call as by a plain call (on NumPy the state is updated in place).
    """

    def __init__(self, executable: Executable, values: Mapping[str, Any], feedback: Mapping[str, int]) -> None:
        program = executable.program
        inputs = {v.name: v for v in program.inputs}
        names = executable.input_names
        if set(values) != set(feedback):
            raise FeedError("carried inputs and their feedback outputs must name the same inputs")
        for name, index in feedback.items():
            v = inputs.get(name)
            if v is None:
                raise FeedError(f"carried input {name!r} is not an input (inputs: {names})")
            if not 0 <= index < len(program.outputs) or program.outputs[index].type != v.type:
                raise FeedError(f"carried input {name!r} ({v.type}) needs an output of the same type to carry")
            if not all(isinstance(d, int) for d in v.shape):
                raise FeedError(f"carried input {name!r} has a symbolic shape {v.type}: only static shapes carry")
        self.executable = executable
        self.carried_names = [n for n in names if n in feedback]
        self.fed_names = [n for n in names if n not in feedback]
        carried = [inputs[n] for n in self.carried_names]
        # Arrays of the right dtype are kept as they are (a device array stays on its device).
        arrays = [a if getattr(a, "dtype", None) == v.dtype.numpy and hasattr(a, "shape")
                  else feed_checks.coerce(v, a) for v, a in zip(carried, map(values.__getitem__, self.carried_names),
                                                                strict=True)]
        feed_checks.bind(carried, arrays)  # static shapes: checks each array's shape
        self.run, self._current = self._runner(tuple(arrays), tuple(inputs[n].dtype.numpy for n in self.fed_names),
                                               feedback)

    @property
    def values(self) -> dict[str, Any]:
        """The carried inputs' current arrays, by name (after a call: the outputs fed back)."""
        return dict(zip(self.carried_names, self._current(), strict=True))

    def __call__(self, feeds: Mapping[str, Any]) -> tuple[Any, ...]:
        """Run with ``feeds`` for the inputs that are not carried; returns every output in program order (the
        same as :attr:`run`, which a loop may hold on to and call directly)."""
        return self.run(feeds)

    def _runner(self, carried: tuple[Any, ...], fed_dtypes: tuple[Any, ...], feedback: Mapping[str, int]
                ) -> tuple[Callable[[Mapping[str, Any]], tuple[Any, ...]], Callable[[], tuple[Any, ...]]]:
        """The per-call function and a reader of the carried arrays. A closure, not a method: everything a call
        touches is a local or a cell rather than an attribute (a dictionary lookup each, on a path that runs once
        per training step). Calls must not overlap (one loop drives it), as for any planned NumPy executable."""
        names = self.executable.input_names
        gather = tuple_getter(self.fed_names)
        order = self.fed_names + self.carried_names
        arrange = tuple_getter([order.index(n) for n in names])  # (fed..., carried...) into input order
        take_back = tuple_getter([feedback[n] for n in self.carried_names])
        fns: dict[tuple[tuple[int, ...], ...], Specialised] = {}
        slow = self._compile

        def run(feeds: Mapping[str, Any]) -> tuple[Any, ...]:
            nonlocal carried
            try:
                fed = gather(feeds)
                fn = fns.get(tuple([a.shape for a in fed])) if len(feeds) == len(fed) and \
                    tuple([a.dtype for a in fed]) == fed_dtypes else None
            except (KeyError, TypeError, AttributeError):  # missing names, not a mapping, numbers or lists
                fn = None
            if fn is None:
                fn, fed = slow(feeds)
                fns[tuple([a.shape for a in fed])] = fn
            out = fn(*arrange(fed + carried))
            carried = take_back(out)
            return out

        def current() -> tuple[Any, ...]:
            return carried

        return run, current

    def _compile(self, feeds: Mapping[str, Any]) -> tuple[Specialised, tuple[Any, ...]]:
        """The checked path: ``feeds`` checked as a call checks them (converting numbers and lists) and the
        function for their signature; ``(function, fed arrays)``."""
        if not isinstance(feeds, Mapping):
            raise FeedError(f"feeds must be a mapping from input name to array, got {type(feeds).__name__}")
        clash = sorted(set(feeds) & set(self.carried_names))
        if clash:
            raise FeedError(f"feed(s) {', '.join(map(repr, clash))} are carried from the previous call: "
                            f"feed only {self.fed_names}")
        feed_checks.check_names(self.fed_names, feeds)
        fn, args = self.executable.prepare({**feeds, **self.values})
        names = self.executable.input_names
        return fn, tuple(args[names.index(n)] for n in self.fed_names)

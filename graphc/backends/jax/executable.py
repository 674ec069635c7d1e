"""The JAX backend's executable: the whole program as one jitted XLA computation per input signature."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
from jax import lax
from jax.sharding import Mesh, SingleDeviceSharding

from graphc.backends import feeds as feed_checks
from graphc.backends.executable import Executable, Specialised
from graphc.backends.jax.devices import DeviceSpec, donation_pays, platforms, resolve_device
from graphc.backends.jax.lowering import LowerCtx
from graphc.backends.jax.sharding import DataParallel, plan_data_parallel
from graphc.backends.jax.tracing import check_lowerable, function_name, make_function, needs_x64
from graphc.backends.program import Program
from graphc.errors import FeedError, GraphcError
from graphc.ir.types import Sym

BindingKey = tuple[tuple[str, int], ...]

try:  # the config state is also a context manager (a thread-local override) in current JAX
    x64_mode: Callable[[bool], Any] = jax.enable_x64  # type: ignore[attr-defined,unused-ignore]
except AttributeError:  # older JAX (pyproject allows >= 0.4.30) had it under experimental
    from jax.experimental import enable_x64 as x64_mode  # type: ignore[no-redef,attr-defined,unused-ignore]


class JaxExecutable(Executable):
    """Runs a program as one jitted XLA computation, compiled once per input signature.

    Options (all keyword-only):

    * ``device`` — where to run: a ``jax.Device``, an index into ``jax.devices()`` or a string such as
      ``"cpu"``, ``"gpu"``, ``"gpu:1"``; ``None`` (default) is JAX's default device, a GPU when one is
      present. Inputs on other devices (or on the host) are transferred; results live on the chosen device.
    * ``donate`` — names of inputs whose buffers XLA may reuse for outputs (``donate_argnums``): a training
      step donates parameters and optimizer state, as it returns their new values. After a call, a donated
      *JAX array* fed in is deleted and must not be fed again (doing so raises :class:`FeedError`); donated
      NumPy arrays are copied to the device first and stay intact. Unknown names raise :class:`FeedError`.
    * ``data_parallel`` / ``mesh`` / ``batch_inputs`` — run data-parallel through XLA SPMD: the batch inputs
      are split along axis 0 over the devices of ``mesh`` (default: a 1-D mesh of all devices), everything
      else is replicated; see :mod:`graphc.backends.jax.sharding`. Passing ``mesh`` or ``batch_inputs``
      implies ``data_parallel=True``. A batch whose size is not a multiple of the device count runs
      replicated instead (same results). Cannot be combined with ``device``.
    * ``matmul_precision`` — ``jax.lax.Precision`` (or its name) of every ``matmul``: ``"highest"`` (default)
      computes float32 products in float32 on every platform, matching the NumPy backend; ``"default"`` lets
      XLA use faster reduced-precision units (TF32 on recent NVIDIA GPUs).
    * ``channels_last`` — lower convolution networks channels-last (NHWC convolutions, pooling as reshapes;
      :mod:`graphc.backends.jax.layout`), which takes W3 from 0.58× to 0.36× hand NumPy on XLA:CPU; ``False`` keeps the
      IR's NCHW layout (``lax.conv_general_dilated``/``reduce_window``) and leaves layouts to XLA. ``None``
      (default): on when running on CPU; off elsewhere, where it has not been measured.

    Results are ``jax.Array`` values (in the structure the outputs were asked for); ``np.asarray(result)``
    gives a NumPy array (copying from the device when needed). Feeds are checked — names, dtypes, shapes,
    symbol agreement — before any op is lowered, and raise :class:`FeedError`: host feeds in Python before
    the call, device arrays (the fast path of a training loop) as the trace of a new signature begins.

    64-bit values: graphs that contain int64 or float64 values run with JAX's 64-bit mode switched on for the
    call only (``jax.enable_x64`` as a context, so the process-wide JAX setting is never changed); 32-bit
    graphs run untouched. Every constant graphc emits is typed, so float32 stays float32 either way.
    """

    backend = "jax"

    def __init__(
        self,
        program: Program,
        *,
        device: DeviceSpec = None,
        donate: Sequence[str] = (),
        data_parallel: bool = False,
        mesh: Mesh | None = None,
        batch_inputs: Sequence[str] | None = None,
        matmul_precision: str | lax.Precision | None = "highest",
        channels_last: bool | None = None,
    ) -> None:
        # the base class checks the donated names (FeedError for names the graph lacks) and keeps them
        super().__init__(program, (donate,) if isinstance(donate, str) else tuple(donate))
        check_lowerable(program)  # fail at compile() time, not at the first call
        self.device: jax.Device | None = resolve_device(device)
        self._donate_argnums = tuple(i for i, n in enumerate(self.input_names) if n in self.donate)
        self.data_parallel: DataParallel | None = None
        if data_parallel or mesh is not None or batch_inputs is not None:
            if device is not None:
                raise GraphcError("device= and data-parallel exclude each other (mesh= picks devices)")
            self.data_parallel = plan_data_parallel(program, mesh=mesh, batch_inputs=batch_inputs)
        try:
            precision = None if matmul_precision is None else lax.Precision(matmul_precision)
        except ValueError:
            raise GraphcError(f"matmul_precision={matmul_precision!r} is not a jax.lax.Precision") from None
        self._precision = precision
        if channels_last is None:
            mesh = self.data_parallel.mesh if self.data_parallel is not None else None
            channels_last = platforms(self.device, mesh) == {"cpu"}
        self.channels_last = bool(channels_last)
        self._x64 = needs_x64(program)
        self._jitted: dict[BindingKey, Any] = {}  # data-parallel only: one jit per binding
        # One jitted function for every input signature when no sharding depends on the batch size: jax.jit's
        # C++ dispatch then recognises a signature it has seen, and the per-call Python work drops to a dict
        # lookup per feed (see run_flat). Data-parallel shardings depend on the binding: one jit per binding.
        self._retracing = None if self.data_parallel is not None else self._retracing_jit()
        self._retracing_runner = None if self._retracing is None else self._runner(self._retracing)
        self._fast = None if self._x64 else self._retracing_runner

    @classmethod
    def donation_pays(cls, **options: Any) -> bool:
        """Only off CPU: see :func:`graphc.backends.jax.devices.donation_pays`."""
        return donation_pays(options.get("device"), options.get("mesh"))

    # -- compiling -------------------------------------------------------------------------------------------
    def run_flat(self, feeds: Mapping[str, Any] | None = None, /, **kwargs: Any) -> tuple[Any, ...]:
        """Run on ``feeds``, as :meth:`Executable.run_flat`.

        Fast path: when every feed is a ``jax.Array`` (a training step's own outputs fed back, device-resident
        batches), the feeds go straight to the jitted function. Its dispatch checks the signature in C++; a new
        signature is traced, and tracing starts with the same dtype and shape checks, raising the same
        :class:`FeedError` before any op is lowered. Anything else (host arrays, Python numbers, wrong names)
        takes the base path, which checks and converts first.
        """
        fast = self._fast
        if fast is not None and not kwargs and type(feeds) is dict and len(feeds) == len(self.input_names):
            try:
                args = self._gather(feeds)
            except KeyError:
                pass
            else:
                if all(isinstance(a, jax.Array) for a in args):
                    return fast(*args)  # type: ignore[no-any-return]
                fn, args = self._prepare_gathered(feeds, args)  # host arrays among them: checked, not re-gathered
                return fn(*args)
        return super().run_flat(feeds, **kwargs)

    def _retracing_jit(self) -> Any:
        """``jax.jit`` of the program for whatever signature it is called with: each trace checks the feeds'
        dtypes and shapes (graphc errors), binds the symbols from the traced shapes and lowers for them."""
        program, precision, channels_last = self.program, self._precision, self.channels_last

        def traced(*args: Any) -> tuple[Any, ...]:
            for v, a in zip(program.inputs, args, strict=True):
                feed_checks.check_dtype(v, a.dtype)
            binding = feed_checks.bind(program.inputs, args)
            assert self._retracing_runner is not None
            self._cache.setdefault(tuple(a.shape for a in args), self._retracing_runner)  # for .signatures
            return make_function(program, binding, LowerCtx(binding, precision, channels_last))(*args)

        traced.__name__ = function_name(program)
        options: dict[str, Any] = {}
        if self._donate_argnums:
            options["donate_argnums"] = self._donate_argnums
        if self.device is not None:
            one = SingleDeviceSharding(self.device)
            options["in_shardings"] = (one,) * len(program.inputs)
            options["out_shardings"] = (one,) * len(program.outputs)
        return jax.jit(traced, **options)

    def specialise(self, binding: dict[Sym, int]) -> Specialised:
        if self._retracing_runner is not None:
            return self._retracing_runner
        # Data-parallel: the shardings depend on the batch size, so one jit per binding.
        program, plan = self.program, self.data_parallel
        assert plan is not None
        fn = make_function(program, binding, LowerCtx(binding, self._precision, self.channels_last))
        options: dict[str, Any] = {}
        if self._donate_argnums:
            options["donate_argnums"] = self._donate_argnums
        options["in_shardings"], options["out_shardings"] = plan.shardings(program, binding)
        jitted = jax.jit(fn, **options)
        self._jitted[_key(binding)] = jitted
        return self._runner(jitted)

    def _runner(self, jitted: Callable[..., tuple[Any, ...]]) -> Specialised:
        names = self.input_names
        enable_x64 = x64_mode

        # Two closures rather than one with a flag: this call path is the backend's whole per-step overhead.
        if self._x64:

            def run_x64(*args: Any) -> tuple[Any, ...]:
                try:
                    with enable_x64(True):
                        return jitted(*args)
                except GraphcError as e:
                    raise _as_raised_by_graphc(e) from None
                except Exception:
                    _raise_if_deleted(names, args)
                    raise

            return run_x64

        def run(*args: Any) -> tuple[Any, ...]:
            try:
                return jitted(*args)
            except GraphcError as e:
                raise _as_raised_by_graphc(e) from None
            except Exception:
                _raise_if_deleted(names, args)
                raise

        return run

    def _build(self, key: tuple[tuple[int, ...], ...], args: list[Any]) -> Specialised:
        # The base class binds symbols from host copies of the feeds; a deleted (donated) array must become a
        # FeedError before that copy fails inside JAX.
        _raise_if_deleted(self.input_names, args)
        return super()._build(key, args)

    # -- inspection ------------------------------------------------------------------------------------------
    def lower(self, feeds: Mapping[str, Any]) -> jax.stages.Lowered:
        """The ``jax.stages.Lowered`` computation for the signature of ``feeds``, without running it.

        ``.as_text()`` gives the StableHLO; ``.compile()`` the XLA executable (``.cost_analysis()``…). Feeds
        are checked as for a call and raise :class:`FeedError`.
        """
        feed_checks.check_names(self.input_names, feeds)
        _raise_if_deleted(self.input_names, [feeds[n] for n in self.input_names])
        args = [feed_checks.coerce(v, feeds[v.name]) for v in self.program.inputs]  # type: ignore[index]
        binding = feed_checks.bind(self.program.inputs, args)
        jitted = self._retracing if self._retracing is not None else self._jitted.get(_key(binding))
        if jitted is None:  # data-parallel, binding not compiled yet
            self._build(tuple(a.shape for a in args), args)
            jitted = self._jitted[_key(binding)]
        if self._x64:
            with x64_mode(True):
                return jitted.lower(*args)  # type: ignore[no-any-return]
        return jitted.lower(*args)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        where = (f"data-parallel over {self.data_parallel.size} device(s)" if self.data_parallel is not None
                 else str(self.device) if self.device is not None else "default device")
        return f"{super().__repr__()[:-1]}, {where}>"


def _key(binding: Mapping[Sym, int]) -> BindingKey:
    return tuple(sorted((s.name, n) for s, n in binding.items()))


def _as_raised_by_graphc(e: GraphcError) -> GraphcError:
    """A graphc error raised while jax traced a new signature (the feed checks that start each trace), without
    the traceback-filtering note and the frames jax adds: the user sees what the NumPy backend raises."""
    notes = getattr(e, "__notes__", None)
    if notes:
        e.__notes__ = [n for n in notes if "JAX_TRACEBACK_FILTERING" not in n]
    return e.with_traceback(None)


def _raise_if_deleted(names: Sequence[str], args: Sequence[Any]) -> None:
    """Turn a deleted (donated) JAX array among the feeds into a :class:`FeedError` naming the input."""
    for name, a in zip(names, args, strict=True):
        if isinstance(a, jax.Array) and a.is_deleted():
            raise FeedError(
                f"feed {name!r}: the array was deleted, most likely donated to an earlier call (see "
                "donate=); feed the new value that call returned"
            ) from None

"""The XLA backend through JAX: each program becomes one ``jax.jit``-ed function of ``jax.numpy``/``jax.lax``
calls.

Importing this package imports JAX; nothing else in graphc does. ``graphc.compile(outputs, backend="jax")``
builds a :class:`JaxExecutable` (see it for the options: ``device``, ``donate``, data parallelism, matmul
precision, channels-last layout on CPU). Results are ``jax.Array`` values; ``np.asarray`` turns them into NumPy arrays.
"""

from graphc.backends.jax import lowering_channels_last as _lowering_cl  # noqa: F401 - adds channels-last conv/pool
from graphc.backends.jax import lowering_conv as _lowering_conv  # noqa: F401 - adds conv/pool/random lowerings
from graphc.backends.jax import lowering_scan as _lowering_scan  # noqa: F401 - adds the scan lowering
from graphc.backends.jax.executable import JaxExecutable
from graphc.backends.jax.lowering import TABLE as LOWERINGS
from graphc.backends.jax.sharding import DataParallel, default_mesh, plan_data_parallel

__all__ = ["LOWERINGS", "DataParallel", "JaxExecutable", "default_mesh", "plan_data_parallel"]

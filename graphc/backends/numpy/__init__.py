"""The NumPy (CPU) backend."""

from graphc.backends.numpy import lowering_conv as _lowering_conv  # noqa: F401 - adds conv/pool/random lowerings
from graphc.backends.numpy import lowering_scan as _lowering_scan  # noqa: F401 - adds the scan lowering
from graphc.backends.numpy.executable import NumpyExecutable
from graphc.backends.numpy.lowering import TABLE as LOWERINGS

__all__ = ["LOWERINGS", "NumpyExecutable"]

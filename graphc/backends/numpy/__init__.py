"""The NumPy (CPU) backend."""

from graphc.backends.numpy.executable import NumpyExecutable
from graphc.backends.numpy.lowering import TABLE as LOWERINGS

__all__ = ["LOWERINGS", "NumpyExecutable"]

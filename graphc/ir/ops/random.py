"""Stateless, counter-based random numbers: ``random_uniform(key)``.

The randomness of a graph comes from explicit int32 *keys* (graph inputs, usually state that advances by one
per training step), never from hidden generator state, so running a step twice on the same state gives the same
numbers, and both backends give exactly the same numbers.

The generator hashes each element's row-major index ``i`` with the key and the op's ``salt`` (which tells
several random ops that share a key apart). All arithmetic is on uint32, wrapping::

    mix(x)   = x ^= x >> 16;  x *= 0x7FEB352D;  x ^= x >> 15;  x *= 0x846CA68B;  x ^= x >> 16   (lowbias32)
    s        = mix(key + mix(salt))                     per (key, salt) stream
    bits(i)  = mix(mix(i ^ s) + s)                      a bijection of i for every stream (no repeats)
    u(i)     = (bits(i) >> 8) · 2⁻²⁴                    in [0, 1), exact in float32 and float64

The reference implementation is :func:`graphc.backends.numpy.runtime_conv.random_uniform`.
"""

from __future__ import annotations

from graphc.ir.opdef import Attrs, AttrSpec, Case, OpDef, OpKind, RuleError, nondiff, register
from graphc.ir.ops import rules
from graphc.ir.types import format_shape


def _uniform_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (key,) = shapes
    if key != ():
        raise RuleError(f"the key must be a scalar, got {format_shape(key)}")
    if not 0 <= attrs["salt"] < 2**32:
        raise RuleError(f"salt must be in [0, 2**32), got {attrs['salt']}")
    return (attrs["shape"],)


def _uniform_dtype(dtypes: rules.DTypes, attrs: Attrs) -> rules.DTypes:
    if dtypes[0].name != "int32":
        raise RuleError(f"the key must be int32, got {dtypes[0]}")
    if not attrs["dtype"].is_float:
        raise RuleError(f"random_uniform makes floats, not {attrs['dtype']}")
    return (attrs["dtype"],)


register(OpDef(
    "random_uniform", OpKind.OPAQUE, 1, _uniform_shape, _uniform_dtype,
    (AttrSpec("shape", "dims"), AttrSpec("salt", "int", 0), AttrSpec("dtype", "dtype", "float32")), nondiff,
    (Case(((),), {"shape": (3, 4), "dtype": "float32"}, dtypes=("int32",), domain=("int:1000",), fd=False),
     Case(((),), {"shape": (2, 3, 5), "salt": 7, "dtype": "float32"}, dtypes=("int32",), domain=("int:9",), fd=False)),
    "uniform numbers in [0, 1) from an int32 key (counter-based hash, identical on every backend)",
))

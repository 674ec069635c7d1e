"""Choosing the JAX device an executable runs on.

graphc never hard-codes a platform: with no choice made, JAX's default device is used (a GPU when one is
present). A choice is a ``jax.Device``, an index into ``jax.devices()``, or a string ``"platform"`` /
``"platform:index"`` such as ``"cpu"``, ``"gpu:1"`` or ``"cuda:0"``.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import jax

from graphc.errors import GraphcError

DeviceSpec: TypeAlias = "jax.Device | str | int | None"


def resolve_device(spec: DeviceSpec) -> jax.Device | None:
    """The ``jax.Device`` that ``spec`` names, or ``None`` for "JAX's default device".

    Raises :class:`GraphcError` naming the available devices when ``spec`` names none of them.
    """
    if spec is None or isinstance(spec, jax.Device):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        return _pick(jax.devices(), spec, "jax.devices()")
    if not isinstance(spec, str):
        raise GraphcError(f"device= takes a jax.Device, an index or a string like 'gpu:0', got {spec!r}")
    platform, _, index = spec.strip().lower().partition(":")
    if index and not index.isdigit():
        raise GraphcError(f"device {spec!r}: the index after ':' must be a non-negative integer")
    try:
        devices = jax.devices(platform)
    except RuntimeError:
        raise GraphcError(f"device {spec!r}: no {platform!r} devices; available: {_available()}") from None
    return _pick(devices, int(index) if index else 0, repr(platform))


def donation_pays(device: DeviceSpec = None, mesh: Any = None) -> bool:
    """Whether donating a training step's state buffers helps on the device(s) it runs on.

    On accelerators it does: XLA writes the new state over the old, saving a copy and the old state's memory.
    On XLA:CPU a call with donated inputs waits for the buffers to be released, which costs more than the copy
    it saves (about 15% of a 1 ms MLP step here; see jax-ml/jax#16647), so a step running on CPU does not donate.
    """
    return "cpu" not in platforms(device, mesh)


def platforms(device: DeviceSpec = None, mesh: Any = None) -> set[str]:
    """The platforms (``"cpu"``, ``"gpu"``…) a computation placed by ``device`` or ``mesh`` runs on."""
    if mesh is not None:
        return {d.platform for d in mesh.devices.flat}
    chosen = resolve_device(device)
    return {chosen.platform if chosen is not None else jax.default_backend()}


def _pick(devices: list[Any], index: int, what: str) -> jax.Device:
    if not 0 <= index < len(devices):
        raise GraphcError(f"device index {index} is out of range: {what} has {len(devices)} device(s)")
    device: jax.Device = devices[index]
    return device


def _available() -> str:
    platforms = [jax.default_backend(), *(["cpu"] if jax.default_backend() != "cpu" else [])]
    return ", ".join(f"{p}:{i}" for p in platforms for i, _ in enumerate(jax.devices(p)))

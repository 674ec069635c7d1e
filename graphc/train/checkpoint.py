"""Checkpoints: training state saved as ``.npz`` (arrays only, never pickle), written atomically.

A checkpoint holds one array per state entry plus a JSON metadata record (format version, epoch, user extras).
Loading checks the archive is intact and, when a template state is given, that names, shapes and dtypes match;
any problem is a :class:`graphc.CheckpointError` naming the file and the entry.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from graphc.errors import CheckpointError

Array = np.ndarray[Any, Any]
FORMAT = "graphc-checkpoint-1"
_META_KEY = "__graphc_meta__"


def save_checkpoint(path: str | os.PathLike[str], state: Mapping[str, Array], meta: Mapping[str, Any] | None = None
                    ) -> None:
    """Write ``state`` (name → array) and JSON-serialisable ``meta`` to ``path`` atomically.

    The archive is written to a temporary file in the same folder and moved into place, so a crash never leaves
    a half-written checkpoint under ``path``.
    """
    path = os.fspath(path)
    if _META_KEY in state:
        raise CheckpointError(f"state may not contain the reserved name {_META_KEY!r}")
    record = {"format": FORMAT, **(meta or {})}
    payload = {f"s{i}": np.asarray(v) for i, v in enumerate(state.values())}
    record["names"] = list(state.keys())  # names live in JSON, so no name is ever used as a path or key
    payload[_META_KEY] = np.frombuffer(json.dumps(record).encode("utf-8"), dtype=np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ckpt-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_checkpoint(path: str | os.PathLike[str], like: Mapping[str, Array] | None = None
                    ) -> tuple[dict[str, Array], dict[str, Any]]:
    """Read ``(state, meta)`` from ``path``. With ``like``, names, shapes and dtypes must match it exactly."""
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if _META_KEY not in z.files:
                raise CheckpointError(f"{path}: not a graphc checkpoint (no metadata record)")
            meta = json.loads(bytes(z[_META_KEY]).decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("names"), list):
                found = meta.get("format") if isinstance(meta, dict) else meta
                raise CheckpointError(f"{path}: unknown checkpoint format {found!r}")
            names = meta.pop("names")
            state = {str(n): z[f"s{i}"] for i, n in enumerate(names)}
    except CheckpointError:
        raise
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except (zipfile.BadZipFile, ValueError, KeyError, OSError, EOFError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint ({type(e).__name__}: {e})") from None
    if like is not None:
        missing = sorted(set(like) - set(state))
        extra = sorted(set(state) - set(like))
        if missing or extra:
            raise CheckpointError(f"{path}: does not match the model: missing {missing}, unexpected {extra}")
        for k, ref in like.items():
            got = state[k]
            if got.shape != np.shape(ref) or got.dtype != np.asarray(ref).dtype:
                raise CheckpointError(f"{path}: entry {k!r} is {got.dtype}{list(got.shape)}, "
                                      f"the model expects {np.asarray(ref).dtype}{list(np.shape(ref))}")
    return state, meta

"""Output formats and the Graphviz ``dot`` program.

DOT text (``.dot``/``.gv``) is written by graphc itself and always works. Pictures (``.svg``, ``.png``,
``.pdf``) are laid out by the ``dot`` program; when it is missing, :class:`DotNotFoundError` says how to
install it (and that ``.dot`` works without it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import graphviz  # type: ignore[import-untyped]

from graphc.viz.errors import DotNotFoundError, RenderError

TEXT_FORMATS = ("dot", "gv")
IMAGE_FORMATS = ("svg", "png", "pdf")
FORMATS = TEXT_FORMATS + IMAGE_FORMATS


def dot_available() -> bool:
    """Whether the Graphviz ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def format_for(path: str | Path | None, fmt: str | None) -> str:
    """The output format: ``fmt`` if given, else the suffix of ``path``; raises :class:`RenderError` for an
    unknown format or a path without a suffix."""
    chosen = fmt if fmt is not None else (Path(path).suffix.lstrip(".") if path is not None else "")
    chosen = chosen.lower()
    if not chosen:
        raise RenderError(
            f"cannot tell the format of {str(path)!r}: give a suffix ({', '.join(FORMATS)}) or format="
        )
    if chosen not in FORMATS:
        raise RenderError(f"unknown format {chosen!r}; choose one of {', '.join(FORMATS)}")
    return chosen


def pipe(digraph: graphviz.Digraph, fmt: str) -> bytes:
    """The digraph laid out by ``dot`` as ``fmt`` bytes (DOT text for the text formats, without ``dot``).

    Raises :class:`DotNotFoundError` without the ``dot`` program, :class:`RenderError` when it fails.
    """
    if fmt in TEXT_FORMATS:
        return digraph.source.encode("utf-8")
    if fmt not in IMAGE_FORMATS:
        raise RenderError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not dot_available():
        raise DotNotFoundError(fmt)
    try:
        out = digraph.pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise DotNotFoundError(fmt) from None
    except (graphviz.CalledProcessError, subprocess.CalledProcessError) as e:
        stderr = e.stderr.decode("utf-8", "replace") if isinstance(e.stderr, bytes) else str(e.stderr)
        raise RenderError(f"`dot -T{fmt}` failed: {stderr.strip() or e}") from None
    return out if isinstance(out, bytes) else out.encode("utf-8")


def write(digraph: graphviz.Digraph, path: str | Path, fmt: str | None = None) -> Path:
    """Write the digraph to ``path`` in ``fmt`` (default: from the suffix); returns the path written.

    The file is written only once the output is complete, so a failed render leaves no half file.
    """
    target = Path(path)
    data = pipe(digraph, format_for(target, fmt))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target

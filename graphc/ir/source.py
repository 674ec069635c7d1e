"""Where in the user's code a node was made.

Every node records the first stack frame outside the graphc package, so errors and renders point at the line
the user wrote (``model.py:12``), not at graphc's internals.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


@dataclass(frozen=True, slots=True)
class SourceLoc:
    """A position in user code: file name, line number and function name."""

    file: str
    line: int
    function: str = ""

    def __str__(self) -> str:
        return f"{os.path.basename(self.file)}:{self.line}"

    @property
    def full(self) -> str:
        """``/abs/path/file.py:LINE in function``."""
        return f"{self.file}:{self.line} in {self.function}" if self.function else f"{self.file}:{self.line}"


UNKNOWN = SourceLoc("<unknown>", 0)


def capture() -> SourceLoc:
    """Return the location of the innermost caller outside the graphc package.

    Cheap (a frame walk, no ``inspect``), because it runs once per node built.
    """
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            return SourceLoc(filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back  # type: ignore[assignment]
    return UNKNOWN

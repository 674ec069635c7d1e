"""``--soak N`` runs the differential test on N random graphs instead of the fixed CI slice."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", type=int, default=0, help="random graphs for the differential pass test")

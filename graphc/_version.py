"""The single source of graphc's version number."""

__version__ = "0.1.0"

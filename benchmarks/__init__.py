"""Benchmark harness and reference implementations for graphc; run ``python benchmarks/run.py --help``.

This package must import nothing heavy at import time: `benchmarks.threads.pin_threads` has to run before
numpy, jax or torch is first imported.
"""

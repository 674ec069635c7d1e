"""The ``graphc`` command.

    graphc --version
    graphc print MODEL.py [--loc]          print the IR of the graph a model file builds
    graphc demo [--out DIR] [--backend B]  train the digits MLP, print its accuracy, write graph renders

A model file defines ``build()`` returning a graph (or its outputs), or a variable ``graph``; see
:mod:`graphc.modelfile`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from graphc._version import __version__
from graphc.errors import GraphcError


def _cmd_print(args: argparse.Namespace) -> int:
    from graphc.ir.printer import format_graph
    from graphc.modelfile import load_model_file

    graph = load_model_file(args.model)
    print(format_graph(graph, with_loc=args.loc))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from graphc.demo import run_demo

    run_demo(out=args.out, backend=args.backend, epochs=args.epochs, threads=args.threads)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="graphc", description="A static computation-graph compiler for neural networks.")
    ap.add_argument("--version", action="version", version=f"graphc {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("print", help="print the IR of the graph a model file builds")
    p.add_argument("model", help="a Python file defining build() (or a variable `graph`)")
    p.add_argument("--loc", action="store_true", help="append each node's source file:line")
    p.set_defaults(func=_cmd_print)

    d = sub.add_parser("demo", help="train the digits MLP and write forward/backward graph renders")
    d.add_argument("--out", default="graphc-out", help="folder for the renders (default: graphc-out)")
    d.add_argument("--backend", default="numpy", choices=["numpy", "jax"])
    d.add_argument("--epochs", type=int, default=40)
    d.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1: fastest for small models)")
    d.set_defaults(func=_cmd_demo)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help()
        return 2
    try:
        return int(args.func(args))
    except GraphcError as e:
        print(f"graphc: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

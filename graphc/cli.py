"""The ``graphc`` command.

    graphc --version
    graphc print MODEL.py [--loc] [--grad] [--after PASS] [--stats]
                                           print the IR of the graph a model file builds
    graphc render MODEL.py [--view forward|backward|joint] [-o OUT.svg] [--collapse] [--after PASS] [--unroll K]
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
    from graphc.modelfile import load_model_file, with_gradients

    graph = load_model_file(args.model)
    if args.grad:
        graph = with_gradients(graph, sys.stderr, asked_by="--grad")
    if args.after is None and not args.stats:
        print(format_graph(graph, with_loc=args.loc))
        return 0
    from graphc.passes import optimize

    keep = [args.after] if args.after else []
    result = optimize(graph, keep=keep, verify_each=True)
    if args.after:
        print(format_graph(result.snapshots[args.after], with_loc=args.loc))
    if args.stats:
        print(result.stats())
        print(memory_stats(result.graph, args.batch))
    return 0


def memory_stats(graph: object, batch: int) -> str:
    """The NumPy backend's memory plan for ``graph`` with every symbolic dimension bound to ``batch``."""
    from graphc.backends.numpy.kernels import supports_out
    from graphc.ir.graph import Graph
    from graphc.passes.memory import plan_memory

    assert isinstance(graph, Graph)
    syms = {d for v in graph.inputs for d in v.shape if not isinstance(d, int)}
    plan = plan_memory(graph.nodes, graph.inputs, graph.outputs, dict.fromkeys(syms, batch), frozenset(),
                       supports_out)
    return f"memory (symbols = {batch}): {plan.summary()}"


def _cmd_render(args: argparse.Namespace) -> int:
    from graphc.viz.cli import render_command

    render_command(args.model, args.view, args.out, args.format, args.collapse, args.depth, args.after,
                   unroll=args.unroll)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from graphc.demo import run_demo

    run_demo(out=args.out, backend=args.backend, epochs=args.epochs, threads=args.threads)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from graphc.passes import PASS_NAMES

    pipeline = ", ".join(PASS_NAMES)
    ap = argparse.ArgumentParser(prog="graphc", description="A static computation-graph compiler for neural networks.")
    ap.add_argument("--version", action="version", version=f"graphc {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("print", help="print the IR of the graph a model file builds")
    p.add_argument("model", help="a Python file defining build() (or a variable `graph`)")
    p.add_argument("--loc", action="store_true", help="append each node's source file:line")
    p.add_argument("--after", metavar="PASS", help="print the graph after this pass of the default pipeline "
                   f"({pipeline})")
    p.add_argument("--grad", action="store_true", help="with the gradients of the loss (the graph's one float "
                   "scalar output) with respect to every trainable parameter, unless the model built its own: "
                   "the backward graph, as `render --view joint` draws it")
    p.add_argument("--stats", action="store_true", help="per-pass time and node counts, and the memory plan")
    p.add_argument("--batch", type=int, default=32, help="size of symbolic dimensions for --stats (default 32)")
    p.set_defaults(func=_cmd_print)

    r = sub.add_parser("render", help="draw the graph a model file builds: forward, backward or joint view")
    r.add_argument("model", help="a Python file defining build() (or a variable `graph`)")
    r.add_argument("--view", default="forward", choices=["forward", "backward", "joint"])
    r.add_argument("-o", "--out", help="output file: .svg/.png/.pdf need Graphviz's `dot`, .dot always "
                   "works (default: MODEL-VIEW.svg, or .dot without `dot`)")
    r.add_argument("--format", choices=["dot", "gv", "svg", "png", "pdf"],
                   help="output format (default: from the suffix of --out)")
    r.add_argument("--collapse", action="store_true", help="draw each top-level name scope as one box")
    r.add_argument("--depth", type=int, help="keep N name-scope levels as clusters, collapse deeper ones")
    r.add_argument("--after", help="draw the graph as the pass pipeline leaves it after this pass "
                   f"(input, {pipeline})")
    r.add_argument("--unroll", type=int, metavar="K", help="draw each scan (loop) with its first K steps "
                   "inlined, the picture of backprop through time")
    r.set_defaults(func=_cmd_render)

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
    except BrokenPipeError:  # `graphc print … | head`: the reader left, which is not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

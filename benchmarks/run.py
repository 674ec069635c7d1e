"""Benchmark entry point; see benchmarks/README.md and shared/BENCHMARKS.md.

    python benchmarks/run.py --workload W1|W2|W3|W4|W5|C1|C2|F1|F128|all [--threads 1] [--iters N]
                             [--json OUT.json] [--md OUT.md] [--plot OUT.png] [--impls a,b,...]

Arguments are parsed and threads pinned before numpy (or anything importing it) is loaded: thread pools are
sized when the libraries start, so pinning afterwards would silently do nothing. Progress goes to stderr; the
Markdown table goes to stdout (and to --md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKLOAD_IDS = ("W1", "W2", "W3", "W4", "W5", "C1", "C2", "F1", "F128")
DEFAULT_ITERS = 50
MIN_ITERS = 30  # BENCHMARKS.md asks for at least 30 timed iterations


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py", description="Time graphc and the reference implementations."
    )
    parser.add_argument("--workload", required=True, choices=[*WORKLOAD_IDS, "all"], help="workload id or all")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="pin BLAS, XLA and torch to N threads and the process to N CPUs (default: library defaults)",
    )
    parser.add_argument(
        "--iters",
        type=int,
        default=DEFAULT_ITERS,
        help=f"timed iterations per implementation (default {DEFAULT_ITERS}; >= {MIN_ITERS} for results)",
    )
    parser.add_argument("--json", metavar="OUT.json", help="write results in the BENCHMARKS.md JSON layout")
    parser.add_argument("--md", metavar="OUT.md", help="write the Markdown table (also printed to stdout)")
    parser.add_argument("--plot", metavar="OUT.png", help="write a bar chart of ratios (needs matplotlib)")
    parser.add_argument(
        "--impls",
        metavar="NAME,...",
        default=None,
        help="run only these implementations (numpy_hand always runs: it is the reference)",
    )
    args = parser.parse_args(argv)
    if args.iters < 1:
        parser.error("--iters must be >= 1")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Run as a script, sys.path[0] is benchmarks/; the package imports (and graphc) need the repo root.
    if sys.path and Path(sys.path[0] or ".").resolve() == REPO_ROOT / "benchmarks":
        sys.path[0] = str(REPO_ROOT)
    elif str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))

    from benchmarks import threads
    from benchmarks.allocator import steady_heap

    if args.threads is not None:
        threads.pin_threads(args.threads)
    heap_text = steady_heap()

    # Only now may numpy and the libraries load.
    from benchmarks import harness, report
    from benchmarks.protocol import REFERENCE_IMPL
    from benchmarks.providers import PROVIDERS
    from benchmarks.workloads import WORKLOADS

    if args.iters < MIN_ITERS:
        print(
            f"warning: --iters {args.iters} < {MIN_ITERS}: fine for a smoke test, not for results",
            file=sys.stderr,
        )
    selected = list(WORKLOAD_IDS) if args.workload == "all" else [args.workload]
    wanted = None if args.impls is None else {REFERENCE_IMPL, *args.impls.split(",")}
    all_impls = harness.collect_impls(PROVIDERS)
    if wanted is not None:
        known = {name for impls in all_impls.values() for name in impls}
        for name in sorted(wanted - known):
            print(f"warning: --impls names {name!r}, which no provider registers", file=sys.stderr)
    n_threads = threads.effective_threads()
    pin_text = f"{n_threads} (pinned)" if threads.pinned_threads() is not None else f"{n_threads} (library default)"

    results = []
    for wid in selected:
        factories = {name: f for name, f in all_impls.get(wid, {}).items() if wanted is None or name in wanted}
        print(f"{wid}: {', '.join(factories)}", file=sys.stderr)
        start = time.perf_counter()
        result = harness.run_workload(WORKLOADS[wid], factories, args.iters, n_threads)
        print(f"{wid}: check {result.check} ({time.perf_counter() - start:.1f} s)", file=sys.stderr)
        results.append(result)

    print(threads.blas_report(), file=sys.stderr)
    header = f"threads: {pin_text}; iters: {args.iters}; {heap_text}; {report.library_versions()}"
    markdown = report.to_markdown(results, header)
    print(markdown)
    if args.md:
        Path(args.md).write_text(markdown)
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(results), indent=2) + "\n")
    if args.plot:
        report.plot(results, args.plot, f"graphc benchmarks; threads {pin_text}")
    return 0 if all(r.check == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

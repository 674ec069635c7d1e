"""Turning `WorkloadResult`s into the JSON layout of shared/BENCHMARKS.md, a Markdown table and a PNG
chart."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from benchmarks.harness import WorkloadResult
from benchmarks.protocol import REFERENCE_IMPL

_VERSIONED_MODULES = ("numpy", "jax", "jaxlib", "torch", "pytensor")


def to_json(results: Sequence[WorkloadResult]) -> dict[str, Any]:
    """The BENCHMARKS.md layout: ``{id: {"threads", "check", "impls": {name: {...}}}}``.

    Timed workloads: ``median_ms``, ``min_ms``, ``max_ms``, ``n``, ``ratio`` (median / numpy_hand median, null
    without a numpy_hand timing). Compile workloads: ``seconds`` keyed by depth (as a string, JSON keys being
    strings).
    """
    out: dict[str, Any] = {}
    for r in results:
        impls: dict[str, Any] = {}
        if r.kind == "compile":
            for name, by_depth in r.seconds.items():
                impls[name] = {"seconds": {str(d): round(s, 6) for d, s in by_depth.items()}}
        else:
            for name, t in r.timings.items():
                ratio = r.ratio(name)
                impls[name] = {
                    "median_ms": round(t.median_ms, 4),
                    "min_ms": round(t.min_ms, 4),
                    "max_ms": round(t.max_ms, 4),
                    "n": len(t.times_ms),
                    "ratio": None if ratio is None else round(ratio, 4),
                }
        out[r.id] = {"threads": r.threads, "check": r.check, "impls": impls}
    return out


def library_versions() -> str:
    """Versions of the libraries this process loaded, e.g. ``numpy 2.4.6, jax 0.10.2``."""
    found = []
    for name in _VERSIONED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            found.append(f"{name} {getattr(module, '__version__', '?')}")
    return ", ".join(found)


def to_markdown(results: Sequence[WorkloadResult], header: str) -> str:
    """Markdown: one table for timed workloads, one for compile workloads, then checks and left-out impls."""
    lines = [f"### {header}", ""]
    timed = [r for r in results if r.kind == "time"]
    compiled = [r for r in results if r.kind == "compile"]
    if timed:
        lines += [
            f"| workload | implementation | median ms | min ms | max ms | n | ratio to {REFERENCE_IMPL} |",
            "|---|---|--:|--:|--:|--:|--:|",
        ]
        for r in timed:
            for name, t in r.timings.items():
                ratio = r.ratio(name)
                ratio_text = "-" if ratio is None else f"{ratio:.2f}"
                lines.append(
                    f"| {r.id} | {name} | {t.median_ms:.3f} | {t.min_ms:.3f} | {t.max_ms:.3f} "
                    f"| {len(t.times_ms)} | {ratio_text} |"
                )
        lines.append("")
    for r in compiled:
        depths = sorted({d for by_depth in r.seconds.values() for d in by_depth})
        lines += [
            f"| {r.id} implementation | " + " | ".join(f"depth {d}: s" for d in depths) + " |",
            "|---|" + "--:|" * len(depths),
        ]
        for name, by_depth in r.seconds.items():
            cells = [f"{by_depth[d]:.3f}" if d in by_depth else "-" for d in depths]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Trajectory checks (5 steps, relative 1e-5 to numpy_hand; W5 against float64):")
    lines += [f"- {r.id} ({r.title}): {r.check}" for r in results]
    left_out = [f"- {r.id} {name}: {why}" for r in results for name, why in r.skipped.items()]
    if left_out:
        lines += ["", "Left out:", *left_out]
    return "\n".join(lines) + "\n"


def plot(results: Sequence[WorkloadResult], path: str, title: str) -> None:
    """PNG: grouped bars of ratio to numpy_hand per timed workload (log scale), and C1 seconds against
    depth."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    timed = [r for r in results if r.kind == "time" and r.timings]
    compiled = [r for r in results if r.kind == "compile" and r.seconds]
    panels = int(bool(timed)) + len(compiled)
    if panels == 0:
        raise ValueError("nothing to plot")
    names: list[str] = []
    for r in results:
        names += [n for n in (*r.timings, *r.seconds) if n not in names]
    colour = {n: plt.get_cmap("tab10")(i % 10) for i, n in enumerate(names)}

    widths = ([max(6.0, 1.6 * len(timed))] if timed else []) + [5.0] * len(compiled)
    fig, axes = plt.subplots(1, panels, figsize=(sum(widths), 4.8), width_ratios=widths, squeeze=False)
    ax_iter = iter(axes[0])
    if timed:
        ax = next(ax_iter)
        timed_names = [n for n in names if any(n in r.timings for r in timed)]
        bar = 0.8 / len(timed_names)
        all_ratios: list[float] = []
        for k, name in enumerate(timed_names):
            xs, ys = [], []
            for i, r in enumerate(timed):
                ratio = r.ratio(name)
                if ratio is not None:
                    xs.append(i - 0.4 + bar * (k + 0.5))
                    ys.append(ratio)
            all_ratios += ys
            bars = ax.bar(xs, ys, bar, label=name, color=colour[name])
            ax.bar_label(bars, labels=[f"{y:.2f}" for y in ys], fontsize=6, rotation=90, padding=2)
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_yscale("log")
        # Room for the value labels above the tallest bar; plain tick labels instead of powers of ten.
        low, high = min(*all_ratios, 1.0) / 1.5, max(*all_ratios, 1.0) * 1.6
        ax.set_ylim(low, high)
        nice = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if low <= t <= high]
        ax.set_yticks(nice, [f"{t:g}" for t in nice])
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(range(len(timed)), [f"{r.id}{'' if r.check == 'ok' else ' (check!)'}" for r in timed])
        ax.set_ylabel(f"median time / {REFERENCE_IMPL} (lower is faster)")
        ax.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.07))  # below: never on a bar
    for r in compiled:
        ax = next(ax_iter)
        for name, by_depth in r.seconds.items():
            depths = sorted(by_depth)
            ax.plot(depths, [by_depth[d] for d in depths], marker="o", label=name, color=colour[name])
        all_depths = sorted({d for by_depth in r.seconds.values() for d in by_depth})
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(all_depths, [str(d) for d in all_depths])
        ax.minorticks_off()
        ax.set_xlabel("depth")
        ax.set_ylabel("build + compile + first call (s)")
        ax.set_title(r.id, fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)

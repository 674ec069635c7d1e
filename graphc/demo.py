"""``graphc demo``: build, print, train and draw the digits MLP — the tour of what graphc does."""

from __future__ import annotations

import os
import time

from graphc.threads import limit_blas_threads


def run_demo(out: str = "graphc-out", backend: str = "numpy", epochs: int = 40, threads: int | None = 1) -> float:
    """Train the 64-256-128-10 digits MLP, print progress and ``test accuracy: 0.9xxx`` last, and write the
    forward and backward graph renders to ``out`` (DOT always; SVG too when graphviz's ``dot`` is installed).
    Returns the test accuracy."""
    limit_blas_threads(threads)
    import graphc as gc
    from graphc.datasets import load_digits
    from graphc.ir.printer import format_graph
    from graphc.models import digits_mlp

    model = digits_mlp()
    g = model.graph
    print("forward graph:")
    print(format_graph(g, [model.loss, model.predictions]))  # type: ignore[list-item]

    data = load_digits(seed=0)
    print(f"training on {len(data.x_train)} digits ({backend} backend)...")
    t0 = time.perf_counter()
    result = gc.train.fit(model, (data.x_train, data.y_train), optimizer=gc.optim.Adam(1e-3), epochs=epochs,
                          batch_size=32, validation_split=0.1, backend=backend, seed=0,
                          early_stopping=gc.train.EarlyStopping(patience=8, monitor="val_accuracy"))
    n_back = sum(1 for n in g.nodes if n.tags.get("role") == "backward")
    print(f"trained {len(result.history['loss'])} epochs in {time.perf_counter() - t0:.1f} s; the train step "
          f"is one compiled graph of {len(g.nodes)} nodes ({n_back} backward)")

    os.makedirs(out, exist_ok=True)
    written = _write_renders(g, out)
    for path in written:
        print(f"wrote {path}")
    test = gc.train.Evaluator(model, backend)(result.state, {"x": data.x_test, "y": data.y_test})
    print(f"test accuracy: {test['accuracy']:.4f}")
    return float(test["accuracy"])


def _write_renders(graph: object, out: str) -> list[str]:
    from graphc.viz import save_views

    return [str(p) for p in save_views(graph, out)]  # type: ignore[arg-type]

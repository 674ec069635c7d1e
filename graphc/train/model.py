"""What training needs to know about a network: its fed inputs, targets, loss and predictions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from graphc import dsl as G
from graphc.errors import GraphBuildError
from graphc.ir.analysis import live_nodes, used_inputs
from graphc.ir.graph import Graph, Value

AccuracyKind = Literal["argmax", "binary"] | None


@dataclass
class Model:
    """A trainable network defined in one graph.

    ``inputs`` and ``targets`` are placeholders (fed from data), ``loss`` a float scalar, ``predictions`` the
    network's output (logits). ``params`` defaults to every trainable parameter the loss depends on.
    ``accuracy`` says how predictions compare with targets: ``"argmax"`` (class logits vs integer labels),
    ``"binary"`` (one logit vs 0/1 targets, threshold 0) or ``None``; by default it is inferred from the target
    dtype and the prediction shape.

    Train and eval modes: a network with dropout or batch norm is built twice into the graph from the same
    layers (``training=True`` and ``training=False``), sharing parameters. ``loss``/``predictions`` are the
    training-mode outputs (``metrics``, used by :class:`TrainStep`); ``eval_loss``/``eval_predictions`` the
    inference-mode ones (``eval_metrics``, used by :class:`Evaluator`). Without them both modes are the same.
    """

    loss: Value
    inputs: Sequence[Value]
    targets: Sequence[Value]
    predictions: Value | None = None
    params: Sequence[Value] | None = None
    accuracy: AccuracyKind | Literal["auto"] = "auto"
    eval_loss: Value | None = None
    eval_predictions: Value | None = None
    metrics: dict[str, Value] = field(default_factory=dict, init=False)
    eval_metrics: dict[str, Value] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        g = self.loss.graph
        self.inputs = list(self.inputs)
        self.targets = list(self.targets)
        for v in [*self.inputs, *self.targets]:
            if v.graph is not g or v.role != "placeholder":
                raise GraphBuildError(f"model inputs and targets must be placeholders of the loss's graph: {v!r}")
        if self.params is None:
            nodes = live_nodes(g, [self.loss])
            self.params = [v for v in used_inputs(g, nodes, [self.loss])
                           if v.role == "param" and v.param is not None and v.param.trainable]
        if not self.params:
            raise GraphBuildError("model has no trainable parameters that the loss depends on")
        self.metrics = {"loss": self.loss}
        kind = self._accuracy_kind()
        if kind is not None:
            with g.name_scope("metrics"):
                self.metrics["accuracy"] = _accuracy(kind, self.predictions, self.targets[0])  # type: ignore[arg-type]
        self.eval_metrics = self.metrics
        if self.eval_loss is not None or self.eval_predictions is not None:
            evals = [v for v in (self.eval_loss, self.eval_predictions) if v is not None]
            if self.eval_loss is None or (self.predictions is None) != (self.eval_predictions is None) \
                    or any(v.graph is not g for v in evals):
                raise GraphBuildError("give eval_loss (and eval_predictions when predictions are given) from the "
                                      "loss's graph")
            self.eval_metrics = {"loss": self.eval_loss}
            if kind is not None:
                with g.name_scope("eval_metrics"):
                    pred = self.eval_predictions
                    self.eval_metrics["accuracy"] = _accuracy(kind, pred, self.targets[0])  # type: ignore[arg-type]

    @property
    def graph(self) -> Graph:
        return self.loss.graph

    @property
    def feed_names(self) -> list[str]:
        return [v.name for v in [*self.inputs, *self.targets]]  # type: ignore[misc]

    def _accuracy_kind(self) -> AccuracyKind:
        if self.accuracy != "auto":
            return self.accuracy  # type: ignore[return-value]
        if self.predictions is None or len(self.targets) != 1:
            return None
        y, p = self.targets[0], self.predictions
        if y.dtype.is_int and p.ndim == y.ndim + 1:
            return "argmax"
        if p.shape == y.shape and p.dtype.is_float and (p.ndim == 1 or p.shape[-1] == 1):
            return "binary"
        if p.shape == y.shape and p.ndim >= 2:
            return "argmax"  # one-hot targets
        return None


def _accuracy(kind: str, pred: Value, target: Value) -> Value:
    with pred.graph.name_scope("accuracy"):
        if kind == "binary":
            hit = G.equal(G.greater(pred, 0.0), G.greater(G.cast(target, pred.dtype), 0.5))
        else:
            labels = target if target.dtype.is_int else G.argmax(target, -1)
            hit = G.equal(G.argmax(pred, -1), G.cast(labels, "int64"))
        return G.mean(G.cast(hit, "float32"))


def classifier(network: Callable[..., Value], x: Value, y: Value) -> Model:
    """A softmax classifier of ``x`` against integer labels ``y`` from a network with train/eval modes.

    ``network(x, training=...)`` is called twice into ``x``'s graph — in training mode for the train step and in
    inference mode for evaluation — so both share its parameters (see :mod:`graphc.nn.modes`).
    """
    from graphc.losses import softmax_cross_entropy

    logits, eval_logits = network(x, training=True), network(x, training=False)
    with x.graph:
        loss, eval_loss = softmax_cross_entropy(logits, y), softmax_cross_entropy(eval_logits, y)
    return Model(loss, inputs=[x], targets=[y], predictions=logits, eval_loss=eval_loss,
                 eval_predictions=eval_logits)

"""The fit loop: training, validation split, early stopping, history, checkpoints."""

from __future__ import annotations

import os

import numpy as np
import pytest

import graphc as gc
from graphc.nn import Dense
from graphc.train import EarlyStopping, fit, load_checkpoint, save_checkpoint


def _blobs(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n).astype(np.int32)
    centers = np.array([[2, 0], [-2, 0], [0, 2.5]], np.float32)
    x = (centers[y] + rng.standard_normal((n, 2)) * 0.6).astype(np.float32)
    return x, y


def _model() -> gc.train.Model:
    with gc.Graph("blobs"):
        x = gc.placeholder("x", (None, 2))
        y = gc.placeholder("y", (None,), "int32")
        logits = Dense(3, name="out")(Dense(16, "tanh", init="xavier_uniform", name="h")(x))
        loss = gc.losses.softmax_cross_entropy(logits, y)
    return gc.train.Model(loss, inputs=[x], targets=[y], predictions=logits)


def test_fit_learns_and_records_history() -> None:
    x, y = _blobs()
    r = fit(_model(), (x, y), optimizer=gc.optim.Momentum(0.1), epochs=15, batch_size=32, validation_split=0.2,
            progress=False)
    assert set(r.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 15 for v in r.history.values())
    assert r.history["loss"][-1] < r.history["loss"][0] / 3
    assert r.history["val_accuracy"][-1] > 0.9


def test_fit_is_reproducible_with_a_seed() -> None:
    x, y = _blobs()
    a = fit(_model(), (x, y), optimizer=gc.optim.SGD(0.1), epochs=3, seed=4, progress=False)
    b = fit(_model(), (x, y), optimizer=gc.optim.SGD(0.1), epochs=3, seed=4, progress=False)
    assert a.history == b.history
    for k in a.state:
        np.testing.assert_array_equal(a.state[k], b.state[k])


def test_early_stopping_stops_and_restores_best() -> None:
    x, y = _blobs()
    es = EarlyStopping(patience=2, monitor="val_loss")
    # A learning rate this large makes validation loss bounce, so patience runs out early.
    r = fit(_model(), (x, y), optimizer=gc.optim.SGD(5.0), epochs=60, validation_split=0.3, early_stopping=es,
            progress=False)
    assert r.stopped_epoch is not None and r.stopped_epoch < 59
    assert r.best_epoch is not None
    best = min(r.history["val_loss"])
    assert r.history["val_loss"][r.best_epoch] == best
    ev = gc.train.Evaluator(r.step.model)  # type: ignore[union-attr]
    n_val = round(len(x) * 0.3)
    got = ev(r.state, {"x": x[-n_val:], "y": y[-n_val:]})
    assert got["loss"] == pytest.approx(best, rel=1e-5)


def test_checkpoint_round_trip_and_resume(tmp_path: os.PathLike[str]) -> None:
    x, y = _blobs()
    path = os.path.join(tmp_path, "ck.npz")
    model = _model()
    r = fit(model, (x, y), optimizer=gc.optim.Adam(0.01), epochs=2, checkpoint=path, progress=False)
    state, meta = load_checkpoint(path, like=r.state)
    assert meta["epoch"] == 2
    for k in r.state:
        np.testing.assert_array_equal(state[k], r.state[k])
    r2 = fit(model, (x, y), optimizer=gc.optim.Adam(0.01), epochs=1, state=state, step=r.step, progress=False)
    assert r2.history["loss"][0] < r.history["loss"][0]
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".ckpt-")]  # no temporary left behind


def test_corrupt_and_mismatched_checkpoints_raise_clear_errors(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "ck.npz")
    state = {"w": np.ones((2, 2), np.float32), "evil/../name\n": np.zeros(3, np.float32)}
    save_checkpoint(path, state)
    loaded, _ = load_checkpoint(path)
    assert set(loaded) == set(state)
    with pytest.raises(gc.CheckpointError, match="missing"):
        load_checkpoint(path, like={"w": state["w"], "b": np.zeros(1)})
    with pytest.raises(gc.CheckpointError, match="entry 'w'"):
        load_checkpoint(path, like={"w": np.ones((3, 2), np.float32), "evil/../name\n": state["evil/../name\n"]})
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    with pytest.raises(gc.CheckpointError, match="corrupt"):
        load_checkpoint(path)
    with open(path, "wb") as f:
        f.write(b"not a zip at all")
    with pytest.raises(gc.CheckpointError):
        load_checkpoint(path)
    with pytest.raises(gc.CheckpointError, match="no such"):
        load_checkpoint(os.path.join(tmp_path, "nope.npz"))


def test_checkpoints_never_unpickle(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "obj.npz")
    np.savez(path, __graphc_meta__=np.frombuffer(b'{"format": "graphc-checkpoint-1", "names": ["a"]}', np.uint8),
             s0=np.array([object()], dtype=object))
    with pytest.raises(gc.CheckpointError):
        load_checkpoint(path)


def test_data_errors() -> None:
    x, y = _blobs()
    with pytest.raises(gc.FeedError, match="different lengths"):
        fit(_model(), (x, y[:10]), optimizer=gc.optim.SGD(0.1), epochs=1, progress=False)
    with pytest.raises(gc.FeedError, match="not an input"):
        fit(_model(), {"x": x, "label": y}, optimizer=gc.optim.SGD(0.1), epochs=1, progress=False)

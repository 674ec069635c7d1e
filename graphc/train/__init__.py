"""Training: models, the compiled train step, the fit loop and checkpoints."""

from graphc.train.checkpoint import load_checkpoint, save_checkpoint
from graphc.train.fit import EarlyStopping, Evaluator, FitResult, fit
from graphc.train.model import Model, classifier
from graphc.train.step import TrainStep

__all__ = ["EarlyStopping", "Evaluator", "FitResult", "Model", "TrainStep", "classifier", "fit", "load_checkpoint",
           "save_checkpoint"]

"""Optimizers (SGD, momentum/Nesterov, Adagrad, RMSProp, Adam) and learning-rate schedules, as IR builders."""

from graphc.optim import schedules
from graphc.optim.optimizers import SGD, Adagrad, Adam, Momentum, Optimizer, RMSProp

__all__ = ["SGD", "Adagrad", "Adam", "Momentum", "Optimizer", "RMSProp", "schedules"]

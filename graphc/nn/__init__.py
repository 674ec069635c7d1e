"""Layers that create parameters in their own name scope (scopes become clusters in renders)."""

from graphc.nn.activations import resolve as activation
from graphc.nn.conv import Conv2D
from graphc.nn.dense import Dense
from graphc.nn.dropout import Dropout
from graphc.nn.layer import Layer
from graphc.nn.normalization import BatchNorm
from graphc.nn.pool import AvgPool2D, Flatten, GlobalAvgPool, MaxPool2D
from graphc.nn.recurrent import GRU, LSTM, SimpleRNN
from graphc.nn.residual import ResidualBlock
from graphc.nn.sequential import Sequential

__all__ = ["GRU", "LSTM", "AvgPool2D", "BatchNorm", "Conv2D", "Dense", "Dropout", "Flatten", "GlobalAvgPool", "Layer",
           "MaxPool2D", "ResidualBlock", "Sequential", "SimpleRNN", "activation"]

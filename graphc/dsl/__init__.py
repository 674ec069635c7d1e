"""The user-facing graph builder: inputs, constants, operators and functions that emit IR nodes.

Every function here only *builds* nodes (running shape and dtype inference); none does numerical work.
"""

from graphc.dsl.builder import constant, graph_of, lift, lift_all, name_scope, parameter, placeholder
from graphc.dsl.conv import avg_pool2d, batch_norm, conv2d, global_avg_pool, max_pool2d, moments, pad
from graphc.dsl.elementwise import (
    abs,
    add,
    cast,
    div,
    elu,
    equal,
    exp,
    floor,
    greater,
    greater_equal,
    leaky_relu,
    less,
    less_equal,
    log,
    maximum,
    minimum,
    mul,
    neg,
    not_equal,
    one_hot,
    pow,
    relu,
    sigmoid,
    sign,
    sqrt,
    square,
    step,
    stop_gradient,
    sub,
    tanh,
    where,
)
from graphc.dsl.layout import (
    broadcast_to,
    concat,
    expand_dims,
    flatten,
    index,
    reshape,
    slice,
    sum_to,
    swap_last,
    transpose,
)
from graphc.dsl.linalg import matmul
from graphc.dsl.random import dropout, next_key, random_uniform, rng_key
from graphc.dsl.reduce import argmax, count, log_softmax, logsumexp, max, mean, softmax, softmax_xent, sum
from graphc.dsl.scan import scan
from graphc.dsl.state import state_updates, update_state

__all__ = [
    "abs", "add", "argmax", "avg_pool2d", "batch_norm", "broadcast_to", "cast", "concat", "constant", "conv2d",
    "count", "div", "dropout", "elu", "equal", "exp", "expand_dims", "flatten", "floor", "global_avg_pool",
    "graph_of", "greater", "greater_equal", "index", "leaky_relu", "less", "less_equal", "lift", "lift_all",
    "log", "log_softmax", "logsumexp", "matmul", "max", "max_pool2d", "maximum", "mean", "minimum", "moments",
    "mul", "name_scope", "neg", "next_key", "not_equal", "one_hot", "pad", "parameter", "placeholder", "pow",
    "random_uniform", "relu", "reshape", "rng_key", "scan", "sigmoid", "sign", "slice", "softmax", "softmax_xent",
    "sqrt", "square", "state_updates", "step", "stop_gradient", "sub", "sum", "sum_to", "swap_last", "tanh",
    "transpose", "update_state", "where",
]

"""The user-facing graph builder: inputs, constants, operators and functions that emit IR nodes.

Every function here only *builds* nodes (running shape and dtype inference); none does numerical work.
"""

from graphc.dsl.builder import constant, graph_of, lift, lift_all, name_scope, parameter, placeholder
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
from graphc.dsl.reduce import argmax, count, log_softmax, logsumexp, max, mean, softmax, sum

__all__ = [
    "abs", "add", "argmax", "broadcast_to", "cast", "concat", "constant", "count", "div", "elu", "equal", "exp",
    "expand_dims", "flatten", "floor", "graph_of", "greater", "greater_equal", "index", "leaky_relu", "less",
    "less_equal", "lift", "lift_all", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean",
    "minimum", "mul", "name_scope", "neg", "not_equal", "one_hot", "parameter", "placeholder", "pow", "relu", "reshape",
    "sigmoid", "sign", "slice", "softmax", "sqrt", "square", "step", "stop_gradient", "sub", "sum", "sum_to",
    "swap_last", "tanh", "transpose", "where",
]

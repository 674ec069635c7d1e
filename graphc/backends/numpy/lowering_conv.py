"""NumPy lowerings of the convolution, pooling, padding and random ops (kernels in :mod:`.runtime_conv`).

Importing this module adds the entries to :data:`graphc.backends.numpy.lowering.TABLE`. As everywhere in the
table, only validated ints reach the source (through :func:`ints`/:func:`int_`); dtypes and float payloads go
through the constant table.
"""

from __future__ import annotations

from graphc.backends.numpy.lowering import TABLE, LowerCtx, Lowering, int_, ints
from graphc.ir.graph import Node


def _geometry(node: Node, *names: str) -> str:
    return ", ".join(ints(node.attrs[k]) for k in names)


def _conv2d(node: Node, a: list[str], ctx: LowerCtx) -> str:
    return f"_rt.conv.conv2d({a[0]}, {a[1]}, {_geometry(node, 'stride', 'padding', 'dilation')})"


def _conv2d_input_grad(node: Node, a: list[str], ctx: LowerCtx) -> str:
    geo = _geometry(node, "input_hw", "stride", "padding", "dilation")
    return f"_rt.conv.conv2d_input_grad({a[0]}, {a[1]}, {geo})"


def _conv2d_kernel_grad(node: Node, a: list[str], ctx: LowerCtx) -> str:
    geo = _geometry(node, "kernel_hw", "stride", "padding", "dilation")
    return f"_rt.conv.conv2d_kernel_grad({a[0]}, {a[1]}, {geo})"


def _pool(fn: str, extra: tuple[str, ...] = ()) -> Lowering:
    def lower(node: Node, a: list[str], ctx: LowerCtx) -> str:
        return f"_rt.conv.{fn}({', '.join(a)}, {_geometry(node, *extra, 'kernel', 'stride', 'padding')})"

    return lower


def _pad(node: Node, a: list[str], ctx: LowerCtx) -> str:
    value = ctx.const(node.inputs[0].dtype.numpy.type(node.attrs["value"]))
    return f"_rt.conv.pad({a[0]}, {ints(node.attrs['pads'])}, {value})"


def _random_uniform(node: Node, a: list[str], ctx: LowerCtx) -> str:
    shape = ints(ctx.dims(node.attrs["shape"]))
    dtype = ctx.const(node.attrs["dtype"].numpy)
    return f"_rt.conv.random_uniform({a[0]}, {shape}, {int_(node.attrs['salt'])}, {dtype})"


TABLE["conv2d"] = _conv2d
TABLE["conv2d_input_grad"] = _conv2d_input_grad
TABLE["conv2d_kernel_grad"] = _conv2d_kernel_grad
TABLE["max_pool2d"] = _pool("max_pool2d")
TABLE["max_pool2d_grad"] = _pool("max_pool2d_grad")
TABLE["max_pool2d_gather"] = _pool("max_pool2d_gather")
TABLE["avg_pool2d"] = _pool("avg_pool2d")
TABLE["avg_pool2d_grad"] = _pool("avg_pool2d_grad", ("input_hw",))
TABLE["pad"] = _pad
TABLE["random_uniform"] = _random_uniform

"""Convolution and padding: ``conv2d`` (NCHW input, OIHW kernel, cross-correlation), its two gradient ops, and
``pad``.

``conv2d`` computes ``y[n,o,i,j] = Σ_{c,p,q} x_pad[n, c, i·sh + p·dh, j·sw + q·dw] · w[o,c,p,q]`` — the kernel is
not flipped (the deep-learning convention). Attributes: ``stride`` (sh, sw), ``padding`` (top, bottom, left,
right; zeros) and ``dilation`` (dh, dw). The bias is not part of the op: the DSL adds it with a broadcast ``add``
so it fuses with the activation.

The gradients are ops of their own, and each is linear in both inputs, so their VJPs are again these ops
(second derivatives work, and every rule is checked against finite differences):

* ``conv2d_input_grad(g, w)`` — ``∂⟨g, conv2d(x, w)⟩/∂x``, a transposed convolution; ``input_hw`` gives the
  input's spatial size, which the output size alone does not determine when the stride is above 1;
* ``conv2d_kernel_grad(x, g)`` — ``∂⟨g, conv2d(x, w)⟩/∂w``; ``kernel_hw`` gives the kernel's spatial size.

Spatial sizes and channels must be static; only the batch may be symbolic.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphc.dsl.layout import END
from graphc.ir.graph import Node, Value
from graphc.ir.opdef import Attrs, AttrSpec, Case, Linear, OpDef, OpKind, RuleError, register
from graphc.ir.ops import rules
from graphc.ir.types import Dim, Shape, Sym, format_shape

Cts = tuple[Value | None, ...]
Needs = tuple[bool, ...]
Grads = Sequence[Value | None]

# -- geometry shared with pooling ---------------------------------------------------------------------------


def window_out_size(size: int, kernel: int, stride: int, lo: int, hi: int, dilation: int = 1) -> int:
    """Number of window positions along one axis: ``⌊(size + lo + hi − dilation·(kernel−1) − 1) / stride⌋ + 1``."""
    return (size + lo + hi - dilation * (kernel - 1) - 1) // stride + 1


def check_geometry(what: str, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                   dilation: tuple[int, ...] = (1, 1)) -> None:
    """Attribute arity and ranges: two kernel sizes, strides and dilations ≥ 1, four paddings ≥ 0."""
    for name, vals, n, low in (("kernel", kernel, 2, 1), ("stride", stride, 2, 1), ("padding", padding, 4, 0),
                               ("dilation", dilation, 2, 1)):
        if len(vals) != n:
            raise RuleError(f"{what}: {name} needs {n} values, got {vals}")
        if any(v < low for v in vals):
            raise RuleError(f"{what}: {name} values must be ≥ {low}, got {vals}")


def spatial(shape: Shape, what: str, role: str = "input") -> tuple[Dim, int, int, int]:
    """``(N, C, H, W)`` of a rank-4 NCHW shape whose channel and spatial sizes are static."""
    if len(shape) != 4:
        raise RuleError(f"{what}: {role} must be rank 4 (N, C, H, W), got {format_shape(shape)}")
    n, c, h, w = shape
    if not all(isinstance(d, int) for d in (c, h, w)):
        raise RuleError(f"{what}: channels and spatial sizes of the {role} must be static, got {format_shape(shape)}")
    return n, c, h, w  # type: ignore[return-value]


def out_hw(what: str, h: int, w: int, kernel: tuple[int, int], stride: tuple[int, ...], padding: tuple[int, ...],
           dilation: tuple[int, ...] = (1, 1)) -> tuple[int, int]:
    """Output spatial size of a window op; at least one window must fit."""
    oh = window_out_size(h, kernel[0], stride[0], padding[0], padding[1], dilation[0])
    ow = window_out_size(w, kernel[1], stride[1], padding[2], padding[3], dilation[1])
    if oh < 1 or ow < 1:
        raise RuleError(f"{what}: a {kernel[0]}×{kernel[1]} window (dilation {tuple(dilation)}) does not fit the "
                        f"padded {h}×{w} input (padding {tuple(padding)})")
    return oh, ow


def same_batch(a: Dim, b: Dim, what: str) -> None:
    if a != b:
        raise RuleError(f"{what}: batch sizes differ ({a} vs {b})")


# -- conv2d ---------------------------------------------------------------------------------------------------

_GEOMETRY = (AttrSpec("stride", "ints", (1, 1)), AttrSpec("padding", "ints", (0, 0, 0, 0)),
             AttrSpec("dilation", "ints", (1, 1)))


def _geometry(attrs: Attrs) -> dict[str, tuple[int, ...]]:
    return {k: attrs[k] for k in ("stride", "padding", "dilation")}


def _kernel(shape: Shape, what: str, role: str = "kernel") -> tuple[int, int, int, int]:
    if len(shape) != 4 or not all(isinstance(d, int) for d in shape):
        raise RuleError(f"{what}: {role} must be a static rank-4 OIHW shape, got {format_shape(shape)}")
    return shape  # type: ignore[return-value]


def _conv2d_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    xs, ws = shapes
    n, c, h, w = spatial(xs, "conv2d")
    o, ci, kh, kw = _kernel(ws, "conv2d")
    check_geometry("conv2d", (kh, kw), attrs["stride"], attrs["padding"], attrs["dilation"])
    if ci != c:
        raise RuleError(f"input has {c} channels but the kernel {format_shape(ws)} expects {ci}")
    oh, ow = out_hw("conv2d", h, w, (kh, kw), attrs["stride"], attrs["padding"], attrs["dilation"])
    return ((n, o, oh, ow),)


def emit_input_grad(g: Value, w: Value, input_hw: tuple[int, ...], attrs: Attrs) -> Value:
    return g.graph.emit("conv2d_input_grad", (g, w), {"input_hw": tuple(input_hw), **_geometry(attrs)})[0]


def emit_kernel_grad(x: Value, g: Value, kernel_hw: tuple[int, ...], attrs: Attrs) -> Value:
    return x.graph.emit("conv2d_kernel_grad", (x, g), {"kernel_hw": tuple(kernel_hw), **_geometry(attrs)})[0]


def emit_conv2d(x: Value, w: Value, attrs: Attrs) -> Value:
    return x.graph.emit("conv2d", (x, w), _geometry(attrs))[0]


_CONV_CASES = (
    Case(((2, 3, 5, 5), (4, 3, 3, 3))),
    Case(((2, 2, 7, 6), (3, 2, 3, 2)), {"stride": (2, 1), "padding": (1, 1, 0, 1)}),
    Case(((1, 2, 7, 8), (2, 2, 2, 3)), {"stride": (1, 2), "padding": (1, 0, 2, 1), "dilation": (2, 1)}),
    Case(((3, 4, 4, 4), (2, 4, 1, 1)), {"stride": (2, 2)}),
)


def _grad_cases(which: str) -> tuple[Case, ...]:
    """conv2d's cases restated for a gradient op: ``(g, w)`` for the input gradient, ``(x, g)`` for the kernel's."""
    out = []
    for case in _CONV_CASES:
        (n, _, h, w), (o, _, kh, kw) = case.shapes
        stride = case.attrs.get("stride", (1, 1))
        padding = case.attrs.get("padding", (0, 0, 0, 0))
        dilation = case.attrs.get("dilation", (1, 1))
        g = (n, o, window_out_size(h, kh, stride[0], padding[0], padding[1], dilation[0]),
             window_out_size(w, kw, stride[1], padding[2], padding[3], dilation[1]))
        if which == "input":
            out.append(Case((g, case.shapes[1]), {**case.attrs, "input_hw": (h, w)}))
        else:
            out.append(Case((case.shapes[0], g), {**case.attrs, "kernel_hw": (kh, kw)}))
    return tuple(out)


def _conv2d_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (g,) = cts
    x, w = node.inputs
    assert g is not None
    gx = emit_input_grad(g, w, x.shape[2:], node.attrs) if needs[0] else None  # type: ignore[arg-type]
    gw = emit_kernel_grad(x, g, w.shape[2:], node.attrs) if needs[1] else None  # type: ignore[arg-type]
    return [gx, gw]


register(OpDef(
    "conv2d", OpKind.OPAQUE, 2, _conv2d_shape, rules.float_same, _GEOMETRY, _conv2d_vjp,
    _CONV_CASES,
    "2-D cross-correlation, NCHW input × OIHW kernel (stride, zero padding top/bottom/left/right, dilation)",
    linear=Linear("each", (0, 1)),
))


# -- its gradients ------------------------------------------------------------------------------------------


def _input_grad_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    gs, ws = shapes
    n, o, oh, ow = spatial(gs, "conv2d_input_grad", "cotangent")
    o2, c, kh, kw = _kernel(ws, "conv2d_input_grad")
    check_geometry("conv2d_input_grad", (kh, kw), attrs["stride"], attrs["padding"], attrs["dilation"])
    if len(attrs["input_hw"]) != 2:
        raise RuleError(f"input_hw needs 2 values, got {attrs['input_hw']}")
    h, w = attrs["input_hw"]
    if o2 != o:
        raise RuleError(f"cotangent has {o} channels but the kernel {format_shape(ws)} has {o2} outputs")
    if out_hw("conv2d_input_grad", h, w, (kh, kw), attrs["stride"], attrs["padding"], attrs["dilation"]) != (oh, ow):
        raise RuleError(f"cotangent {format_shape(gs)} is not the output size of a {h}×{w} input")
    return ((n, c, h, w),)


def _input_grad_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (c,) = cts
    g, w = node.inputs
    assert c is not None
    dg = emit_conv2d(c, w, node.attrs) if needs[0] else None
    dw = emit_kernel_grad(c, g, w.shape[2:], node.attrs) if needs[1] else None  # type: ignore[arg-type]
    return [dg, dw]


register(OpDef(
    "conv2d_input_grad", OpKind.OPAQUE, 2, _input_grad_shape, rules.float_same,
    (AttrSpec("input_hw", "ints"), *_GEOMETRY), _input_grad_vjp,
    _grad_cases("input"),
    "gradient of conv2d with respect to its input (a transposed convolution)", linear=Linear("each", (0, 1)),
))


def _kernel_grad_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    xs, gs = shapes
    n, c, h, w = spatial(xs, "conv2d_kernel_grad")
    n2, o, oh, ow = spatial(gs, "conv2d_kernel_grad", "cotangent")
    same_batch(n, n2, "conv2d_kernel_grad")
    if len(attrs["kernel_hw"]) != 2:
        raise RuleError(f"kernel_hw needs 2 values, got {attrs['kernel_hw']}")
    kh, kw = attrs["kernel_hw"]
    check_geometry("conv2d_kernel_grad", (kh, kw), attrs["stride"], attrs["padding"], attrs["dilation"])
    if out_hw("conv2d_kernel_grad", h, w, (kh, kw), attrs["stride"], attrs["padding"], attrs["dilation"]) != (oh, ow):
        raise RuleError(f"cotangent {format_shape(gs)} is not the output size of the input {format_shape(xs)}")
    return ((o, c, kh, kw),)


def _kernel_grad_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    (c,) = cts
    x, g = node.inputs
    assert c is not None
    dx = emit_input_grad(g, c, x.shape[2:], node.attrs) if needs[0] else None  # type: ignore[arg-type]
    dg = emit_conv2d(x, c, node.attrs) if needs[1] else None
    return [dx, dg]


register(OpDef(
    "conv2d_kernel_grad", OpKind.OPAQUE, 2, _kernel_grad_shape, rules.float_same,
    (AttrSpec("kernel_hw", "ints"), *_GEOMETRY), _kernel_grad_vjp,
    _grad_cases("kernel"),
    "gradient of conv2d with respect to its kernel", linear=Linear("each", (0, 1)),
))


# -- pad ---------------------------------------------------------------------------------------------------------


def _pad_shape(shapes: rules.Shapes, attrs: Attrs) -> rules.Shapes:
    (src,) = shapes
    pads = attrs["pads"]
    if len(pads) != 2 * len(src):
        raise RuleError(f"pads needs 2 values (before, after) per axis: {2 * len(src)} for rank {len(src)}, "
                        f"got {len(pads)}")
    if any(p < 0 for p in pads):
        raise RuleError(f"pads must be ≥ 0, got {pads}")
    out: list[Dim] = []
    for i, d in enumerate(src):
        lo, hi = pads[2 * i], pads[2 * i + 1]
        if isinstance(d, Sym):
            if lo or hi:
                raise RuleError(f"cannot pad symbolic dimension {d}")
            out.append(d)
        else:
            out.append(d + lo + hi)
    return (tuple(out),)


def _pad_vjp(node: Node, cts: Cts, needs: Needs) -> Grads:
    from graphc import dsl as G

    x = node.inputs[0]
    pads = node.attrs["pads"]
    slices = [(pads[2 * i], END if isinstance(d, Sym) else pads[2 * i] + d, 1) for i, d in enumerate(x.shape)]
    return [G.slice(cts[0], slices)]


register(OpDef(
    "pad", OpKind.LAYOUT, 1, _pad_shape, rules.numeric_same,
    (AttrSpec("pads", "ints"), AttrSpec("value", "float", 0.0)), _pad_vjp,
    (Case(((3, 4),), {"pads": (0, 0, 1, 2)}),
     Case(((2, 3, 4, 5),), {"pads": (0, 0, 0, 0, 1, 1, 2, 0), "value": 0.5}),
     Case(((2, 3),), {"pads": (0, 0, 3, 1), "value": -1.0})),
    "constant padding: `pads` holds (before, after) for every axis, in axis order",
    linear=Linear("joint", when=lambda attrs: attrs["value"] == 0.0),  # zero padding only
))

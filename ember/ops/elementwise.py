"""Elementwise primitives: forward on arrays, backward in Tensor ops, side by side.

Binary ops broadcast like numpy; their backward reduces a broadcast gradient
back to each input's shape with ``sum_to`` (one helper for all of them).
Ops whose derivative is simplest in terms of their result save the output.
"""
import math

import numpy as np

from ..autograd import function as _function
from ..autograd.function import Function, apply_builtin
from ..backend import xp_of


class Op(Function):
    """A built-in primitive: forward receives raw arrays; ``Op.apply(*tensors, **attrs)``."""
    _builtin = True
    apply = classmethod(apply_builtin)

    @property
    def needs_input_grad(self):
        """Which inputs require grad (derived from the graph edges, so recording stays cheap)."""
        return [e is not None for e in self.next]


def sum_to(grad, shape):
    """Sum a broadcast gradient back down to ``shape``."""
    if grad._data.shape == shape:
        return grad
    from .movement import SumToSize
    return SumToSize.apply(grad, shape=tuple(shape))


# --- unary ------------------------------------------------------------------

class Neg(Op):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Abs(Op):
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x):
        return abs(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.sign()


class Sign(Op):
    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x)
        if x.dtype.kind == "b":
            return x.copy()
        out = xp.sign(x)
        if x.dtype.kind == "f":
            out = xp.where(xp.isnan(x), 0, out).astype(x.dtype, copy=False)  # PyTorch: sign(nan) == 0
        return out

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Exp(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).exp(x)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return g * y


class Expm1(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).expm1(x)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return g * (y + 1)


class Log(Op):
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


class Log2(Op):
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).log2(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * np.log(2.0))


class Log1p(Op):
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).log1p(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x + 1)


class Sqrt(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).sqrt(x)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return g / (y * 2)


class Rsqrt(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x)
        return xp.reciprocal(xp.sqrt(x))

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return g * y.pow(3) * -0.5


class Sin(Op):
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.cos()


class Cos(Op):
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).cos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * -x.sin()


class Tan(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).tan(x)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return g * (y * y + 1)


class Tanh(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).tanh(x)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return TanhBackward.apply(g, y)


class Sigmoid(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x)
        # 1/(1+exp(-x)) overflows in exp for very negative x; this form does not.
        e = xp.exp(-abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return SigmoidBackward.apply(g, y)


class Relu(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).maximum(x, 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return ReluBackward.apply(g, y)


class _ZeroGrad(Op):
    """Piecewise-constant ops: gradient zero almost everywhere (as in PyTorch)."""

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Floor(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return xp_of(x).floor(x)


class Ceil(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return xp_of(x).ceil(x)


class Round(_ZeroGrad):
    @staticmethod
    def forward(ctx, x, decimals=0):
        return xp_of(x).round(x, decimals)


class Trunc(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return xp_of(x).trunc(x)


class Clamp(Op):
    grad_name = "ClampBackward1"
    """clamp with Python-number bounds (either may be None)."""
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        ctx.min, ctx.max = min, max
        xp = xp_of(x)
        if min is not None and max is not None:
            # PyTorch: min > max gives max everywhere
            return xp.minimum(xp.maximum(x, min), max).astype(x.dtype, copy=False)
        if min is not None:
            return xp.maximum(x, min).astype(x.dtype, copy=False)
        return xp.minimum(x, max).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        lo, hi = ctx.min, ctx.max
        if lo is not None and hi is not None:
            mask = (x >= lo).logical_and(x <= hi)
        elif lo is not None:
            mask = x >= lo
        else:
            mask = x <= hi
        return g * mask


class ClampTensor(Op):
    grad_name = "ClampBackward1"
    """clamp with tensor bounds: x, lo, hi broadcast; ``has_min``/``has_max`` say which bounds are real.

    Values on a bound pass their gradient to x; a bound gets the gradient where it is the result
    (with min > max the result is max everywhere), as in PyTorch.
    """
    save_inputs = "all"

    @staticmethod
    def forward(ctx, x, lo, hi, has_min=True, has_max=True):
        ctx.has = (has_min, has_max)
        xp = xp_of(x)
        r = xp.maximum(x, lo) if has_min else x
        return xp.minimum(r, hi) if has_max else r

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        has_min, has_max = ctx.has
        need = ctx.needs_input_grad
        zero = g.new_zeros(())
        gx = glo = ghi = None
        if need[0]:
            if has_min and has_max:
                inside = (x >= lo).logical_and(x <= hi)
            else:
                inside = x >= lo if has_min else x <= hi
            gx = sum_to(g.where(inside, zero), x._data.shape)
        if need[1] and has_min:
            below = x < lo
            if has_max:
                below = below.logical_and(lo < hi)
            glo = sum_to(g.where(below, zero), lo._data.shape)
        if need[2] and has_max:
            above = x > hi
            if has_min:
                above = above.logical_or(hi < lo)
            ghi = sum_to(g.where(above, zero), hi._data.shape)
        return gx, glo, ghi


class Cast(Op):
    grad_name = "ToCopyBackward0"
    """Change dtype; the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx, x, dtype=None):
        ctx.in_dtype = x.dtype
        return x.astype(dtype.np)

    @staticmethod
    def backward(ctx, g):
        from ..dtypes import from_numpy_dtype
        return g.to(from_numpy_dtype(ctx.in_dtype))


# --- binary -----------------------------------------------------------------

class Add(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        return sum_to(g, sa), sum_to(g, sb)


class AddScaled(Op):
    """a + alpha * b (torch.add with alpha)."""

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.shapes, ctx.alpha = (a.shape, b.shape), alpha
        return (a + alpha * b).astype(a.dtype if a.ndim >= b.ndim else b.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        return sum_to(g, sa), sum_to(g * ctx.alpha, sb)


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        return sum_to(g, sa), sum_to(-g, sb)


class Mul(Op):
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = sum_to(g * b, a._data.shape) if ctx.needs_input_grad[0] else None
        gb = sum_to(g * a, b._data.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Op):
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = sum_to(g / b, a.shape) if ctx.needs_input_grad[0] else None
        gb = sum_to(-g * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(Op):
    grad_name = "PowBackward1"
    """a ** b for two tensors (b may be a 0-d tensor made from a scalar)."""
    save_inputs = (0, 1)
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        if b.dtype.kind in "iu" and a.dtype.kind in "iu":
            return _int_pow(xp_of(a), a, b)
        return a ** b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # b * a^(b-1); where b == 0 the derivative is 0 even at a == 0.
            ga = sum_to(g * (b * a.pow(b - 1)).masked_fill(b == 0, 0), a.shape)
        if ctx.needs_input_grad[1]:
            y, = ctx.saved_outputs
            # d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's convention).
            ga_log = (y * a.log()).masked_fill((a == 0).logical_and(b >= 0), 0)
            gb = sum_to(g * ga_log, b.shape)
        return ga, gb


def _int_pow(xp, a, b):
    """Integer a ** b where b may be negative (numpy refuses): PyTorch gives the truncated result,
    1 for a base of 1, +-1 for a base of -1, and 0 for every other base (0 included)."""
    neg = b < 0
    if not neg.any():
        return a ** b
    out = a ** xp.where(neg, 0, b).astype(b.dtype, copy=False)
    one = xp.ones((), dtype=out.dtype)
    sign = xp.where(b % 2 == 0, one, -one) if out.dtype.kind == "i" else one
    inv = xp.where(a == 1, one, xp.where(a == -1, sign, xp.zeros((), dtype=out.dtype)) if out.dtype.kind == "i"
                   else xp.zeros((), dtype=out.dtype))
    return xp.where(neg, inv, out).astype(out.dtype, copy=False)


class PowScalar(Op):
    grad_name = "PowBackward0"
    """x ** p for a Python-number exponent p (the common case: cheaper backward)."""
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x, p=2):
        ctx.p = p
        if p == 2:
            return x * x
        return (x ** p).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return g * 0
        if p == 2:
            return g * x * 2
        if p == 1:
            return g
        return g * x.pow(p - 1) * p


class RPowScalar(Op):
    grad_name = "PowBackward2"
    """s ** x for a Python-number base s."""
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, base=2.0):
        ctx.base = base
        if x.dtype.kind in "iu" and isinstance(base, (int, np.integer)):
            xp = xp_of(x)
            return _int_pow(xp, xp.asarray(base, dtype=x.dtype), x)
        return (base ** x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        base = ctx.base
        if base == 0:
            # d/dx 0^x = 0^x log 0: -inf where x < 0 (0^x = inf), taken as 0 where x >= 0 (PyTorch's convention)
            x, = ctx.saved_tensors
            return (g * y * float("-inf")).masked_fill(x >= 0, 0)
        return g * y * (math.log(base) if base > 0 else float("nan"))  # a negative base: nan, as in PyTorch


class Maximum(Op):
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return xp_of(a).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        return _minmax_grads(ctx, g, is_max=True)


class Minimum(Op):
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return xp_of(a).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        return _minmax_grads(ctx, g, is_max=False)


def _minmax_grads(ctx, g, is_max):
    """maximum/minimum: the gradient goes to the chosen input, ties share it equally, and where a NaN
    is involved both inputs get it (PyTorch's masks: not-smaller / not-larger)."""
    a, b = ctx.saved_tensors
    half = (a == b).to(g.dtype) * 0.5
    ga = gb = None
    if ctx.needs_input_grad[0]:
        lose_a = (a < b) if is_max else (a > b)
        ga = sum_to(g * (1 - lose_a.to(g.dtype) - half), a._data.shape)
    if ctx.needs_input_grad[1]:
        lose_b = (a > b) if is_max else (a < b)
        gb = sum_to(g * (1 - lose_b.to(g.dtype) - half), b._data.shape)
    return ga, gb


class Where(Op):
    """where(cond, a, b); cond is a bool tensor without gradient."""
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.shapes = (a.shape, b.shape)
        return xp_of(a).where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        sa, sb = ctx.shapes
        zero = g.new_zeros(())
        return None, sum_to(g.where(cond, zero), sa), sum_to(zero.where(cond, g), sb)


# --- non-differentiable (comparisons, logic, tests) -----------------------------

class _NoGrad(Op):
    """Ops without a derivative (comparisons, logic, tests): the result never requires grad, as in PyTorch."""

    @classmethod
    def apply(cls, *tensors, **attrs):
        if len(tensors) > 1:
            tensors = _function._check_devices(cls, tensors)
        return _function._wrap(cls.forward(None, *[t._data for t in tensors], **attrs))

    @staticmethod
    def backward(ctx, *g):
        return (None,) * len(ctx.next)


def _make_nograd(name, fn):
    def forward(ctx, *arrays, **kw):
        return fn(xp_of(arrays[0]), *arrays, **kw)
    return type(name, (_NoGrad,), {"forward": staticmethod(forward)})


Eq = _make_nograd("Eq", lambda xp, a, b: xp.equal(a, b))
Ne = _make_nograd("Ne", lambda xp, a, b: xp.not_equal(a, b))
Lt = _make_nograd("Lt", lambda xp, a, b: xp.less(a, b))
Le = _make_nograd("Le", lambda xp, a, b: xp.less_equal(a, b))
Gt = _make_nograd("Gt", lambda xp, a, b: xp.greater(a, b))
Ge = _make_nograd("Ge", lambda xp, a, b: xp.greater_equal(a, b))
LogicalAnd = _make_nograd("LogicalAnd", lambda xp, a, b: xp.logical_and(a, b))
LogicalOr = _make_nograd("LogicalOr", lambda xp, a, b: xp.logical_or(a, b))
LogicalXor = _make_nograd("LogicalXor", lambda xp, a, b: xp.logical_xor(a, b))
LogicalNot = _make_nograd("LogicalNot", lambda xp, a: xp.logical_not(a))
BitwiseAnd = _make_nograd("BitwiseAnd", lambda xp, a, b: a & b)
BitwiseOr = _make_nograd("BitwiseOr", lambda xp, a, b: a | b)
BitwiseXor = _make_nograd("BitwiseXor", lambda xp, a, b: a ^ b)
BitwiseNot = _make_nograd("BitwiseNot", lambda xp, a: ~a)
IsNan = _make_nograd("IsNan", lambda xp, a: xp.isnan(a))
IsInf = _make_nograd("IsInf", lambda xp, a: xp.isinf(a))
IsFinite = _make_nograd("IsFinite", lambda xp, a: xp.isfinite(a))
FloorDivide = _make_nograd("FloorDivide", lambda xp, a, b: xp.floor_divide(a, b))


class Remainder(Op):
    """a - floor(a / b) * b (Python's %): d/da = 1, d/db = -floor(a / b)."""
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return xp_of(a).remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = sum_to(g, a._data.shape) if ctx.needs_input_grad[0] else None
        # the quotient as remainder() saw it (floor(a / b) can round the other way)
        gb = sum_to(-g * ((a - a.remainder(b)) / b).round(), b._data.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Fmod(Op):
    """a - trunc(a / b) * b (C's fmod): d/da = 1, d/db = -trunc(a / b)."""
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return xp_of(a).fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = sum_to(g, a._data.shape) if ctx.needs_input_grad[0] else None
        gb = sum_to(-g * (a / b).trunc(), b._data.shape) if ctx.needs_input_grad[1] else None  # PyTorch's div trunc
        return ga, gb


class NanToNum(Op):
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        return xp_of(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.isfinite()


# --- a tensor and a Python number ---------------------------------------------------
# The number stays an attribute: no 0-d tensor to build, no gradient to route to it.

class AddScalar(Op):
    grad_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, s=0):
        return x + s

    @staticmethod
    def backward(ctx, g):
        return g


class SubScalar(Op):
    grad_name = "SubBackward0"

    @staticmethod
    def forward(ctx, x, s=0):
        return x - s

    @staticmethod
    def backward(ctx, g):
        return g


class RSubScalar(Op):
    grad_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, x, s=0):
        return s - x

    @staticmethod
    def backward(ctx, g):
        return -g


class MulScalar(Op):
    grad_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, s=1):
        ctx.s = s
        return x * s

    @staticmethod
    def backward(ctx, g):
        return MulScalar.apply(g, s=ctx.s)


class DivScalar(Op):
    grad_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x, s=1):
        ctx.s = s
        return x / s

    @staticmethod
    def backward(ctx, g):
        return DivScalar.apply(g, s=ctx.s)


class RDivScalar(Op):
    """s / x."""
    grad_name = "DivBackward0"
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x, s=1):
        ctx.s = s
        return s / x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * ctx.s / (x * x)


SCALAR_OPS = {Add: AddScalar, Sub: SubScalar, Mul: MulScalar, Div: DivScalar}
RSCALAR_OPS = {Add: AddScalar, Sub: RSubScalar, Mul: MulScalar, Div: RDivScalar}


# --- fused backward primitives (measured: they halve the backward of tiny graphs) ----------

class ReluBackward(Op):
    """g where y > 0 else 0; y is relu's output (no gradient flows into it)."""
    grad_name = "ThresholdBackwardBackward0"
    save_inputs = (1,)

    @staticmethod
    def forward(ctx, g, y):
        return g * (y > 0)

    @staticmethod
    def backward(ctx, gg):
        y, = ctx.saved_tensors
        return ReluBackward.apply(gg, y), None


class TanhBackward(Op):
    """g * (1 - y^2) for y = tanh(x)."""
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, g, y):
        return g * (1 - y * y)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        return TanhBackward.apply(gg, y), gg * g * y * -2


class SigmoidBackward(Op):
    """g * y * (1 - y) for y = sigmoid(x)."""
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, g, y):
        return g * (y * (1 - y))

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        return SigmoidBackward.apply(gg, y), gg * g * (1 - y * 2)

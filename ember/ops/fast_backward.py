"""Array-level backward formulas: an opt-in fast path for ``backward()`` without ``create_graph``.

Every op's ``backward`` is written in Tensor ops, which makes it differentiable
again (higher-order gradients). That costs a trip through ``Function.apply`` per
term, which dominated small graphs (benchmarks/ op_overhead). When no graph of
the gradient is needed, the engine calls ``fast_backward(ctx, *grad_arrays)``
instead, where an op defines one: the same formula on raw arrays through ``xp``.

``tests/test_fast_backward.py`` holds each of these equal to the op's Tensor-level
backward. Ops without an entry here simply use their Tensor-level backward.
"""
from ..backend import xp_of
from . import elementwise as E, linalg as L, movement as M, reduce as R, index as I
from .movement import broadcast_view


def sum_to_array(g, shape):
    """Sum a broadcast gradient array down to ``shape``."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True, dtype=g.dtype)
    return g.reshape(shape)


def _fast(cls):
    def register(fn):
        cls.fast_backward = staticmethod(fn)
        return fn
    return register


@_fast(E.Add)
def _add(ctx, g):
    sa, sb = ctx.shapes
    return sum_to_array(g, sa), sum_to_array(g, sb)


@_fast(E.Sub)
def _sub(ctx, g):
    sa, sb = ctx.shapes
    return sum_to_array(g, sa), (sum_to_array(-g, sb) if ctx.needs_input_grad[1] else None)


@_fast(E.Mul)
def _mul(ctx, g):
    a, b = ctx.saved_arrays
    need_a, need_b = ctx.needs_input_grad
    return (sum_to_array(g * b, a.shape) if need_a else None,
            sum_to_array(g * a, b.shape) if need_b else None)


@_fast(E.Div)
def _div(ctx, g):
    a, b = ctx.saved_arrays
    need_a, need_b = ctx.needs_input_grad
    return (sum_to_array(g / b, a.shape) if need_a else None,
            sum_to_array(-g * a / (b * b), b.shape) if need_b else None)


@_fast(E.AddScalar)
def _add_scalar(ctx, g):
    return g


E.SubScalar.fast_backward = staticmethod(_add_scalar)


@_fast(E.RSubScalar)
def _rsub_scalar(ctx, g):
    return -g


@_fast(E.MulScalar)
def _mul_scalar(ctx, g):
    return g * ctx.s


@_fast(E.DivScalar)
def _div_scalar(ctx, g):
    return g / ctx.s


@_fast(E.Neg)
def _neg(ctx, g):
    return -g


@_fast(E.Exp)
def _exp(ctx, g):
    y, = ctx.saved_output_arrays
    return g * y


@_fast(E.Log)
def _log(ctx, g):
    x, = ctx.saved_arrays
    return g / x


@_fast(E.Sin)
def _sin(ctx, g):
    x, = ctx.saved_arrays
    return g * xp_of(x).cos(x)


@_fast(E.Cos)
def _cos(ctx, g):
    x, = ctx.saved_arrays
    return -g * xp_of(x).sin(x)


@_fast(E.Tanh)
def _tanh(ctx, g):
    y, = ctx.saved_output_arrays
    return g * (1 - y * y)


@_fast(E.Sigmoid)
def _sigmoid(ctx, g):
    y, = ctx.saved_output_arrays
    return g * (y * (1 - y))


@_fast(E.Relu)
def _relu(ctx, g):
    y, = ctx.saved_output_arrays
    return g * (y > 0)


@_fast(E.Sqrt)
def _sqrt(ctx, g):
    y, = ctx.saved_output_arrays
    return g / (y * 2)


@_fast(E.PowScalar)
def _pow_scalar(ctx, g):
    x, = ctx.saved_arrays
    p = ctx.p
    if p == 2:
        return g * x * 2
    if p == 1:
        return g
    if p == 0:
        return g * 0
    return (g * x ** (p - 1) * p).astype(g.dtype, copy=False)


@_fast(E.Clamp)
def _clamp(ctx, g):
    x, = ctx.saved_arrays
    lo, hi = ctx.min, ctx.max
    if lo is not None and hi is not None:
        return g * ((x >= lo) & (x <= hi))
    if lo is not None:
        return g * (x >= lo)
    return g * (x <= hi)


@_fast(E.Cast)
def _cast(ctx, g):
    return g.astype(ctx.in_dtype)


@_fast(E.Where)
def _where(ctx, g):
    cond, = ctx.saved_arrays
    sa, sb = ctx.shapes
    xp = xp_of(g)
    zero = g.dtype.type(0)
    return (None, sum_to_array(xp.where(cond, g, zero), sa), sum_to_array(xp.where(cond, zero, g), sb))


@_fast(R.Sum)
def _sum(ctx, g):
    in_shape, dims = ctx.in_shape, ctx.dim
    if not ctx.keepdim:
        if dims is None:
            g = g.reshape((1,) * len(in_shape))
        else:
            shape = list(in_shape)
            for d in dims:
                shape[d] = 1
            g = g.reshape(shape)
    return broadcast_view(g, in_shape)


@_fast(R.LogSoftmax)
def _log_softmax(ctx, g):
    y, = ctx.saved_output_arrays
    return g - xp_of(y).exp(y) * g.sum(axis=ctx.dim, keepdims=True)


@_fast(R.Softmax)
def _softmax(ctx, g):
    y, = ctx.saved_output_arrays
    return y * (g - (g * y).sum(axis=ctx.dim, keepdims=True))


@_fast(M.Reshape)
def _reshape(ctx, g):
    return g.reshape(ctx.in_shape)


@_fast(M.Permute)
def _permute(ctx, g):
    inv = [0] * len(ctx.dims)
    for i, d in enumerate(ctx.dims):
        inv[d] = i
    return g.transpose(inv)


@_fast(M.Expand)
def _expand(ctx, g):
    return sum_to_array(g, ctx.in_shape)


@_fast(M.SumToSize)
def _sum_to_size(ctx, g):
    return broadcast_view(g, ctx.in_shape)


@_fast(L.MatMul)
def _matmul(ctx, g):
    a, b = ctx.saved_arrays
    need_a, need_b = ctx.needs_input_grad
    ga = sum_to_array(L.matmul_arrays(g, b.swapaxes(-1, -2)), a.shape) if need_a else None
    gb = sum_to_array(L.matmul_arrays(a.swapaxes(-1, -2), g), b.shape) if need_b else None
    return ga, gb


@_fast(I.GetItem)
def _getitem(ctx, g):
    from ..backend import scatter_add
    xp = xp_of(g)
    out = xp.zeros(ctx.in_shape, dtype=g.dtype)
    key = ctx.key
    if all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in key):
        out[key] = g  # basic indexing never repeats an element
    else:
        scatter_add(xp, out, key, g)
    return out

"""Reductions. ``dim`` arrives normalised (a tuple of non-negative ints, or None for all)."""
import numpy as np

from ..backend import xp_of
from .elementwise import Op
from .movement import Expand, Reshape


def _acc(method, x, dtype, **kw):
    """Run a sum/prod/scan, accumulating float16 in float32 as PyTorch does (then rounding once)."""
    if dtype is None and x.dtype == np.float16:
        return method(dtype=np.float32, **kw).astype(np.float16)
    return method(dtype=dtype, **kw)


def _unsqueeze_back(g, in_shape, dims, keepdim):
    """Reshape a reduced gradient so that it broadcasts against the input again."""
    if keepdim or dims is None and g._data.ndim == len(in_shape):
        return g
    if dims is None:
        return Reshape.apply(g, shape=(1,) * len(in_shape))
    shape = list(in_shape)
    for d in dims:
        shape[d] = 1
    return Reshape.apply(g, shape=tuple(shape))


class Sum(Op):
    def name(self):
        return "SumBackward0" if self.dim is None else "SumBackward1"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        ctx.in_shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        if dim is None and dtype is None and not keepdim and x.dtype.kind == "f" and x.dtype.itemsize > 2:
            return x.sum()  # the common full sum, without keyword plumbing
        return _acc(x.sum, x, dtype, axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return Expand.apply(_unsqueeze_back(g, ctx.in_shape, ctx.dim, ctx.keepdim), shape=ctx.in_shape)


class Prod(Op):
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        ctx.dim, ctx.keepdim = dim, keepdim
        return _acc(x.prod, x, dtype, axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        y, = ctx.saved_outputs
        g = _unsqueeze_back(g, x.shape, ctx.dim, ctx.keepdim)
        y = _unsqueeze_back(y, x.shape, ctx.dim, ctx.keepdim)
        if not bool((x == 0).any()):
            return g * y / x
        # With zeros, y/x is undefined: product of all the others, via exclusive cumprods.
        if ctx.dim is None:
            flat = x.reshape(-1)
            return (g * _prod_others(flat, 0).reshape(x.shape))
        assert len(ctx.dim) == 1, "prod over several dims is reduced one dim at a time"
        return g * _prod_others(x, ctx.dim[0])


def _prod_others(x, d):
    """For each position, the product of all other entries along ``d`` (no division, so zeros are fine)."""
    from ..tensor import cat, ones_like
    ones = ones_like(x.narrow(d, 0, 1))
    left = cat([ones, x.narrow(d, 0, x.shape[d] - 1).cumprod(d)], d)
    right = x.flip((d,)).narrow(d, 0, x.shape[d] - 1).cumprod(d)
    right = cat([ones, right], d).flip((d,))
    return left * right


class Amax(Op):
    """amax/amin; the gradient is shared equally among tied extremes (as in PyTorch)."""
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, is_min=False):
        ctx.dim, ctx.keepdim = dim, keepdim
        if x.size == 0 and dim is None:
            raise RuntimeError(f"{'amin' if is_min else 'amax'}(): Expected reduction dim to be specified "
                               "for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        for d in dim or ():
            if x.shape[d] == 0:
                raise IndexError(f"{'amin' if is_min else 'amax'}(): Expected reduction dim {d} to have non-zero "
                                 "size.")
        return x.min(axis=dim, keepdims=keepdim) if is_min else x.max(axis=dim, keepdims=keepdim)

    grad_name = "AmaxBackward0"

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        y, = ctx.saved_outputs
        y = _unsqueeze_back(y, x.shape, ctx.dim, ctx.keepdim)
        g = _unsqueeze_back(g, x.shape, ctx.dim, ctx.keepdim)
        mask = (x == y).to(g.dtype)
        count = mask.sum(ctx.dim, keepdim=True) if ctx.dim is not None else mask.sum().reshape((1,) * x.ndim)
        return g * mask / count


class MaxDim(Op):
    """max/min along one dim: (values, indices); the gradient goes to the chosen index."""
    non_differentiable_outputs = (1,)

    @staticmethod
    def forward(ctx, x, dim=0, keepdim=False, is_min=False):
        xp = xp_of(x)
        ctx.dim, ctx.keepdim, ctx.in_shape = dim, keepdim, x.shape
        if x.ndim == 0:
            return x.copy(), xp.zeros((), dtype=xp.int64)
        idx = x.argmin(axis=dim) if is_min else x.argmax(axis=dim)
        idx = xp.expand_dims(idx, dim)
        vals = xp.take_along_axis(x, idx, axis=dim)
        ctx.idx = idx  # kept as an array: indices carry no gradient
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx.astype(xp.int64)

    grad_name = "MaxBackward0"

    @staticmethod
    def backward(ctx, g, _gi):
        if len(ctx.in_shape) == 0:
            return g
        from ..tensor import zeros, _wrap
        idx = _wrap(ctx.idx.astype("int64"))
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        return zeros(ctx.in_shape, dtype=g.dtype, device=g.device).scatter(ctx.dim, idx, g)


class Cumsum(Op):
    @staticmethod
    def forward(ctx, x, dim=0, dtype=None):
        ctx.dim = dim
        return _acc(x.cumsum, x, dtype, axis=dim)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        return g.flip((d,)).cumsum(d).flip((d,))


class Cumprod(Op):
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, dim=0, dtype=None):
        ctx.dim = dim
        return _acc(x.cumprod, x, dtype, axis=dim)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        d = ctx.dim
        if not bool((x == 0).any()):
            y, = ctx.saved_outputs
            return (g * y).flip((d,)).cumsum(d).flip((d,)) / x
        # General case without division: grad_i = sum_{k>=i} g_k * prod_{j<=k, j!=i} x_j
        from ..tensor import ones_like
        n = x.shape[d]
        parts = []
        for i in range(n):
            xi = x.narrow(d, i, 1)
            rest = x.narrow(d, 0, i).prod(d, keepdim=True) if i > 0 else ones_like(xi)
            tail = x.narrow(d, i + 1, n - i - 1) if i + 1 < n else None
            total = g.narrow(d, i, 1) * rest
            if tail is not None:
                total = total + (g.narrow(d, i + 1, n - i - 1) * tail.cumprod(d)).sum(d, keepdim=True) * rest
            parts.append(total)
        from ..tensor import cat
        return cat(parts, d)


class LogSoftmax(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, dim=-1):
        ctx.dim = dim
        xp = xp_of(x)
        if x.size == 0:
            return x.copy()
        m = x.max(axis=dim, keepdims=True)
        shifted = x - m
        return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return g - y.exp() * g.sum(ctx.dim, keepdim=True)


class Softmax(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, dim=-1):
        ctx.dim = dim
        xp = xp_of(x)
        if x.size == 0:
            return x.copy()
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        return e / e.sum(axis=dim, keepdims=True)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_outputs
        return y * (g - (g * y).sum(ctx.dim, keepdim=True))


class LogSumExp(Op):
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.dim, ctx.keepdim = dim, keepdim
        xp = xp_of(x)
        if x.size == 0:
            return xp.log(xp.exp(x).sum(axis=dim, keepdims=keepdim))
        m = x.max(axis=dim, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(x - m).sum(axis=dim, keepdims=True)) + m
        return out if keepdim else out.squeeze(axis=dim)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        y, = ctx.saved_outputs
        y = _unsqueeze_back(y, x.shape, ctx.dim, ctx.keepdim)
        g = _unsqueeze_back(g, x.shape, ctx.dim, ctx.keepdim)
        return g * (x - y).exp()

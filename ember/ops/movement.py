"""Shape and movement primitives. On numpy these return views where PyTorch does."""
import numpy as np

from ..backend import xp_of
from .elementwise import Op


class Reshape(Op):
    grad_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape=None):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Permute(Op):
    @staticmethod
    def forward(ctx, x, dims=None):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return g.permute(*inv)


def broadcast_view(x, shape):
    """A broadcast view of ``x``, built directly as a strided array on the CPU (numpy's
    broadcast_to costs ~2 us, which dominated tiny backward passes). Tensor.expand makes
    the views it hands to users read-only."""
    if x.__class__ is np.ndarray and x.flags.c_contiguous:
        if x.size == 1:
            return np.ndarray(shape, x.dtype, x, 0, (0,) * len(shape))
        lead = len(shape) - x.ndim
        strides = [0] * len(shape)
        xs, xst = x.shape, x.strides
        for i in range(x.ndim):
            if xs[i] != 1:
                strides[lead + i] = xst[i]
        return np.ndarray(shape, x.dtype, x, 0, tuple(strides))
    return xp_of(x).broadcast_to(x, shape)


class Expand(Op):
    @staticmethod
    def forward(ctx, x, shape=None):
        ctx.in_shape = x.shape
        return broadcast_view(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g.sum_to_size(ctx.in_shape)


class SumToSize(Op):
    """Sum over broadcast dimensions down to ``shape`` (the adjoint of expand)."""
    grad_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, shape=None):
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
        out = x.sum(axis=axes, keepdims=True, dtype=x.dtype) if axes else x
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.expand(ctx.in_shape)


class Flip(Op):
    @staticmethod
    def forward(ctx, x, dims=()):
        ctx.dims = dims
        return xp_of(x).flip(x, dims)

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dims)


class Roll(Op):
    @staticmethod
    def forward(ctx, x, shifts=None, dims=None):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        s = ctx.shifts
        neg = tuple(-v for v in s) if isinstance(s, tuple) else -s
        return g.roll(neg, ctx.dims)


class Cat(Op):
    @staticmethod
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return xp_of(xs[0]).concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(g.split(ctx.sizes, ctx.dim))


class Split(Op):
    """Split along ``dim`` into pieces of the given sizes; one output per piece."""

    @staticmethod
    def forward(ctx, x, sizes=None, dim=0):
        ctx.dim, ctx.in_shape = dim, x.shape
        out, start = [], 0
        idx = [slice(None)] * x.ndim
        for s in sizes:
            idx[dim] = slice(start, start + s)
            out.append(x[tuple(idx)])
            start += s
        return tuple(out)

    @staticmethod
    def backward(ctx, *gs):
        from ..tensor import cat
        return cat(gs, ctx.dim)


class Repeat(Op):
    @staticmethod
    def forward(ctx, x, reps=None):
        ctx.in_shape, ctx.reps = x.shape, reps
        lead = len(reps) - x.ndim
        return xp_of(x).tile(x.reshape((1,) * lead + x.shape), reps)

    @staticmethod
    def backward(ctx, g):
        # view the result as (r0, s0, r1, s1, ...) and sum the repeat axes
        reps, shape = ctx.reps, (1,) * (len(ctx.reps) - len(ctx.in_shape)) + tuple(ctx.in_shape)
        inter = []
        for r, s in zip(reps, shape):
            inter += [r, s]
        return g.reshape(inter).sum(tuple(range(0, 2 * len(reps), 2))).reshape(ctx.in_shape)


class Tril(Op):
    @staticmethod
    def forward(ctx, x, k=0):
        ctx.k = k
        return xp_of(x).tril(x, k)

    @staticmethod
    def backward(ctx, g):
        return g.tril(ctx.k)


class Triu(Op):
    @staticmethod
    def forward(ctx, x, k=0):
        ctx.k = k
        return xp_of(x).triu(x, k)

    @staticmethod
    def backward(ctx, g):
        return g.triu(ctx.k)


class Diag(Op):
    @staticmethod
    def forward(ctx, x, k=0):
        ctx.k, ctx.in_shape = k, x.shape
        return xp_of(x).diag(x, k)

    @staticmethod
    def backward(ctx, g):
        if len(ctx.in_shape) == 1:
            return g.diag(ctx.k)
        # gradient of taking a diagonal: put it back on a zero matrix
        from ..tensor import zeros
        out = zeros(ctx.in_shape, dtype=g.dtype, device=g.device)
        return out.diagonal_scatter(g, ctx.k)


class DiagonalScatter(Op):
    @staticmethod
    def forward(ctx, x, src, k=0):
        ctx.k = k
        out = x.copy()
        xp = xp_of(x)
        n = src.shape[0]
        i = xp.arange(n)
        if k >= 0:
            out[i, i + k] = src
        else:
            out[i - k, i] = src
        return out

    @staticmethod
    def backward(ctx, g):
        from ..tensor import zeros
        zero_src = g.diag(ctx.k)
        return g.diagonal_scatter(zeros(zero_src.shape, dtype=g.dtype, device=g.device), ctx.k), zero_src


class Diagonal(Op):
    """x.diagonal(offset, dim1, dim2): the diagonal becomes the last dim; a view of x, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, offset=0, dim1=0, dim2=1):
        ctx.in_shape, ctx.args = x.shape, (offset, dim1, dim2)
        d = x.diagonal(offset, dim1, dim2)
        if d.__class__ is np.ndarray and not d.flags.writeable and x.flags.writeable:
            d.flags.writeable = True  # numpy hands out diagonals read-only; PyTorch's are writable views
        return d

    @staticmethod
    def backward(ctx, g):
        return DiagonalEmbed.apply(g, shape=ctx.in_shape, args=ctx.args)


class DiagonalEmbed(Op):
    """The adjoint of Diagonal: zeros of ``shape`` with ``g`` on the given diagonal."""

    @staticmethod
    def forward(ctx, g, shape=None, args=(0, 0, 1)):
        ctx.args = args
        out = xp_of(g).zeros(shape, dtype=g.dtype)
        d = out.diagonal(*args)
        if d.__class__ is np.ndarray:
            d.flags.writeable = True
        d[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return Diagonal.apply(gg, offset=ctx.args[0], dim1=ctx.args[1], dim2=ctx.args[2])

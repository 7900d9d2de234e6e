"""Indexing primitives: getitem, setitem (index_put), gather/scatter, index_select/index_add."""
import numpy as np

from ..backend import xp_of, scatter_add, to_host
from .elementwise import Op, sum_to


class GetItem(Op):
    """x[key] with a key of ints, slices, None, Ellipsis and index arrays (already converted)."""
    grad_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key=None):
        ctx.key, ctx.in_shape = key, x.shape
        return x[key]

    @staticmethod
    def backward(ctx, g):
        from ..tensor import zeros
        z = zeros(ctx.in_shape, dtype=g.dtype, device=g.device)
        return z.index_put_key(ctx.key, g, accumulate=True)


class IndexPut(Op):
    """out = x with out[key] = v (or += v with accumulate); out of place."""
    grad_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, v, key=None, accumulate=False):
        ctx.key, ctx.v_shape, ctx.accumulate = key, v.shape, accumulate
        out = x.copy()
        if accumulate:
            scatter_add(xp_of(x), out, key, v)
        else:
            out[key] = v
        return out

    @staticmethod
    def backward(ctx, g):
        gx = g if ctx.accumulate else g.index_put_key(ctx.key, g.new_zeros(()))
        gv = sum_to(g._getitem_key(ctx.key), ctx.v_shape) if ctx.needs_input_grad[1] else None
        return gx, gv


def _along(xp, index, dim):
    """Index tuple that addresses ``index``'s positions with ``index`` replacing axis ``dim``."""
    if index.ndim == 0:  # a 0-d input and index (index 0 is the only valid one)
        return ()
    grids = xp.ogrid[tuple(slice(0, s) for s in index.shape)]
    if index.ndim == 1:
        grids = [grids]
    grids = list(grids)
    grids[dim] = index
    return tuple(grids)


class Gather(Op):
    save_inputs = (1,)

    @staticmethod
    def forward(ctx, x, index, dim=0):
        ctx.dim, ctx.in_shape = dim, x.shape
        return x[_along(xp_of(x), index, dim)]

    @staticmethod
    def backward(ctx, g):
        from ..tensor import zeros
        index, = ctx.saved_tensors
        return zeros(ctx.in_shape, dtype=g.dtype, device=g.device).scatter_add(ctx.dim, index, g), None


class Scatter(Op):
    """out = x.clone(); out[index along dim] = src (src may be a 0-d array: a scalar value)."""
    save_inputs = (1,)

    @staticmethod
    def forward(ctx, x, index, src, dim=0, reduce=None):
        ctx.dim, ctx.src_shape = dim, src.shape
        xp = xp_of(x)
        out = x.copy()
        where = _along(xp, index, dim)
        vals = src[tuple(slice(0, s) for s in index.shape)] if src.ndim else src
        if reduce is None:
            out[where] = vals
        elif reduce == "add":
            scatter_add(xp, out, where, xp.broadcast_to(vals, index.shape))
        elif reduce == "multiply":
            vals = xp.broadcast_to(vals, index.shape)
            if xp is np:
                np.multiply.at(out, where, vals)
            else:  # CuPy's ufunc.at has add/subtract/maximum/minimum, not multiply: do it on the host
                host = to_host(out)
                np.multiply.at(host, tuple(to_host(w) for w in where), to_host(vals))
                out.set(host)  # back into out's own GPU memory
        else:
            raise RuntimeError(f"scatter: reduce argument must be 'add' or 'multiply', got {reduce!r}")
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gx = g.scatter(ctx.dim, index, 0)
        gsrc = None
        if ctx.needs_input_grad[2]:
            gsrc = _pad_to(g.gather(ctx.dim, index), ctx.src_shape)
        return gx, None, gsrc


class ScatterAdd(Op):
    save_inputs = (1,)

    @staticmethod
    def forward(ctx, x, index, src, dim=0):
        ctx.dim, ctx.src_shape = dim, src.shape
        xp = xp_of(x)
        out = x.copy()
        scatter_add(xp, out, _along(xp, index, dim), src[tuple(slice(0, s) for s in index.shape)])
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gsrc = _pad_to(g.gather(ctx.dim, index), ctx.src_shape) if ctx.needs_input_grad[2] else None
        return g, None, gsrc


def _pad_to(g, shape):
    """Gradient of slicing src down to index's shape: zero-pad back up."""
    if tuple(g.shape) == tuple(shape):
        return g
    from ..tensor import zeros
    z = zeros(shape, dtype=g.dtype, device=g.device)
    return z.index_put_key(tuple(slice(0, s) for s in g.shape), g)


class IndexSelect(Op):
    save_inputs = (1,)

    @staticmethod
    def forward(ctx, x, index, dim=0):
        ctx.dim, ctx.in_shape = dim, x.shape
        return xp_of(x).take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        from ..tensor import zeros
        index, = ctx.saved_tensors
        return zeros(ctx.in_shape, dtype=g.dtype, device=g.device).index_add(ctx.dim, index, g), None


class IndexAdd(Op):
    save_inputs = (1,)

    @staticmethod
    def forward(ctx, x, index, src, dim=0, alpha=1):
        ctx.dim, ctx.alpha = dim, alpha
        out = x.copy()
        key = (slice(None),) * dim + (index,)
        scatter_add(xp_of(x), out, key, src * alpha if alpha != 1 else src)
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gsrc = g.index_select(ctx.dim, index) * ctx.alpha if ctx.needs_input_grad[2] else None
        return g, None, gsrc

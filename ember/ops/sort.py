"""Sorting and selection: sort, topk, kthvalue, median, unique.

Every selecting op works the same way: its forward computes, on raw arrays,
the *indices* of the elements it picks along ``dim`` (from a stable argsort,
so ties keep their input order and the result is deterministic), gathers the
values with them, and returns ``(values, indices)``. The gradient of the
values is the incoming gradient scattered back to those indices, written in
Tensor ops (a scatter, whose own gradient is a gather), so it can be
differentiated again. The indices are int64 and carry no gradient.

NaN sorts as the largest value, as in PyTorch (numpy already puts NaN last).
"""
import numpy as np

from ..backend import xp_of, to_host
from ..return_types import named
from .elementwise import Op

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "unique"]


# --- array helpers -------------------------------------------------------------------

def _stable_argsort(xp, x, axis):
    # CuPy's argsort is always stable; before CuPy 12 it took no ``kind`` at all (a TypeError)
    return xp.argsort(x, axis=axis, kind="stable") if xp is np else xp.argsort(x, axis=axis)


def _argsort(xp, x, axis, descending=False):
    """Stable argsort along ``axis``; descending keeps equal elements in input order too."""
    if not descending:
        return _stable_argsort(xp, x, axis)
    # Sort the reversed array ascending and reverse the result: values come out descending
    # and, among equal values, in increasing original position. NaN (last ascending) comes first.
    n = x.shape[axis]
    idx = xp.flip(_stable_argsort(xp, xp.flip(x, axis), axis), axis)
    return (n - 1) - idx


def _take(a, axis, start, stop):
    """``a[..., start:stop, ...]`` along ``axis`` (keeps the dim)."""
    key = (slice(None),) * axis + (slice(start, stop),)
    return a[key]


# --- the shared primitive --------------------------------------------------------------

class _Select(Op):
    """Base of the ops that pick elements along one dim: outputs (values, indices).

    Subclasses define ``_indices(xp, x, dim, **attrs)``: the int64 indices of the picked
    elements, with ``dim`` kept (size 1 for reductions). ``x`` is at least 1-d here.
    """
    non_differentiable_outputs = (1,)
    materialize_grads = False  # only the values get a gradient; none is made up for the indices

    @staticmethod
    def forward(ctx, x, dim=-1, keepdim=True, **attrs):
        xp = xp_of(x)
        scalar = x.ndim == 0
        xa = x.reshape(1) if scalar else x
        idx = type(ctx)._indices(xp, xa, dim, **attrs).astype(xp.int64, copy=False)
        vals = xp.take_along_axis(xa, idx, axis=dim)
        ctx.idx, ctx.in_shape, ctx.dim, ctx.keepdim, ctx.scalar = idx, xa.shape, dim, keepdim, scalar
        if scalar:
            return vals.reshape(()), idx.reshape(())
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx

    @staticmethod
    def backward(ctx, g, _gi=None):
        from ..tensor import zeros, _wrap
        idx = _wrap(ctx.idx)
        if ctx.scalar:
            g = g.reshape(1)
        elif not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        gx = zeros(ctx.in_shape, dtype=g.dtype, device=g.device).scatter(ctx.dim, idx, g)
        return gx.reshape(()) if ctx.scalar else gx


class Sort(_Select):
    grad_name = "SortBackward0"

    @staticmethod
    def _indices(xp, x, dim, descending=False):
        return _argsort(xp, x, dim, descending)


class Topk(_Select):
    grad_name = "TopkBackward0"

    @staticmethod
    def _indices(xp, x, dim, k=1, largest=True):
        # A full stable sort, then the first k: deterministic ties (an argpartition would not be).
        return _take(_argsort(xp, x, dim, descending=largest), dim, 0, k)


class Kthvalue(_Select):
    grad_name = "KthvalueBackward0"

    @staticmethod
    def _indices(xp, x, dim, k=1):
        return _take(_argsort(xp, x, dim), dim, k - 1, k)


class MedianDim(_Select):
    """The lower median along ``dim``; a slice holding NaN gives NaN and the index of its first NaN."""
    grad_name = "MedianBackward1"

    @staticmethod
    def _indices(xp, x, dim):
        order = _argsort(xp, x, dim)
        n = x.shape[dim]
        if x.dtype.kind != "f":
            return _take(order, dim, (n - 1) // 2, (n - 1) // 2 + 1)
        # NaNs sit at the end of the stable ascending order; the first of them has the smallest index.
        n_nan = xp.isnan(x).sum(axis=dim, keepdims=True)
        pos = xp.where(n_nan > 0, n - n_nan, (n - 1) // 2)
        return xp.take_along_axis(order, pos, axis=dim)


class Median(Op):
    """median() over all elements (the lower median, NaN if any is NaN).

    As in PyTorch, the gradient is shared equally among the elements equal to the result.
    """
    save_inputs = (0,)
    save_output = True
    grad_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x)
        flat = x.reshape(-1)
        if flat.size == 0:
            fill = np.nan if x.dtype.kind == "f" else np.iinfo(x.dtype).min
            return xp.asarray(fill, dtype=x.dtype)
        if x.dtype.kind == "f" and bool(xp.isnan(flat).any()):
            return xp.asarray(np.nan, dtype=x.dtype)
        k = (flat.size - 1) // 2
        return xp.partition(flat, k)[k].reshape(())

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        y, = ctx.saved_outputs
        mask = (x == y) | (x.isnan() & y.isnan())
        mask = mask.to(g.dtype)
        return g * mask / mask.sum()


class Unique(Op):
    """Sorted unique values (or unique slices along ``dim``), inverse indices and counts.

    Like PyTorch, NaNs are not merged (each NaN is its own value), and the result has no
    derivative: it records a node whose backward raises.
    """
    non_differentiable_outputs = (1, 2)
    materialize_grads = False
    grad_name = "Unique2Backward0"

    @staticmethod
    def forward(ctx, x, dim=None):
        xp = xp_of(x)
        host = to_host(x)  # a data-dependent output size: done on the host, then moved back
        vals, inv, counts = np.unique(host, return_inverse=True, return_counts=True, axis=dim,
                                      equal_nan=False)
        inv = inv.reshape(host.shape) if dim is None else inv.reshape(-1)
        out = vals, inv.astype(np.int64, copy=False), counts.astype(np.int64, copy=False)
        if xp is not np:
            out = tuple(xp.asarray(a) for a in out)
        return out

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("the derivative for 'unique' is not implemented.")


# --- the public functions -------------------------------------------------------------

def _dim(x, dim):
    from ..tensor import _norm_dim
    return _norm_dim(dim, x.ndim)


def _size_along(x, d):
    return x.shape[d] if x.ndim else 1


def _no_bool(op, x):
    if x.dtype.name == "bool":
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'Bool\'')


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """Sorts ``input`` along ``dim``; returns (values, indices).

    The sort is always stable: equal elements keep their order (PyTorch only promises
    that with ``stable=True``). NaN is the largest value.
    """
    d = _dim(input, dim)
    v, i = Sort.apply(input, dim=d, keepdim=True, descending=bool(descending))
    return named("sort", ("values", "indices"), v, i)


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim`` (stable)."""
    return sort(input, dim, descending, stable).indices


def msort(input):
    """Sorts along the first dim: ``sort(input, dim=0).values``."""
    return sort(input, dim=0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The ``k`` largest (or smallest) elements along ``dim``; returns (values, indices).

    The values always come out sorted (also with ``sorted=False``, where PyTorch leaves the
    order unspecified); ties are taken in input order.
    """
    d = _dim(input, dim)
    k = int(k)
    if not 0 <= k <= _size_along(input, d):
        raise RuntimeError(f"selected index k out of range (topk: k={k} for a tensor of shape "
                           f"{list(input.shape)} along dim {d})")
    if input.dtype.name == "bool":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    v, i = Topk.apply(input, dim=d, keepdim=True, k=k, largest=bool(largest))
    return named("topk", ("values", "indices"), v, i)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The ``k``-th smallest element (1-based) along ``dim``; returns (values, indices)."""
    d = _dim(input, dim)
    k = int(k)
    if not 1 <= k <= _size_along(input, d):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} "
                           f"(k={k}, size {_size_along(input, d)})")
    _no_bool("kthvalue", input)
    v, i = Kthvalue.apply(input, dim=d, keepdim=bool(keepdim), k=k)
    return named("kthvalue", ("values", "indices"), v, i)


def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median (of the two middle values, the smaller), NaN where a NaN is present.

    Without ``dim``: a 0-d tensor over all elements. With ``dim``: (values, indices).
    """
    _no_bool("median", input)
    if dim is None:
        return Median.apply(input)
    d = _dim(input, dim)
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    v, i = MedianDim.apply(input, dim=d, keepdim=bool(keepdim))
    return named("median", ("values", "indices"), v, i)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The unique elements of ``input`` in ascending order (``sorted=False`` sorts too, as
    PyTorch does on the CPU); with ``dim``, the unique slices along that dim.

    Returns a tensor, or a tuple (values, inverse?, counts?) with what was asked for.
    """
    if dim is not None:
        dim = _dim(input, dim)
        if input.numel() == 0 and any(s == 0 for i, s in enumerate(input.shape) if i != dim):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot "
                               f"be applied (unique: shape {list(input.shape)}, dim={dim})")
    vals, inv, counts = Unique.apply(input, dim=dim)
    if not return_inverse and not return_counts:
        return vals
    out = (vals,)
    if return_inverse:
        out += (inv,)
    if return_counts:
        out += (counts,)
    return out

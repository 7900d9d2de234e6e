"""In-place ops on views: where a view's elements sit inside its base.

When an in-place op writes through a view (``y[1:].mul_(2)``, ``y.t().add_(x)``) while
the graph is recorded, the base gets a new graph node, as PyTorch's CopySlices:
``base_new = base_old`` with the view's positions replaced by the op's result. Those
positions come from the memory layout the two arrays share, so every kind of view
(slices, transposes, reshapes, diagonals) is handled the same way.
"""
import numpy as np

__all__ = ["view_positions"]


def _addr(a):
    return a.ctypes.data if isinstance(a, np.ndarray) else a.data.ptr


def _byte_offsets(shape, strides, start):
    """Byte offset of every element of an array of ``shape``/``strides`` whose first element is at ``start``."""
    off = np.full(shape, start, dtype=np.int64)
    for k, (n, s) in enumerate(zip(shape, strides)):
        if n > 1 and s:
            idx = [1] * len(shape)
            idx[k] = n
            off = off + (np.arange(n, dtype=np.int64) * s).reshape(idx)
    return off


def view_positions(base, view):
    """Flat (C-order) indices into ``base`` of each element of ``view``, shaped like ``view``.

    ``base`` and ``view`` are arrays (numpy or cupy) of one dtype, ``view`` lying in
    ``base``'s memory. Returns None when that is not so, or when ``base`` has elements
    that share memory (an expanded array), where a position would be ambiguous.
    """
    if base.dtype != view.dtype or base.size == 0:
        return None
    if any(s == 0 for n, s in zip(base.shape, base.strides) if n > 1):
        return None
    item = base.itemsize
    start = _addr(view) - _addr(base)
    ov = _byte_offsets(view.shape, view.strides, start)
    if base.flags.c_contiguous:
        if ov.size and (ov.min() < 0 or ov.max() >= base.size * item or np.any(ov % item)):
            return None
        pos = ov // item
    else:
        ob = _byte_offsets(base.shape, base.strides, 0).ravel()
        order = np.argsort(ob, kind="stable")
        sorted_ob = ob[order]
        loc = np.searchsorted(sorted_ob, ov)
        if ov.size and (loc.max() >= sorted_ob.size
                        or not np.array_equal(sorted_ob[np.minimum(loc, sorted_ob.size - 1)], ov)):
            return None
        if np.unique(sorted_ob).size != sorted_ob.size:
            return None
        pos = order[loc]
    if not isinstance(base, np.ndarray):
        import cupy
        pos = cupy.asarray(pos)
    return pos

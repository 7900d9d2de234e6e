"""Fused primitives for ``ember.nn.functional``: only where one op clearly beats a composition.

* ``Linear``: ``y = x @ W.T + b`` as one op (one matmul, the bias added in place,
  no transpose/expand/add nodes in the graph); the hot op of every MLP.
* ``CrossEntropyIndex``: log-softmax + pick + reduce for class-index targets in one
  pass, the backward ``softmax - one_hot`` in one formula.
* ``Embedding``: a row lookup whose backward scatters into the table and leaves the
  padding row without gradient.
* ``Erf``: numpy has no erf; GELU needs it.

As everywhere in ember, ``backward`` is written in Tensor ops (so second derivatives
work) and ``fast_backward`` is the same formula on raw arrays, which the engine uses
when no graph of the gradient is recorded (see ``ops/fast_backward.py``).
``tests/test_nn_functional.py`` holds the two equal.
"""
import math

import numpy as np

from ..backend import xp_of, scatter_add
from .elementwise import Op, sum_to
from .fast_backward import sum_to_array
from .linalg import matmul_arrays


# --- linear -------------------------------------------------------------------------------

class Linear(Op):
    """``x @ w.T (+ b)`` for ``x`` of shape (..., in), ``w`` (out, in), ``b`` broadcastable to (..., out).

    Applied as ``Linear.apply(x, w)`` or ``Linear.apply(x, w, b)``.
    """
    save_inputs = (0, 1)
    grad_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.x_shape = x.shape
        ctx.b_shape = None if b is None else b.shape
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        y = matmul_arrays(x2, w.T)
        if b is not None:
            y += b  # y is fresh: add the bias in place instead of allocating a second (N, out) array
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1])
        gx = g.matmul(w) if need[0] else None
        gw = g2.mT.matmul(x.reshape(-1, x.shape[-1])) if need[1] else None
        gb = None
        if len(need) > 2 and need[2]:
            gb = sum_to(g, ctx.b_shape)
        return gx, gw, gb


def _linear_fast(ctx, g):
    x, w = ctx.saved_arrays
    need = ctx.needs_input_grad
    g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
    gx = gw = gb = None
    if need[0]:
        gx = matmul_arrays(g2, w)
        if g.ndim != 2:
            gx = gx.reshape(ctx.x_shape)
    if need[1]:
        gw = matmul_arrays(g2.T, x if x.ndim == 2 else x.reshape(-1, x.shape[-1]))
    if len(need) > 2 and need[2]:
        gb = sum_to_array(g, ctx.b_shape)
    return gx, gw, gb


Linear.fast_backward = staticmethod(_linear_fast)


# --- cross entropy with class indices ------------------------------------------------------

def _log_softmax_rows(xp, x):
    """log_softmax along dim 1 of a 2-D array (max-shifted: no overflow)."""
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))


def _ce_weights(xp, target, ignore_index, reduction, dtype):
    """Per-row factor of the loss: 1 for counted rows, 0 for ignored ones, divided by the count for 'mean'."""
    valid = target != ignore_index
    w = valid.astype(dtype)
    if reduction == "mean":
        # ignored rows keep 0 even when nothing is counted (the loss is nan then, its gradient 0, as PyTorch)
        w *= 1 / xp.maximum(valid.sum(), 1).astype(dtype)
    return w, valid


class CrossEntropyIndex(Op):
    """``cross_entropy(x, t)`` for ``x`` of shape (N, C) and class indices ``t`` of shape (N,),
    without class weights or label smoothing (those take the composite path)."""
    save_inputs = (0, 1)
    grad_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, reduction="mean", ignore_index=-100):
        ctx.reduction, ctx.ignore_index = reduction, ignore_index
        xp = xp_of(x)
        logp = _log_softmax_rows(xp, x)
        valid = target != ignore_index
        safe = xp.where(valid, target, 0)
        picked = logp[xp.arange(x.shape[0]), safe]
        loss = xp.where(valid, -picked, x.dtype.type(0))
        if reduction == "none":
            return loss
        total = loss.sum(dtype=x.dtype)
        if reduction == "sum":
            return xp.asarray(total, dtype=x.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            return xp.asarray(total / valid.sum().astype(x.dtype), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, target = ctx.saved_tensors
        xp = xp_of(x._data)
        w, valid = _ce_weights(xp, target._data, ctx.ignore_index, ctx.reduction, x._data.dtype)
        onehot = xp.zeros(x.shape, dtype=x._data.dtype)
        onehot[xp.arange(x.shape[0]), xp.where(valid, target._data, 0)] = 1
        from ..tensor import _wrap
        coef = _wrap(w)
        if ctx.reduction == "none":
            coef = coef * g
        else:
            coef = coef * g.reshape(())
        return (x.softmax(1) - _wrap(onehot)) * coef.unsqueeze(1), None


def _ce_fast(ctx, g):
    x, target = ctx.saved_arrays
    xp = xp_of(x)
    w, valid = _ce_weights(xp, target, ctx.ignore_index, ctx.reduction, x.dtype)
    e = xp.exp(x - x.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    e[xp.arange(x.shape[0]), xp.where(valid, target, 0)] -= 1
    e *= (w * g)[:, None] if ctx.reduction == "none" else (w * g.reshape(()))[:, None]
    return e, None


CrossEntropyIndex.fast_backward = staticmethod(_ce_fast)


# --- embedding ----------------------------------------------------------------------------

class Embedding(Op):
    """``weight[indices]``; the backward sums gradients per row, none to ``padding_idx``, and with
    ``scale_grad_by_freq`` divides each row's gradient by how often its index occurs."""
    save_inputs = (1,)
    grad_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None, scale_grad_by_freq=False):
        ctx.num, ctx.padding_idx, ctx.scale = weight.shape[0], padding_idx, scale_grad_by_freq
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        indices, = ctx.saved_tensors
        from ..tensor import _wrap
        scale = _row_scale(ctx, indices._data, g._data.dtype)
        gw = g.reshape(-1, g.shape[-1])
        if scale is not None:
            gw = gw * _wrap(scale[:, None])
        z = g.new_zeros((ctx.num, g.shape[-1]))
        return z.index_add(0, indices.reshape(-1), gw), None


def _row_scale(ctx, idx, dtype):
    """Per-lookup factor: 0 at the padding index, 1/count with scale_grad_by_freq; None when all ones."""
    if ctx.padding_idx is None and not ctx.scale:
        return None
    xp = xp_of(idx)
    flat = idx.reshape(-1)
    s = xp.ones(flat.shape, dtype=dtype)
    if ctx.scale:
        counts = xp.bincount(flat, minlength=ctx.num)
        s /= counts[flat].astype(dtype)
    if ctx.padding_idx is not None:
        s[flat == ctx.padding_idx] = 0
    return s


def _embedding_fast(ctx, g):
    idx, = ctx.saved_arrays
    xp = xp_of(g)
    g2 = g.reshape(-1, g.shape[-1])
    scale = _row_scale(ctx, idx, g.dtype)
    if scale is not None:
        g2 = g2 * scale[:, None]
    out = xp.zeros((ctx.num, g.shape[-1]), dtype=g.dtype)
    scatter_add(xp, out, idx.reshape(-1), g2)
    return out, None


Embedding.fast_backward = staticmethod(_embedding_fast)


# --- erf ----------------------------------------------------------------------------------

def erf_array(x):
    """erf on an array: SciPy's (or CuPy's) when installed, else math.erf per element (slow, exact)."""
    xp = xp_of(x)
    work = x.astype(np.float32) if x.dtype == np.float16 else x
    if xp is np:
        try:
            from scipy.special import erf
            out = erf(work)
        except ImportError:  # SciPy is optional: an exact, slow fallback
            out = np.vectorize(math.erf, otypes=[work.dtype])(work) if work.size else work.copy()
    else:
        from cupyx.scipy.special import erf
        out = erf(work)
    return out.astype(x.dtype, copy=False)


class Erf(Op):
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, x):
        return erf_array(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x * x).neg().exp() * (2.0 / math.sqrt(math.pi))


def _erf_fast(ctx, g):
    x, = ctx.saved_arrays
    return (g * xp_of(x).exp(-(x * x)) * (2.0 / math.sqrt(math.pi))).astype(g.dtype, copy=False)


Erf.fast_backward = staticmethod(_erf_fast)

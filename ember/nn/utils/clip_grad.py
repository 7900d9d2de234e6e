"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``, ``clip_grads_with_norm_``.

The arithmetic runs on the gradients' arrays (numpy or cupy) outside autograd, as
PyTorch runs it under no_grad. Norms are accumulated in float64 and returned in the
gradients' dtype, so results agree with PyTorch's to the last bit or two.
"""
import math
import warnings

import numpy as np

from ...backend import xp_of, to_host
from ...tensor import Tensor, _wrap

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _norm(arr, p):
    """The p-norm of a whole array, as a 0-d float64 array on its device."""
    xp = xp_of(arr)
    a = xp.abs(arr.astype(np.float64, copy=False)).reshape(-1)
    if p == math.inf:
        return a.max() if a.size else xp.asarray(0.0)
    if p == -math.inf:
        return a.min() if a.size else xp.asarray(math.inf)
    if p == 0:
        return xp.asarray(xp.count_nonzero(a), dtype=np.float64)  # no float(): that would sync with the GPU
    if p == 1:
        return a.sum()
    if p == 2:
        return xp.sqrt(xp.dot(a, a))
    return (a ** p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    r"""Compute the norm of an iterable of tensors, as if their elements were concatenated into one vector.

    Args:
        tensors (Iterable[Tensor] or Tensor): tensors (gradients, usually) whose norm is computed
        norm_type (float): type of the used p-norm; can be ``'inf'`` for infinity norm. Default: 2.0
        error_if_nonfinite (bool): raise if the total norm is ``nan``, ``inf`` or ``-inf``. Default: False
        foreach (bool): accepted for compatibility; ember has one implementation.

    Returns:
        Total norm of the tensors (viewed as a single vector), a 0-d tensor.
    """
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        from ...tensor import tensor
        return tensor(0.0)
    first = tensors[0]._data
    xp = xp_of(first)
    # norms of each tensor, gathered on the first tensor's device
    norms = []
    for t in tensors:
        n = _norm(t._data, norm_type)
        norms.append(n if xp_of(n) is xp else xp.asarray(to_host(n)))
    total = _norm(xp.stack(norms), norm_type)
    dtype = np.result_type(*[t._data.dtype for t in tensors])
    total = xp.asarray(total, dtype=dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return _wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    r"""Scale the gradients of ``parameters`` by ``max_norm / (total_norm + 1e-6)`` when that is below 1.

    ``total_norm`` is the value :func:`get_total_norm` computed for these gradients.
    """
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    tn = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    dt = tn.dtype.type if tn.dtype.kind == "f" else np.float32
    # same arithmetic as PyTorch, in the norm's dtype: coef = max_norm / (norm + 1e-6), clamped to 1
    if xp_of(tn) is np:
        coef = dt(max_norm) / (tn.astype(dt) + dt(1e-6))
        coef = min(coef, dt(1.0))
    else:  # a CUDA norm stays on the GPU: no device->host sync per step (PyTorch's clip has none either)
        coef = xp_of(tn).minimum(dt(max_norm) / (tn.astype(dt) + dt(1e-6)), dt(1.0))
    for g in grads:
        data = g._data
        c = coef.astype(data.dtype)
        if data.__class__ is np.ndarray and c.__class__ is not np.ndarray and not isinstance(c, np.generic):
            c = to_host(c)  # a CPU gradient clipped by a CUDA norm
        xp_of(data).multiply(data, c, out=data)
        g._ver[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    r"""Clip the gradient norm of an iterable of parameters, in place.

    The norm is computed over the norms of the individual gradients, as if they were
    concatenated into a single vector. Gradients are modified in place.

    Args:
        parameters (Iterable[Tensor] or Tensor): an iterable of Tensors or a single Tensor whose
            gradients will be normalized
        max_norm (float): max norm of the gradients
        norm_type (float): type of the used p-norm. Can be ``'inf'`` for infinity norm. Default: 2.0
        error_if_nonfinite (bool): if True, an error is thrown if the total norm of the gradients
            from :attr:`parameters` is ``nan``, ``inf``, or ``-inf``. Default: False
        foreach (bool): accepted for compatibility; ember has one implementation.

    Returns:
        Total norm of the parameter gradients (viewed as a single vector).
    """
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    if grads:
        clip_grads_with_norm_(params, float(max_norm), total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    r"""Deprecated alias of :func:`clip_grad_norm_`."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    r"""Clip the gradients of an iterable of parameters at the specified value, in place.

    Args:
        parameters (Iterable[Tensor] or Tensor): an iterable of Tensors or a single Tensor whose
            gradients will be clipped
        clip_value (float): maximum allowed value of the gradients; they are clipped to the range
            :math:`\left[\text{-clip\_value}, \text{clip\_value}\right]`
        foreach (bool): accepted for compatibility; ember has one implementation.
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is None:
            continue
        data = g._data
        xp_of(data).clip(data, -clip_value, clip_value, out=data)
        g._ver[0] += 1

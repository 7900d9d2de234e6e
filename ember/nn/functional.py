"""``ember.nn.functional``: the stateless layer functions, as ``torch.nn.functional``.

Most functions are compositions of Tensor ops (their gradients, second derivatives
included, come from those ops). A few are fused primitives in ``ember/ops/nn.py``
where one op clearly pays: ``linear``, ``cross_entropy`` with class indices,
``embedding`` and the ``erf`` inside exact GELU.
"""
import math
import warnings

import numpy as np

from .. import dtypes as _dt
from ..autograd.grad_mode import no_grad
from ..backend import xp_of
from ..ops import nn as _N
from ..tensor import Tensor, _inplace_unary, broadcast_tensors, _wrap, cat, empty_like, full, tensor as _tensor, zeros_like

__all__ = [
    "linear", "bilinear",
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu", "selu_", "celu",
    "celu_", "gelu", "silu", "mish", "sigmoid", "tanh", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish",
    "softplus", "softmax", "log_softmax", "softmin", "softsign", "threshold", "threshold_", "logsigmoid",
    "dropout", "embedding", "layer_norm", "rms_norm", "group_norm", "batch_norm",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss", "margin_ranking_loss",
    "one_hot", "pad", "normalize", "cosine_similarity",
]


def _dims(t):
    return "x".join(str(s) for s in t.shape)


def linear(input, weight, bias=None):
    r"""Applies an affine linear transformation to the incoming data: :math:`y = xA^T + b`.

    Args:
        input: ``(*, in_features)``
        weight: ``(out_features, in_features)`` or ``(in_features)``
        bias: ``(out_features)`` or ``()``, optional
    Returns:
        ``(*, out_features)`` (``(*)`` for a 1-D weight)
    """
    if weight.dim() != 2 or input.dim() == 0:
        # rare shapes (a 1-D weight, a scalar input): plain matmul semantics and its errors
        out = input.matmul(weight.t() if weight.dim() == 2 else weight)
        return out if bias is None else out + bias
    if input.shape[-1] != weight.shape[1]:
        x2 = (input.numel() // max(input.shape[-1], 1), input.shape[-1]) if input.dim() != 1 else (1, input.shape[0])
        raise RuntimeError(f"linear: mat1 and mat2 shapes cannot be multiplied ({x2[0]}x{x2[1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]}): input's last dim {input.shape[-1]} must equal "
                           f"weight.shape[1] = in_features {weight.shape[1]}")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise RuntimeError(f"linear: mat1 and mat2 must have the same dtype, but got input {input.dtype}, weight "
                           f"{weight.dtype}" + (f", bias {bias.dtype}" if bias is not None else "") +
                           "; convert them with .to(dtype)")
    if bias is None:
        return _N.Linear.apply(input, weight)
    if bias.dim() > 1 or (bias.dim() == 1 and bias.shape[0] not in (1, weight.shape[0])):
        out = _N.Linear.apply(input, weight)  # an unusual bias shape: ordinary broadcasting rules
        return out + bias
    return _N.Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    r"""Applies a bilinear transformation to the incoming data: :math:`y = x_1^T A x_2 + b`.

    Args:
        input1: ``(N, *, H_{in1})``; input2: ``(N, *, H_{in2})`` (same leading dims)
        weight: ``(out_features, in1_features, in2_features)``; bias: ``(out_features)``, optional
    Returns:
        ``(N, *, out_features)``
    """
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got {weight.dim()}-D of shape "
                           f"{list(weight.shape)}")
    out_f, in1, in2 = weight.shape
    if input1.dim() != input2.dim() or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape)} and "
                           f"{list(input2.shape)}")
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input sizes do not match weight: input1 {list(input1.shape)}, input2 "
                           f"{list(input2.shape)}, weight {list(weight.shape)} (need input1.shape[-1] == "
                           f"weight.shape[1] and input2.shape[-1] == weight.shape[2])")
    # x1 @ W viewed as (in1, out*in2): one matmul, then a product-sum with x2 over in2
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = input1.matmul(w).reshape(tuple(input1.shape[:-1]) + (out_f, in2))
    out = (t * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


# --- helpers ------------------------------------------------------------------------------

def _inplace(input, fn, opname, **kw):
    """``input = fn(input)`` in place, recorded like PyTorch's in-place activations (errors on a leaf
    that requires grad)."""
    return _inplace_unary(input, fn, opname, **kw)


def _softplus0(x):
    """log(1 + exp(x)) without overflow, exact everywhere, derivative sigmoid(x) (0.5 at 0 as PyTorch)."""
    pos = x > 0
    return x.where(pos, 0.0) + x.where(~pos, -x).exp().log1p()


# --- activations --------------------------------------------------------------------------

def relu(input, inplace=False):
    r"""Applies the rectified linear unit function element-wise: :math:`\max(0, x)`."""
    if inplace:
        return _inplace(input, Tensor.relu, "relu_")
    return input.relu()


def relu_(input):
    """In-place version of :func:`relu`."""
    return relu(input, inplace=True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    r"""Applies the HardTanh function element-wise: ``clamp(x, min_val, max_val)``.

    The gradient is passed only strictly inside ``(min_val, max_val)``, as in PyTorch.
    """
    if inplace:
        return _inplace(input, _hardtanh, "hardtanh_", min_val=min_val, max_val=max_val)
    return _hardtanh(input, min_val=min_val, max_val=max_val)


def _hardtanh(x, min_val, max_val):
    inside = (x > min_val).logical_and(x < max_val)
    return x.where(inside, x.detach().clamp(min_val, max_val))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place version of :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    r"""Applies :math:`\min(\max(0, x), 6)` element-wise."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _leaky(x, negative_slope):
    return x.where(x > 0, x * negative_slope)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    r"""Applies :math:`\max(0, x) + \text{negative\_slope} * \min(0, x)` element-wise."""
    if inplace:
        return _inplace(input, _leaky, "leaky_relu_", negative_slope=negative_slope)
    return _leaky(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """In-place version of :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input, weight):
    r"""Applies :math:`\max(0, x) + \text{weight} * \min(0, x)` element-wise, one learnable slope per
    channel (dim 1; dim 0 of a 1-D input) or one shared slope.
    """
    n = weight.numel()
    channels = input.shape[1] if input.dim() >= 2 else (input.shape[0] if input.dim() == 1 else 1)
    if n != 1 and n != channels:
        raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers "
                           f"= {n} and channel size = {channels} (input shape {list(input.shape)}); give one "
                           "weight per channel (dim 1) or a single weight")
    w = weight.reshape(-1)
    if n != 1 and input.dim() >= 2:
        w = w.reshape((n,) + (1,) * (input.dim() - 2))
    elif n == 1:
        w = w.reshape(())
    return input.where(input > 0, input * w)


def _elu(x, alpha=1.0, scale=1.0, input_scale=1.0):
    # clamp the exp branch's argument at 0: exp of a large positive x (not selected) would be inf,
    # and inf * 0 in the backward is nan
    z = x.clamp(max=0)
    neg = (z * input_scale if input_scale != 1.0 else z).expm1() * alpha
    out = x.where(x > 0, neg)
    return out * scale if scale != 1.0 else out


def elu(input, alpha=1.0, inplace=False):
    r"""Applies :math:`x` for :math:`x > 0` and :math:`\alpha (e^x - 1)` otherwise, element-wise."""
    if inplace:
        return _inplace(input, _elu, "elu_", alpha=alpha)
    return _elu(input, alpha)


def elu_(input, alpha=1.0):
    """In-place version of :func:`elu`."""
    return elu(input, alpha, inplace=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    r"""Applies :math:`\text{scale} * (\max(0,x) + \min(0, \alpha (e^x - 1)))` with PyTorch's constants
    ``alpha = 1.6732632423543772848170429916717`` and ``scale = 1.0507009873554804934193349852946``."""
    if inplace:
        return _inplace(input, _elu, "selu_", alpha=_SELU_ALPHA, scale=_SELU_SCALE)
    return _elu(input, _SELU_ALPHA, _SELU_SCALE)


def selu_(input):
    """In-place version of :func:`selu`."""
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    r"""Applies :math:`\max(0,x) + \min(0, \alpha (e^{x/\alpha} - 1))` element-wise."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha must not be 0 (it divides x)")
    if inplace:
        return _inplace(input, _elu, "celu_", alpha=alpha, input_scale=1.0 / alpha)
    return _elu(input, alpha, input_scale=1.0 / alpha)


def celu_(input, alpha=1.0):
    """In-place version of :func:`celu`."""
    return celu(input, alpha, inplace=True)


def gelu(input, approximate="none"):
    r"""Gaussian Error Linear Units: :math:`x \Phi(x)` with :math:`\Phi` the standard normal CDF
    (``approximate='none'``, exact via erf) or its tanh approximation (``approximate='tanh'``)."""
    if approximate == "none":
        return input * (_N.Erf.apply(input * (1.0 / math.sqrt(2.0))) + 1.0) * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * (inner.tanh() + 1.0) * 0.5
    raise RuntimeError(f"gelu: approximate argument must be either none or tanh (got {approximate!r}).")


def silu(input, inplace=False):
    r"""Sigmoid linear unit (swish): :math:`x \sigma(x)`."""
    if inplace:
        return _inplace(input, lambda x: x * x.sigmoid(), "silu_")
    return input * input.sigmoid()


def mish(input, inplace=False):
    r"""Mish: :math:`x \tanh(\text{softplus}(x))`."""
    if inplace:
        return _inplace(input, lambda x: x * _softplus0(x).tanh(), "mish_")
    return input * _softplus0(input).tanh()


def sigmoid(input):
    r"""Applies :math:`1 / (1 + e^{-x})` element-wise."""
    return input.sigmoid()


def tanh(input):
    """Applies the hyperbolic tangent element-wise."""
    return input.tanh()


def hardsigmoid(input, inplace=False):
    r"""Applies ``0`` for :math:`x \le -3`, ``1`` for :math:`x \ge 3`, :math:`x/6 + 1/2` between."""
    fn = lambda x: _hardtanh(x + 3.0, 0.0, 6.0) / 6.0  # noqa: E731
    if inplace:
        return _inplace(input, fn, "hardsigmoid_")
    return fn(input)


def _hardswish(x):
    # branches chosen so the gradient at x = -3 and x = 3 matches PyTorch's (0 and 1)
    return (x * (x + 3.0) / 6.0).where(x < 3, x).where(x > -3, 0.0)


def hardswish(input, inplace=False):
    r"""Applies :math:`x \cdot \text{ReLU6}(x + 3) / 6` element-wise."""
    if inplace:
        return _inplace(input, _hardswish, "hardswish_")
    return _hardswish(input)


def softplus(input, beta=1.0, threshold=20.0):
    r"""Applies :math:`\frac{1}{\beta} \log(1 + e^{\beta x})` element-wise; linear where
    :math:`\beta x > \text{threshold}`, as in PyTorch."""
    bx = input * beta if beta != 1 else input
    soft = _softplus0(bx)
    if beta != 1:
        soft = soft / beta
    return input.where(bx > threshold, soft)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    r"""Applies softmax along ``dim``: :math:`\exp(x_i) / \sum_j \exp(x_j)`.

    ``dtype``: cast the input to this dtype first. ``dim=None`` is deprecated (a warning, and dim
    chosen as 0 for 0-, 1- and 3-D inputs, else 1), as in PyTorch.
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    r"""Applies :math:`\log(\text{softmax}(x))` along ``dim`` (computed stably)."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    r"""Applies :math:`\text{softmax}(-x)` along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return (-input).softmax(dim)


def softsign(input):
    r"""Applies :math:`x / (1 + |x|)` element-wise."""
    return input / (input.abs() + 1)


def _threshold(x, threshold, value):
    return x.where(x > threshold, value)


def threshold(input, threshold, value, inplace=False):
    r"""``x`` where :math:`x > \text{threshold}`, else ``value``."""
    if inplace:
        return _inplace(input, _threshold, "threshold_", threshold=threshold, value=value)
    return _threshold(input, threshold, value)


def threshold_(input, threshold, value):
    """In-place version of :func:`threshold`."""
    return globals()["threshold"](input, threshold, value, inplace=True)


def logsigmoid(input):
    r"""Applies :math:`\log(1 / (1 + e^{-x}))` element-wise (computed stably)."""
    return -_softplus0(-input)


# --- dropout ------------------------------------------------------------------------------

def dropout(input, p=0.5, training=True, inplace=False):
    r"""During training, zeroes each element with probability ``p`` and scales the rest by :math:`1/(1-p)`.

    Identity when ``training`` is False. ``p`` must lie in [0, 1].
    """
    if not isinstance(p, (int, float)) or p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        mask = zeros_like(input)
    else:
        mask = empty_like(input).bernoulli_(1.0 - p) * (1.0 / (1.0 - p))
    if inplace:
        return _inplace(input, lambda x: x * mask, "dropout_")
    return input * mask


# --- embedding ----------------------------------------------------------------------------

def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    r"""Looks up rows of ``weight`` (num_embeddings, embedding_dim) at the integer indices ``input``.

    Args:
        padding_idx: that row gets no gradient (negative counts from the end).
        max_norm: rows looked up whose ``norm_type``-norm exceeds it are renormalised *in place* in
            ``weight`` to norm ``max_norm``, as in PyTorch.
        scale_grad_by_freq: scale each row's gradient by the inverse frequency of its index in the batch.
        sparse: accepted for compatibility; gradients are dense.
    """
    if input.dtype.is_floating_point or input.dtype is _dt.bool:
        raise RuntimeError("embedding: Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.dtype} instead; convert with .long()")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx >= num or padding_idx < -num:
            raise AssertionError(f"embedding: padding_idx {padding_idx} must be within num_embeddings {num}")
        if padding_idx < 0:
            padding_idx += num
    idx = input._data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        raise IndexError(f"embedding: index out of range in self (indices must lie in [0, {num}) for a weight of "
                         f"shape {list(weight.shape)}; got min {int(idx.min())}, max {int(idx.max())})")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _N.Embedding.apply(weight, input.long() if input.dtype is not _dt.int64 else input,
                              padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _embedding_renorm_(weight, input, max_norm, norm_type):
    """Rescale, in place and without gradient, the looked-up rows whose norm exceeds ``max_norm``."""
    w = weight._data
    xp = xp_of(w)
    rows = xp.unique(input._data.reshape(-1))
    sel = w[rows]
    if norm_type == float("inf"):
        norms = abs(sel).max(axis=1)
    else:
        norms = (abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)  # PyTorch's 1e-7 guard
        w[rows[big]] = sel[big] * scale[:, None]
        weight._ver[0] += 1


# --- normalisation ------------------------------------------------------------------------

def _norm_shape(input, normalized_shape, name):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or input.dim() < k or tuple(input.shape[input.dim() - k:]) != ns:
        raise RuntimeError(f"{name}: Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in ns)}], but got input of size{list(input.shape)}")
    return ns, tuple(range(input.dim() - k, input.dim()))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    r"""Layer normalisation over the last ``len(normalized_shape)`` dims:
    :math:`(x - E[x]) / \sqrt{Var[x] + \epsilon} * w + b` (biased variance)."""
    _, dims = _norm_shape(input, normalized_shape, "layer_norm")
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    r"""Root-mean-square normalisation over the last dims: :math:`x / \sqrt{E[x^2] + \epsilon} * w`.

    ``eps=None`` uses ``torch.finfo(input.dtype).eps``.
    """
    _, dims = _norm_shape(input, normalized_shape, "rms_norm")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    r"""Group normalisation: channels (dim 1) split into ``num_groups`` groups, each normalised over its
    channels and all spatial positions; then a per-channel affine ``weight``/``bias``."""
    if input.dim() < 2:
        raise RuntimeError(f"group_norm: Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()} (shape {list(input.shape)})")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups != 0:
        raise RuntimeError(f"group_norm: Expected number of channels in input to be divisible by num_groups, but "
                           f"got input of shape {list(input.shape)} and num_groups={num_groups}")
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(2, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(2, keepdim=True)
    out = (centered * (var + eps).rsqrt()).reshape(input.shape)
    shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    r"""Batch normalisation over every dim but the channel dim 1.

    Training: normalise with the batch's mean and biased variance, and update ``running_mean`` /
    ``running_var`` in place: ``running = (1 - momentum) * running + momentum * batch_stat`` (the
    unbiased variance goes into ``running_var``). Otherwise normalise with the running statistics.
    """
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected an input of at least 2 dims (N, C, *), got {list(input.shape)}")
    c = input.shape[1]
    dims = (0,) + tuple(range(2, input.dim()))
    shape = (1, c) + (1,) * (input.dim() - 2)
    if training:
        count = input.numel() // max(c, 1)
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"torch.Size({list(input.shape)})")
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if running_mean is not None or running_var is not None:
            with no_grad():
                m = momentum
                if running_mean is not None:
                    running_mean.mul_(1 - m).add_(mean.detach().reshape(c).to(running_mean.dtype) * m)
                if running_var is not None:
                    unbiased = var.detach().reshape(c) * (count / (count - 1))
                    running_var.mul_(1 - m).add_(unbiased.to(running_var.dtype) * m)
        out = centered * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean must be defined in evaluation mode (pass running_mean "
                               "and running_var, or training=True)")
        out = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# --- losses -------------------------------------------------------------------------------

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average``/``reduce`` arguments override ``reduction`` when given."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  f"{'none' if reduce is False else ('sum' if size_average is False else 'mean')}' instead.",
                  UserWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _check_reduction(reduction, extra=()):
    if reduction not in _REDUCTIONS + tuple(extra):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _pointwise_prep(name, input, target, weight, reduction):
    """Shared checks of the element-wise regression losses; returns the (possibly legacy) reduction."""
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size (torch.Size({list(target.shape)})) that is different to the input size "
                      f"(torch.Size({list(input.shape)})). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=3)
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{name}: Weights and input must have the same size (weight {list(weight.shape)}, "
                         f"input {list(input.shape)}).")


def _weighted_reduce(loss, weight, reduction):
    """mse/l1 with ``weight``: 'mean' is the weighted mean sum(w * l) / sum(w), as in PyTorch."""
    if weight is None:
        return _reduce(loss, reduction)
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean squared error :math:`(x - y)^2`, element-wise, then reduced (optionally weighted)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _pointwise_prep("mse_loss", input, target, weight, reduction)
    d = input - target
    return _weighted_reduce(d * d, weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean absolute error :math:`|x - y|`, element-wise, then reduced (optionally weighted)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _pointwise_prep("l1_loss", input, target, weight, reduction)
    return _weighted_reduce((input - target).abs(), weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    r"""Smooth L1: :math:`0.5 (x-y)^2 / \beta` where :math:`|x-y| < \beta`, else :math:`|x-y| - 0.5\beta`."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _pointwise_prep("smooth_l1_loss", input, target, None, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got beta={beta}).")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(d.where(d >= beta, d * d * (0.5 / beta)).where(d < beta, d - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    r"""Huber loss: :math:`0.5 (x-y)^2` where :math:`|x-y| < \delta`, else :math:`\delta (|x-y| - 0.5\delta)`."""
    _pointwise_prep("huber_loss", input, target, weight, reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got delta={delta}).")
    d = (input - target).abs()
    loss = (d * d * 0.5).where(d < delta, (d - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _nll_2d(logp, target, weight, ignore_index, reduction):
    """nll_loss on (M, C) log-probabilities and (M,) class indices; PyTorch's weighted-mean semantics."""
    valid = target != ignore_index
    safe = target.masked_fill(~valid, 0)
    picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    if weight is not None:
        w = weight.detach().index_select(0, safe) * valid
    else:
        w = valid.to(logp.dtype)
    loss = -picked * w
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    denom = w.sum()
    if not bool(denom._data != 0):
        return loss.sum() * 0.0 + float("nan")  # nothing counted: nan, with a zero gradient (as PyTorch)
    return loss.sum() / denom


def _class_targets(name, input, target, weight, ignore_index):
    """Check class-index targets against ``input`` ((C,), (N, C) or (N, C, d1, ...)) like PyTorch."""
    if target.dtype.is_floating_point or target.dtype is _dt.bool:
        raise RuntimeError(f"{name}: expected scalar type Long but found {target.dtype} (class-index targets must "
                           f"be integers; for class probabilities give a float target of the input's shape "
                           f"{list(input.shape)})")
    if input.dim() < 1:
        raise ValueError(f"{name}: Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() == 1:
        if target.dim() != 0:
            raise RuntimeError(f"{name}: 0D or 1D target tensor expected, multi-target not supported (input "
                               f"{list(input.shape)}, target {list(target.shape)})")
    elif input.dim() == 2:
        if target.dim() != 1:
            raise RuntimeError(f"{name}: 0D or 1D target tensor expected, multi-target not supported (input "
                               f"{list(input.shape)}, target {list(target.shape)})")
    if input.dim() >= 2 and (target.dim() < 1 or target.shape[0] != input.shape[0]):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.dim() else 0}).")
    if input.dim() > 2:
        expect = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expect:
            raise RuntimeError(f"{name}: Expected target size {list(expect)}, got {list(target.shape)} (input "
                               f"{list(input.shape)})")
    c = input.shape[0] if input.dim() == 1 else input.shape[1]
    if weight is not None and (weight.dim() != 1 or weight.shape[0] != c):
        raise RuntimeError(f"{name}: weight tensor should be defined either for all {c} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    t = target._data
    if t.size:
        bad = (t != ignore_index) & ((t < 0) | (t >= c))
        if bad.any():
            raise IndexError(f"Target {int(t[bad].reshape(-1)[0])} is out of bounds. ({name}: class indices must "
                             f"lie in [0, {c}) for input {list(input.shape)}, or equal ignore_index={ignore_index})")
    return c


def _to_rows(input, target):
    """(C,), (N, C) or (N, C, d1, ...) inputs as (M, C) rows and (M,) targets, and the 'none' output shape."""
    if input.dim() == 1:
        return input.unsqueeze(0), target.reshape(1), ()
    if input.dim() == 2:
        return input, target, None
    c = input.shape[1]
    return input.movedim(1, -1).reshape(-1, c), target.reshape(-1), tuple(target.shape)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    r"""Negative log-likelihood loss on log-probabilities ``input`` ((C,), (N, C) or (N, C, d1, ...)) and
    class indices ``target``. With ``weight`` and 'mean' the result is
    :math:`\sum_n w_{y_n} l_n / \sum_n w_{y_n}`; targets equal to ``ignore_index`` count nowhere."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _class_targets("nll_loss", input, target, weight, ignore_index)
    rows, t, out_shape = _to_rows(input, target)
    loss = _nll_2d(rows, t, weight, ignore_index, reduction)
    return loss.reshape(out_shape) if reduction == "none" and out_shape is not None else loss


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    r"""Cross entropy between the logits ``input`` and ``target``.

    ``input``: (C,), (N, C) or (N, C, d1, ...). ``target``: class indices ((), (N,) or (N, d1, ...)) or
    class probabilities (a float tensor of the input's shape). ``weight`` rescales classes,
    ``ignore_index`` drops targets, ``label_smoothing`` mixes in the uniform distribution.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target.dtype.is_floating_point and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if target.dtype.is_floating_point:
        raise RuntimeError(f"cross_entropy: expected target dtype to be Long or Byte, but got {target.dtype} "
                           f"(a float target must have the input's shape {list(input.shape)} to be probabilities; "
                           f"got {list(target.shape)})")
    c = _class_targets("cross_entropy", input, target, weight, ignore_index)
    rows, t, out_shape = _to_rows(input, target)
    if t.dtype is not _dt.int64:
        t = t.long()
    if weight is None and label_smoothing == 0.0:
        loss = _N.CrossEntropyIndex.apply(rows, t, reduction=reduction, ignore_index=ignore_index)
    else:
        logp = rows.log_softmax(1)
        loss = _nll_2d(logp, t, weight, ignore_index, reduction)
        if label_smoothing > 0.0:
            valid = t != ignore_index
            if weight is not None:
                smooth = -(logp * weight.detach()).sum(1)
            else:
                smooth = -logp.sum(1)
            smooth = smooth * valid
            if reduction == "sum":
                smooth = smooth.sum()
            elif reduction == "mean":
                if weight is not None:
                    denom = (weight.detach().index_select(0, t.masked_fill(~valid, 0)) * valid).sum()
                else:
                    denom = valid.sum()
                smooth = smooth.sum() / denom if bool(denom._data != 0) else smooth.sum() * 0.0
            loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / c)
    return loss.reshape(out_shape) if reduction == "none" and out_shape is not None else loss


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    """Cross entropy with class-probability targets: :math:`-\\sum_c w_c y_c \\log p_c`; 'mean' divides by
    the number of samples."""
    cdim = 0 if input.dim() == 1 else 1
    c = input.shape[cdim]
    if weight is not None and (weight.dim() != 1 or weight.shape[0] != c):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    logp = input.log_softmax(cdim)
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / c
    prod = logp * target
    if weight is not None:
        prod = prod * weight.detach().reshape((c,) + (1,) * (input.dim() - cdim - 1))
    loss = -prod.sum(cdim)
    if reduction == "mean":
        return loss.sum() / (input.numel() // c) if input.dim() > 1 else loss
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    r"""Binary cross entropy between probabilities ``input`` and ``target``:
    :math:`-w (y \log x + (1 - y) \log(1 - x))`, each log clamped at -100 as in PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size (torch.Size({list(target.shape)})) that is different to the input "
                         f"size (torch.Size({list(input.shape)})) is deprecated. Please ensure they have the same "
                         "size.")
    x = input._data
    if x.size and ((x < 0) | (x > 1)).any():
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 (apply "
                           "sigmoid first, or use binary_cross_entropy_with_logits)")
    with np.errstate(divide="ignore"):  # log(0) = -inf is expected here: clamped to -100 next
        log_x, log_1mx = input.log(), (1 - input).log()
    loss = -(target * log_x.clamp(min=-100) + (1 - target) * log_1mx.clamp(min=-100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    r"""Sigmoid + binary cross entropy in one numerically stable formula:
    :math:`-w (p_w\, y \log \sigma(x) + (1 - y) \log(1 - \sigma(x)))` with ``pos_weight`` :math:`p_w`
    broadcast over the last (class) dim."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size (torch.Size({list(target.shape)})) must be the same as input size "
                         f"(torch.Size({list(input.shape)}))")
    softplus_neg = _softplus0(-input)  # -log(sigmoid(x)), stable for any x
    if pos_weight is not None:
        loss = (1 - target) * input + ((pos_weight - 1) * target + 1) * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    r"""Kullback-Leibler divergence, ``input`` given as log-probabilities:
    :math:`y (\log y - x)` element-wise (``log_target``: :math:`e^{y} (y - x)`). ``'batchmean'`` divides
    the sum by the batch size (the mathematically correct KL); ``'mean'`` by the element count."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, ("batchmean",))
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        pos = target > 0
        loss = (target * target.where(pos, 1.0).log()).where(pos, 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() > 0 else loss.sum()
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    r"""For target 1: :math:`1 - \cos(x_1, x_2)`; for target -1: :math:`\max(0, \cos(x_1, x_2) - \text{margin})`.

    ``input1``/``input2``: (N, D) or (D,); ``target``: (N,) or ().
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.dim() not in (1, 2) or target.dim() != input1.dim() - 1 or input1.shape != input2.shape:
        raise RuntimeError(f"cosine_embedding_loss: expected inputs of the same shape (N, D) or (D,) and a target of "
                           f"shape (N,) or (); got input1 {list(input1.shape)}, input2 {list(input2.shape)}, target "
                           f"{list(target.shape)}")
    d = input1.dim() - 1
    eps = 1e-12  # PyTorch's EPSILON inside the magnitudes
    prod = (input1 * input2).sum(d)
    mag = ((input1 * input1).sum(d) + eps) * ((input2 * input2).sum(d) + eps)
    cos = prod / mag.sqrt()
    zero = cos.new_zeros(())
    pos = (1 - cos).where(target == 1, zero)
    neg = (cos - margin).clamp(min=0).where(target == -1, zero)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    r""":math:`\max(0, -y (x_1 - x_2) + \text{margin})` element-wise, then reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not (input1.dim() == input2.dim() == target.dim()):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {list(input1.shape)}, input2: {list(input2.shape)}, target: "
                           f"{list(target.shape)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


# --- utilities ----------------------------------------------------------------------------

def one_hot(tensor, num_classes=-1):
    r"""Class indices (int64, any shape) to one-hot vectors: shape ``(*, num_classes)``, dtype int64.
    ``num_classes=-1`` infers ``max + 1``."""
    if tensor.dtype is not _dt.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor (got {tensor.dtype}; "
                           "convert with .long()).")
    a = tensor._data
    xp = xp_of(a)
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if int(a.min()) < 0:
            raise RuntimeError("one_hot: Class values must be non-negative.")
        if int(a.max()) >= num_classes:
            raise RuntimeError(f"one_hot: Class values must be smaller than num_classes (got {int(a.max())} "
                               f"with num_classes={num_classes}).")
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return _wrap(out)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    r"""Pads ``input``: ``pad`` lists (left, right) amounts starting from the last dim
    (``(left, right, top, bottom, ...)``); negative amounts crop.

    Modes: 'constant' (fill ``value``, default 0), 'reflect' (mirror without the edge), 'replicate'
    (repeat the edge), 'circular' (wrap around). Non-constant modes pad the last 1-3 dims of a
    2-4-D input (batch and channel dims in front), as in PyTorch.
    """
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError(f"pad: Padding length must be divisible by 2 (got {len(pad)}: {pad})")
    k = len(pad) // 2
    if k > input.dim():
        raise RuntimeError(f"pad: Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {input.dim()}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; use one of {list(_PAD_MODES)}")
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if not (1 <= k <= 3 and input.dim() in (k + 1, k + 2)):
            raise NotImplementedError(f"pad: Padding size {len(pad)} is not supported for {input.dim()}D input "
                                      f"tensor in mode {mode!r}; non-constant padding pads the last 1, 2 or 3 dims "
                                      "of a 2-3D, 3-4D or 4-5D input")
    x = input
    for i in range(k):
        d = input.dim() - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if left == 0 and right == 0:
            continue
        n = x.shape[d]
        if mode == "constant":
            if left < 0:
                x = x.narrow(d, -left, n + left)
                left = 0
            if right < 0:
                x = x.narrow(d, 0, x.shape[d] + right)
                right = 0
            parts = []
            for amount in (left, None, right):
                if amount is None:
                    parts.append(x)
                elif amount > 0:
                    shape = list(x.shape)
                    shape[d] = amount
                    parts.append(full(shape, 0 if value is None else value, dtype=x.dtype, device=x.device))
            x = cat(parts, d) if len(parts) > 1 else x
            continue
        if mode == "reflect" and (left >= n or right >= n):
            raise RuntimeError(f"pad: Argument #4: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({left}, {right}) at dimension {d} of input "
                               f"{list(input.shape)}")
        if mode == "circular" and (left > n or right > n):
            raise RuntimeError(f"pad: Padding value causes wrapping around more than once (padding ({left}, "
                               f"{right}) at dimension {d} of size {n}).")
        idx = np.arange(-left, n + right)
        if mode == "reflect":
            idx = np.abs(idx)
            idx = np.where(idx >= n, 2 * (n - 1) - idx, idx)
        elif mode == "replicate":
            idx = np.clip(idx, 0, n - 1)
        else:
            idx = idx % n
        x = x.index_select(d, _tensor(idx, device=x.device))
    return x


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    r"""Divides ``input`` by its ``p``-norm along ``dim``: :math:`v / \max(\|v\|_p, \epsilon)`."""
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / denom


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    r"""Cosine similarity along ``dim`` of broadcast ``x1`` and ``x2``:
    :math:`x_1 \cdot x_2 / (\max(\|x_1\|, \epsilon) \max(\|x_2\|, \epsilon))`."""
    if x1.shape != x2.shape:
        x1, x2 = broadcast_tensors(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)

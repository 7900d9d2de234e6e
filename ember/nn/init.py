"""``ember.nn.init``: in-place initialisation of parameters, as ``torch.nn.init``.

Every function fills the tensor's own array (numpy or cupy) outside autograd and
returns the tensor. Random numbers come from ``ember.random``'s array functions
(``uniform_array``, ``normal_array``), so a generator shared by CPU and GPU plugs in
there. The draws differ from PyTorch's; the distributions are the same.
"""
import math
import warnings

from .. import random as _random
from ..backend import xp_of

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "sparse_", "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    r"""Return the recommended gain value for the given nonlinearity function.

    ======================= ====================================================
    nonlinearity            gain
    ======================= ====================================================
    Linear / Identity       :math:`1`
    Conv{1,2,3}D            :math:`1`
    Sigmoid                 :math:`1`
    Tanh                    :math:`\frac{5}{3}`
    ReLU                    :math:`\sqrt{2}`
    Leaky Relu              :math:`\sqrt{\frac{2}{1 + \text{negative\_slope}^2}}`
    SELU                    :math:`\frac{3}{4}`
    ======================= ====================================================

    Args:
        nonlinearity: the non-linear function (`nn.functional` name)
        param: optional parameter for the non-linear function (leaky_relu's negative slope)
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


# --- helpers -----------------------------------------------------------------------------------

def _write(tensor, arr):
    """Fill ``tensor`` with ``arr`` in place, outside autograd (as under no_grad), bumping its version."""
    data = tensor._data
    xp_of(data).copyto(data, arr, casting="unsafe")
    tensor._ver[0] += 1
    return tensor


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: ``size(1) * receptive field`` and ``size(0) * receptive field``."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    shape = tensor.shape
    receptive = math.prod(shape[2:]) if tensor.dim() > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _uniform(tensor, low, high, generator):
    return _write(tensor, _random.uniform_array(tensor.shape, low, high, tensor.dtype, tensor.device, generator))


def _normal(tensor, mean, std, generator):
    return _write(tensor, _random.normal_array(tensor.shape, mean, std, tensor.dtype, tensor.device, generator))


def _no_op_if_empty(tensor):
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return True
    return False


# --- the initialisers ------------------------------------------------------------------------

def uniform_(tensor, a=0.0, b=1.0, generator=None):
    r"""Fill the input Tensor with values drawn from the uniform distribution :math:`\mathcal{U}(a, b)`.

    Args:
        tensor: an n-dimensional `ember.Tensor`
        a: the lower bound of the uniform distribution
        b: the upper bound of the uniform distribution
        generator: the ember Generator to sample from (default: None)
    """
    return _uniform(tensor, a, b, generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    r"""Fill the input Tensor with values drawn from the normal distribution :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Args:
        tensor: an n-dimensional `ember.Tensor`
        mean: the mean of the normal distribution
        std: the standard deviation of the normal distribution
        generator: the ember Generator to sample from (default: None)
    """
    return _normal(tensor, mean, std, generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    r"""Fill the input Tensor with values drawn from a truncated normal distribution.

    The values are effectively drawn from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`
    with values outside :math:`[a, b]` redrawn until they are within the bounds.

    Args:
        tensor: an n-dimensional `ember.Tensor`
        mean: the mean of the normal distribution
        std: the standard deviation of the normal distribution
        a: the minimum cutoff value
        b: the maximum cutoff value
        generator: the ember Generator to sample from (default: None)
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    # Rejection sampling: exact, and cheap whenever [a, b] holds a fair share of the mass
    # (the usual case: bounds a couple of std around the mean).
    n = tensor.numel()
    dt, dev = tensor.dtype, tensor.device
    vals = _random.normal_array((n,), mean, std, dt, dev, generator)
    xp = xp_of(vals)
    bad = xp.flatnonzero((vals < a) | (vals > b))
    rounds = 0
    while bad.size and rounds < 1000:
        redraw = _random.normal_array((int(bad.size),), mean, std, dt, dev, generator)
        vals[bad] = redraw
        bad = bad[(redraw < a) | (redraw > b)]
        rounds += 1
    if bad.size:  # bounds far in a tail: what the redraws could not place goes to the nearest bound
        vals[bad] = xp.clip(vals[bad], a, b)
    return _write(tensor, vals.reshape(tuple(tensor.shape)))


def constant_(tensor, val):
    r"""Fill the input Tensor with the value :math:`\text{val}`."""
    data = tensor._data
    data[...] = val
    tensor._ver[0] += 1
    return tensor


def ones_(tensor):
    r"""Fill the input Tensor with the scalar value `1`."""
    return constant_(tensor, 1)


def zeros_(tensor):
    r"""Fill the input Tensor with the scalar value `0`."""
    return constant_(tensor, 0)


def eye_(tensor):
    r"""Fill the 2-dimensional input `Tensor` with the identity matrix.

    Preserves the identity of the inputs in `Linear` layers, where as many inputs are preserved as possible.
    """
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    data = tensor._data
    xp = xp_of(data)
    return _write(tensor, xp.eye(data.shape[0], data.shape[1], dtype=data.dtype))


def dirac_(tensor, groups=1):
    r"""Fill the {3, 4, 5}-dimensional input `Tensor` with the Dirac delta function.

    Preserves the identity of the inputs in `Convolutional` layers, where as many input channels
    are preserved as possible. With ``groups > 1`` each group of channels preserves identity.
    """
    dims = tensor.ndimension()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    data = tensor._data
    data[...] = 0
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            data[(g * out_chans_per_grp + d, d) + centre] = 1
    tensor._ver[0] += 1
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    r"""Fill the input `Tensor` with values using a Xavier uniform distribution.

    Values are sampled from :math:`\mathcal{U}(-a, a)` where
    :math:`a = \text{gain} \times \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}`.
    Described in *Understanding the difficulty of training deep feedforward neural networks*
    (Glorot, X. & Bengio, Y., 2010).

    Args:
        tensor: an n-dimensional `ember.Tensor`
        gain: an optional scaling factor
        generator: the ember Generator to sample from (default: None)
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return _uniform(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    r"""Fill the input `Tensor` with values using a Xavier normal distribution.

    Values are sampled from :math:`\mathcal{N}(0, \text{std}^2)` where
    :math:`\text{std} = \text{gain} \times \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}`.

    Args:
        tensor: an n-dimensional `ember.Tensor`
        gain: an optional scaling factor
        generator: the ember Generator to sample from (default: None)
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _normal(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    r"""Fill the input `Tensor` with values using a Kaiming uniform distribution.

    Values are sampled from :math:`\mathcal{U}(-\text{bound}, \text{bound})` where
    :math:`\text{bound} = \text{gain} \times \sqrt{\frac{3}{\text{fan\_mode}}}`.
    Described in *Delving deep into rectifiers* (He, K. et al., 2015).

    Args:
        tensor: an n-dimensional `ember.Tensor`
        a: the negative slope of the rectifier used after this layer (only with ``'leaky_relu'``)
        mode: either ``'fan_in'`` (default) or ``'fan_out'``: preserve the magnitude of the variance
            of the weights in the forward pass, or in the backward pass
        nonlinearity: the non-linear function (`nn.functional` name), recommended only with
            ``'relu'`` or ``'leaky_relu'`` (default)
        generator: the ember Generator to sample from (default: None)
    """
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return _uniform(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    r"""Fill the input `Tensor` with values using a Kaiming normal distribution.

    Values are sampled from :math:`\mathcal{N}(0, \text{std}^2)` where
    :math:`\text{std} = \frac{\text{gain}}{\sqrt{\text{fan\_mode}}}`.

    Args:
        tensor: an n-dimensional `ember.Tensor`
        a: the negative slope of the rectifier used after this layer (only with ``'leaky_relu'``)
        mode: either ``'fan_in'`` (default) or ``'fan_out'``
        nonlinearity: the non-linear function (`nn.functional` name)
        generator: the ember Generator to sample from (default: None)
    """
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return _normal(tensor, 0.0, gain / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1, generator=None):
    r"""Fill the input `Tensor` with a (semi) orthogonal matrix.

    Described in *Exact solutions to the nonlinear dynamics of learning in deep linear neural
    networks* (Saxe, A. et al., 2013). The input tensor must have at least 2 dimensions; trailing
    dimensions are flattened.

    Args:
        tensor: an n-dimensional `ember.Tensor`, where :math:`n \geq 2`
        gain: optional scaling factor
        generator: the ember Generator to sample from (default: None)
    """
    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor  # nothing to fill
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    # QR of a Gaussian matrix (in float64 for accuracy); fixing the signs of R's diagonal makes Q
    # uniformly distributed over orthogonal matrices (Haar measure).
    flat = _random.normal_array((rows, cols), 0.0, 1.0, "float64", tensor.device, generator)
    xp = xp_of(flat)
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    d = xp.diagonal(r)
    q = q * xp.where(d >= 0, 1.0, -1.0)
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tuple(tensor.shape)))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    r"""Fill the 2D input `Tensor` as a sparse matrix.

    The non-zero elements are drawn from :math:`\mathcal{N}(0, \text{std}^2)`; in each column a
    fraction ``sparsity`` of the rows is set to zero (Martens, J., 2010).

    Args:
        tensor: an n-dimensional `ember.Tensor`
        sparsity: the fraction of elements in each column to be set to zero
        std: the standard deviation of the normal distribution used to generate the non-zero values
        generator: the ember Generator to sample from (default: None)
    """
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    vals = _random.normal_array((rows, cols), 0.0, std, tensor.dtype, tensor.device, generator)
    xp = xp_of(vals)
    if num_zeros:
        # each column zeroes the rows given by the first num_zeros entries of its own random permutation
        keys = _random.uniform_array((rows, cols), 0.0, 1.0, "float64", tensor.device, generator)
        zero_rows = xp.argsort(keys, axis=0)[:num_zeros]
        vals[zero_rows, xp.arange(cols)[None, :]] = 0
    return _write(tensor, vals)


def _deprecated(new):
    def old(*args, **kwargs):
        warnings.warn(f"`nn.init.{new.__name__[:-1]}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)
    old.__name__ = new.__name__[:-1]
    old.__doc__ = f"Deprecated alias of :func:`{new.__name__}`."
    return old


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)

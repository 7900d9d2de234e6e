"""The function forms of Tensor methods: ``ember.exp(x)`` is ``x.exp()``, and so on."""
from .tensor import Tensor as _Tensor

_METHODS = [
    "abs", "absolute", "neg", "negative", "sign", "sgn", "exp", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "floor", "ceil", "round",
    "trunc", "fix", "frac", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin", "lerp",
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
    "fmod", "pow", "eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater", "ge",
    "greater_equal", "equal", "allclose", "isclose", "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isposinf",
    "isneginf", "nan_to_num", "sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
    "argmax", "argmin", "var", "std", "norm", "logsumexp", "softmax", "log_softmax", "cumsum", "cumprod", "all",
    "any", "count_nonzero", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
    "swapaxes", "swapdims", "t", "flip", "fliplr", "flipud", "roll", "split", "chunk", "tensor_split", "unbind",
    "narrow", "select", "tril", "triu", "diag", "diagonal", "diagonal_scatter", "trace", "movedim", "moveaxis",
    "gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill", "index_put", "masked_fill",
    "masked_select", "masked_scatter", "take", "nonzero", "argwhere", "sort", "argsort", "topk", "kthvalue",
    "median", "ravel", "addmm", "addcmul", "addcdiv", "inner", "ger", "clone", "detach", "square", "tile",
    "repeat_interleave", "numel", "std_mean", "var_mean", "diff", "cross", "dist", "cdist", "atan2", "asin",
    "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "heaviside", "logaddexp", "hypot",
    "signbit", "xlogy", "logit", "exp2", "deg2rad", "rad2deg", "zero_", "fill_", "clamp_", "relu_", "sigmoid_",
    "tanh_", "exp_", "frexp",
]

__all__ = []


def _make(name):
    method = getattr(_Tensor, name)

    def fn(input, *args, **kwargs):
        kwargs.pop("out", None)
        return method(input, *args, **kwargs)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Function form of :meth:`ember.Tensor.{name}`: ``ember.{name}(x, ...)`` is ``x.{name}(...)``."
    return fn


for _name in dict.fromkeys(_METHODS):
    if hasattr(_Tensor, _name):
        globals()[_name] = _make(_name)
        __all__.append(_name)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Unique elements of ``input`` (optionally with inverse indices and counts)."""
    return input.unique(sorted=sorted, return_inverse=return_inverse, return_counts=return_counts, dim=dim)


def std_mean(input, dim=None, *, correction=1, keepdim=False):
    return input.std(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim=keepdim)


def var_mean(input, dim=None, *, correction=1, keepdim=False):
    return input.var(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim=keepdim)


__all__ += ["unique", "std_mean", "var_mean"]

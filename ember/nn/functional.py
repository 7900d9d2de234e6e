"""``ember.nn.functional``: the stateless layer functions, as ``torch.nn.functional``.

Most functions are compositions of Tensor ops (their gradients, second derivatives
included, come from those ops). A few are fused primitives in ``ember/ops/nn.py``
where one op clearly pays: ``linear``, ``cross_entropy`` with class indices,
``embedding`` and the ``erf`` inside exact GELU.
"""
import math
import warnings

from .. import tensor as _T
from ..ops import nn as _N
from ..tensor import Tensor

__all__ = [
    "linear", "bilinear",
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

"""AdamW: Adam with decoupled weight decay."""
from .adam import Adam
from .optimizer import _check

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW, from `Decoupled Weight Decay Regularization <https://arxiv.org/abs/1711.05101>`_,
    as ``torch.optim.AdamW``: Adam whose weight decay multiplies the parameters by
    ``1 - lr * weight_decay`` each step instead of adding an L2 term to the gradient.

    Args:
        params (iterable): tensors or parameter-group dicts to optimize.
        lr (float, optional): learning rate (default: 1e-3).
        betas (Tuple[float, float], optional): running-average decay rates (default: (0.9, 0.999)).
        eps (float, optional): added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float, optional): decoupled weight decay coefficient (default: 1e-2).
        amsgrad (bool, optional): use the AMSGrad variant (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
        foreach, capturable, differentiable, fused: accepted for compatibility and ignored.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         foreach=foreach, maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)

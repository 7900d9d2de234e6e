"""NAdam: Adam with Nesterov momentum."""
from . import _functional as F
from .optimizer import Optimizer, _check, _check_betas, _scalar_tensor, _step_count, _zeros_like

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, from `Incorporating Nesterov Momentum into Adam <https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ>`_,
    as ``torch.optim.NAdam``.

    The momentum coefficient follows the schedule
    :math:`\mu_t = \beta_1 (1 - \tfrac12 0.96^{t \psi})` with :math:`\psi` = ``momentum_decay``;
    the running product of the :math:`\mu_t` is kept in the state as ``mu_product``.

    Args:
        params (iterable): tensors or parameter-group dicts to optimize.
        lr (float, optional): learning rate (default: 2e-3).
        betas (Tuple[float, float], optional): decay rates (default: (0.9, 0.999)).
        eps (float, optional): added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float, optional): weight decay (default: 0).
        momentum_decay (float, optional): :math:`\psi` (default: 4e-3).
        decoupled_weight_decay (bool, optional): decay weights directly, as AdamW (NAdamW) (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
        foreach, capturable, differentiable: accepted for compatibility and ignored.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
        decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
        # a third scratch array only when the gradient itself is altered (L2 decay or maximize)
        n_scratch = 3 if maximize or (weight_decay and not decoupled) else 2
        new_state = lambda p: {"step": _scalar_tensor(0.0), "mu_product": _scalar_tensor(1.0),  # noqa: E731
                               "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)}
        for p, grad, st in self._params_with_grad(group, new_state):
            step = _step_count(st)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            # the product is kept in the scalar dtype (float32 by default), rounding as PyTorch's does
            mu_product = st["mu_product"]._data
            mu_product *= mu
            F.apply(F.nadam, (p._data, grad._data, st["exp_avg"]._data, st["exp_avg_sq"]._data), n_scratch,
                    self._scratch, step=step, mu=mu, mu_next=mu_next, mu_product=float(mu_product), lr=lr,
                    beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                    decoupled_weight_decay=decoupled, maximize=maximize)

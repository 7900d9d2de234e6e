"""Adamax."""
from . import _functional as F
from .optimizer import Optimizer, _check, _check_betas, _scalar_tensor, _step_count, _zeros_like

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, the infinity-norm variant of Adam, as ``torch.optim.Adamax``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\, m_t / u_t

    Args:
        params (iterable): tensors or parameter-group dicts to optimize.
        lr (float, optional): learning rate (default: 2e-3).
        betas (Tuple[float, float], optional): decay rates (default: (0.9, 0.999)).
        eps (float, optional): added for numerical stability (default: 1e-8).
        weight_decay (float, optional): L2 penalty (default: 0).
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, capturable: accepted for compatibility and ignored.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        n_scratch = 2 if weight_decay or maximize else 1
        new_state = lambda p: {"step": _scalar_tensor(0.0), "exp_avg": _zeros_like(p),  # noqa: E731
                               "exp_inf": _zeros_like(p)}
        for p, grad, st in self._params_with_grad(group, new_state):
            F.apply(F.adamax, (p._data, grad._data, st["exp_avg"]._data, st["exp_inf"]._data), n_scratch,
                    self._scratch, step=_step_count(st), lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                    weight_decay=weight_decay, maximize=maximize)

"""RMSprop."""
from . import _functional as F
from .optimizer import Optimizer, _check, _scalar_tensor, _step_count, _zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    .. math::
        v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2,\quad
        \tilde v_t = v_t - \bar g_t^2 \ \text{(centered)},\quad
        \theta_t = \theta_{t-1} - \gamma\, g_t / (\sqrt{\tilde v_t} + \epsilon)

    with ``momentum > 0`` the scaled gradient feeds a buffer ``b = momentum * b + g / (...)``
    and the step is ``lr * b``.

    Args:
        params (iterable): tensors or parameter-group dicts to optimize.
        lr (float, optional): learning rate (default: 1e-2).
        alpha (float, optional): smoothing constant (default: 0.99).
        eps (float, optional): added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float, optional): L2 penalty (default: 0).
        momentum (float, optional): momentum factor (default: 0).
        centered (bool, optional): normalize by an estimate of the gradient's variance (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
        capturable, foreach, differentiable: accepted for compatibility and ignored.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        weight_decay, centered, maximize = group["weight_decay"], group["centered"], group["maximize"]
        n_scratch = 2 if weight_decay or maximize else 1

        def new_state(p):
            st = {"step": _scalar_tensor(0.0), "square_avg": _zeros_like(p)}
            if momentum > 0:
                st["momentum_buffer"] = _zeros_like(p)
            if centered:
                st["grad_avg"] = _zeros_like(p)
            return st

        for p, grad, st in self._params_with_grad(group, new_state):
            _step_count(st)
            F.apply(F.rmsprop, (p._data, grad._data, st["square_avg"]._data,
                                st["grad_avg"]._data if centered else None,
                                st["momentum_buffer"]._data if momentum > 0 else None), n_scratch, self._scratch,
                    lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
                    maximize=maximize)

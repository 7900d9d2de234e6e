"""Adagrad."""
from . import _functional as F
from .optimizer import Optimizer, _check, _scalar_tensor, _step_count, _zeros_like

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, from `Adaptive Subgradient Methods <http://jmlr.org/papers/v12/duchi11a.html>`_,
    as ``torch.optim.Adagrad``.

    .. math::
        \tilde\gamma = \gamma / (1 + (t - 1)\eta),\quad s_t = s_{t-1} + g_t^2,\quad
        \theta_t = \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t} + \epsilon)

    The state (``step`` and ``sum``) is created in the constructor, as PyTorch does.

    Args:
        params (iterable): tensors or parameter-group dicts to optimize.
        lr (float, optional): learning rate (default: 1e-2).
        lr_decay (float, optional): learning rate decay :math:`\eta` (default: 0).
        weight_decay (float, optional): L2 penalty (default: 0).
        initial_accumulator_value (float, optional): starting value of ``sum`` (default: 0).
        eps (float, optional): added to the denominator for numerical stability (default: 1e-10).
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, fused: accepted for compatibility and ignored.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= initial_accumulator_value,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = _scalar_tensor(0.0)
                st["sum"] = _zeros_like(p, group["initial_accumulator_value"])

    def _update_group(self, group):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        n_scratch = 2 if weight_decay or maximize else 1
        # (state is made at construction; this covers a group added after it)
        new_state = lambda p: {"step": _scalar_tensor(0.0),  # noqa: E731
                               "sum": _zeros_like(p, group["initial_accumulator_value"])}
        for p, grad, st in self._params_with_grad(group, new_state):
            F.apply(F.adagrad, (p._data, grad._data, st["sum"]._data), n_scratch, self._scratch,
                    step=_step_count(st), lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                    maximize=maximize)

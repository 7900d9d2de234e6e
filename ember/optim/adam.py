"""Adam (and, with ``decoupled_weight_decay=True``, AdamW)."""
from . import _functional as F
from .optimizer import Optimizer, _check, _check_betas, _scalar_tensor, _step_count, _zeros_like

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam, from `Adam: A Method for Stochastic Optimization <https://arxiv.org/abs/1412.6980>`_,
    as ``torch.optim.Adam``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,\\
        \theta_t = \theta_{t-1} - \gamma\, \frac{m_t / (1 - \beta_1^t)}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon}

    Args:
        params (iterable): tensors or parameter-group dicts to optimize.
        lr (float, optional): learning rate (default: 1e-3).
        betas (Tuple[float, float], optional): decay rates of the gradient's running average
            and of its square (default: (0.9, 0.999)).
        eps (float, optional): added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float, optional): weight decay, an L2 penalty unless
            ``decoupled_weight_decay`` (default: 0).
        amsgrad (bool, optional): use the maximum of past squared averages (AMSGrad) (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
        decoupled_weight_decay (bool, optional): decay the weights directly, as AdamW (default: False).
        foreach, capturable, differentiable, fused: accepted for compatibility and ignored.

    The update runs in place on the parameter's memory (its version counter advances), with
    one scratch array per parameter shape and no other temporaries.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group.get("decoupled_weight_decay", False)
        # a second scratch array only when the gradient itself is altered (L2 decay or maximize)
        n_scratch = 2 if maximize or (weight_decay and not decoupled) else 1

        def new_state(p):
            st = {"step": _scalar_tensor(0.0), "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)}
            if amsgrad:
                st["max_exp_avg_sq"] = _zeros_like(p)
            return st

        for p, grad, st in self._params_with_grad(group, new_state):
            F.apply(F.adam, (p._data, grad._data, st["exp_avg"]._data, st["exp_avg_sq"]._data,
                             st["max_exp_avg_sq"]._data if amsgrad else None), n_scratch, self._scratch,
                    step=_step_count(st), lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                    amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=decoupled)

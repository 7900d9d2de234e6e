"""Numerical gradient checks (finite differences in float64), PyTorch's gradcheck/gradgradcheck."""
import numpy as np

from .engine import grad as _grad
from .grad_mode import no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, inputs):
    return _as_tuple(func(*inputs))


def _numerical_jacobian(func, inputs, i, out_index, eps):
    """d out[out_index] / d inputs[i] by central differences, shape (out.numel(), in.numel())."""
    x = inputs[i]
    flat = x._data.reshape(-1)  # shares memory with x
    with no_grad():
        out_size = _outputs(func, inputs)[out_index].numel()
        jac = np.zeros((out_size, flat.size), dtype=np.float64)
        for k in range(flat.size):
            orig = flat[k].item()
            flat[k] = orig + eps
            plus = np.array(_outputs(func, inputs)[out_index]._data, dtype=np.float64).reshape(-1)
            flat[k] = orig - eps
            minus = np.array(_outputs(func, inputs)[out_index]._data, dtype=np.float64).reshape(-1)
            flat[k] = orig
            jac[:, k] = (plus - minus) / (2 * eps)
    return jac


def _analytical_jacobian(func, inputs, i, out_index):
    from ..tensor import zeros_like
    out = _outputs(func, inputs)[out_index]
    x = inputs[i]
    jac = np.zeros((out.numel(), x.numel()), dtype=np.float64)
    for r in range(out.numel()):
        go = zeros_like(out)
        go._data.reshape(-1)[r] = 1
        g, = _grad(out, x, go, retain_graph=True, allow_unused=True)
        if g is not None:
            jac[r] = np.asarray(g._data, dtype=np.float64).reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, fast_mode=False, **kwargs):
    """Check analytical gradients of ``func`` against finite differences at ``inputs``.

    Inputs that require grad should be float64. Returns True, or raises (or returns False with
    ``raise_exception=False``) naming the input and output whose Jacobians differ.
    """
    from ..tensor import Tensor
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs(func, inputs)
    for o_idx, out in enumerate(outs):
        if not isinstance(out, Tensor) or not out.requires_grad:
            continue
        for i in diff_idx:
            num = _numerical_jacobian(func, inputs, i, o_idx, eps)
            ana = _analytical_jacobian(func, inputs, i, o_idx)
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                msg = (f"Jacobian mismatch for output {o_idx} with respect to input {i},\n"
                       f"numerical:{num}\nanalytical:{ana}\n")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, **kwargs):
    """Check second derivatives: gradcheck of the function (inputs, grad_outputs) -> d func / d inputs."""
    from ..tensor import Tensor, randn
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        grad_outputs = tuple(randn(o.shape, dtype=o.dtype, device=o.device).requires_grad_(True)
                             for o in outs if isinstance(o, Tensor) and o.requires_grad)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = [o for o in _outputs(func, ins) if isinstance(o, Tensor) and o.requires_grad]
        gs = _grad(outs, [ins[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else ins[i] * 0 for g, i in zip(gs, diff_idx))

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)

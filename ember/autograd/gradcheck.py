"""Numerical gradient checks (finite differences in float64), PyTorch's gradcheck/gradgradcheck."""
import numpy as np

from ..backend import to_host
from .engine import grad as _grad
from .grad_mode import no_grad, enable_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` / :func:`gradgradcheck` when the Jacobians differ."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, inputs):
    return _as_tuple(func(*inputs))


def _numerical_jacobian(func, inputs, i, out_index, eps):
    """d out[out_index] / d inputs[i] by central differences, shape (out.numel(), in.numel()).

    The input's array is perturbed in place, element by element in C order (the order
    of ``reshape(-1)``), so non-contiguous inputs are perturbed too, then restored.
    """
    a = inputs[i]._data
    with no_grad():
        out_size = _outputs(func, inputs)[out_index].numel()
        jac = np.zeros((out_size, a.size), dtype=np.float64)
        for k, idx in enumerate(np.ndindex(*a.shape)):
            orig = a[idx].item()
            a[idx] = orig + eps
            # the Jacobians live on the host: to_host, since np.array(cupy_array) raises TypeError
            plus = np.array(to_host(_outputs(func, inputs)[out_index]._data), dtype=np.float64).reshape(-1)
            a[idx] = orig - eps
            minus = np.array(to_host(_outputs(func, inputs)[out_index]._data), dtype=np.float64).reshape(-1)
            a[idx] = orig
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
            if tuple(g.shape) != tuple(x.shape):
                raise GradcheckError(f"Gradient for input {i} has shape {tuple(g.shape)}, expected "
                                     f"{tuple(x.shape)}")
            jac[r] = np.asarray(to_host(g._data), dtype=np.float64).reshape(-1)
    return jac


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, fast_mode=False, **kwargs):
    """Check analytical gradients of ``func`` against finite differences at ``inputs``.

    Inputs that require grad should be float64. Returns True, or raises :class:`GradcheckError`
    (or returns False with ``raise_exception=False``) naming the input and output whose
    Jacobians differ.
    """
    from ..tensor import Tensor
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them "
                         "have requires_grad=True.")
    outs = _outputs(func, inputs)
    for o_idx, out in enumerate(outs):
        if not isinstance(out, Tensor) or not out.dtype.is_floating_point:
            continue
        for i in diff_idx:
            num = _numerical_jacobian(func, inputs, i, o_idx, eps)
            if out.requires_grad:
                ana = _analytical_jacobian(func, inputs, i, o_idx)
            else:
                ana = np.zeros_like(num)
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {o_idx} with respect to input {i},\n"
                             f"numerical:{num}\nanalytical:{ana}\n", raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **kwargs):
    """Check second derivatives: gradcheck of the function (inputs, grad_outputs) -> d func / d inputs."""
    from ..tensor import Tensor
    from ..random import randn
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
        with enable_grad():  # the numerical Jacobian calls this under no_grad
            outs = [o for o in _outputs(func, ins) if isinstance(o, Tensor) and o.requires_grad]
            gs = _grad(outs, [ins[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else ins[i] * 0 for g, i in zip(gs, diff_idx))

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)

"""Higher-level derivative helpers built on :func:`ember.autograd.grad`."""
from .engine import grad

__all__ = ["vjp", "hvp"]


def vjp(func, inputs, v=None, create_graph=False):
    """Vector-Jacobian product: returns (func(inputs), v^T J)."""
    single = not isinstance(inputs, (tuple, list))
    ins = (inputs,) if single else tuple(inputs)
    ins = tuple(x.detach().requires_grad_(True) for x in ins)
    out = func(*ins)
    g = grad(out, ins, v, create_graph=create_graph, allow_unused=True)
    g = tuple(gi if gi is not None else x.new_zeros(x.shape) for gi, x in zip(g, ins))
    return out.detach() if not create_graph else out, g[0] if single else g


def hvp(func, inputs, v, create_graph=False):
    """Hessian-vector product of a scalar function: returns (func(inputs), H v)."""
    single = not isinstance(inputs, (tuple, list))
    ins = (inputs,) if single else tuple(inputs)
    vs = (v,) if single else tuple(v)
    ins = tuple(x.detach().requires_grad_(True) for x in ins)
    out = func(*ins)
    g = grad(out, ins, create_graph=True)
    dot = sum((gi * vi).sum() for gi, vi in zip(g, vs))
    h = grad(dot, ins, create_graph=create_graph, allow_unused=True)
    h = tuple(hi if hi is not None else x.new_zeros(x.shape) for hi, x in zip(h, ins))
    return out.detach(), h[0] if single else h

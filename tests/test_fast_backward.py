"""The array-level fast backward formulas (ember/ops/fast_backward.py) equal the
Tensor-level formulas they shortcut: the same op, backpropagated with and without
create_graph (which takes the Tensor path), gives the same gradients."""
import numpy as np
import pytest

import ember
from ember.backend import parallel
from ember.ops import fast_backward  # noqa: F401  (registers the formulas)

rng = np.random.default_rng(0)


def _t(*shape, positive=False):
    a = rng.standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    return ember.tensor(a, dtype=ember.float64, requires_grad=True)


CASES = {
    "add_bcast": (lambda a, b: a + b, [(3, 4), (4,)]),
    "sub_bcast": (lambda a, b: a - b, [(2, 1, 4), (3, 1)]),
    "mul_bcast": (lambda a, b: a * b, [(3, 4), (3, 1)]),
    "div": (lambda a, b: a / b, [(3, 4), ("pos", 4)]),
    "add_scalar": (lambda a: a + 2.5, [(3, 4)]),
    "sub_scalar": (lambda a: a - 2.5, [(3, 4)]),
    "rsub_scalar": (lambda a: 2.5 - a, [(3, 4)]),
    "mul_scalar": (lambda a: a * 3.0, [(3, 4)]),
    "div_scalar": (lambda a: a / 3.0, [(3, 4)]),
    "neg": (lambda a: -a, [(3, 4)]),
    "exp": (lambda a: a.exp(), [(3, 4)]),
    "log": (lambda a: a.log(), [("pos", 3, 4)]),
    "sin": (lambda a: a.sin(), [(3, 4)]),
    "cos": (lambda a: a.cos(), [(3, 4)]),
    "tanh": (lambda a: a.tanh(), [(3, 4)]),
    "sigmoid": (lambda a: a.sigmoid(), [(3, 4)]),
    "relu": (lambda a: a.relu(), [(3, 4)]),
    "sqrt": (lambda a: a.sqrt(), [("pos", 3, 4)]),
    "pow2": (lambda a: a.pow(2), [(3, 4)]),
    "pow3": (lambda a: a.pow(3.5), [("pos", 3, 4)]),
    "clamp_min": (lambda a: a.clamp(min=0.1), [(3, 4)]),
    "clamp_both": (lambda a: a.clamp(-0.5, 0.5), [(3, 4)]),
    "cast": (lambda a: a.float().double(), [(3, 4)]),
    "where": (lambda a, b: ember.where(a > 0, a, b), [(3, 4), (4,)]),
    "sum_all": (lambda a: a.sum(), [(3, 4)]),
    "sum_dim": (lambda a: a.sum(1), [(3, 4)]),
    "sum_keepdim": (lambda a: a.sum((0, 2), keepdim=True), [(2, 3, 4)]),
    "log_softmax": (lambda a: a.log_softmax(1), [(3, 4)]),
    "softmax": (lambda a: a.softmax(0), [(3, 4)]),
    "reshape": (lambda a: a.reshape(4, 3), [(3, 4)]),
    "permute": (lambda a: a.permute(2, 0, 1), [(2, 3, 4)]),
    "expand": (lambda a: a.expand(3, 4), [(1, 4)]),
    "matmul": (lambda a, b: a @ b, [(3, 4), (4, 5)]),
    "matmul_batched_bcast": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "getitem_basic": (lambda a: a[1:, ::2], [(3, 4)]),
    "getitem_repeat": (lambda a: a[[0, 0, 2]], [(3, 4)]),
}


def _inputs(specs):
    return [_t(*s[1:], positive=True) if s and s[0] == "pos" else _t(*s) for s in specs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_backward_equals_tensor_backward(name):
    fn, specs = CASES[name]
    xs = _inputs(specs)
    out = fn(*xs)
    assert out.grad_fn.fast_backward is not None, f"{name}: no fast formula registered"
    upstream = ember.tensor(rng.standard_normal(tuple(out.shape)), dtype=out.dtype)
    fast = ember.autograd.grad(out, xs, upstream, retain_graph=True)
    slow = ember.autograd.grad(out, xs, upstream, create_graph=True)
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(f.numpy(), s.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_split_matmul_equals_numpy(monkeypatch):
    """The opt-in row split (EMBER_MATMUL_SPLIT=1) computes the same product, rows from every thread."""
    a = rng.standard_normal((301, 1000)).astype(np.float32)
    b = rng.standard_normal((1000, 97)).astype(np.float32)
    monkeypatch.setattr(parallel._Threads, "split", 3)
    used = []
    real = np.matmul
    monkeypatch.setattr(parallel.np, "matmul", lambda x, y, **kw: used.append(x.shape[0]) or real(x, y, **kw))
    got = parallel.matmul(a, b)
    assert sorted(used) == [100, 100, 101]  # three row blocks, one per thread
    np.testing.assert_allclose(got, a @ b, rtol=1e-5, atol=1e-4)

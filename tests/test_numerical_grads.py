"""PyTorch-free checks of first and second derivatives (float64 finite differences).

Every differentiable op goes through ``ember.autograd.gradcheck`` and ``gradgradcheck``
at inputs kept away from the points where it isn't differentiable (abs away from 0,
clamp bounds away from the values, distinct values for max/min, ...).
"""
import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck

# numpy's floating-point warnings (log(0), x/0) and PyTorch's deprecation notes are expected in edge cases
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")


def rand(*shape, low=-2.0, high=2.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def away(*shape, low=0.3, high=2.0, seed=0):
    """Values with |v| in [low, high), random signs: away from 0."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def pos(*shape, low=0.5, high=2.0, seed=0):
    return rand(*shape, low=low, high=high, seed=seed)


def distinct(*shape, seed=0):
    """A permutation of well-separated values (no ties for max/min/sort-like ops)."""
    n = int(np.prod(shape)) if shape else 1
    return (np.random.default_rng(seed).permutation(n) * 0.37 - n * 0.15).reshape(shape)


def not_int(*shape, seed=0):
    """Values away from integers and half-integers (floor/ceil/round/trunc are flat there)."""
    return np.floor(rand(*shape, low=-3, high=3, seed=seed)) + 0.25


def T(a):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


IDX = ember.tensor([[0, 2], [1, 1]])
MASK = ember.tensor([[True, False, True], [False, False, True]])

CASES = [
    # arithmetic
    ("add", lambda x, y: x + y, [rand(2, 3), rand(3, seed=1)]),
    ("sub", lambda x, y: x - y, [rand(2, 3), rand(2, 1, seed=1)]),
    ("mul", lambda x, y: x * y, [rand(2, 3), rand(3, seed=1)]),
    ("div", lambda x, y: x / y, [rand(2, 3), away(2, 3, seed=1)]),
    ("scalar_ops", lambda x: (2.0 - x) * 3 / 1.5 + 1 - 4 / (x + 3), [rand(2, 3)]),
    ("neg", lambda x: -x, [rand(2, 3)]),
    ("remainder", lambda x, y: x % y, [np.array([[-1.5, 0.5, 2.5], [3.3, -0.2, 1.7]]), np.array([2.0, -2.0, 0.7])]),
    ("fmod", lambda x, y: x.fmod(y), [np.array([[-1.5, 0.5, 2.5], [3.3, -0.2, 1.7]]), np.array([2.0, -2.0, 0.7])]),
    ("fmax", lambda x, y: x.fmax(y), [distinct(2, 3), distinct(3, seed=1) + 0.1]),
    ("fmin", lambda x, y: x.fmin(y), [distinct(2, 3), distinct(3, seed=1) + 0.1]),
    ("pow_tt", lambda x, y: x ** y, [pos(2, 3), rand(2, 3, seed=1)]),
    ("pow_bcast", lambda x, y: x ** y, [pos(2, 3), rand(3, seed=1)]),
    ("pow_ts", lambda x: x ** 3, [rand(2, 3)]), ("pow_ts_frac", lambda x: x ** 2.5, [pos(2, 3)]),
    ("pow_ts_neg", lambda x: x ** -1.5, [pos(2, 3)]), ("pow_st", lambda x: 2.5 ** x, [rand(2, 3)]),
    ("square", lambda x: x.square(), [rand(2, 3)]),
    # unary
    ("abs", lambda x: x.abs(), [away(2, 3)]), ("sign", lambda x: x.sign(), [away(2, 3)]),
    ("exp", lambda x: x.exp(), [rand(2, 3)]), ("log", lambda x: x.log(), [pos(2, 3)]),
    ("log1p", lambda x: x.log1p(), [pos(2, 3)]), ("log2", lambda x: x.log2(), [pos(2, 3)]),
    ("log10", lambda x: x.log10(), [pos(2, 3)]), ("expm1", lambda x: x.expm1(), [rand(2, 3)]),
    ("sqrt", lambda x: x.sqrt(), [pos(2, 3)]), ("rsqrt", lambda x: x.rsqrt(), [pos(2, 3)]),
    ("reciprocal", lambda x: x.reciprocal(), [away(2, 3)]),
    ("sin", lambda x: x.sin(), [rand(2, 3)]), ("cos", lambda x: x.cos(), [rand(2, 3)]),
    ("tan", lambda x: x.tan(), [rand(2, 3, low=-1, high=1)]), ("tanh", lambda x: x.tanh(), [rand(2, 3)]),
    ("sigmoid", lambda x: x.sigmoid(), [rand(2, 3)]), ("relu", lambda x: x.relu(), [away(2, 3)]),
    ("floor", lambda x: x.floor(), [not_int(2, 3)]), ("ceil", lambda x: x.ceil(), [not_int(2, 3)]),
    ("round", lambda x: x.round(), [not_int(2, 3)]), ("trunc", lambda x: x.trunc(), [not_int(2, 3)]),
    ("frac", lambda x: x.frac(), [not_int(2, 3)]),
    ("clamp_min", lambda x: x.clamp(min=0.05), [away(2, 3)]), ("clamp_max", lambda x: x.clamp(max=0.05), [away(2, 3)]),
    ("clamp_both", lambda x: x.clamp(-0.9, 0.1), [np.array([[-1.5, -0.5, 0.0], [0.5, 1.2, -0.2]])]),
    ("clip", lambda x: x.clip(-0.1, 0.1), [away(2, 3)]),
    ("clamp_tensor", lambda x, lo, hi: x.clamp(lo, hi),
     [np.array([[-1.5, -0.5, 0.0], [0.5, 1.2, -0.2]]), np.full((2, 3), -0.9), np.array([0.1, 0.3, 0.6])]),
    ("maximum", lambda x, y: x.maximum(y), [distinct(2, 3), distinct(2, 3, seed=1) + 0.1]),
    ("minimum", lambda x, y: x.minimum(y), [distinct(2, 3), distinct(3, seed=1) + 0.1]),
    ("where", lambda x, y: ember.where(x > 0, x, y), [away(2, 3), rand(3, seed=1)]),
    ("lerp", lambda x, y: x.lerp(y, 0.3), [rand(2, 3), rand(2, 3, seed=1)]),
    ("lerp_tensor_w", lambda x, y, w: x.lerp(y, w), [rand(2, 3), rand(2, 3, seed=1), rand(3, seed=2)]),
    ("nan_to_num", lambda x: x.nan_to_num(), [rand(2, 3)]),
    ("addcmul", lambda x, a, b: x.addcmul(a, b, value=0.5), [rand(3), rand(3, seed=1), rand(3, seed=2)]),
    # linear algebra
    ("matmul_2d", lambda a, b: a @ b, [rand(2, 3), rand(3, 2, seed=1)]),
    ("matmul_1d", lambda a, b: a @ b, [rand(3), rand(3, seed=1)]),
    ("matmul_1d_2d", lambda a, b: a @ b, [rand(3), rand(3, 2, seed=1)]),
    ("matmul_bcast", lambda a, b: a @ b, [rand(2, 1, 2, 3), rand(2, 3, 2, seed=1)]),
    ("mm", lambda a, b: a.mm(b), [rand(2, 3), rand(3, 2, seed=1)]),
    ("bmm", lambda a, b: a.bmm(b), [rand(2, 2, 3), rand(2, 3, 2, seed=1)]),
    ("mv", lambda a, b: a.mv(b), [rand(2, 3), rand(3, seed=1)]),
    ("dot", lambda a, b: a.dot(b), [rand(4), rand(4, seed=1)]),
    ("outer", lambda a, b: a.outer(b), [rand(3), rand(2, seed=1)]),
    ("einsum_mm", lambda a, b: ember.einsum("ij,jk->ik", a, b), [rand(2, 3), rand(3, 2, seed=1)]),
    ("einsum_trace", lambda a: ember.einsum("ii->", a), [rand(3, 3)]),
    ("einsum_diag", lambda a: ember.einsum("ii->i", a), [rand(3, 3)]),
    ("einsum_batch", lambda a, b: ember.einsum("bij,bjk->bik", a, b), [rand(2, 2, 3), rand(2, 3, 2, seed=1)]),
    ("einsum_ellipsis", lambda a, b: ember.einsum("...ij,...jk->...ik", a, b), [rand(2, 2, 3), rand(3, 2, seed=1)]),
    ("einsum_three", lambda a, b, c: ember.einsum("i,ij,j->", a, b, c), [rand(2), rand(2, 3, seed=1), rand(3, seed=2)]),
    ("einsum_outer_sum", lambda a, b: ember.einsum("ij,k->ik", a, b), [rand(2, 3), rand(2, seed=1)]),
    # reductions
    ("sum", lambda x: x.sum(), [rand(2, 3)]), ("sum_dim", lambda x: x.sum(1, keepdim=True), [rand(2, 3)]),
    ("sum_dims", lambda x: x.sum((0, 2)), [rand(2, 3, 2)]), ("mean", lambda x: x.mean(0), [rand(2, 3)]),
    ("prod", lambda x: x.prod(), [away(2, 3)]), ("prod_dim", lambda x: x.prod(1), [away(2, 3)]),
    ("prod_one_zero", lambda x: x.prod(), [np.array([[1.5, 0.0, 2.0], [-1.0, 0.5, 1.2]])]),
    ("prod_two_zeros", lambda x: x.prod(), [np.array([[1.5, 0.0, 2.0], [-1.0, 0.0, 1.2]])]),
    ("prod_dim_zero", lambda x: x.prod(1), [np.array([[1.5, 0.0, 2.0], [-1.0, 0.7, 1.2]])]),
    ("max", lambda x: x.max(), [distinct(2, 3)]), ("min", lambda x: x.min(), [distinct(2, 3)]),
    ("max_dim", lambda x: x.max(1)[0], [distinct(2, 3)]),
    ("min_dim_keep", lambda x: x.min(0, keepdim=True).values, [distinct(2, 3)]),
    ("amax", lambda x: x.amax(1), [distinct(2, 3)]), ("amin", lambda x: x.amin((0, 1)), [distinct(2, 3)]),
    ("var", lambda x: x.var(), [rand(2, 3)]), ("var_dim_c0", lambda x: x.var(1, correction=0), [rand(2, 3)]),
    ("var_c2", lambda x: x.var(0, correction=2), [rand(4, 2)]),
    ("std", lambda x: x.std(), [rand(2, 3)]), ("std_dim", lambda x: x.std(1, keepdim=True), [rand(2, 3)]),
    ("std_c0", lambda x: x.std(0, correction=0), [rand(3, 2)]),
    ("norm", lambda x: x.norm(), [rand(2, 3)]), ("norm_1", lambda x: x.norm(1), [away(2, 3)]),
    ("norm_inf", lambda x: x.norm(float("inf"), dim=1), [distinct(2, 3) + 0.05]),
    ("norm_3", lambda x: x.norm(3, dim=0), [away(2, 3)]), ("norm_2_dim", lambda x: x.norm(2, dim=1), [rand(2, 3)]),
    ("logsumexp", lambda x: x.logsumexp(1), [rand(2, 3)]), ("logsumexp_dims", lambda x: x.logsumexp((0, 1)), [rand(2, 3)]),
    ("softmax", lambda x: x.softmax(1), [rand(2, 3)]), ("softmax_0", lambda x: x.softmax(0), [rand(2, 3)]),
    ("log_softmax", lambda x: x.log_softmax(-1), [rand(2, 3)]),
    ("cumsum", lambda x: x.cumsum(1), [rand(2, 3)]), ("cumprod", lambda x: x.cumprod(1), [away(2, 3)]),
    ("cumprod_zero", lambda x: x.cumprod(0), [np.array([1.5, 0.0, 2.0, -0.5])]),
    ("cumprod_two_zeros", lambda x: x.cumprod(1), [np.array([[0.0, 1.5, 0.0, 2.0], [1.0, 2.0, 0.5, 0.0]])]),
    # movement
    ("view", lambda x: x.view(3, 2), [rand(2, 3)]), ("reshape", lambda x: x.t().reshape(-1), [rand(2, 3)]),
    ("flatten", lambda x: x.flatten(1), [rand(2, 1, 3)]), ("unflatten", lambda x: x.unflatten(1, (3, 1)), [rand(2, 3)]),
    ("squeeze", lambda x: x.squeeze(1), [rand(2, 1, 3)]), ("unsqueeze", lambda x: x.unsqueeze(-1), [rand(2, 3)]),
    ("t", lambda x: x.t(), [rand(2, 3)]), ("transpose", lambda x: x.transpose(0, 2), [rand(2, 3, 2)]),
    ("permute", lambda x: x.permute(2, 0, 1), [rand(2, 3, 2)]), ("expand", lambda x: x.expand(2, 2, 3), [rand(2, 1, 3)]),
    ("expand_as", lambda x, y: x.expand_as(y) * y, [rand(3), rand(2, 3, seed=1)]),
    ("repeat", lambda x: x.repeat(2, 1, 2), [rand(2, 3)]), ("tile", lambda x: x.tile((2,)), [rand(2, 3)]),
    ("flip", lambda x: x.flip(0, 1), [rand(2, 3)]), ("roll", lambda x: x.roll(1, 1), [rand(2, 3)]),
    ("roll_multi", lambda x: x.roll((1, -1), (0, 1)), [rand(2, 3)]),
    ("cat", lambda x, y: ember.cat([x, y, x], 1), [rand(2, 3), rand(2, 1, seed=1)]),
    ("stack", lambda x, y: ember.stack([x, y], 1), [rand(2, 3), rand(2, 3, seed=1)]),
    ("split", lambda x: x.split([1, 2], 1)[1] * x.split(1, 1)[0], [rand(2, 3)]),
    ("chunk", lambda x: ember.cat(x.chunk(2, 0)[::-1]), [rand(3, 2)]),
    ("unbind", lambda x: x.unbind(1)[2] - x.unbind(1)[0], [rand(2, 3)]),
    ("narrow", lambda x: x.narrow(1, 1, 2), [rand(2, 3)]), ("select", lambda x: x.select(0, 1), [rand(2, 3)]),
    ("tril", lambda x: x.tril(), [rand(3, 3)]), ("triu", lambda x: x.triu(1), [rand(3, 4)]),
    ("diag_vec", lambda x: x.diag(1), [rand(3)]), ("diag_mat", lambda x: x.diag(-1), [rand(3, 3)]),
    ("diagonal", lambda x: x.diagonal(0, 1, 2), [rand(2, 3, 3)]), ("trace", lambda x: x.trace(), [rand(3, 3)]),
    # indexing
    ("getitem_int", lambda x: x[1], [rand(3, 2)]), ("getitem_slice_step", lambda x: x[::2, 1:], [rand(3, 3)]),
    ("getitem_none_ellipsis", lambda x: x[None, ..., -1], [rand(2, 3)]),
    ("getitem_list", lambda x: x[[0, 2, 0]], [rand(3, 2)]), ("getitem_lists", lambda x: x[[0, 1, 0], [1, 1, 1]], [rand(3, 2)]),
    ("getitem_mask", lambda x: x[MASK], [rand(2, 3)]), ("getitem_tensor", lambda x: x[:, ember.tensor([2, 2, 0])], [rand(2, 3)]),
    ("setitem_scalar", lambda x: _setitem(x, (0, slice(None)), 2.0), [rand(2, 3)]),
    ("setitem_tensor", lambda x, w: _setitem(x * 1, 1, w * w), [rand(2, 3), rand(3, seed=1)]),
    ("setitem_mask", lambda x, w: _setitem(x * 1, MASK, w), [rand(2, 3), rand(seed=1)]),
    ("gather", lambda x: x.gather(1, IDX), [rand(2, 3)]),
    ("scatter", lambda x, s: x.scatter(1, ember.tensor([[0, 2], [1, 0]]), s), [rand(2, 3), rand(2, 2, seed=1)]),
    ("scatter_value", lambda x: x.scatter(1, IDX, 0.5), [rand(2, 3)]),
    ("scatter_add", lambda x, s: x.scatter_add(1, IDX, s), [rand(2, 3), rand(2, 2, seed=1)]),
    ("index_select", lambda x: x.index_select(1, ember.tensor([2, 0, 2])), [rand(2, 3)]),
    ("index_add", lambda x, s: x.index_add(0, ember.tensor([1, 1]), s), [rand(2, 3), rand(2, 3, seed=1)]),
    ("masked_fill", lambda x: x.masked_fill(MASK, 0.5), [rand(2, 3)]),
    ("masked_fill_tensor", lambda x, v: x.masked_fill(MASK, v), [rand(2, 3), rand(seed=1)]),
    ("masked_select", lambda x: x.masked_select(MASK), [rand(2, 3)]),
    # in place, through non-leaf tensors
    ("inplace_chain", lambda x, y: _inplace_chain(x, y), [rand(2, 3), pos(2, 3, seed=1)]),
    ("inplace_clamp", lambda x: (x * 1).clamp_(-0.5, 0.5), [away(2, 3, low=0.6)]),
    ("inplace_copy", lambda x, y: (x * 1).copy_(y * 2) * x, [rand(2, 3), rand(3, seed=1)]),
]


def _setitem(y, key, value):
    y = y * 1
    y[key] = value
    return y


def _inplace_chain(x, y):
    h = x * 1
    h += y
    h *= y
    h.sub_(1.5)
    h.div_(y)
    return h


@pytest.mark.parametrize("fn,arrays", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_gradcheck(fn, arrays):
    inputs = [T(a) for a in arrays]
    assert gradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("fn,arrays", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_gradgradcheck(fn, arrays):
    ember.manual_seed(0)
    inputs = [T(a) for a in arrays]
    assert gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


# --- the checkers themselves must be able to fail -------------------------------------------------------

class _WrongGrad(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x  # should be 2 * g * x


class _WrongSecond(ember.autograd.Function):
    """Right first derivative (3x^2), but its backward is built from a detached x: no second derivative."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x.detach() ** 2


def test_gradcheck_catches_wrong_gradient():
    x = T(rand(3))
    with pytest.raises(ember.autograd.gradcheck.__globals__["GradcheckError"]):
        gradcheck(_WrongGrad.apply, [x])
    assert gradcheck(_WrongGrad.apply, [x], raise_exception=False) is False


def test_gradgradcheck_catches_wrong_second_derivative():
    x = T(rand(3))
    assert gradcheck(_WrongSecond.apply, [x])
    assert gradgradcheck(_WrongSecond.apply, [x], raise_exception=False) is False


def test_gradcheck_non_contiguous_input():
    x = ember.tensor(rand(3, 2), dtype=ember.float64).t().requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda a: a.exp() * a[0], [x])

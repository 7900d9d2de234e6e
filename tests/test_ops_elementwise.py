"""Elementwise ops against PyTorch: forward values, dtypes, shapes and gradients, one line per case."""
import math

import numpy as np
import pytest
import torch

import ember
from helpers import check, check_raises, lib

# numpy's floating-point warnings (log(0), x/0) and PyTorch's deprecation notes are expected in edge cases
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")

# --- arithmetic and reflected operators ---------------------------------------------------------

BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "add_method": lambda x, y: x.add(y),
    "add_alpha": lambda x, y: x.add(y, alpha=2.5),
    "sub_alpha": lambda x, y: x.sub(y, alpha=-1.5),
    "mul_method": lambda x, y: x.mul(y),
    "div_method": lambda x, y: x.div(y),
    "maximum": lambda x, y: x.maximum(y),
    "minimum": lambda x, y: x.minimum(y),
    "pow": lambda x, y: x.abs().add(0.5) ** y,
    "lib_add": lambda x, y: lib(x).add(x, y),
    "lib_mul": lambda x, y: lib(x).mul(x, y),
}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_same_shape(op, device):
    check(BINARY[op], shapes=[(3, 4), (3, 4)], low=0.5, high=2.0, device=device)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum"])
def test_binary_negative_values(op, device):
    check(BINARY[op], shapes=[(2, 5), np.array([1.5, -0.7, 2.2, -3.0, 0.9], dtype=np.float32)], device=device)


BROADCAST_SHAPES = [
    ((3,), (2, 3)), ((2, 3), (3,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((2, 3), ()), ((1,), (5,)),
    ((5,), (1,)), ((4, 1), (1, 4)), ((2, 3, 4), (4,)), ((5, 1, 1), (1, 6, 7)), ((1, 3, 1), (2, 1, 5)),
    ((3, 1), (3, 4)), ((2, 1, 3, 1), (4, 1, 5)), ((1, 1), (3, 3)), ((6,), (2, 1, 6)),
    ((2, 3, 1), (1,)), ((1, 4), (3, 1, 1)), ((), ()),
]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum", "pow"])
@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES, ids=[f"{a}+{b}" for a, b in BROADCAST_SHAPES])
def test_binary_broadcast(op, sa, sb):
    check(BINARY[op], shapes=[sa, sb], low=0.5, high=2.0)


@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES[:6], ids=[f"{a}+{b}" for a, b in BROADCAST_SHAPES[:6]])
def test_where_lerp_broadcast(sa, sb):
    check(lambda x, y: lib(x).where(x > 0, x, y), shapes=[sa, sb])
    check(lambda x, y: x.lerp(y, 0.3), shapes=[sa, sb])


SCALAR_OPS = [
    ("add_r", lambda x: x + 2.5), ("radd", lambda x: 2.5 + x), ("add_int", lambda x: x + 3),
    ("radd_int", lambda x: 3 + x), ("sub_r", lambda x: x - 1.5), ("rsub", lambda x: 1.5 - x),
    ("rsub_int", lambda x: 2 - x), ("mul_r", lambda x: x * -2.0), ("rmul", lambda x: -2.0 * x),
    ("rmul_int", lambda x: 3 * x), ("div_r", lambda x: x / 4.0), ("rdiv", lambda x: 4.0 / x),
    ("rdiv_int", lambda x: 3 / x), ("div_int", lambda x: x / 2), ("add_bool", lambda x: x + True),
    ("maximum_scalar_t", lambda x: x.clamp(min=0.7)),
]


@pytest.mark.parametrize("op", SCALAR_OPS, ids=[c[0] for c in SCALAR_OPS])
def test_scalar_operators(op, device):
    check(op[1], shapes=[(3, 4)], low=0.5, high=2.0, device=device)


@pytest.mark.parametrize("op", SCALAR_OPS[:-2], ids=[c[0] for c in SCALAR_OPS[:-2]])
@pytest.mark.parametrize("dtype", ["int64", "int32", "float64"])
def test_scalar_operators_dtypes(op, dtype):
    check(op[1], shapes=[(5,)], dtype=dtype, low=1, high=5)


# --- pow -------------------------------------------------------------------------------------------

POW = [
    ("tt", lambda x, y: x ** y, [(3, 4), (3, 4)], 0.5, 2.0),
    ("tt_bcast", lambda x, y: x ** y, [(3, 4), (4,)], 0.5, 2.0),
    ("tt_method", lambda x, y: x.pow(y), [(2, 3), (2, 3)], 0.5, 2.0),
    ("ts_2", lambda x: x ** 2, [(3, 4)], -2.0, 2.0),
    ("ts_3", lambda x: x ** 3, [(3, 4)], -2.0, 2.0),
    ("ts_0", lambda x: x ** 0, [(3, 4)], -2.0, 2.0),
    ("ts_1", lambda x: x ** 1, [(3, 4)], -2.0, 2.0),
    ("ts_neg1", lambda x: x ** -1, [(3, 4)], 0.5, 2.0),
    ("ts_half", lambda x: x ** 0.5, [(3, 4)], 0.5, 2.0),
    ("ts_neg_half", lambda x: x ** -0.5, [(3, 4)], 0.5, 2.0),
    ("ts_2.5", lambda x: x.pow(2.5), [(3, 4)], 0.5, 2.0),
    ("st", lambda x: 2.0 ** x, [(3, 4)], -2.0, 2.0),
    ("st_int", lambda x: 3 ** x, [(3, 4)], -2.0, 2.0),
    ("st_frac", lambda x: 0.5 ** x, [(3, 4)], -2.0, 2.0),
    ("t0d", lambda x, y: x ** y, [(3, 4), ()], 0.5, 2.0),
    ("0dt", lambda x, y: x ** y, [(), (3, 4)], 0.5, 2.0),
    ("lib_pow", lambda x: lib(x).pow(x, 2), [(3,)], -2.0, 2.0),
    ("square", lambda x: x.square(), [(3,)], -2.0, 2.0),
]


@pytest.mark.parametrize("fn,shapes,low,high", [p[1:] for p in POW], ids=[p[0] for p in POW])
def test_pow(fn, shapes, low, high, device):
    check(fn, shapes=shapes, low=low, high=high, device=device)


def test_pow_zero_base():
    zeros = np.array([0.0, 0.0, 1.0, 2.0], dtype=np.float32)
    check(lambda x: x ** 2, shapes=[zeros])
    check(lambda x: x ** 1.5, shapes=[zeros])
    check(lambda x, y: x ** y, shapes=[zeros, np.array([0.0, 2.0, 3.0, 0.0], dtype=np.float32)])


@pytest.mark.parametrize("fn", [lambda x: x ** 2, lambda x: x ** 3, lambda x: 2 ** x, lambda x, y: x ** y],
                         ids=["sq", "cube", "rpow", "tt"])
def test_pow_int(fn):
    n = fn.__code__.co_argcount
    check(fn, shapes=[(5,)] * n, dtype="int64", low=0, high=4)


# --- unary ---------------------------------------------------------------------------------------

UNARY = [
    ("neg", lambda x: -x, -2, 2), ("neg_method", lambda x: x.neg(), -2, 2), ("abs", lambda x: x.abs(), -2, 2),
    ("abs_builtin", lambda x: abs(x), -2, 2), ("sign", lambda x: x.sign(), -2, 2),
    ("exp", lambda x: x.exp(), -2, 2), ("log", lambda x: x.log(), 0.1, 3), ("log1p", lambda x: x.log1p(), -0.5, 2),
    ("log2", lambda x: x.log2(), 0.1, 3), ("log10", lambda x: x.log10(), 0.1, 3),
    ("expm1", lambda x: x.expm1(), -2, 2), ("sqrt", lambda x: x.sqrt(), 0.1, 3),
    ("rsqrt", lambda x: x.rsqrt(), 0.1, 3), ("sin", lambda x: x.sin(), -3, 3), ("cos", lambda x: x.cos(), -3, 3),
    ("tan", lambda x: x.tan(), -1.2, 1.2), ("tanh", lambda x: x.tanh(), -3, 3),
    ("sigmoid", lambda x: x.sigmoid(), -5, 5), ("relu", lambda x: x.relu(), -2, 2),
    ("floor", lambda x: x.floor(), -3, 3), ("ceil", lambda x: x.ceil(), -3, 3), ("round", lambda x: x.round(), -3, 3),
    ("trunc", lambda x: x.trunc(), -3, 3), ("reciprocal", lambda x: x.reciprocal(), 0.5, 2),
    ("lib_exp", lambda x: lib(x).exp(x), -2, 2), ("lib_sigmoid", lambda x: lib(x).sigmoid(x), -2, 2),
    ("lib_relu", lambda x: lib(x).relu(x), -2, 2), ("lib_tanh", lambda x: lib(x).tanh(x), -2, 2),
    ("round_decimals", lambda x: x.round(decimals=1), -3, 3), ("frac", lambda x: x.frac(), -3, 3),
]


@pytest.mark.parametrize("fn,low,high", [u[1:] for u in UNARY], ids=[u[0] for u in UNARY])
def test_unary(fn, low, high, device):
    check(fn, shapes=[(3, 5)], low=low, high=high, device=device)


@pytest.mark.parametrize("fn,low,high", [u[1:] for u in UNARY], ids=[u[0] for u in UNARY])
def test_unary_0d_float64(fn, low, high):
    check(fn, shapes=[()], dtype="float64", low=low, high=high)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "rsqrt", "log2",
                                  "expm1", "log1p", "tan", "reciprocal"])
def test_unary_int_input_gives_float(name):
    check(lambda x: getattr(x, name)(), shapes=[(6,)], dtype="int64", low=1, high=3)


@pytest.mark.parametrize("name", ["neg", "abs", "sign", "relu", "floor", "ceil", "round", "trunc"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int8"])
def test_unary_int_keeps_dtype(name, dtype):
    check(lambda x: getattr(x, name)(), shapes=[(6,)], dtype=dtype, low=-5, high=5)


def test_unary_special_values():
    v = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e30], dtype=np.float32)
    for name in ["abs", "sign", "exp", "tanh", "sigmoid", "relu", "floor", "ceil", "neg", "sqrt", "log"]:
        check(lambda x: getattr(x, name)(), shapes=[v], grad=False)


def test_sigmoid_extreme():
    check(lambda x: x.sigmoid(), shapes=[np.array([-100.0, -20, 0, 20, 100], dtype=np.float32)])


def test_round_half_to_even():
    check(lambda x: x.round(), shapes=[np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999], dtype=np.float32)])


def test_relu_at_zero_grad():
    check(lambda x: x.relu(), shapes=[np.array([-1.0, 0.0, 1.0], dtype=np.float32)])


def test_abs_sign_at_zero_grad():
    check(lambda x: x.abs(), shapes=[np.array([-1.0, 0.0, 1.0], dtype=np.float32)])
    check(lambda x: x.sign(), shapes=[np.array([-1.0, 0.0, 1.0], dtype=np.float32)])


# --- clamp / clip ------------------------------------------------------------------------------------

CLAMP = [
    ("min", lambda x: x.clamp(min=-0.5)), ("max", lambda x: x.clamp(max=0.5)),
    ("both", lambda x: x.clamp(-0.5, 0.5)), ("clip", lambda x: x.clip(-1.0, 0.3)),
    ("min_gt_max", lambda x: x.clamp(0.5, -0.5)), ("int_bounds", lambda x: x.clamp(-1, 1)),
    ("clamp_min", lambda x: x.clamp_min(0.1)), ("clamp_max", lambda x: x.clamp_max(0.1)),
    ("lib_clamp", lambda x: lib(x).clamp(x, min=-1.0, max=1.0)),
    ("lib_clip", lambda x: lib(x).clip(x, -1.0, 1.0)),
]


@pytest.mark.parametrize("fn", [c[1] for c in CLAMP], ids=[c[0] for c in CLAMP])
def test_clamp(fn, device):
    check(fn, shapes=[(4, 5)], device=device)


CLAMP_T = [
    ("tmin", lambda x, lo: x.clamp(min=lo)), ("tmax", lambda x, hi: x.clamp(max=hi)),
    ("tboth", lambda x, lo, hi: x.clamp(lo, hi)),
    ("tclip", lambda x, lo, hi: x.clip(lo, hi)),
]


@pytest.mark.parametrize("fn", [c[1] for c in CLAMP_T], ids=[c[0] for c in CLAMP_T])
def test_clamp_tensor_bounds(fn):
    n = fn.__code__.co_argcount
    lo = np.array([-1.0, -0.5, 0.1, -0.3, 0.0], dtype=np.float32)
    hi = np.array([1.0, 0.5, 0.7, 0.2, 0.1], dtype=np.float32)
    check(fn, shapes=[(3, 5), lo, hi][:n])


def test_clamp_at_bounds_grad():
    # values exactly at the bounds get gradient 1 in PyTorch
    check(lambda x: x.clamp(-1.0, 1.0), shapes=[np.array([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=np.float32)])


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_clamp_int(dtype):
    check(lambda x: x.clamp(-2, 2), shapes=[(8,)], dtype=dtype, low=-5, high=5)
    check(lambda x: x.clamp(min=0), shapes=[(8,)], dtype=dtype, low=-5, high=5)
    check(lambda x: x.clamp(-1.5, 2.5), shapes=[(8,)], dtype=dtype, low=-5, high=5)


def test_clamp_no_bounds_raises():
    check_raises(lambda x: x.clamp())


# --- maximum / minimum / where / lerp --------------------------------------------------------------

def test_maximum_minimum_ties():
    a = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    b = np.array([1.0, 0.0, 3.0, 5.0], dtype=np.float32)
    check(lambda x, y: x.maximum(y), shapes=[a, b])
    check(lambda x, y: x.minimum(y), shapes=[a, b])
    check(lambda x, y: lib(x).maximum(x, y), shapes=[a, b])
    check(lambda x, y: lib(x).minimum(x, y), shapes=[a, b])


WHERE = [
    ("tt", lambda c, x, y: lib(x).where(c > 0, x, y), [(3, 4), (3, 4), (3, 4)]),
    ("bcast", lambda c, x, y: lib(x).where(c > 0, x, y), [(3, 1), (1, 4), (4,)]),
    ("method", lambda c, x, y: x.where(c > 0, y), [(3, 4), (3, 4), (3, 4)]),
    ("scalar_other", lambda c, x: lib(x).where(c > 0, x, 0.0), [(3, 4), (3, 4)]),
    ("scalar_input", lambda c, x: lib(x).where(c > 0, 1.5, x), [(3, 4), (3, 4)]),
    ("scalar_int", lambda c, x: lib(x).where(c > 0, x, 2), [(3, 4), (3, 4)]),
    ("0d", lambda c, x, y: lib(x).where(c > 0, x, y), [(2, 3), (), (2, 3)]),
]


@pytest.mark.parametrize("fn,shapes", [w[1:] for w in WHERE], ids=[w[0] for w in WHERE])
def test_where(fn, shapes, device):
    check(fn, shapes=shapes, device=device)


def test_where_mixed_dtypes():
    check(lambda c, x, y: lib(x).where(c > 0, x, y), shapes=[(4,), (4,), (4,)],
          dtype=["float32", "float32", "float64"])
    check(lambda c, x, y: lib(x).where(c > 0, x, y), shapes=[(4,), (4,), (4,)],
          dtype=["float32", "int64", "float32"])
    check(lambda c, x, y: lib(x).where(c > 0, x, y), shapes=[(4,), (4,), (4,)],
          dtype=["float32", "int32", "int64"])


LERP = [
    ("scalar_w", lambda x, y: x.lerp(y, 0.25), [(3, 4), (3, 4)]),
    ("tensor_w", lambda x, y, w: x.lerp(y, w), [(3, 4), (3, 4), (3, 4)]),
    ("bcast_w", lambda x, y, w: x.lerp(y, w), [(3, 4), (4,), (3, 1)]),
    ("lib", lambda x, y: lib(x).lerp(x, y, 0.75), [(5,), (5,)]),
    ("big_w", lambda x, y: x.lerp(y, 1.5), [(5,), (5,)]),
]


@pytest.mark.parametrize("fn,shapes", [l_[1:] for l_ in LERP], ids=[l_[0] for l_ in LERP])
def test_lerp(fn, shapes, device):
    check(fn, shapes=shapes, device=device)


# --- comparisons and logic -------------------------------------------------------------------------

CMP = [
    ("eq", lambda x, y: x == y), ("ne", lambda x, y: x != y), ("lt", lambda x, y: x < y),
    ("le", lambda x, y: x <= y), ("gt", lambda x, y: x > y), ("ge", lambda x, y: x >= y),
    ("eq_m", lambda x, y: x.eq(y)), ("ne_m", lambda x, y: x.ne(y)), ("lt_m", lambda x, y: x.lt(y)),
    ("le_m", lambda x, y: x.le(y)), ("gt_m", lambda x, y: x.gt(y)), ("ge_m", lambda x, y: x.ge(y)),
    ("lib_eq", lambda x, y: lib(x).eq(x, y)), ("lib_gt", lambda x, y: lib(x).gt(x, y)),
    ("and", lambda x, y: (x > 0).logical_and(y > 0)), ("or", lambda x, y: (x > 0).logical_or(y > 0)),
    ("xor", lambda x, y: (x > 0).logical_xor(y > 0)), ("not", lambda x, y: (x > y).logical_not()),
    ("bit_and", lambda x, y: (x > 0) & (y > 0)), ("bit_or", lambda x, y: (x > 0) | (y > 0)),
    ("bit_xor", lambda x, y: (x > 0) ^ (y > 0)), ("invert", lambda x, y: ~(x > y)),
    ("lib_logical_and", lambda x, y: lib(x).logical_and(x, y)), ("logical_or_float", lambda x, y: x.logical_or(y)),
    ("equal", lambda x, y: x.equal(y)), ("equal_self", lambda x, y: x.equal(x)),
    ("allclose", lambda x, y: x.allclose(y)), ("isclose", lambda x, y: x.isclose(y)),
]


@pytest.mark.parametrize("fn", [c[1] for c in CMP], ids=[c[0] for c in CMP])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_compare_logic(fn, dtype, device):
    a = np.array([[0, 1, 2, -1], [3, 3, -2, 0]], dtype=dtype)
    b = np.array([[0, 2, 1, -1], [3, 0, -2, 1]], dtype=dtype)
    check(fn, shapes=[a, b], device=device)


@pytest.mark.parametrize("fn", [c[1] for c in CMP[:14]], ids=[c[0] for c in CMP[:14]])
def test_compare_scalar_and_broadcast(fn):
    check(lambda x: fn(x, 0.5), shapes=[(3, 4)])
    check(lambda x: fn(x, 1), shapes=[(3, 4)], dtype="int64", low=-2, high=3)
    check(fn, shapes=[(3, 1), (4,)])
    check(fn, shapes=[(3, 4), (4,)], dtype=["float32", "int64"])


def test_compare_nan():
    a = np.array([np.nan, 1.0, np.nan], dtype=np.float32)
    b = np.array([np.nan, 1.0, 2.0], dtype=np.float32)
    for _, fn in CMP[:6]:
        check(fn, shapes=[a, b])


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf"])
def test_isnan_isinf_isfinite(name, device):
    v = np.array([0.0, np.nan, np.inf, -np.inf, 1.5, -2.0], dtype=np.float32)
    check(lambda x: getattr(x, name)(), shapes=[v], device=device)
    check(lambda x: getattr(lib(x), name)(x), shapes=[v], device=device)
    check(lambda x: getattr(x, name)(), shapes=[(4,)], dtype="int64")


NAN_TO_NUM = [
    ("default", lambda x: x.nan_to_num()), ("nan", lambda x: x.nan_to_num(nan=1.5)),
    ("all", lambda x: x.nan_to_num(nan=0.5, posinf=10.0, neginf=-10.0)),
    ("lib", lambda x: lib(x).nan_to_num(x, 2.0)),
]


@pytest.mark.parametrize("fn", [c[1] for c in NAN_TO_NUM], ids=[c[0] for c in NAN_TO_NUM])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_nan_to_num(fn, dtype, device):
    v = np.array([0.0, np.nan, np.inf, -np.inf, 1.5, -2.0], dtype=dtype)
    check(fn, shapes=[v], dtype=dtype, device=device)


def test_nan_to_num_int():
    check(lambda x: x.nan_to_num(), shapes=[(5,)], dtype="int64", low=-3, high=3)


# --- integer arithmetic ------------------------------------------------------------------------------

INT_OPS = [
    ("add", lambda x, y: x + y), ("sub", lambda x, y: x - y), ("mul", lambda x, y: x * y),
    ("truediv", lambda x, y: x / y), ("floordiv", lambda x, y: x // y), ("mod", lambda x, y: x % y),
    ("maximum", lambda x, y: x.maximum(y)), ("fmod", lambda x, y: x.fmod(y)),
    ("div_floor", lambda x, y: x.div(y, rounding_mode="floor")),
    ("div_trunc", lambda x, y: x.div(y, rounding_mode="trunc")),
]


@pytest.mark.parametrize("fn", [c[1] for c in INT_OPS], ids=[c[0] for c in INT_OPS])
def test_int_arith(fn):
    a = np.array([7, -7, 6, -6, 0, 5], dtype=np.int64)
    b = np.array([2, 2, -4, -4, 3, 5], dtype=np.int64)
    check(fn, shapes=[a, b])


@pytest.mark.parametrize("fn", [c[1] for c in INT_OPS[4:]], ids=[c[0] for c in INT_OPS[4:]])
def test_float_floor_mod(fn):
    a = np.array([7.5, -7.5, 6.0, -6.2, 0.0, 5.0], dtype=np.float32)
    b = np.array([2.0, 2.0, -4.0, -4.0, 3.0, 1.5], dtype=np.float32)
    check(fn, shapes=[a, b], grad=False)


# --- in-place ---------------------------------------------------------------------------------------

def _nonleaf(op):
    """x is turned into a non-leaf (x * 1) and modified in place; the gradient flows to x (and y)."""
    def f(x, *rest):
        h = x * 1
        r = op(h, *rest)
        assert r is h, "in-place ops return self"
        return h
    return f


INPLACE = [
    ("add_", lambda h, y: h.add_(y)), ("add_alpha", lambda h, y: h.add_(y, alpha=2.0)),
    ("sub_", lambda h, y: h.sub_(y)), ("mul_", lambda h, y: h.mul_(y)), ("div_", lambda h, y: h.div_(y)),
    ("iadd", lambda h, y: h.__iadd__(y)), ("isub", lambda h, y: h.__isub__(y)),
    ("imul", lambda h, y: h.__imul__(y)), ("idiv", lambda h, y: h.__itruediv__(y)),
    ("copy_", lambda h, y: h.copy_(y)), ("clamp_t", lambda h, y: h.clamp_(min=y)),
    ("mul_bcast", lambda h, y: h.mul_(y[0])),
]


@pytest.mark.parametrize("op", [c[1] for c in INPLACE], ids=[c[0] for c in INPLACE])
def test_inplace_nonleaf(op, device):
    check(_nonleaf(op), shapes=[(3, 4), (3, 4)], low=0.5, high=2.0, device=device)


INPLACE_UNARY = [
    ("add_s", lambda h: h.add_(1.5)), ("sub_s", lambda h: h.sub_(2)), ("mul_s", lambda h: h.mul_(3.0)),
    ("div_s", lambda h: h.div_(2.0)), ("zero_", lambda h: h.zero_()), ("fill_", lambda h: h.fill_(2.5)),
    ("clamp_", lambda h: h.clamp_(-0.5, 0.5)), ("clamp_min_", lambda h: h.clamp_(min=0.0)),
    ("clip_", lambda h: h.clip_(max=0.2)), ("iadd_s", lambda h: h.__iadd__(1)),
    ("isub_s", lambda h: h.__isub__(0.5)), ("exp_", lambda h: h.exp_()), ("relu_", lambda h: h.relu_()),
    ("sigmoid_", lambda h: h.sigmoid_()), ("neg_", lambda h: h.neg_()), ("pow_", lambda h: h.pow_(2)),
    ("copy_s", lambda h: h.copy_(h * 2)), ("twice", lambda h: h.mul_(2).add_(1)),
]


@pytest.mark.parametrize("op", [c[1] for c in INPLACE_UNARY], ids=[c[0] for c in INPLACE_UNARY])
def test_inplace_nonleaf_scalar(op, device):
    check(_nonleaf(op), shapes=[(3, 4)], device=device)


def _inplace_chain(x, y):
    h = x.exp()   # exp saves its output: modifying h afterwards must not corrupt exp's backward...
    h = h * 1     # ...so work on a copy, then use h after in-place updates
    h += y
    h *= y
    h -= 1
    h /= 2
    return h.sin()


def test_inplace_chain():
    check(_inplace_chain, shapes=[(4,), (4,)], low=0.5, high=1.5)


def test_inplace_broadcast_rhs():
    check(_nonleaf(lambda h, y: h.add_(y)), shapes=[(3, 4), (4,)])
    check(_nonleaf(lambda h, y: h.mul_(y)), shapes=[(3, 4), (3, 1)])
    check(_nonleaf(lambda h, y: h.copy_(y)), shapes=[(3, 4), (4,)])


def _leaf_nograd(op):
    def f(x, *rest):
        with lib(x).no_grad():
            r = op(x, *rest)
        assert r is x
        assert x.is_leaf and x.requires_grad and x.grad_fn is None
        return x * x   # a later op records from the updated values
    return f


@pytest.mark.parametrize("op", [c[1] for c in INPLACE + INPLACE_UNARY],
                         ids=[c[0] for c in INPLACE + INPLACE_UNARY])
def test_inplace_leaf_no_grad(op, device):
    n = op.__code__.co_argcount
    check(_leaf_nograd(op), shapes=[(3, 4), (3, 4)][:n], low=0.5, high=2.0, device=device)


@pytest.mark.parametrize("op", [c[1] for c in INPLACE_UNARY[:10]], ids=[c[0] for c in INPLACE_UNARY[:10]])
def test_inplace_leaf_with_grad_raises(op):
    check_raises(lambda x: op(x.requires_grad_()), match="leaf")


def test_inplace_version_counter():
    for mod in (torch, ember):
        x = mod.ones(3)
        v0 = x._version
        x.add_(1)
        x += 1
        x.mul_(2)
        assert x._version == v0 + 3
        assert x.tolist() == [6.0, 6.0, 6.0]


def test_inplace_on_saved_tensor_raises():
    # exp saves its output; modifying it in place must make backward fail in both frameworks
    def f(x):
        y = x.exp()
        y.add_(1)
        y.sum().backward()
    check_raises(lambda x: f(x.requires_grad_()))


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "float64"])
def test_inplace_no_grad_values(dtype):
    def f(x, y):
        x = x.clone()
        x += y
        x -= 1
        x *= y
        return x
    check(f, shapes=[(5,), (5,)], dtype=dtype, low=-3, high=3, grad=False)


def test_inplace_int_float_scalar():
    def f(x):
        x = x.clone()
        x *= 2
        x += True
        return x
    check(f, shapes=[(4,)], dtype="int64", grad=False)
    check(lambda x: x.clone().add_(2.5), shapes=[(4,)], dtype="float16", grad=False)


# --- errors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum"])
def test_broadcast_error(op):
    e = check_raises(BINARY[op], shapes=[(2, 3), (4,)])
    assert "[2, 3]" in str(e.value) and "[4]" in str(e.value)


def test_inplace_dtype_errors():
    check_raises(lambda x: x.__iadd__(1.5), shapes=[(3,)], dtype="int64", match="Long")
    check_raises(lambda x: x.add_(1.5), shapes=[(3,)], dtype="int32")
    check_raises(lambda x: x.mul_(0.5), shapes=[(3,)], dtype="int64")
    check_raises(lambda x: x.__itruediv__(2), shapes=[(3,)], dtype="int64")
    check_raises(lambda x, y: x.__iadd__(y), shapes=[(3,), (3,)], dtype=["int64", "float32"])
    check_raises(lambda x, y: x.__iadd__(y), shapes=[(3,), (3,)], dtype=["bool", "int64"])


def test_inplace_broadcast_output_error():
    check_raises(lambda x, y: x.__iadd__(y), shapes=[(3,), (2, 3)])
    check_raises(lambda x, y: x.add_(y), shapes=[(1, 3), (2, 3)])


def test_item_errors():
    check_raises(lambda x: x.item(), shapes=[(3,)], match="3 elements")
    check_raises(lambda x: bool(x), shapes=[(2,)])
    check(lambda x: x.item(), shapes=[(1,)], grad=False)
    check(lambda x: x.item(), shapes=[()], dtype="int64", grad=False)
    check(lambda x: float(x), shapes=[(1, 1)], grad=False)


def test_neg_bool_raises():
    check_raises(lambda x: -x, shapes=[(3,)], dtype="bool")


def test_int_negative_pow_raises():
    check_raises(lambda x: x ** -1, shapes=[(3,)], dtype="int64")


def test_math_constants():
    for name in ["pi", "e", "inf"]:
        assert getattr(ember, name) == getattr(torch, name)
    assert math.isnan(ember.nan)


# --- mixed dtypes, non-contiguous and empty inputs ------------------------------------------------------

MIXED = [("float32", "float64"), ("float64", "float32"), ("float16", "float32"), ("float32", "int64"),
         ("int32", "float64"), ("float16", "bool"), ("float64", "uint8")]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum"])
@pytest.mark.parametrize("da,db", MIXED, ids=[f"{a}-{b}" for a, b in MIXED])
def test_binary_mixed_dtypes_grad(op, da, db):
    # the gradient of each input has that input's dtype
    if op == "sub" and "bool" in (da, db):
        return check_raises(BINARY[op], shapes=[(2, 3), (3,)], dtype=[da, db])
    check(BINARY[op], shapes=[(2, 3), (3,)], dtype=[da, db], low=1, high=3)


@pytest.mark.parametrize("op", ["add", "mul", "div", "pow", "maximum"])
def test_binary_0d_float64_with_float32(op):
    # a 0-d float64 tensor doesn't promote a float32 tensor; its gradient stays float64
    check(BINARY[op], shapes=[(2, 3), ()], dtype=["float32", "float64"], low=0.5, high=2)


@pytest.mark.parametrize("fn", [u[1] for u in UNARY[:24]], ids=[u[0] for u in UNARY[:24]])
def test_unary_float16(fn):
    check(fn, shapes=[(3, 4)], dtype="float16", low=0.2, high=1.5)


NONCONTIG = [
    ("add_T", lambda x, y: x.t() + y), ("mul_slice", lambda x, y: x[:, ::2] * y[:, 1::2]),
    ("exp_T", lambda x, y: x.t().exp() * y), ("sum_T", lambda x, y: (x.t() * y).sum(0)),
    ("matmul_T", lambda x, y: x.t() @ y.t()), ("softmax_T", lambda x, y: x.t().softmax(0) + y),
    ("where_T", lambda x, y: lib(x).where(x.t() > 0, x.t(), y)), ("expand", lambda x, y: x[:1].expand(4, 4) * y.t()),
    ("cumsum_T", lambda x, y: x.t().cumsum(1) - y), ("clamp_T", lambda x, y: x.t().clamp(-0.5, 0.5) * y),
]


@pytest.mark.parametrize("fn", [n[1] for n in NONCONTIG], ids=[n[0] for n in NONCONTIG])
def test_non_contiguous(fn):
    check(fn, shapes=[(4, 4), (4, 4)])


@pytest.mark.parametrize("op", ["add", "mul", "div", "maximum"])
def test_empty(op):
    check(BINARY[op], shapes=[(0, 3), (3,)])
    check(lambda x: x.exp().sum(), shapes=[(0, 3)])
    check(lambda x: x.sigmoid(), shapes=[(2, 0)])


@pytest.mark.parametrize("fn", [lambda x, b: x - b, lambda x, b: b - x, lambda x, b: x.sub(b), lambda x, b: b - True,
                                lambda x, b: b - b, lambda x, b: x - True, lambda x, b: True - x,
                                lambda x, b: x.clone().sub_(b), lambda x, b: lib(x).sub(b, 1)])
def test_bool_subtraction_raises(fn):
    check_raises(fn, shapes=[(3,), (3,)], dtype=["float32", "bool"], match="Subtraction")


def test_clamp_tensor_bounds_ties_grad():
    # values equal to a tensor bound: the gradient goes to x (PyTorch's clamp), not split as in maximum
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0], dtype=np.float32)
    lo = np.array([-1.0, -0.5, 0.5, 0.0, 0.0], dtype=np.float32)
    hi = np.array([1.0, 0.0, 0.5, 1.0, 1.5], dtype=np.float32)
    check(lambda x, lo, hi: x.clamp(lo, hi), shapes=[x, lo, hi])
    check(lambda x, lo: x.clamp(min=lo), shapes=[x, lo])
    check(lambda x, hi: x.clamp(max=hi), shapes=[x, hi])
    check(lambda x, lo, hi: x.clamp(lo, hi), shapes=[x, hi, lo])  # min > max


# --- edge cases found while building this suite -------------------------------------------------------

def f32(*v):
    return np.array(v, dtype=np.float32)


NAN = np.nan
EDGES = [
    ("mod_float_grad", lambda x, y: x % y, [f32(-1.5, 0.5, 2.5, 3.3), f32(2.0, -2.0, 0.7, 1.1)]),
    ("mod_scalar", lambda x: x % -1.5, [np.linspace(-3, 3, 7, dtype=np.float32)]),
    ("fmod_grad", lambda x, y: x.fmod(y), [f32(-1.5, 0.5, 2.5, 3.3), f32(2.0, -2.0, 0.7, 1.1)]),
    ("remainder_bcast", lambda x, y: x.remainder(y), [(2, 3), f32(0.7, -1.1, 1.5)]),
    ("rpow_neg_base", lambda x: (-2.0) ** x, [np.linspace(0, 3, 4, dtype=np.float32)]),
    ("rpow_zero_base", lambda x: 0.0 ** x, [f32(-1.0, 0.0, 2.0)]),
    ("rpow_one_base", lambda x: 1 ** x, [f32(-1.0, 0.0, 2.0)]),
    ("sign_bool", lambda x: x.sign(), [np.array([True, False])]),
    ("maximum_nan", lambda x, y: x.maximum(y), [f32(NAN, 1.0, 2.0), f32(1.0, NAN, 2.0)]),
    ("minimum_nan", lambda x, y: x.minimum(y), [f32(NAN, 1.0, 2.0), f32(1.0, NAN, 2.0)]),
    ("fmax", lambda x, y: x.fmax(y), [f32(NAN, 1.0, 2.0, NAN, 0.5), f32(1.0, NAN, 2.0, NAN, 3.0)]),
    ("fmin", lambda x, y: lib(x).fmin(x, y), [f32(NAN, 1.0, 2.0, NAN, 0.5), f32(1.0, NAN, 2.0, NAN, 3.0)]),
    ("fmax_bcast", lambda x, y: x.fmax(y), [(2, 3), (3,)]),
    ("clamp_nan", lambda x: x.clamp(0, 1), [np.array([np.nan, 2.0, 0.5], np.float32)]),
    ("abs_int8_min", lambda x: x.abs(), [np.array([-128, 127, 0], np.int8)]),
    ("int_div_zero", lambda x: x / 0, [np.arange(-1, 2)]),
    ("float_div_zero", lambda x: x / 0.0, [np.array([-1.0, 0.0, 1.0], np.float32)]),
    ("round_neg_decimals", lambda x: x.round(decimals=-1), [np.array([15.0, 24.0, -35.0], np.float32)]),
    ("sigmoid_f16", lambda x: x.sigmoid(), [np.array([-10, 0, 10], np.float16)]),
    ("exp_bool", lambda x: x.exp(), [np.array([True, False])]),
]


@pytest.mark.parametrize("fn,shapes", [e[1:] for e in EDGES], ids=[e[0] for e in EDGES])
def test_edge_cases(fn, shapes):
    check(fn, shapes=shapes)


@pytest.mark.parametrize("dtype", ["int64", "int8", "int32"])
def test_int_pow_negative_exponent_tensor(dtype):
    base = np.array([0, 1, -1, -1, 2, -2, 0, 3], dtype=dtype)
    exp = np.array([-1, -3, -3, -2, -1, -1, -2, 2], dtype=dtype)
    check(lambda x, y: x ** y, shapes=[base, exp])
    check(lambda y: 2 ** y, shapes=[exp])
    check(lambda y: (-1) ** y, shapes=[exp])
    check(lambda x: x ** lib(x).tensor(-1, dtype=x.dtype), shapes=[base])


def _saved_then_modified(make, modify):
    def f(x):
        h = x.requires_grad_() * 1
        out = make(h)
        modify(h, out)
        out.sum().backward()
    return f


@pytest.mark.parametrize("make,modify", [
    (lambda h: h * h, lambda h, o: h.add_(1)),            # Mul saved its inputs
    (lambda h: h.sigmoid(), lambda h, o: o.mul_(2)),      # sigmoid saved its output
    (lambda h: h.tanh(), lambda h, o: o.zero_()),
    (lambda h: h.pow(3), lambda h, o: h.clamp_(0, 1)),
    (lambda h: h[0] * h[1], lambda h, o: h.__setitem__(0, 1.0)),
], ids=["mul_input", "sigmoid_output", "tanh_output", "pow_input", "setitem_after_index"])
def test_modified_saved_tensor_raises(make, modify):
    check_raises(_saved_then_modified(make, modify), match="modified by an inplace operation")


def test_inplace_on_unsaved_tensor_is_fine():
    # add doesn't save its inputs: changing them afterwards doesn't affect the gradient
    def f(x, y):
        h = x * 1
        out = h + y
        h.mul_(3)
        return out * 2, h
    check(f, shapes=[(3,), (3,)])


# --- in-place through views, with gradients ------------------------------------------------------------

def _via_view(view, op, use_view=False):
    """y = x * 1; op(view(y), w) in place; return y (and the view, whose graph must follow the base's)."""
    def f(x, w):
        y = x * 1
        v = view(y)
        op(v, w)
        return (y, v * 1) if use_view else y
    return f


VIEW_INPLACE = [
    ("row_mul_", lambda y: y[0], lambda v, w: v.mul_(w[0])),
    ("col_iadd", lambda y: y[:, 1], lambda v, w: v.__iadd__(w[:, 0])),
    ("slice_step_sub_", lambda y: y[:, ::2], lambda v, w: v.sub_(w[:, :2])),
    ("t_add_", lambda y: y.t(), lambda v, w: v.add_(w.t())),
    ("diagonal_fill_", lambda y: y.diagonal(), lambda v, w: v.fill_(2.0)),
    ("narrow_zero_", lambda y: y.narrow(1, 1, 2), lambda v, w: v.zero_()),
    ("view_mul_", lambda y: y.view(-1), lambda v, w: v.mul_(w.reshape(-1))),
    ("unsqueeze_div_", lambda y: y.unsqueeze(0), lambda v, w: v.div_(w.abs() + 1)),
    ("chained_views", lambda y: y[1:][:, 1:], lambda v, w: v.mul_(w[1:, 1:])),
    ("view_setitem", lambda y: y[0], lambda v, w: v.__setitem__(1, w[1, 1])),
    ("view_copy_", lambda y: y[1], lambda v, w: v.copy_(w[0] * 3)),
    ("view_clamp_", lambda y: y[:, 0], lambda v, w: v.clamp_(-0.5, 0.5)),
    ("select_exp_", lambda y: y.select(1, 2), lambda v, w: v.exp_()),
]


@pytest.mark.parametrize("view,op", [c[1:] for c in VIEW_INPLACE], ids=[c[0] for c in VIEW_INPLACE])
@pytest.mark.parametrize("use_view", [False, True], ids=["base", "base_and_view"])
def test_inplace_through_view(view, op, use_view):
    check(_via_view(view, op, use_view), shapes=[(3, 3), (3, 3)])

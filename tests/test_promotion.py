"""Type promotion against PyTorch: result dtypes (and values) of binary ops over every dtype pair."""
import itertools

import numpy as np
import pytest
import torch

import ember
from helpers import ALL_DTYPES, assert_same, dtype_name, random_array

# numpy's floating-point warnings (log(0), x/0) and PyTorch's deprecation notes are expected in edge cases
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")

# --- named rules ---------------------------------------------------------------------------------

RULES = [
    ("int_tensor+float_scalar", lambda m: m.tensor([1, 2], dtype=m.int64) + 1.5, "float32"),
    ("int32+int64_0d", lambda m: m.tensor([1, 2], dtype=m.int32) + m.tensor(3, dtype=m.int64), "int32"),
    ("uint8+int8", lambda m: m.tensor([1, 2], dtype=m.uint8) + m.tensor([1, -2], dtype=m.int8), "int16"),
    ("bool+int", lambda m: m.tensor([True, False]) + m.tensor([1, 2]), "int64"),
    ("bool+int_scalar", lambda m: m.tensor([True, False]) + 1, "int64"),
    ("bool+float_scalar", lambda m: m.tensor([True, False]) + 1.5, "float32"),
    ("comparison", lambda m: m.tensor([1.0, 2.0]) < m.tensor([2, 1]), "bool"),
    ("comparison_scalar", lambda m: m.tensor([1, 2]) == 1.0, "bool"),
    ("int_sum", lambda m: m.tensor([1, 2], dtype=m.int32).sum(), "int64"),
    ("int8_sum_dim", lambda m: m.tensor([[1, 2]], dtype=m.int8).sum(0), "int64"),
    ("bool_sum", lambda m: m.tensor([True, False, True]).sum(), "int64"),
    ("int_div_int", lambda m: m.tensor([1, 2]) / m.tensor([2, 4]), "float32"),
    ("int_div_int_scalar", lambda m: m.tensor([1, 2]) / 2, "float32"),
    ("int_rdiv_int_scalar", lambda m: 2 / m.tensor([1, 2]), "float32"),
    ("float16+float_scalar", lambda m: m.tensor([1, 2], dtype=m.float16) + 2.5, "float16"),
    ("float32+float64_0d", lambda m: m.tensor([1.0, 2.0]) + m.tensor(2.5, dtype=m.float64), "float32"),
    ("float32+float64", lambda m: m.tensor([1.0, 2.0]) + m.tensor([1.0, 2.0], dtype=m.float64), "float64"),
    ("int64_0d+float16", lambda m: m.tensor(3) * m.tensor([1.0], dtype=m.float16), "float16"),
    ("float64_0d+int32", lambda m: m.tensor(3.0, dtype=m.float64) * m.tensor([1], dtype=m.int32), "float64"),
    ("0d+0d", lambda m: m.tensor(3, dtype=m.int8) + m.tensor(3, dtype=m.int16), "int16"),
    ("0d_float+scalar_int", lambda m: m.tensor(3.0, dtype=m.float16) + 1, "float16"),
    ("uint8+int_scalar", lambda m: m.tensor([3], dtype=m.uint8) + 300, "uint8"),
    ("int8*int_scalar", lambda m: m.tensor([3, -5], dtype=m.int8) * 1000, "int8"),
    ("int32*big_scalar", lambda m: m.tensor([3], dtype=m.int32) * 2 ** 33, "int32"),
    ("uint8+=int_scalar", lambda m: m.tensor([3], dtype=m.uint8).add_(300), "uint8"),
    ("uint8<int_scalar", lambda m: m.tensor([44, 3], dtype=m.uint8) < 300, "bool"),
    ("int8==int_scalar", lambda m: m.tensor([44, 3], dtype=m.int8) == 300, "bool"),
    ("int16-=int_scalar", lambda m: m.tensor([3], dtype=m.int16).sub_(70000), "int16"),
    ("int_mean_float", lambda m: m.tensor([1, 2]).float().mean(), "float32"),
    ("int_pow_float", lambda m: m.tensor([1, 2]) ** 2.0, "float32"),
    ("int_pow_int", lambda m: m.tensor([1, 2], dtype=m.int16) ** 2, "int16"),
    ("float_rpow_int_tensor", lambda m: 2.0 ** m.tensor([1, 2]), "float32"),
    ("where_promote", lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2]), m.tensor([1.0, 2.0])),
     "float32"),
    ("cat_promote", lambda m: m.cat([m.tensor([1, 2]), m.tensor([1.0], dtype=m.float64)]), "float64"),
    ("clamp_int_float", lambda m: m.tensor([1, 2]).clamp(0.5, 1.5), "float32"),
    ("maximum_int_float", lambda m: m.tensor([1, 2]).maximum(m.tensor([1.5, 0.5])), "float32"),
    ("cumsum_int", lambda m: m.tensor([1, 2], dtype=m.int8).cumsum(0), "int64"),
    ("prod_int", lambda m: m.tensor([1, 2], dtype=m.int32).prod(), "int64"),
    ("sum_dtype", lambda m: m.tensor([1, 2]).sum(dtype=m.float64), "float64"),
    ("exp_int", lambda m: m.tensor([1, 2]).exp(), "float32"),
]


@pytest.mark.parametrize("fn,expected", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(fn, expected):
    t, e = fn(torch), fn(ember)
    assert dtype_name(t.dtype) == expected  # the rule as PyTorch has it
    assert_same(e, t)


@pytest.fixture
def float64_default():
    prev = ember.get_default_dtype()
    prev_t = torch.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        ember.set_default_dtype(prev)
        torch.set_default_dtype(prev_t)


DEFAULT64 = [
    ("int+float_scalar", lambda m: m.tensor([1, 2]) + 1.5, "float64"),
    ("int/int", lambda m: m.tensor([1, 2]) / m.tensor([2, 2]), "float64"),
    ("float_literal", lambda m: m.tensor([1.5, 2.0]), "float64"),
    ("zeros", lambda m: m.zeros(2), "float64"),
    ("float32+float_scalar", lambda m: m.tensor([1.0], dtype=m.float32) + 1.5, "float32"),
    ("bool+float_scalar", lambda m: m.tensor([True]) * 2.5, "float64"),
    ("int_exp", lambda m: m.tensor([1, 2]).exp(), "float64"),
    ("arange_float", lambda m: m.arange(0.0, 2.0), "float64"),
]


@pytest.mark.parametrize("fn,expected", [r[1:] for r in DEFAULT64], ids=[r[0] for r in DEFAULT64])
def test_default_dtype_float64(fn, expected, float64_default):
    t, e = fn(torch), fn(ember)
    assert dtype_name(t.dtype) == expected
    assert_same(e, t)


def test_default_dtype_restored():
    assert ember.get_default_dtype() is ember.float32
    assert (ember.tensor([1]) + 1.5).dtype is ember.float32


# --- every pair among the 9 dtypes --------------------------------------------------------------------

OPS = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "lt": lambda a, b: a < b,
    "eq": lambda a, b: a == b,
    "maximum": lambda a, b: a.maximum(b) if hasattr(a, "maximum") else b.maximum(a),
    "where": lambda a, b: _lib(a, b).where(_lib(a, b).tensor([True, False, True]), a, b),
}


def _lib(a, b):
    return torch if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor) else ember


def _make(mod, arr, dim):
    a = arr if dim else arr.reshape(-1)[0].reshape(())
    return mod.tensor(np.array(a))


def _run(mod, op, a, b):
    try:
        return OPS[op](a, b), None
    except Exception as ex:  # noqa: BLE001 - the type is compared with PyTorch's
        return None, type(ex)


PAIRS = list(itertools.product(ALL_DTYPES, ALL_DTYPES))
KINDS = ["tensor-tensor", "tensor-0d", "0d-tensor", "0d-0d"]


@pytest.mark.parametrize("da,db", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_promotion_pairs(da, db):
    rng = np.random.default_rng(0)
    xa = random_array((3,), da, 1, 4, rng)
    xb = random_array((3,), db, 1, 4, rng)
    for kind in KINDS:
        dim_a, dim_b = kind.split("-")[0] == "tensor", kind.split("-")[1] == "tensor"
        for op in OPS:
            ta, tb = _make(torch, xa, dim_a), _make(torch, xb, dim_b)
            ea, eb = _make(ember, xa, dim_a), _make(ember, xb, dim_b)
            t, t_err = _run(torch, op, ta, tb)
            e, e_err = _run(ember, op, ea, eb)
            what = f"{op} {kind} {da} {db}"
            if t_err is not None:
                assert e_err is not None and issubclass(e_err, t_err), \
                    f"{what}: torch raised {t_err.__name__}, ember gave {e_err or e}"
                continue
            assert e_err is None, f"{what}: ember raised {e_err.__name__}, torch gave {t.dtype}"
            assert_same(e, t, what=what)


SCALARS = [0, 3, -2, 2.5, -0.5, True, False, np.float64(1.5), np.int64(2), np.float32(-2.5)]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", [True, False], ids=["tensor", "0d"])
def test_promotion_scalar(dtype, dim):
    xa = random_array((3,), dtype, 1, 4, np.random.default_rng(1))
    for s in SCALARS:
        if dtype == "uint8" and isinstance(s, int) and s < 0:
            continue
        for op in ["add", "mul", "div", "lt", "eq"]:
            for reflected in (False, True):
                ta, ea = _make(torch, xa, dim), _make(ember, xa, dim)
                fn = OPS[op]
                if reflected:
                    t, t_err = _try(lambda: fn(s, ta))
                    e, e_err = _try(lambda: fn(s, ea))
                else:
                    t, t_err = _try(lambda: fn(ta, s))
                    e, e_err = _try(lambda: fn(ea, s))
                what = f"{op} {dtype} {'0d' if not dim else 'tensor'} {'scalar-first ' if reflected else ''}{s!r}"
                if t_err is not None:
                    assert e_err is not None and issubclass(e_err, t_err), \
                        f"{what}: torch raised {t_err.__name__}, ember gave {e_err or e}"
                    continue
                assert e_err is None, f"{what}: ember raised {e_err}"
                assert_same(e, t, what=what)


def _try(f):
    try:
        return f(), None
    except Exception as ex:  # noqa: BLE001
        return None, type(ex)


@pytest.mark.parametrize("da,db", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_promote_types_and_result_type(da, db):
    td, tdb = getattr(torch, da), getattr(torch, db)
    ed, edb = getattr(ember, da), getattr(ember, db)
    assert dtype_name(ember.promote_types(ed, edb)) == dtype_name(torch.promote_types(td, tdb))
    ta, tb = torch.zeros(2, dtype=td), torch.zeros((), dtype=tdb)
    ea, eb = ember.zeros(2, dtype=ed), ember.zeros((), dtype=edb)
    assert dtype_name(ember.result_type(ea, eb)) == dtype_name(torch.result_type(ta, tb))
    assert ember.can_cast(ed, edb) == torch.can_cast(td, tdb)

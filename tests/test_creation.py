"""Tensor creation against PyTorch, one line per case: tensor, as_tensor, from_numpy, zeros/ones/full/empty,
eye, arange, linspace, the random factories, the *_like family, seeds and generators, and the
dtype=/device=/requires_grad= arguments every factory takes.

``same(fn)`` runs ``fn(torch, "cpu")`` and ``fn(ember, device)`` and compares every result (kind, shape,
dtype, values); ``same_error(fn)`` checks both raise the same exception type.
"""
import math

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error, skip_unless_device

torch.set_num_threads(1)

NAN, INF = math.nan, math.inf


def _flat(out):
    if isinstance(out, (tuple, list)) and not isinstance(out, (torch.Size, ember.Size)):
        return [x for o in out for x in _flat(o)]
    return [out]


def same(fn, device="cpu", atol=None, rtol=None):
    """fn(lib, device) gives the same results with torch (on the CPU) and ember (on ``device``)."""
    skip_unless_device(device)
    t, e = fn(torch, "cpu"), fn(ember, device)
    tf, ef = _flat(t), _flat(e)
    assert len(tf) == len(ef), f"ember gave {len(ef)} results, torch {len(tf)}"
    for i, (a, b) in enumerate(zip(ef, tf)):
        if isinstance(b, (torch.dtype, torch.device)):  # compare dtypes and devices by what they print
            assert repr(a).replace("ember", "torch") == repr(b), f"result {i}: {a!r} != torch {b!r}"
            continue
        assert_same(a, b, atol=atol, rtol=rtol, what=f"result {i}")
        if isinstance(b, torch.Tensor):
            assert a.requires_grad == b.requires_grad, f"result {i}: requires_grad {a.requires_grad}"
            assert a.device.type == device, f"result {i} is on {a.device}, expected {device}"
    return e




@pytest.fixture
def restore_default_dtype():
    prev = ember.get_default_dtype()
    prev_t = torch.get_default_dtype()
    yield
    ember.set_default_dtype(prev)
    torch.set_default_dtype(prev_t)


# --- tensor() -------------------------------------------------------------------------------------

TENSOR_DATA = [
    ("ints_int64", [[1, 2], [3, 4]]),
    ("floats_float32", [1.0, 2.5]),
    ("bools", [True, False]),
    ("int_and_float", [1, 2.5]),
    ("bool_and_int", [True, 2]),
    ("bool_and_float", [True, 2.5]),
    ("nested_3d", [[[1, 2]], [[3, 4]]]),
    ("tuple", (1, 2, 3)),
    ("tuple_of_lists", ([1.0], [2.0])),
    ("scalar_int", 3),
    ("scalar_float", 3.5),
    ("scalar_bool", True),
    ("negative_zero", -0.0),
    ("empty", []),
    ("empty_2d", [[]]),
    ("empty_rows", [[], []]),
    ("inf_nan", [INF, -INF, NAN]),
    ("int64_extremes", [2 ** 63 - 1, -2 ** 63]),
    ("big_float", [1e38, -3e38]),
    ("np_float64_scalar", np.float64(2.5)),
    ("np_float16_scalar", np.float16(1.5)),
    ("np_int32_scalar", np.int32(7)),
    ("np_uint8_scalar", np.uint8(200)),
    ("np_bool_scalar", np.bool_(True)),
    ("np_scalars_promote_f64", [np.float64(1.5), 2]),
    ("np_scalars_promote_f32", [np.float32(1.5), 2.5]),
    ("np_int32_and_int", [np.int32(1), 2]),
    ("np_int32_and_float", [np.int32(1), 2.5]),
    ("np_int8_and_int16", [np.int8(1), np.int16(2)]),
    ("np_float16_and_int", [np.float16(1), 2]),
    ("bool_and_np_int8", [True, np.int8(2)]),
    ("nested_np_scalars", [[np.float32(1)], [np.int64(3)]]),
    ("list_of_arrays", [np.array([1, 2], np.int32), np.array([3, 4], np.int32)]),
    ("list_of_f64_arrays", [np.array([1.0, 2.0]), np.array([3.0, 4.0])]),
]


@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy.ndarrays")
@pytest.mark.parametrize("data", [pytest.param(d, id=i) for i, d in TENSOR_DATA])
def test_tensor_infers_dtype(data):
    same(lambda L, dev: L.tensor(data, device=dev))


NP_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("dt", NP_DTYPES)
def test_tensor_from_numpy_array_keeps_dtype(dt):
    a = (np.arange(-3, 3) % 2 == 0) if dt == "bool" else np.arange(6).reshape(2, 3).astype(dt)
    same(lambda L, dev: L.tensor(a, device=dev))
    same(lambda L, dev: L.tensor(a[:, ::2] if a.ndim == 2 else a[::2], device=dev))  # non-contiguous


TENSOR_DTYPE = [
    ("float_to_int32_truncates", [1.7, -2.7], "int32"),
    ("int_to_float64", [1, 2], "float64"),
    ("float_to_bool", [1.5, 0.0], "bool"),
    ("int_to_float16", [1, 2], "float16"),
    ("bool_to_uint8", [True, False], "uint8"),
    ("np_to_float32", np.arange(3.0), "float32"),
    ("python_float_type", [1, 2], float),
    ("python_int_type", [1.5, 2.5], int),
    ("python_bool_type", [0, 2], bool),
]


@pytest.mark.parametrize("data,dt", [pytest.param(d, t, id=i) for i, d, t in TENSOR_DTYPE])
def test_tensor_dtype_argument(data, dt):
    same(lambda L, dev: L.tensor(data, dtype=getattr(L, dt) if isinstance(dt, str) else dt, device=dev))


def test_tensor_copies_its_data():
    a = np.arange(3.0)
    t = ember.tensor(a)
    a[0] = 100.0
    assert t[0].item() == 0.0
    src = ember.arange(3.0, requires_grad=True)
    c = ember.tensor(src.detach())
    c[0] = 5.0
    assert src[0].item() == 0.0 and not c.requires_grad


def test_tensor_of_tensors():
    same(lambda L, dev: L.tensor([L.tensor(1.5), L.tensor(2.0)], device=dev))
    same(lambda L, dev: L.tensor([L.tensor(1), L.tensor(2)], device=dev))


def test_tensor_from_torch_tensor_keeps_dtype():
    e = ember.tensor(torch.arange(3, dtype=torch.float64))
    assert e.dtype is ember.float64 and e.tolist() == [0.0, 1.0, 2.0]
    e = ember.tensor(torch.ones(2, requires_grad=True))  # torch tensors needing grad are read detached
    assert e.dtype is ember.float32 and not e.requires_grad


def test_tensor_requires_grad():
    same(lambda L, dev: L.tensor([1.0, 2.0], requires_grad=True, device=dev))
    same(lambda L, dev: L.tensor(3.0, dtype=L.float64, requires_grad=True, device=dev))
    same_error(lambda L: L.tensor([1, 2], requires_grad=True), match="floating point")
    same_error(lambda L: L.tensor([True], requires_grad=True), match="floating point")


def test_tensor_errors():
    same_error(lambda L: L.tensor([[1, 2], [3]]))
    same_error(lambda L: L.tensor("a"))
    same_error(lambda L: L.tensor([2 ** 63]))


def test_tensor_on_device(device):
    same(lambda L, dev: L.tensor([[1, 2], [3, 4]], device=dev), device=device)
    same(lambda L, dev: L.tensor(np.arange(4.0), dtype=L.float16, device=dev), device=device)


# --- as_tensor, from_numpy ------------------------------------------------------------------------

def test_as_tensor_values():
    same(lambda L, dev: L.as_tensor([1, 2], device=dev))
    same(lambda L, dev: L.as_tensor([1, 2], dtype=L.float32, device=dev))
    same(lambda L, dev: L.as_tensor(np.arange(3), device=dev))
    same(lambda L, dev: L.as_tensor(np.arange(3), dtype=L.float64, device=dev))
    same(lambda L, dev: L.as_tensor(2.5, device=dev))


def test_as_tensor_shares_memory_when_it_can():
    a = np.arange(4.0)
    t = ember.as_tensor(a)
    a[0] = 7.0
    assert t[0].item() == 7.0  # same dtype and device: no copy
    c = ember.as_tensor(a, dtype=ember.float32)
    a[1] = 9.0
    assert c[1].item() == 1.0  # another dtype: a copy
    x = ember.ones(2)
    assert ember.as_tensor(x) is x and ember.asarray(x) is x
    assert ember.as_tensor(x, dtype=ember.float64).dtype is ember.float64


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6.0).reshape(2, 3)
    t = ember.from_numpy(a)
    assert t.dtype is ember.float64 and t.shape == (2, 3)
    a[0, 0] = 100.0
    assert t[0, 0].item() == 100.0
    t[1, 2] = -1.0
    assert a[1, 2] == -1.0
    t.add_(1.0)
    assert a[0, 1] == 2.0


@pytest.mark.parametrize("dt", NP_DTYPES)
def test_from_numpy_dtypes(dt):
    a = np.arange(4).astype(dt)
    same(lambda L, dev: L.from_numpy(a))


def test_from_numpy_views_and_0d():
    a = np.arange(10.0)
    same(lambda L, dev: L.from_numpy(a[::3]))
    same(lambda L, dev: L.from_numpy(np.array(3.5)))
    same(lambda L, dev: L.from_numpy(np.zeros((0, 2), np.int32)))


def test_from_numpy_errors():
    same_error(lambda L: L.from_numpy([1, 2]), match="ndarray")
    with pytest.raises(TypeError, match="complex64"):
        ember.from_numpy(np.zeros(2, np.complex64))


# --- zeros, ones, empty, full --------------------------------------------------------------------

SHAPES = [
    ("varargs", (2, 3)),
    ("tuple", ((2, 3),)),
    ("list", ([2, 3],)),
    ("size", (torch.Size([2, 3]),)),
    ("one_int", (4,)),
    ("empty_tuple_0d", ((),)),
    ("zero_dim", (0, 3)),
    ("numpy_int", (np.int64(2), 3)),
    ("3d", (2, 1, 3)),
]


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("shape", [pytest.param(s, id=i) for i, s in SHAPES])
def test_factories_shapes(fn, shape):
    def make(L, dev):
        args = [L.Size(a) if isinstance(a, torch.Size) else a for a in shape]
        t = getattr(L, fn)(*args, device=dev)
        return (t.shape, t.dtype) if fn == "empty" else t
    same(make)


def test_ember_size_as_shape():
    assert ember.zeros(ember.Size([2, 3])).shape == (2, 3)
    assert ember.ones(ember.zeros(4, 1).shape).shape == (4, 1)


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("dt", NP_DTYPES)
def test_factories_dtypes(fn, dt):
    same(lambda L, dev: (lambda t: t if fn != "empty" else (t.shape, t.dtype))(
        getattr(L, fn)(2, 3, dtype=getattr(L, dt), device=dev)))


def test_factories_errors():
    same_error(lambda L: L.zeros(-1), match="negative dimension")
    same_error(lambda L: L.ones(2, -3), match="negative dimension")
    same_error(lambda L: L.empty((2, -1)), match="negative dimension")
    same_error(lambda L: L.zeros(2.5), match="tuple of ints")
    same_error(lambda L: L.ones((2, 3.0)), match="tuple of ints")


FULL_CASES = [
    ("int_fill_int64", lambda L: L.full((2, 3), 7)),
    ("float_fill_float32", lambda L: L.full((2,), 1.5)),
    ("bool_fill_bool", lambda L: L.full((2,), True)),
    ("negative_fill", lambda L: L.full([3], -4)),
    ("list_size", lambda L: L.full([2, 2], 0.25)),
    ("0d", lambda L: L.full((), 3.0)),
    ("tensor_fill", lambda L: L.full((2,), L.tensor(3.5))),
    ("int_tensor_fill", lambda L: L.full((2,), L.tensor(3))),
    ("nan_fill", lambda L: L.full((2,), NAN)),
    ("inf_fill", lambda L: L.full((2,), -INF)),
    ("dtype_float_from_int", lambda L: L.full((2,), 3, dtype=L.float32)),
    ("dtype_int_from_float", lambda L: L.full((2,), 2.5, dtype=L.int64)),
    ("dtype_bool_from_float", lambda L: L.full((2,), 2.5, dtype=L.bool)),
    ("dtype_float16", lambda L: L.full((2,), 0.1, dtype=L.float16)),
    ("numpy_float32_fill", lambda L: L.full((2,), np.float32(2.0))),
    ("size_obj", lambda L: L.full(L.Size([1, 2]), 5)),
    ("requires_grad", lambda L: L.full((2,), 3.0, requires_grad=True)),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in FULL_CASES])
def test_full(fn):
    same(lambda L, dev: fn(L))


def test_full_on_device(device):
    same(lambda L, dev: L.full((2, 2), 7, device=dev), device=device)


def test_full_errors():
    same_error(lambda L: L.full((2,), 3.0, dtype=L.int64, requires_grad=True), match="floating point")
    same_error(lambda L: L.full((-1,), 3.0), match="negative dimension")


# --- eye -----------------------------------------------------------------------------------------------

EYE_CASES = [
    ("n", lambda L: L.eye(3)),
    ("n_m_wide", lambda L: L.eye(2, 4)),
    ("n_m_tall", lambda L: L.eye(4, 2)),
    ("m_kw", lambda L: L.eye(3, m=1)),
    ("zero", lambda L: L.eye(0)),
    ("zero_m", lambda L: L.eye(2, 0)),
    ("int64", lambda L: L.eye(3, dtype=L.int64)),
    ("bool", lambda L: L.eye(3, 2, dtype=L.bool)),
    ("float64", lambda L: L.eye(2, dtype=L.float64)),
    ("requires_grad", lambda L: L.eye(2, requires_grad=True)),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in EYE_CASES])
def test_eye(fn):
    same(lambda L, dev: fn(L))


def test_eye_errors():
    same_error(lambda L: L.eye(-1), match="n must be greater or equal to 0")
    same_error(lambda L: L.eye(2, -1), match="m must be greater or equal to 0")
    same_error(lambda L: L.eye(2.5), match="must be int")


# --- arange ------------------------------------------------------------------------------------------------

ARANGE_CASES = [
    ("end", lambda L: L.arange(5)),
    ("start_end", lambda L: L.arange(1, 5)),
    ("step", lambda L: L.arange(1, 10, 3)),
    ("negative_step", lambda L: L.arange(10, 0, -3)),
    ("negative_range", lambda L: L.arange(-5, -1)),
    ("empty", lambda L: L.arange(3, 3)),
    ("float_end", lambda L: L.arange(5.0)),
    ("float_start", lambda L: L.arange(0.5, 3)),
    ("float_step", lambda L: L.arange(0, 1, 0.1)),
    ("float_negative_step", lambda L: L.arange(1, 0, -0.25)),
    ("float_uneven", lambda L: L.arange(-1.3, 2.7, 0.3)),
    ("float_third", lambda L: L.arange(0.0, 1.0, 1 / 3)),
    ("dtype_float64", lambda L: L.arange(0, 1, 0.1, dtype=L.float64)),
    ("dtype_float32_ints", lambda L: L.arange(0, 10, 3, dtype=L.float32)),
    ("dtype_float16", lambda L: L.arange(5, dtype=L.float16)),
    ("dtype_int32", lambda L: L.arange(0, 5, dtype=L.int32)),
    ("dtype_uint8_wraps", lambda L: L.arange(-3, 3, dtype=L.uint8)),
    ("dtype_int_truncates_bounds", lambda L: L.arange(0.5, 3.7, 1, dtype=L.int64)),
    ("dtype_int_truncates_step", lambda L: L.arange(0, 5, 1.5, dtype=L.int64)),
    ("dtype_int_from_floats", lambda L: L.arange(0.0, 5.0, dtype=L.int32)),
    ("tensor_end", lambda L: L.arange(L.tensor(4))),
    ("numpy_int_end", lambda L: L.arange(np.int64(3))),
    ("numpy_float_end", lambda L: L.arange(np.float32(3))),
    ("large", lambda L: L.arange(0, 1e6, 1.0)[-3:]),
    ("requires_grad", lambda L: L.arange(3.0, requires_grad=True)),
    ("keywords", lambda L: L.arange(start=2, end=8, step=2)),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in ARANGE_CASES])
def test_arange(fn):
    # float values within an ulp: PyTorch's own values depend on the CPU's vector width
    same(lambda L, dev: fn(L), atol=0, rtol=2e-7)


def test_arange_errors():
    same_error(lambda L: L.arange(0, 1, 0), match="step must be nonzero")
    same_error(lambda L: L.arange(0, -5), match="inconsistent with step sign")
    same_error(lambda L: L.arange(5, 0), match="inconsistent with step sign")
    same_error(lambda L: L.arange(0, 5, -1), match="inconsistent with step sign")
    same_error(lambda L: L.arange(5, requires_grad=True), match="floating point")
    same_error(lambda L: L.arange(5, dtype=L.bool))
    same_error(lambda L: L.arange(0, INF))


def test_arange_on_device(device):
    same(lambda L, dev: L.arange(2, 11, 3, device=dev), device=device)
    same(lambda L, dev: L.arange(0, 1, 0.25, device=dev), device=device)


# --- linspace: exact values -----------------------------------------------------------------------------------

LINSPACE_CASES = [
    ("unit", (0, 1, 5), None),
    ("ints", (-3, 7, 11), None),
    ("one_step_is_start", (0, 1, 1), None),
    ("zero_steps", (0, 1, 0), None),
    ("two_steps", (2, 3, 2), None),
    ("sevenths", (0.1, 0.9, 7), None),
    ("hundred", (-1, 1, 100), None),
    ("wide", (1e-3, 1e3, 9), None),
    ("descending", (3, -3, 13), None),
    ("float64", (0.1, 0.9, 7), "float64"),
    ("float64_many", (-1, 1, 1000), "float64"),
    ("float16", (-1, 1, 7), "float16"),
    ("int64", (0, 10, 4), "int64"),
    ("int64_float_ends_truncate", (0.9, 5.9, 3), "int64"),
    ("int64_negative", (-2.5, 2.5, 6), "int64"),
    ("int8", (0.0, 1.0, 5), "int8"),
    ("uint8", (0, 1, 3), "uint8"),
    ("uint8_int_end_wraps", (40, -30, 8), "uint8"),
    ("int32", (0, 5, 4), "int32"),
    ("tensor_ends", ("t0", "t1", 3), None),
]


@pytest.mark.parametrize("args,dt", [pytest.param(a, d, id=i) for i, a, d in LINSPACE_CASES])
def test_linspace_exact(args, dt):
    def make(L, dev):
        a = [L.tensor(float(x[1])) if isinstance(x, str) else x for x in args]
        return L.linspace(*a, dtype=getattr(L, dt) if dt else None, device=dev)
    same(make, atol=0, rtol=0)


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "int64", "int16", "uint8"])
def test_linspace_exact_random_sweep(dt):
    rng = np.random.default_rng({"float32": 1, "float64": 2, "float16": 3}.get(dt, 4))
    for _ in range(60):
        lo, hi = (float(v) for v in rng.uniform(-100, 100, 2))
        if dt in ("uint8",):
            lo, hi = abs(lo), abs(hi)
        n = int(rng.integers(2, 400))
        same(lambda L, dev: L.linspace(lo, hi, n, dtype=getattr(L, dt)), atol=0, rtol=0)


def test_linspace_requires_grad_and_device(device):
    same(lambda L, dev: L.linspace(0, 1, 4, requires_grad=True, device=dev), device=device, atol=0, rtol=0)


def test_linspace_errors():
    same_error(lambda L: L.linspace(0, 1, -1), match="non-negative")
    same_error(lambda L: L.linspace(0, 1, 5, dtype=L.bool))
    same_error(lambda L: L.linspace(-0.5, 3, 2, dtype=L.uint8), match="overflow")
    same_error(lambda L: L.linspace(0, 1, 2.5))


# --- the *_like family -------------------------------------------------------------------------------------------

LIKE_CASES = [
    ("zeros_like", lambda L, x: L.zeros_like(x)),
    ("ones_like", lambda L, x: L.ones_like(x)),
    ("full_like", lambda L, x: L.full_like(x, 7)),
    ("full_like_float_into_int", lambda L, x: L.full_like(x.long(), 2.7)),
    ("zeros_like_dtype", lambda L, x: L.zeros_like(x, dtype=L.float64)),
    ("ones_like_int", lambda L, x: L.ones_like(x.int())),
    ("zeros_like_requires_grad", lambda L, x: L.zeros_like(x, requires_grad=True)),
    ("ones_like_of_grad_tensor", lambda L, x: L.ones_like(x.requires_grad_())),
    ("empty_like", lambda L, x: (L.empty_like(x.short()).shape, L.empty_like(x.short()).dtype)),
    ("rand_like", lambda L, x: (L.rand_like(x).shape, L.rand_like(x).dtype)),
    ("randn_like_f64", lambda L, x: L.randn_like(x.double()).dtype),
    ("randint_like_high", lambda L, x: (L.randint_like(x, 5).dtype, L.randint_like(x, 5).shape)),
    ("randint_like_low_high", lambda L, x: L.randint_like(x.int(), 2, 5).dtype),
    ("rand_like_requires_grad", lambda L, x: L.rand_like(x, requires_grad=True).requires_grad),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in LIKE_CASES])
def test_like(fn):
    same(lambda L, dev: fn(L, L.ones(2, 3)))


def test_like_follows_device(device):
    skip_unless_device(device)
    x = ember.ones(2, 3, device=device)
    for f in (ember.zeros_like, ember.ones_like, ember.empty_like, ember.rand_like, ember.randn_like,
              lambda t: ember.full_like(t, 2.0), lambda t: ember.randint_like(t, 3)):
        assert f(x).device == x.device
    assert ember.zeros_like(x, device="cpu").device == ember.device("cpu")


def test_like_errors():
    same_error(lambda L: L.rand_like(L.ones(2, dtype=L.int64)))
    same_error(lambda L: L.zeros_like(L.ones(2, dtype=L.int64), requires_grad=True), match="floating point")


# --- random factories ---------------------------------------------------------------------------------------

RANDOM_META = [
    ("rand", lambda L: L.rand(2, 3)),
    ("rand_tuple", lambda L: L.rand((2, 3))),
    ("rand_list", lambda L: L.rand([4])),
    ("rand_size", lambda L: L.rand(L.Size([2, 1]))),
    ("rand_0d", lambda L: L.rand(())),
    ("rand_empty", lambda L: L.rand(0)),
    ("rand_f64", lambda L: L.rand(2, dtype=L.float64)),
    ("rand_f16", lambda L: L.rand(2, dtype=L.float16)),
    ("randn", lambda L: L.randn(3, 2)),
    ("randn_f64", lambda L: L.randn(2, dtype=L.float64)),
    ("randint_high", lambda L: L.randint(5, (3,))),
    ("randint_low_high", lambda L: L.randint(2, 5, (2, 2))),
    ("randint_kw", lambda L: L.randint(low=2, high=5, size=(2,))),
    ("randint_high_kw", lambda L: L.randint(high=5, size=[3])),
    ("randint_0d", lambda L: L.randint(5, ())),
    ("randint_bool", lambda L: L.randint(0, 2, (3,), dtype=L.bool)),
    ("randint_float", lambda L: L.randint(5, (3,), dtype=L.float32)),
    ("randint_uint8", lambda L: L.randint(0, 256, (3,), dtype=L.uint8)),
    ("randperm", lambda L: L.randperm(5)),
    ("randperm_float", lambda L: L.randperm(5, dtype=L.float32)),
    ("randperm_0", lambda L: L.randperm(0)),
    ("normal_numbers", lambda L: L.normal(0.0, 1.0, (2, 3))),
    ("normal_dtype", lambda L: L.normal(2, 3, size=(4,), dtype=L.float64)),
    ("normal_tensor_mean", lambda L: L.normal(L.zeros(3), 1.0)),
    ("normal_tensor_std", lambda L: L.normal(0.0, L.ones(2, 2))),
    ("normal_both_tensors", lambda L: L.normal(L.zeros(3, dtype=L.float64), L.ones(3, dtype=L.float64))),
    ("normal_broadcast", lambda L: L.normal(L.zeros(3, 1), L.ones(4))),
    ("normal_mean_kw", lambda L: L.normal(mean=L.zeros(2))),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in RANDOM_META])
def test_random_shape_and_dtype(fn):
    same(lambda L, dev: (lambda t: (t.shape, t.dtype, t.requires_grad))(fn(L)))


def test_random_values_in_range():
    ember.manual_seed(0)
    u = ember.rand(10000)
    assert 0.0 <= u.min().item() and u.max().item() < 1.0 and abs(u.mean().item() - 0.5) < 0.02
    z = ember.randn(10000, dtype=ember.float64)
    assert abs(z.mean().item()) < 0.05 and abs(z.std().item() - 1.0) < 0.05
    r = ember.randint(3, 10, (5000,))
    assert r.min().item() == 3 and r.max().item() == 9
    assert sorted(ember.randperm(50).tolist()) == list(range(50))
    n = ember.normal(ember.tensor([0.0, 100.0]).expand(4000, 2), ember.tensor([1.0, 1e-3]))
    assert abs(n[:, 0].mean().item()) < 0.1 and abs(n[:, 1].mean().item() - 100.0) < 1e-3
    assert ember.normal(2.0, 0.0, (3,)).tolist() == [2.0, 2.0, 2.0]


def test_random_requires_grad():
    same(lambda L, dev: L.rand(2, requires_grad=True).requires_grad)
    same(lambda L, dev: L.randn(2, 2, dtype=L.float64, requires_grad=True).is_leaf)
    same(lambda L, dev: L.normal(0.0, 1.0, (2,), requires_grad=True).requires_grad)
    same_error(lambda L: L.randint(10, (2,), requires_grad=True), match="floating point")
    same_error(lambda L: L.randperm(3, requires_grad=True), match="floating point")


RANDOM_ERRORS = [
    ("rand_int_dtype", lambda L: L.rand(2, dtype=L.int64), None),
    ("randn_int_dtype", lambda L: L.randn(2, dtype=L.int32), None),
    ("normal_int_dtype", lambda L: L.normal(0.0, 1.0, (2,), dtype=L.int64), None),
    ("rand_negative", lambda L: L.rand(-1), "negative dimension"),
    ("randn_float_size", lambda L: L.randn(2.5), "tuple of ints"),
    ("randint_empty_range", lambda L: L.randint(5, 5, (3,)), "from"),
    ("randint_uint8_high", lambda L: L.randint(0, 300, (3,), dtype=L.uint8), "out of bounds"),
    ("randint_uint8_low", lambda L: L.randint(-1, 3, (3,), dtype=L.uint8), "out of bounds"),
    ("randint_bool_high", lambda L: L.randint(5, (2,), dtype=L.bool), "out of bounds"),
    ("randint_negative_size", lambda L: L.randint(5, (-1,)), "negative dimension"),
    ("randperm_negative", lambda L: L.randperm(-1), "negative dimension"),
    ("randperm_bool", lambda L: L.randperm(3, dtype=L.bool), None),
    ("randperm_overflow", lambda L: L.randperm(300, dtype=L.int8), "overflow"),
    ("normal_bad_broadcast", lambda L: L.normal(L.zeros(2), L.ones(3)), None),
]


@pytest.mark.parametrize("fn,match", [pytest.param(f, m, id=i) for i, f, m in RANDOM_ERRORS])
def test_random_errors(fn, match):
    same_error(fn, match)


def test_random_on_device(device):
    skip_unless_device(device)
    for t in (ember.rand(2, 3, device=device), ember.randn(2, device=device), ember.randint(5, (3,), device=device),
              ember.randperm(4, device=device), ember.normal(0.0, 1.0, (2,), device=device)):
        assert t.device.type == device


# --- seeds and generators ---------------------------------------------------------------------------------------

def _draws(L, gen=None):
    kw = {} if gen is None else {"generator": gen}
    return [L.rand(3, **kw), L.randn(2, 2, **kw), L.randint(0, 100, (4,), **kw), L.randperm(6, **kw),
            L.normal(0.0, 1.0, (3,), **kw)]


def _equal_draws(a, b):
    return all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a, b))


def test_manual_seed_reproducible():
    ember.manual_seed(1234)
    a = _draws(ember)
    ember.manual_seed(1234)
    b = _draws(ember)
    assert _equal_draws(a, b)
    ember.manual_seed(1235)
    assert not _equal_draws(a, _draws(ember))


def test_manual_seed_returns_generator_and_sets_initial_seed():
    for L in (torch, ember):
        g = L.manual_seed(7)
        assert isinstance(g, L.Generator) and g is L.default_generator
        assert L.initial_seed() == 7
        assert L.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    same_error(lambda L: L.manual_seed(2 ** 64))


def test_seed_sets_a_fresh_random_seed():
    s1 = ember.seed()
    assert isinstance(s1, int) and ember.initial_seed() == s1
    a = ember.rand(4)
    ember.manual_seed(s1)
    assert np.array_equal(a.numpy(), ember.rand(4).numpy())
    assert ember.seed() != s1


def test_generator_objects():
    g = ember.Generator()
    assert g.device == ember.device("cpu") and ember.Generator(device="cpu").device.type == "cpu"
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    a = _draws(ember, g)
    g.manual_seed(5)
    assert _equal_draws(a, _draws(ember, g))
    # a generator has its own state: drawing from it leaves the default generator alone
    ember.manual_seed(0)
    x1 = ember.rand(3)
    ember.manual_seed(0)
    _draws(ember, ember.Generator().manual_seed(0))
    assert np.array_equal(x1.numpy(), ember.rand(3).numpy())
    # two generators with one seed agree
    assert _equal_draws(_draws(ember, ember.Generator().manual_seed(9)), _draws(ember, ember.Generator().manual_seed(9)))


def test_rng_state_roundtrip():
    state = ember.get_rng_state()
    assert state.dtype is ember.uint8 and state.ndim == 1
    a = _draws(ember)
    ember.set_rng_state(state)
    assert _equal_draws(a, _draws(ember))
    g = ember.Generator().manual_seed(3)
    st = g.get_state()
    a = _draws(ember, g)
    g.set_state(st)
    assert _equal_draws(a, _draws(ember, g))


def test_generator_in_methods_and_like():
    g = ember.Generator().manual_seed(11)
    a = ember.empty(5).uniform_(generator=g)
    b = ember.empty(3).normal_(generator=g)
    g.manual_seed(11)
    assert np.array_equal(a.numpy(), ember.empty(5).uniform_(generator=g).numpy())
    assert np.array_equal(b.numpy(), ember.empty(3).normal_(generator=g).numpy())


# --- dtype=, device=, requires_grad= on every creation function -------------------------------------------------

FACTORIES = {
    "tensor": lambda L, **kw: L.tensor([1.0, 2.0], **kw),
    "as_tensor": lambda L, **kw: L.as_tensor([1.0, 2.0], **{k: v for k, v in kw.items() if k != "requires_grad"}),
    "zeros": lambda L, **kw: L.zeros(2, 3, **kw),
    "ones": lambda L, **kw: L.ones((2,), **kw),
    "empty": lambda L, **kw: L.empty([2, 2], **kw),
    "full": lambda L, **kw: L.full((2,), 1.0, **kw),
    "eye": lambda L, **kw: L.eye(2, **kw),
    "arange": lambda L, **kw: L.arange(0, 3, **kw),
    "linspace": lambda L, **kw: L.linspace(0, 1, 3, **kw),
    "rand": lambda L, **kw: L.rand(2, **kw),
    "randn": lambda L, **kw: L.randn(2, **kw),
    "normal": lambda L, **kw: L.normal(0.0, 1.0, (2,), **kw),
    "zeros_like": lambda L, **kw: L.zeros_like(L.ones(2, dtype=L.float16), **kw),
    "ones_like": lambda L, **kw: L.ones_like(L.ones(2, dtype=L.float16), **kw),
    "empty_like": lambda L, **kw: L.empty_like(L.ones(2, dtype=L.float16), **kw),
    "full_like": lambda L, **kw: L.full_like(L.ones(2, dtype=L.float16), 3, **kw),
    "rand_like": lambda L, **kw: L.rand_like(L.ones(2, dtype=L.float16), **kw),
    "randn_like": lambda L, **kw: L.randn_like(L.ones(2, dtype=L.float16), **kw),
}
INT_FACTORIES = {
    "randint": lambda L, **kw: L.randint(0, 5, (3,), **kw),
    "randperm": lambda L, **kw: L.randperm(4, **kw),
    "randint_like": lambda L, **kw: L.randint_like(L.ones(2), 5, **kw),
}


def _meta(t):
    return t.dtype, t.device.type, t.requires_grad, tuple(t.shape)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factory_arguments(name, device):
    f = FACTORIES[name]
    same(lambda L, dev: _meta(f(L, dtype=L.float64, device=dev)), device=device)
    if name not in ("as_tensor", "randint_like"):
        same(lambda L, dev: _meta(f(L, dtype=L.float64, device=dev, requires_grad=True)), device=device)
    same(lambda L, dev: _meta(f(L, device=L.device(dev))), device=device)
    same(lambda L, dev: _meta(f(L)))


@pytest.mark.parametrize("name", sorted(INT_FACTORIES))
def test_int_factory_arguments(name, device):
    f = INT_FACTORIES[name]
    same(lambda L, dev: _meta(f(L, dtype=L.int32, device=dev)), device=device)
    same(lambda L, dev: _meta(f(L, dtype=L.float64, device=dev)), device=device)
    same(lambda L, dev: _meta(f(L, device=L.device(dev))), device=device)


# --- the default dtype -----------------------------------------------------------------------------------------

DEFAULT_DTYPE_CASES = [
    ("tensor_floats", lambda L: L.tensor([1.5, 2.0])),
    ("tensor_ints_stay_int64", lambda L: L.tensor([1, 2])),
    ("tensor_np_float32_keeps", lambda L: L.tensor(np.ones(2, np.float32))),
    ("zeros", lambda L: L.zeros(2)),
    ("full_float", lambda L: L.full((2,), 1.5)),
    ("arange_float", lambda L: L.arange(0.5, 2)),
    ("arange_int", lambda L: L.arange(3)),
    ("linspace", lambda L: L.linspace(0, 1, 3)),
    ("eye", lambda L: L.eye(2)),
    ("rand", lambda L: L.rand(2).dtype),
    ("int_tensor_times_float", lambda L: L.tensor([1, 2]) * 1.5),
    ("int_tensor_true_div", lambda L: L.tensor([1, 2]) / 2),
    ("get_default_dtype", lambda L: L.get_default_dtype()),
]


@pytest.mark.parametrize("dt", ["float64", "float16"])
@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in DEFAULT_DTYPE_CASES])
def test_set_default_dtype(fn, dt, restore_default_dtype):
    torch.set_default_dtype(getattr(torch, dt))
    ember.set_default_dtype(getattr(ember, dt))
    t, e = fn(torch), fn(ember)
    if isinstance(t, torch.dtype):
        assert str(e).split(".")[-1] == str(t).split(".")[-1]
    else:
        assert_same(e, t)


def test_set_default_dtype_rejects_non_float(restore_default_dtype):
    same_error(lambda L: L.set_default_dtype(L.int64))
    assert ember.get_default_dtype() is ember.float32

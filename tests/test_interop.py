"""Leaving ember and coming back, against PyTorch: .numpy() (shared memory), __array__, tolist/item,
float()/int()/bool() and their errors, len and iteration, and zero-copy DLPack with numpy and PyTorch.
"""
import math

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error, skip_unless_device

torch.set_num_threads(1)

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def data(L, dt="float32"):
    if dt == "bool":
        return L.tensor([[True, False, True], [False, False, True]])
    return L.tensor([[0, 1, 2], [3, 4, 5]], dtype=getattr(L, dt))


# --- numpy() and __array__ ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
def test_numpy_values_and_dtype(dt):
    t, e = data(torch, dt).numpy(), data(ember, dt).numpy()
    assert isinstance(e, np.ndarray) and e.dtype == t.dtype and np.array_equal(e, t)


def test_numpy_shares_memory():
    x = ember.arange(6.0).reshape(2, 3)
    a = x.numpy()
    a[0, 0] = 100.0
    assert x[0, 0].item() == 100.0
    x[1, 1] = -7.0
    assert a[1, 1] == -7.0
    x.mul_(2)
    assert a[0, 0] == 200.0
    v = x.T
    assert np.shares_memory(v.numpy(), a)
    assert np.array_equal(v.numpy(), a.T)


def test_numpy_requires_grad_error():
    e = same_error(lambda L: L.ones(2, requires_grad=True).numpy(), match="Can't call numpy\\(\\) on Tensor that "
                                                                         "requires grad")
    assert "detach().numpy()" in str(e.value)
    x = ember.ones(2, requires_grad=True)
    assert np.array_equal(x.detach().numpy(), [1.0, 1.0])
    assert np.array_equal(x.numpy(force=True), torch.ones(2, requires_grad=True).numpy(force=True))


def test_numpy_of_nonleaf_requires_grad_error():
    same_error(lambda L: (L.ones(2, requires_grad=True) * 2).numpy(), match="requires grad")


@pytest.mark.parametrize("dt", DTYPES)
def test_array_protocol(dt):
    t, e = np.asarray(data(torch, dt)), np.asarray(data(ember, dt))
    assert e.dtype == t.dtype and np.array_equal(e, t)
    assert np.array(data(ember, dt), dtype=np.float64).dtype == np.float64


def test_array_protocol_memory():
    x = ember.arange(4.0)
    a = np.asarray(x)
    a[0] = 9.0
    assert x[0].item() == 9.0  # np.asarray shares on the CPU, as with torch
    c = np.array(x, copy=True)
    c[1] = -1.0
    assert x[1].item() == 1.0
    assert np.add(x, 1).tolist() == [10.0, 2.0, 3.0, 4.0]


def test_numpy_on_cuda_needs_cpu_first(device):
    skip_unless_device(device)
    if device == "cpu":
        return
    x = ember.ones(2, device=device)
    with pytest.raises(TypeError, match="cpu\\(\\)"):
        x.numpy()
    assert np.asarray(x).tolist() == [1.0, 1.0]  # __array__ copies to the host
    assert x.cpu().numpy().tolist() == [1.0, 1.0]


# --- tolist, item, float, int, bool ------------------------------------------------------------------------------------

TOLIST_CASES = [
    ("2d_float", lambda L: L.tensor([[1.5, 2.0], [-3.0, 0.25]]).tolist()),
    ("int", lambda L: L.tensor([1, -2, 3]).tolist()),
    ("bool", lambda L: L.tensor([True, False]).tolist()),
    ("uint8", lambda L: L.tensor([200, 3], dtype=L.uint8).tolist()),
    ("float16", lambda L: L.tensor([0.1, 2.0], dtype=L.float16).tolist()),
    ("0d_is_scalar", lambda L: L.tensor(2.5).tolist()),
    ("empty", lambda L: L.zeros(2, 0).tolist()),
    ("requires_grad_ok", lambda L: L.ones(2, requires_grad=True).tolist()),
    ("nan_inf", lambda L: str(L.tensor([math.nan, math.inf]).tolist())),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in TOLIST_CASES])
def test_tolist(fn):
    t, e = fn(torch), fn(ember)
    assert e == t and repr(e) == repr(t)


SCALAR_CASES = [
    ("item_float", lambda L: L.tensor(2.5).item()),
    ("item_one_element", lambda L: L.tensor([[3.25]]).item()),
    ("item_int", lambda L: L.tensor([7]).item()),
    ("item_int8", lambda L: L.tensor(3, dtype=L.int8).item()),
    ("item_bool", lambda L: L.tensor(True).item()),
    ("item_float16", lambda L: L.tensor(0.1, dtype=L.float16).item()),
    ("item_requires_grad", lambda L: L.ones(1, requires_grad=True).item()),
    ("float", lambda L: float(L.tensor([[2.5]]))),
    ("float_of_int", lambda L: float(L.tensor(3))),
    ("int_truncates", lambda L: int(L.tensor([2.7]))),
    ("int_negative", lambda L: int(L.tensor(-2.7))),
    ("int_of_bool", lambda L: int(L.tensor(True))),
    ("bool_zero", lambda L: bool(L.tensor(0.0))),
    ("bool_one", lambda L: bool(L.tensor([3]))),
    ("bool_nan", lambda L: bool(L.tensor(math.nan))),
    ("if_tensor", lambda L: "yes" if L.tensor([True]) else "no"),
    ("index", lambda L: [10, 20, 30][L.tensor(1)]),
    ("range", lambda L: list(range(L.tensor(3)))),
    ("format", lambda L: f"{L.tensor(2.5):.2f}"),
    ("complex", lambda L: complex(L.tensor(1.5))),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in SCALAR_CASES])
def test_python_scalars(fn):
    t, e = fn(torch), fn(ember)
    assert type(e) is type(t) and e == t, f"ember {e!r} != torch {t!r}"


SCALAR_ERRORS = [
    ("item_two", lambda L: L.tensor([1.0, 2.0]).item(), "a Tensor with 2 elements cannot be converted to Scalar"),
    ("item_empty", lambda L: L.tensor([]).item(), "a Tensor with 0 elements cannot be converted to Scalar"),
    ("float_two", lambda L: float(L.tensor([1.0, 2.0])), "only one element tensors can be converted"),
    ("int_two", lambda L: int(L.tensor([1, 2])), "only one element tensors can be converted"),
    ("bool_two", lambda L: bool(L.tensor([1.0, 2.0])), "Boolean value of Tensor with more than one value is "
                                                          "ambiguous"),
    ("bool_empty", lambda L: bool(L.tensor([])), "Boolean value of Tensor with no values is ambiguous"),
    ("if_two", lambda L: 1 if L.ones(2) else 0, "ambiguous"),
    ("index_float", lambda L: [1, 2][L.tensor(1.0)], "only integer tensors of a single element"),
    ("index_two", lambda L: [1, 2][L.tensor([0, 1])], "only integer tensors of a single element"),
]


@pytest.mark.parametrize("fn,match", [pytest.param(f, m, id=i) for i, f, m in SCALAR_ERRORS])
def test_python_scalar_errors(fn, match):
    same_error(fn, match)


# --- len and iteration ---------------------------------------------------------------------------------------------

def test_len():
    for L in (torch, ember):
        assert len(L.zeros(4, 2)) == 4 and len(L.zeros(0)) == 0 and len(L.zeros(3)) == 3
    same_error(lambda L: len(L.tensor(1.0)), match="0-d tensor")


def test_iteration_yields_rows():
    t_rows, e_rows = list(torch.arange(6).reshape(3, 2)), list(ember.arange(6).reshape(3, 2))
    assert len(e_rows) == 3
    for e, t in zip(e_rows, t_rows):
        assert isinstance(e, ember.Tensor)
        assert_same(e, t)
    e_items = list(ember.tensor([1.5, 2.5]))
    assert all(isinstance(v, ember.Tensor) and v.ndim == 0 for v in e_items)
    assert [v.item() for v in e_items] == [1.5, 2.5]
    assert list(ember.zeros(0, 3)) == []
    same_error(lambda L: iter(L.tensor(1.0)), match="0-d tensor")


def test_iteration_unpacks_and_keeps_grad():
    a, b = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert a.tolist() == [1.0, 2.0] and b.grad_fn is not None
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    sum(v * v for v in x).backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


# --- DLPack --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
def test_dlpack_from_torch_zero_copy(dt):
    t = data(torch, dt).clone()
    e = ember.from_dlpack(t)
    assert_same(e, t)
    e[0, 0] = True if dt == "bool" else 9  # a write through ember shows in torch ...
    assert t[0, 0].item() == e[0, 0].item()
    t[1, 2] = False if dt == "bool" else 7  # ... and the other way round
    assert e[1, 2].item() == t[1, 2].item()


@pytest.mark.parametrize("dt", DTYPES)
def test_dlpack_to_torch_zero_copy(dt):
    e = data(ember, dt)
    t = torch.from_dlpack(e)
    assert_same(e, t)
    t[0, 1] = True if dt == "bool" else 11
    assert e[0, 1].item() == t[0, 1].item()
    e[1, 0] = True if dt == "bool" else 12
    assert t[1, 0].item() == e[1, 0].item()


@pytest.mark.parametrize("dt", DTYPES)
def test_dlpack_with_numpy_zero_copy(dt):
    e = data(ember, dt)
    a = np.from_dlpack(e)
    assert a.dtype == np.dtype(getattr(ember, dt).np) and np.array_equal(a, e.numpy())
    assert a.flags.writeable
    a[0, 0] = True if dt == "bool" else 5
    assert e[0, 0].item() == a[0, 0].item()
    n = np.ones((2, 2), dtype=getattr(ember, dt).np)
    b = ember.from_dlpack(n)
    n[1, 1] = 0
    assert b[1, 1].item() == 0 and b.dtype is getattr(ember, dt)


def test_dlpack_layouts():
    t = torch.arange(12.0).reshape(3, 4)
    for src in (t.T, t[:, ::2], t[1], torch.tensor(3.5), torch.zeros(0, 3)):
        assert_same(ember.from_dlpack(src), src)
    e = ember.arange(12.0).reshape(3, 4)
    for src in (e.T, e[:, 1:3], e[2], ember.tensor(2.5), ember.zeros(2, 0)):
        back = torch.from_dlpack(src)
        assert_same(src, back)


def test_dlpack_capsules():
    e = ember.from_dlpack(torch.arange(3.0).__dlpack__())
    assert e.tolist() == [0.0, 1.0, 2.0]
    t = torch.utils.dlpack.from_dlpack(ember.arange(3.0).__dlpack__())
    assert t.tolist() == [0.0, 1.0, 2.0]
    assert "dltensor_versioned" in repr(ember.arange(3).__dlpack__(max_version=(1, 0)))


def test_dlpack_device():
    assert tuple(ember.ones(2).__dlpack_device__()) == tuple(torch.ones(2).__dlpack_device__()) == (1, 0)


def test_dlpack_requires_grad_error():
    same_error(lambda L: np.from_dlpack(L.ones(2, requires_grad=True)), match="require gradient")
    with pytest.raises(BufferError, match="detach"):
        torch.from_dlpack(ember.ones(2, requires_grad=True))
    assert torch.from_dlpack(ember.ones(2, requires_grad=True).detach()).tolist() == [1.0, 1.0]


def test_dlpack_ember_roundtrip_is_identity():
    x = ember.ones(2)
    assert ember.from_dlpack(x) is x


def test_tensor_from_other_libraries_copies():
    t = torch.arange(3, dtype=torch.int32)
    e = ember.tensor(t)
    assert e.dtype is ember.int32
    e[0] = 5
    assert t[0].item() == 0
    s = ember.as_tensor(torch.ones(2, dtype=torch.float64))
    assert s.dtype is ember.float64 and s.tolist() == [1.0, 1.0]

"""Tensor metadata and conversions against PyTorch, one line per case: dtypes, ember.Size, shape/size/dim,
contiguity, element_size, type() and its legacy names, float()/long()/..., and every form of .to().

``same(fn)`` evaluates ``fn(torch)`` and ``fn(ember)`` and compares what comes back (tensors by dtype, shape
and values; dtypes, devices and sizes by what they print, with the module name swapped).
"""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error

torch.set_num_threads(1)

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
ALIASES = {"half": "float16", "float": "float32", "double": "float64", "int": "int32", "long": "int64"}


def _norm(v):
    """Something comparable across the two libraries."""
    if isinstance(v, (torch.Tensor, ember.Tensor)):
        return v
    if isinstance(v, (tuple, list)) and not isinstance(v, (torch.Size, ember.Size)):
        return type(v)(_norm(x) for x in v)
    if isinstance(v, (torch.dtype, ember.dtype, torch.device, ember.device, torch.Size, ember.Size, type)):
        return repr(v).replace("ember", "torch")
    if isinstance(v, str):
        return v.replace("ember", "torch")
    return v


def same(fn):
    t, e = _norm(fn(torch)), _norm(fn(ember))
    if isinstance(t, torch.Tensor):
        assert_same(e, t)
        assert e.requires_grad == t.requires_grad, f"requires_grad {e.requires_grad} != torch {t.requires_grad}"
    elif isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            if isinstance(b, torch.Tensor):
                assert_same(a, b)
            else:
                assert a == b, f"{a!r} != torch {b!r}"
    else:
        assert type(e) is type(t) and e == t, f"ember {e!r} != torch {t!r}"




def x23(L):
    return L.tensor([[1.5, -2.0, 0.0], [3.25, 4.0, -0.5]])


# --- dtypes -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DTYPES + sorted(ALIASES))
def test_dtype_objects(name):
    same(lambda L: getattr(L, name))
    same(lambda L: str(getattr(L, name)))
    same(lambda L: getattr(L, name).is_floating_point)
    same(lambda L: getattr(L, name).is_signed)
    same(lambda L: getattr(L, name).itemsize)
    same(lambda L: getattr(L, name) is getattr(L, ALIASES.get(name, name)))


@pytest.mark.parametrize("name", DTYPES)
def test_dtype_of_tensors(name):
    same(lambda L: L.zeros(2, dtype=getattr(L, name)).dtype)
    same(lambda L: L.zeros(2, dtype=getattr(L, name)).element_size())
    same(lambda L: L.zeros(2, dtype=getattr(L, name)).is_floating_point())
    same(lambda L: L.zeros(2, dtype=getattr(L, name)).is_signed())
    same(lambda L: L.zeros(2, dtype=getattr(L, name)).type())
    same(lambda L: L.zeros(2, 3, dtype=getattr(L, name)).nbytes)
    same(lambda L: L.zeros(2, 3, dtype=getattr(L, name)).itemsize)


def test_dtype_equality_and_hash():
    assert ember.float32 == ember.float and ember.int64 == ember.long and ember.float32 != ember.float64
    assert hash(ember.float32) == hash(ember.float) and len({ember.float32, ember.float, ember.half}) == 2
    same(lambda L: L.promote_types(L.int8, L.uint8))
    same(lambda L: L.promote_types(L.float16, L.int64))
    same(lambda L: L.promote_types(L.bool, L.int16))


# --- ember.Size ----------------------------------------------------------------------------------------

SIZE_CASES = [
    ("repr", lambda L: repr(L.Size([64, 10]))),
    ("str", lambda L: str(L.Size([64, 10]))),
    ("empty", lambda L: repr(L.Size([]))),
    ("one", lambda L: repr(L.Size([3]))),
    ("is_tuple", lambda L: isinstance(L.Size([1, 2]), tuple)),
    ("equals_tuple", lambda L: L.Size([2, 3]) == (2, 3)),
    ("slice_is_size", lambda L: L.Size([2, 3, 4])[1:]),
    ("index_is_int", lambda L: L.Size([2, 3])[1]),
    ("add_tuple", lambda L: L.Size([2, 3]) + (4,)),
    ("radd_tuple", lambda L: (4,) + L.Size([2, 3])),
    ("mul", lambda L: L.Size([2, 3]) * 2),
    ("rmul", lambda L: 2 * L.Size([2, 3])),
    ("numel", lambda L: L.Size([2, 3, 4]).numel()),
    ("numel_empty", lambda L: L.Size([]).numel()),
    ("len", lambda L: len(L.Size([2, 3]))),
    ("unpack", lambda L: tuple(L.Size([5, 6]))),
    ("shape_is_size", lambda L: L.zeros(64, 10).shape),
    ("shape_repr", lambda L: repr(L.zeros(64, 10).shape)),
    ("size_method", lambda L: L.zeros(2, 0, 3).size()),
    ("hash_like_tuple", lambda L: hash(L.Size([2, 3])) == hash((2, 3))),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in SIZE_CASES])
def test_size(fn):
    same(fn)


# --- shape and friends ---------------------------------------------------------------------------------------

META_CASES = [
    ("shape", lambda L: x23(L).shape),
    ("shape_index", lambda L: x23(L).shape[1]),
    ("size", lambda L: x23(L).size()),
    ("size_dim", lambda L: x23(L).size(1)),
    ("size_neg_dim", lambda L: x23(L).size(-1)),
    ("size_kw", lambda L: x23(L).size(dim=0)),
    ("dim", lambda L: x23(L).dim()),
    ("ndimension", lambda L: x23(L).ndimension()),
    ("ndim", lambda L: x23(L).ndim),
    ("ndim_0d", lambda L: L.tensor(1.0).ndim),
    ("numel", lambda L: x23(L).numel()),
    ("nelement", lambda L: x23(L).nelement()),
    ("numel_empty", lambda L: L.zeros(3, 0).numel()),
    ("numel_fn", lambda L: L.numel(x23(L))),
    ("dtype", lambda L: x23(L).dtype),
    ("device", lambda L: x23(L).device),
    ("is_cuda", lambda L: x23(L).is_cuda),
    ("is_cpu", lambda L: x23(L).is_cpu),
    ("is_leaf", lambda L: x23(L).is_leaf),
    ("requires_grad", lambda L: x23(L).requires_grad),
    ("grad_none", lambda L: x23(L).grad is None),
    ("grad_fn_none", lambda L: x23(L).grad_fn is None),
    ("is_tensor", lambda L: L.is_tensor(x23(L))),
    ("is_tensor_list", lambda L: L.is_tensor([1])),
    ("isinstance", lambda L: isinstance(x23(L), L.Tensor)),
    ("stride", lambda L: x23(L).stride()),
    ("stride_dim", lambda L: x23(L).stride(0)),
    ("T", lambda L: x23(L).T),
    ("T_shape_1d", lambda L: L.arange(3).T.shape),
    ("T_0d", lambda L: L.tensor(2.0).T),
    ("mT", lambda L: x23(L).mT),
    ("mT_batched", lambda L: L.arange(24).reshape(2, 3, 4).mT),
    ("T_stride", lambda L: x23(L).T.stride()),
]


@pytest.mark.filterwarnings("ignore:The use of `x.T`", "ignore:Tensor.T is deprecated")
@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in META_CASES])
def test_metadata(fn):
    same(fn)


def test_metadata_errors():
    same_error(lambda L: x23(L).size(2), match="Dimension out of range")
    same_error(lambda L: x23(L).size(-3), match="Dimension out of range")
    same_error(lambda L: L.arange(3).mT, match="matrices")


CONTIG_CASES = [
    ("fresh", lambda L: x23(L).is_contiguous()),
    ("T", lambda L: x23(L).T.is_contiguous()),
    ("T_contiguous", lambda L: x23(L).T.contiguous().is_contiguous()),
    ("T_contiguous_values", lambda L: x23(L).T.contiguous()),
    ("mT", lambda L: x23(L).mT.is_contiguous()),
    ("row_slice", lambda L: L.zeros(4, 4)[::2].is_contiguous()),
    ("col_slice", lambda L: L.zeros(2, 3)[:, ::2].is_contiguous()),
    ("permute", lambda L: L.zeros(2, 3, 4).permute(2, 0, 1).is_contiguous()),
    ("permute_contiguous", lambda L: L.zeros(2, 3, 4).permute(2, 0, 1).contiguous().is_contiguous()),
    ("empty", lambda L: L.zeros(0, 3).is_contiguous()),
    ("0d", lambda L: L.tensor(1.0).is_contiguous()),
    ("contiguous_stride", lambda L: x23(L).T.contiguous().stride()),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in CONTIG_CASES])
def test_contiguity(fn):
    same(fn)


def test_contiguous_returns_self_when_contiguous():
    for L in (torch, ember):
        x = x23(L)
        assert x.contiguous() is x
        y = x.T.contiguous()
        assert y is not x and y.is_contiguous()
        y[0, 0] = 100.0
        assert x[0, 0].item() == 1.5  # a copy


# --- type() and the legacy type names ----------------------------------------------------------------------------

TYPE_CASES = [
    ("float", lambda L: x23(L).type()),
    ("double", lambda L: x23(L).double().type()),
    ("half", lambda L: x23(L).half().type()),
    ("long", lambda L: x23(L).long().type()),
    ("int", lambda L: x23(L).int().type()),
    ("short", lambda L: x23(L).short().type()),
    ("char", lambda L: x23(L).char().type()),
    ("byte", lambda L: x23(L).byte().type()),
    ("bool", lambda L: x23(L).bool().type()),
    ("type_dtype", lambda L: x23(L).type(L.float64)),
    ("type_int_dtype", lambda L: x23(L).type(L.int32)),
    ("type_name", lambda L: x23(L).type("torch.DoubleTensor")),
    ("type_short_name", lambda L: x23(L).type("torch.LongTensor")),
    ("type_legacy_class", lambda L: x23(L).type(L.DoubleTensor)),
    ("type_same_dtype_is_self", lambda L: (lambda x: x.type(L.float32) is x)(x23(L))),
    ("legacy_ctor_list", lambda L: L.FloatTensor([1, 2])),
    ("legacy_ctor_size", lambda L: L.LongTensor(2, 3).shape),
    ("legacy_isinstance", lambda L: isinstance(L.ones(2), L.FloatTensor)),
    ("legacy_isinstance_other", lambda L: isinstance(L.ones(2), L.LongTensor)),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in TYPE_CASES])
def test_type(fn):
    same(fn)


def test_type_cuda_name_needs_cuda():
    if ember.cuda.is_available():
        assert ember.ones(2).type("torch.cuda.FloatTensor").is_cuda
    else:
        with pytest.raises(RuntimeError, match="CUDA"):
            ember.ones(2).type("torch.cuda.FloatTensor")


# --- float(), long(), ... -----------------------------------------------------------------------------------------

CONVERSIONS = ["float", "double", "half", "long", "int", "short", "char", "byte", "bool"]
CONVERT_DATA = {
    "floats": lambda L: L.tensor([1.5, -2.5, 0.0, 2.7, -0.4]),
    "ints": lambda L: L.tensor([1, -2, 0, 200, -100]),
    "bools": lambda L: L.tensor([True, False, True]),
    "halves": lambda L: L.tensor([0.1, 65504.0, -3.0], dtype=L.float16),
    "0d": lambda L: L.tensor(2.75),
}


@pytest.mark.parametrize("data", sorted(CONVERT_DATA))
@pytest.mark.parametrize("conv", CONVERSIONS)
def test_conversion_methods(conv, data):
    same(lambda L: getattr(CONVERT_DATA[data](L), conv)())


def test_conversion_is_self_when_dtype_matches():
    for L in (torch, ember):
        x = x23(L)
        assert x.float() is x and x.to(L.float32) is x
        assert x.double() is not x


def test_conversion_keeps_or_drops_grad():
    same(lambda L: L.ones(2, requires_grad=True).double())
    same(lambda L: L.ones(2, requires_grad=True).half().requires_grad)
    same(lambda L: L.ones(2, requires_grad=True).long().requires_grad)  # integer results carry no gradient
    same(lambda L: L.ones(2, requires_grad=True).to(L.bool).requires_grad)
    same(lambda L: L.ones(2, requires_grad=True).to(L.int32).is_leaf)
    for L in (torch, ember):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x.double() * L.tensor([3.0, 4.0], dtype=L.float64)).sum().backward()
        assert x.grad.dtype == L.float32 and x.grad.tolist() == [3.0, 4.0]


# --- .to() in all its forms -------------------------------------------------------------------------------------------

TO_CASES = [
    ("dtype", lambda L: x23(L).to(L.float64)),
    ("dtype_kw", lambda L: x23(L).to(dtype=L.int64)),
    ("python_float_is_float64", lambda L: x23(L).to(float)),
    ("python_int_is_int64", lambda L: x23(L).to(int)),
    ("python_bool", lambda L: x23(L).to(bool)),
    ("device_str", lambda L: x23(L).to("cpu")),
    ("device_obj", lambda L: x23(L).to(L.device("cpu"))),
    ("device_kw", lambda L: x23(L).to(device="cpu")),
    ("device_and_dtype", lambda L: x23(L).to("cpu", L.float16)),
    ("device_obj_and_dtype", lambda L: x23(L).to(L.device("cpu"), L.int8)),
    ("both_kw", lambda L: x23(L).to(dtype=L.int8, device="cpu")),
    ("other_tensor", lambda L: x23(L).to(L.ones(1, dtype=L.int32))),
    ("other_tensor_f64", lambda L: x23(L).to(L.zeros(3, 3, dtype=L.float64))),
    ("non_blocking", lambda L: x23(L).to(L.float16, non_blocking=True)),
    ("non_blocking_positional", lambda L: x23(L).to("cpu", L.int64, True)),
    ("copy_positional", lambda L: x23(L).to("cpu", L.int64, False, True)),
    ("none", lambda L: x23(L).to(None)),
    ("same_dtype_is_self", lambda L: (lambda x: x.to(L.float32) is x)(x23(L))),
    ("same_device_is_self", lambda L: (lambda x: x.to("cpu") is x)(x23(L))),
    ("non_blocking_is_self", lambda L: (lambda x: x.to("cpu", non_blocking=True) is x)(x23(L))),
    ("copy_is_new", lambda L: (lambda x: x.to("cpu", copy=True) is x)(x23(L))),
    ("copy_dtype_is_new", lambda L: (lambda x: x.to(L.float32, copy=True) is x)(x23(L))),
    ("copy_values", lambda L: x23(L).to(L.float32, copy=True)),
    ("cpu_is_self", lambda L: (lambda x: x.cpu() is x)(x23(L))),
    ("grad_kept", lambda L: L.ones(2, requires_grad=True).to(L.float64).requires_grad),
    ("grad_same_is_self", lambda L: (lambda x: x.to("cpu") is x)(L.ones(2, requires_grad=True))),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in TO_CASES])
def test_to(fn):
    same(fn)


def test_to_copy_does_not_share_memory():
    x = ember.ones(3)
    y = x.to("cpu", copy=True)
    y[0] = 5.0
    assert x[0].item() == 1.0
    z = x.to(ember.float32, copy=True)
    z[1] = 7.0
    assert x[1].item() == 1.0


def test_to_errors():
    same_error(lambda L: x23(L).to("bogus"), match="Expected one of cpu, cuda")
    with pytest.raises(TypeError):
        ember.ones(2).to(object())
    with pytest.raises(TypeError):
        ember.ones(2).to(dtype=ember.float32, colour="red")


# --- in-memory identity and versions ---------------------------------------------------------------------------------

def test_data_ptr_and_views():
    x = ember.arange(6.0)
    v = x.view(2, 3)
    assert v.data_ptr() == x.data_ptr()
    v[0, 0] = 9.0
    assert x[0].item() == 9.0
    assert x.clone().data_ptr() != x.data_ptr()


def test_element_size_matches_numpy():
    for name in DTYPES:
        t = ember.zeros(1, dtype=getattr(ember, name))
        assert t.element_size() == np.dtype(getattr(ember, name).np).itemsize

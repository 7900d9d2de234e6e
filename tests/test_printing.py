"""ember.printing must print tensors exactly like PyTorch, character for character.

Almost every test builds a numpy array, prints it with ``format_tensor`` and
compares with ``repr(torch.tensor(array))``, where only the namespace of the
dtype suffix differs (``dtype=ember.float64`` vs ``dtype=torch.float64``).
"""

import math

import numpy as np
import pytest
import torch

import ember
from ember import printing
from ember.printing import format_size, format_tensor, get_printoptions, set_printoptions

torch.set_num_threads(1)

NAN, INF = math.nan, math.inf


# ---------------------------------------------------------------- helpers


def normal(shape, scale=1.0, dtype=np.float32, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def whole(shape, scale=10.0, dtype=np.float32, seed=1):
    """Integer-valued floats, so PyTorch prints them as ``3.``."""
    return np.round(normal(shape, scale, np.float64, seed)).astype(dtype)


def ints(shape, dtype, seed=2):
    info = np.iinfo(dtype)
    return np.random.default_rng(seed).integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


def bools(shape, seed=3):
    return np.random.default_rng(seed).random(shape) < 0.5


def special(shape, scale=1.0, dtype=np.float32, seed=4):
    """Normal values mixed with nan, +-inf, 0 and -0."""
    values = normal(shape, scale, np.float64, seed)
    pick = np.random.default_rng(seed + 1).integers(0, 8, shape)
    for code, replacement in enumerate([NAN, INF, -INF, 0.0, -0.0]):
        values = np.where(pick == code, replacement, values)
    return values.astype(dtype)


def arr(values, dtype=np.float32):
    return np.array(values, dtype=dtype)


def torch_repr(tensor):
    return repr(tensor).replace("dtype=torch.", "dtype=ember.")


def ember_repr(array, **kwargs):
    return format_tensor(array, dtype_name=array.dtype.name, is_default_float=array.dtype == np.float32, **kwargs)


def set_both(**options):
    torch.set_printoptions(**options)
    set_printoptions(**options)


@pytest.fixture(autouse=True)
def restore_print_options():
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")


# ---------------------------------------------------------------- values

VALUES = [
    pytest.param(normal((3,)), id="normal-3"),
    pytest.param(normal((2, 3)), id="normal-2x3"),
    pytest.param(normal((4, 5, 6)), id="normal-4x5x6"),
    pytest.param(normal((1000,)), id="normal-1000"),
    pytest.param(normal((1001,)), id="normal-1001-summarized"),
    pytest.param(normal((40, 40)), id="normal-40x40"),
    pytest.param(normal((10, 10, 10)), id="normal-10x10x10"),
    pytest.param(normal((2, 2000)), id="normal-2x2000"),
    pytest.param(normal((2, 2, 2, 2)), id="normal-4d"),
    pytest.param(normal((1, 1, 1)), id="normal-1x1x1"),
    pytest.param(normal((3, 30)), id="normal-3x30-wrapped-rows"),
    pytest.param(normal((6,), 1e-6), id="scale-1e-6"),
    pytest.param(normal((6,), 1e-3), id="scale-1e-3"),
    pytest.param(normal((6,), 1e3), id="scale-1e3"),
    pytest.param(normal((6,), 1e6), id="scale-1e6"),
    pytest.param(normal((6,), 1e10), id="scale-1e10"),
    pytest.param(normal((2, 3), 1e10), id="scale-1e10-2x3"),
    pytest.param(normal((1001,), 1e-6), id="scale-1e-6-summarized"),
    pytest.param(np.exp(normal((8,), 10.0, np.float64)), id="spread-magnitudes-float64"),
    pytest.param(whole((6,)), id="whole-6"),
    pytest.param(whole((3, 4), 1e5), id="whole-large"),
    pytest.param(whole((6,), 1e9), id="whole-over-1e8-sci"),
    pytest.param(whole((2000,)), id="whole-2000-summarized"),
    pytest.param(arr([1.0, 1000.0]), id="ratio-exactly-1000-fixed"),
    pytest.param(arr([1.0, 1001.0]), id="ratio-over-1000-sci"),
    pytest.param(arr([1e8]), id="max-exactly-1e8"),
    pytest.param(arr([1.01e8]), id="max-over-1e8"),
    pytest.param(arr([1e-4, 0.1]), id="min-1e-4"),
    pytest.param(arr([9e-5, 0.1]), id="min-under-1e-4-sci"),
    pytest.param(arr([0.5, 500.0]), id="fixed-wide"),
    pytest.param(special((12,)), id="nan-inf-mix"),
    pytest.param(special((12,), 1e-6), id="nan-inf-mix-sci"),
    pytest.param(special((4, 5), 100.0, np.float64), id="nan-inf-mix-2d-float64"),
    pytest.param(np.round(special((12,), 10.0)), id="nan-inf-mix-whole"),
    pytest.param(arr([NAN, NAN]), id="all-nan"),
    pytest.param(arr([INF, -INF, NAN]), id="only-inf-nan"),
    pytest.param(arr([1.0, NAN]), id="nan-wider-than-column"),
    pytest.param(arr([1.0, 100.0, NAN]), id="nan-padded"),
    pytest.param(arr([0.1, -INF]), id="minus-inf-fixed"),
    pytest.param(arr([0.0, 0.0, 0.0]), id="zeros"),
    pytest.param(arr([-0.0, 1.0]), id="negative-zero-whole"),
    pytest.param(arr([-0.0, 0.5]), id="negative-zero-fixed"),
    pytest.param(arr([[-0.0, 1.0], [2.0, 3.0]]), id="negative-zero-2d"),
    pytest.param(arr([-0.0, 1e-7]), id="negative-zero-sci"),
    pytest.param(arr(3.0), id="scalar-whole"),
    pytest.param(arr(-1.5), id="scalar-fixed"),
    pytest.param(arr(1e10), id="scalar-sci"),
    pytest.param(arr(-0.0), id="scalar-negative-zero"),
    pytest.param(arr(NAN), id="scalar-nan"),
    pytest.param(arr(7, np.int64), id="scalar-int64"),
    pytest.param(arr(7, np.int8), id="scalar-int8"),
    pytest.param(arr(True, np.bool_), id="scalar-bool"),
    pytest.param(arr(2.5, np.float64), id="scalar-float64"),
    pytest.param(arr([]), id="empty"),
    pytest.param(np.zeros((0, 3), np.float32), id="empty-0x3"),
    pytest.param(np.zeros((2, 0, 4), np.float32), id="empty-2x0x4"),
    pytest.param(np.zeros((0,), np.int64), id="empty-int64"),
    pytest.param(np.zeros((0,), np.bool_), id="empty-bool"),
    pytest.param(np.zeros((0, 2), np.float64), id="empty-float64-0x2"),
    pytest.param(np.zeros((0,), np.uint8), id="empty-uint8"),
    pytest.param(normal((5,), 1.0, np.float64), id="float64"),
    pytest.param(arr([1e300, -1e-300], np.float64), id="float64-extreme"),
    pytest.param(arr([5e-324], np.float64), id="float64-subnormal"),
    pytest.param(normal((7,), 1.0, np.float16), id="float16"),
    pytest.param(arr([65504.0, -1.0], np.float16), id="float16-max"),
    pytest.param(arr([6e-8], np.float16), id="float16-subnormal"),
    pytest.param(normal((1001,), 100.0, np.float16), id="float16-summarized"),
    pytest.param(ints((10,), np.int64), id="int64"),
    pytest.param(arr([-(2**63), 2**63 - 1], np.int64), id="int64-extremes"),
    pytest.param(ints((3, 4), np.int32), id="int32"),
    pytest.param(ints((9,), np.int16), id="int16"),
    pytest.param(ints((9,), np.int8), id="int8"),
    pytest.param(ints((4, 5), np.uint8), id="uint8"),
    pytest.param(np.arange(2000), id="arange-2000-summarized"),
    pytest.param(np.arange(1600).reshape(40, 40), id="int-40x40"),
    pytest.param(np.arange(-30, 30), id="int-negative-wrapped"),
    pytest.param(bools((7,)), id="bool"),
    pytest.param(bools((3, 4)), id="bool-2d"),
    pytest.param(bools((1001,)), id="bool-summarized"),
]


@pytest.mark.parametrize("array", VALUES)
def test_matches_torch(array):
    assert ember_repr(array) == torch_repr(torch.tensor(array))


# ---------------------------------------------------------------- options

OPTIONS = [
    pytest.param({"precision": 2}, id="precision-2"),
    pytest.param({"precision": 8}, id="precision-8"),
    pytest.param({"precision": 0}, id="precision-0"),
    pytest.param({"sci_mode": True}, id="sci-on"),
    pytest.param({"sci_mode": False}, id="sci-off"),
    pytest.param({"threshold": 5}, id="threshold-5"),
    pytest.param({"threshold": 0}, id="threshold-0"),
    pytest.param({"edgeitems": 1, "threshold": 10}, id="edgeitems-1"),
    pytest.param({"edgeitems": 0}, id="edgeitems-0"),
    pytest.param({"edgeitems": 0, "threshold": 5}, id="edgeitems-0-summarized"),
    pytest.param({"linewidth": 40}, id="linewidth-40"),
    pytest.param({"linewidth": 120}, id="linewidth-120"),
    pytest.param({"linewidth": 5}, id="linewidth-5"),
    pytest.param({"profile": "short"}, id="profile-short"),
    pytest.param({"profile": "full"}, id="profile-full"),
    pytest.param({"profile": "short", "precision": 6}, id="profile-short-precision-6"),
]

OPTION_VALUES = [
    pytest.param(normal((25,)), id="normal-25"),
    pytest.param(normal((2000,), 1e10), id="sci-2000"),
    pytest.param(normal((5, 6, 7)), id="normal-5x6x7"),
    pytest.param(whole((3, 9), 1e3), id="whole"),
    pytest.param(whole((6,), 1e9, np.float64), id="whole-sci-float64"),
    pytest.param(special((20,), 1e3), id="nan-inf"),
    pytest.param(arr([0.0, -0.0]), id="zeros"),
    pytest.param(arr(1.0 / 3.0), id="scalar"),
    pytest.param(np.arange(1200).reshape(30, 40), id="int-30x40"),
    pytest.param(bools((12,)), id="bool"),
    pytest.param(np.zeros((0, 3), np.int32), id="empty"),
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("array", OPTION_VALUES)
def test_options_match_torch(array, options):
    set_both(**options)
    assert ember_repr(array) == torch_repr(torch.tensor(array))


def test_get_printoptions_defaults():
    assert get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


@pytest.mark.parametrize(
    "calls",
    [
        pytest.param([{"profile": "full"}], id="full"),
        pytest.param([{"profile": "short"}], id="short"),
        pytest.param([{"profile": "short", "precision": 6, "linewidth": 40}], id="short-overridden"),
        pytest.param([{"sci_mode": True}, {"precision": 3}], id="sci-mode-reset-by-next-call"),
        pytest.param([{"precision": 2}, {"profile": "bogus"}], id="unknown-profile-ignored"),
        pytest.param([{"threshold": 7, "edgeitems": 1}, {"profile": "default"}], id="back-to-default"),
    ],
)
def test_set_printoptions_matches_torch(calls):
    for options in calls:
        set_both(**options)
    assert get_printoptions() == torch._tensor_str.get_printoptions()


def test_printoptions_context_manager_restores():
    set_printoptions(precision=2)
    with printing.printoptions(precision=6, sci_mode=True):
        assert get_printoptions()["precision"] == 6
        assert ember_repr(arr([0.5])) == "tensor([5.000000e-01])"
    assert get_printoptions() == {"precision": 2, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


# ---------------------------------------------------------------- suffixes

GRAD_CASES = [
    pytest.param(lambda: torch.tensor([1.0, 2.0], requires_grad=True), id="leaf"),
    pytest.param(lambda: torch.tensor([1.0, 2.0], requires_grad=True) * 2, id="mul"),
    pytest.param(lambda: torch.tensor([1.0, 2.0], requires_grad=True).sum(), id="scalar-sum"),
    pytest.param(lambda: torch.ones(2, 3, dtype=torch.float64, requires_grad=True) + 1, id="float64-add"),
    pytest.param(lambda: torch.zeros(0, 2, requires_grad=True), id="empty-leaf"),
    pytest.param(lambda: torch.randn(70, dtype=torch.float64, requires_grad=True) * 2, id="wraps-to-new-line"),
    pytest.param(lambda: torch.randn(7, dtype=torch.float64, requires_grad=True) * 2, id="dtype-on-new-line"),
    pytest.param(lambda: torch.full((8,), 1.25, dtype=torch.float16, requires_grad=True), id="float16-leaf"),
]


@pytest.mark.parametrize("make", GRAD_CASES)
def test_grad_suffix_matches_torch(make):
    torch.manual_seed(0)
    tensor = make()
    grad_fn = type(tensor.grad_fn).__name__ if tensor.grad_fn is not None else None
    got = ember_repr(tensor.detach().numpy(), requires_grad=tensor.requires_grad, grad_fn_name=grad_fn)
    assert got == torch_repr(tensor)


DEVICE_CASES = [
    pytest.param(arr([1.0, 2.0]), {}, "tensor([1., 2.], device='cuda:0')", id="float32"),
    pytest.param(arr([1, 2], np.int64), {}, "tensor([1, 2], device='cuda:0')", id="int64"),
    pytest.param(arr([1.0, 2.0], np.float64), {"requires_grad": True}, "tensor([1., 2.], device='cuda:0', dtype=ember.float64, requires_grad=True)", id="dtype-grad"),
    pytest.param(arr([3.0]), {"grad_fn_name": "MulBackward0"}, "tensor([3.], device='cuda:0', grad_fn=<MulBackward0>)", id="grad-fn"),
    pytest.param(np.zeros((0, 3), np.int64), {}, "tensor([], device='cuda:0', size=(0, 3), dtype=ember.int64)", id="empty"),
    pytest.param(arr(5, np.int32), {}, "tensor(5, device='cuda:0', dtype=ember.int32)", id="scalar"),
    pytest.param(np.arange(24, dtype=np.float64), {}, "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n        14., 15., 16., 17., 18., 19., 20., 21., 22., 23.], device='cuda:0',\n       dtype=ember.float64)", id="wrapped"),
]


@pytest.mark.parametrize("array, kwargs, expected", DEVICE_CASES)
def test_device_suffix(array, kwargs, expected):
    assert ember_repr(array, device="cuda:0", **kwargs) == expected


def test_cpu_device_has_no_suffix():
    assert ember_repr(arr([1.0]), device="cpu") == "tensor([1.])"


def test_not_default_float_gets_suffix():
    # e.g. float32 after set_default_dtype(float64): the caller decides.
    assert format_tensor(arr([1.5]), dtype_name="float32", is_default_float=False) == "tensor([1.5000], dtype=ember.float32)"


@pytest.mark.parametrize("shape", [(2, 3), (5,), ()], ids=["2x3", "5", "scalar"])
def test_format_size(shape):
    assert format_size(shape) == repr(torch.Size(shape)).replace("torch.", "ember.")


# ---------------------------------------------------------------- ember.tensor

EMBER_TENSORS = [
    pytest.param(lambda m: m.tensor([1.5, -2.0, 3.25]), id="float"),
    pytest.param(lambda m: m.tensor([[1, 2], [3, 4]]), id="int"),
    pytest.param(lambda m: m.tensor([True, False]), id="bool"),
    pytest.param(lambda m: m.tensor([1.0, 2.0], dtype=m.float64), id="float64"),
    pytest.param(lambda m: m.tensor([1, 2], dtype=m.int32), id="int32"),
    pytest.param(lambda m: m.tensor(3.0), id="scalar"),
    pytest.param(lambda m: m.tensor([]), id="empty"),
    pytest.param(lambda m: m.tensor([1.0, 2.0], requires_grad=True), id="requires-grad"),
    pytest.param(lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2, id="grad-fn"),
    pytest.param(lambda m: m.tensor([float(i) for i in range(2000)]), id="summarized"),
]


@pytest.mark.parametrize("make", EMBER_TENSORS)
def test_ember_tensor_repr_and_str(make):
    expected = torch_repr(make(torch))
    assert repr(make(ember)) == expected
    assert str(make(ember)) == expected

"""sort, argsort, topk, kthvalue, median and unique against PyTorch, one line per case.

``check`` compares every output (values *and* indices) and the gradient of every
floating input. Random float inputs have no ties, so indices are unambiguous there;
cases with ties use ``stable=True`` (the only tie order PyTorch promises) or compare
values only.
"""
import numpy as np
import pytest
import torch

import ember
from helpers import check, check_raises, lib, assert_same

NAN = np.nan

# arrays with ties and NaNs, where PyTorch's result is deterministic
TIES = np.array([3., 1., 2., 1., 3., 0., 2., 1.], dtype=np.float32)
WITH_NAN = np.array([3., 1., NAN, 1., 2., NAN, 3.], dtype=np.float32)
ROWS_NAN = np.array([[1., NAN, 3., NAN], [4., 2., 0., 1.], [NAN, 5., 6., 7.]], dtype=np.float32)
SIGNED_ZEROS = np.array([0., -0., 1., 0., -0.], dtype=np.float32)

# --- sort ---------------------------------------------------------------------------------------

SORT_CASES = [
    ("1d", (7,), {}),
    ("1d_desc", (7,), {"descending": True}),
    ("2d_last", (3, 5), {}),
    ("2d_dim0", (4, 3), {"dim": 0}),
    ("2d_dim0_desc", (4, 3), {"dim": 0, "descending": True}),
    ("3d_dim1", (2, 5, 3), {"dim": 1}),
    ("3d_dim-3_desc", (4, 2, 3), {"dim": -3, "descending": True}),
    ("stable_kw", (6,), {"stable": True}),
    ("size1_dim", (3, 1), {"dim": 1}),
    ("0d", (), {}),
    ("0d_dim-1", (), {"dim": -1, "descending": True}),
    ("empty_rows", (0, 3), {"dim": 0}),
    ("empty_cols", (3, 0), {}),
]


@pytest.mark.parametrize("shape,kw", [pytest.param(s, k, id=i) for i, s, k in SORT_CASES])
def test_sort(shape, kw):
    check(lambda x: x.sort(**kw), shapes=[shape])


@pytest.mark.parametrize("shape,kw", [pytest.param(s, k, id=i) for i, s, k in SORT_CASES[:6]])
def test_sort_function_and_argsort(shape, kw):
    check(lambda x: lib(x).sort(x, **kw), shapes=[shape])
    check(lambda x: lib(x).argsort(x, **kw), shapes=[shape])
    check(lambda x: x.argsort(**kw), shapes=[shape], grad=False)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("name,data", [("ties", TIES), ("nan", WITH_NAN), ("rows_nan", ROWS_NAN),
                                       ("signed_zeros", SIGNED_ZEROS)])
def test_sort_stable_ties_and_nan(name, data, descending):
    check(lambda x: x.sort(descending=descending, stable=True), shapes=[data])
    check(lambda x: lib(x).sort(x, dim=0, descending=descending, stable=True), shapes=[data])


@pytest.mark.parametrize("dtype", ["float16", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_sort_dtypes(dtype, descending):
    check(lambda x: x.sort(dim=1, descending=descending, stable=True), shapes=[(3, 9)], dtype=dtype,
          low=-4, high=4)


def test_sort_uint8_extremes():
    check(lambda x: x.sort(descending=True, stable=True), shapes=[np.array([3, 1, 255, 0, 255], np.uint8)])


def test_sort_named_tuple():
    r = ember.tensor([2., 0., 1.]).sort()
    assert r.values.tolist() == [0., 1., 2.] and r.indices.tolist() == [1, 2, 0]
    v, i = r
    assert i.dtype is ember.int64 and not i.requires_grad
    assert type(r).__name__ == "sort"


def test_sort_bad_dim():
    check_raises(lambda x: x.sort(dim=2), shapes=[(3, 4)], match="Dimension out of range")
    check_raises(lambda x: x.sort(dim=1), shapes=[()], match="Dimension out of range")


def test_sort_on_device(device):
    check(lambda x: x.sort(dim=0, descending=True), shapes=[(5, 3)], device=device)
    check(lambda x: x.sort(stable=True), shapes=[ROWS_NAN], device=device)


# --- topk -----------------------------------------------------------------------------------------

TOPK_CASES = [
    ("k1", (6,), 1, {}),
    ("k3", (6,), 3, {}),
    ("k_all", (6,), 6, {}),
    ("k0", (6,), 0, {}),
    ("smallest", (6,), 2, {"largest": False}),
    ("2d_last", (3, 5), 2, {}),
    ("2d_dim0", (5, 3), 3, {"dim": 0}),
    ("2d_dim0_smallest", (5, 3), 2, {"dim": 0, "largest": False}),
    ("3d_dim1", (2, 6, 3), 4, {"dim": 1}),
    ("sorted_true", (8,), 5, {"sorted": True}),
    ("0d", (), 1, {}),
]


@pytest.mark.parametrize("shape,k,kw", [pytest.param(s, k, kw, id=i) for i, s, k, kw in TOPK_CASES])
def test_topk(shape, k, kw):
    check(lambda x: x.topk(k, **kw), shapes=[shape])
    check(lambda x: lib(x).topk(x, k, **kw), shapes=[shape])


def test_topk_unsorted_has_the_same_elements():
    x = np.random.default_rng(3).standard_normal((4, 9)).astype(np.float32)
    t = torch.tensor(x).topk(4, sorted=False)
    e = ember.tensor(x).topk(4, sorted=False)
    assert_same(e.values.sort().values, t.values.sort().values)
    assert np.array_equal(np.take_along_axis(x, e.indices.numpy(), 1), e.values.numpy())


@pytest.mark.parametrize("largest", [True, False], ids=["largest", "smallest"])
@pytest.mark.parametrize("name,data", [("ties", TIES), ("nan", WITH_NAN)])
def test_topk_ties_values(name, data, largest):
    # PyTorch's order among equal values is unspecified: compare the values, and that the indices pick them
    for k in (1, 3, 5):
        t = torch.tensor(data).topk(k, largest=largest)
        e = ember.tensor(data).topk(k, largest=largest)
        assert_same(e.values, t.values)
        assert_same(ember.tensor(data)[e.indices], t.values, what="values picked by the indices")
        assert len(set(e.indices.tolist())) == k


@pytest.mark.parametrize("dtype", ["float16", "float64", "int32", "int64", "uint8"])
def test_topk_dtypes(dtype):
    check(lambda x: x.topk(3, dim=0), shapes=[np.arange(24).reshape(6, 4)[::-1].copy()], dtype=dtype)


def test_topk_errors():
    check_raises(lambda x: x.topk(5), shapes=[(3, 4)], match="k out of range")
    check_raises(lambda x: x.topk(-1), shapes=[(3, 4)], match="k out of range")
    check_raises(lambda x: x.topk(2), shapes=[()], match="k out of range")
    check_raises(lambda x: x.topk(1), shapes=[(4,)], dtype="bool", match="bool")


def test_topk_on_device(device):
    check(lambda x: x.topk(2, dim=0, largest=False), shapes=[(5, 3)], device=device)


# --- kthvalue ------------------------------------------------------------------------------------------

KTH_CASES = [
    ("k1", (7,), 1, {}),
    ("k_mid", (7,), 4, {}),
    ("k_last", (7,), 7, {}),
    ("2d_last", (3, 5), 2, {}),
    ("2d_keepdim", (3, 5), 3, {"keepdim": True}),
    ("2d_dim0", (5, 3), 2, {"dim": 0}),
    ("2d_dim0_keepdim", (5, 3), 5, {"dim": 0, "keepdim": True}),
    ("3d_dim1", (2, 6, 3), 4, {"dim": 1}),
    ("0d", (), 1, {}),
    ("0d_keepdim", (), 1, {"keepdim": True}),
]


@pytest.mark.parametrize("shape,k,kw", [pytest.param(s, k, kw, id=i) for i, s, k, kw in KTH_CASES])
def test_kthvalue(shape, k, kw):
    check(lambda x: x.kthvalue(k, **kw), shapes=[shape])
    check(lambda x: lib(x).kthvalue(x, k, **kw), shapes=[shape])


@pytest.mark.parametrize("k", [1, 3, 5, 6, 7])
def test_kthvalue_nan_is_largest(k):
    check(lambda x: x.kthvalue(k), shapes=[np.array([3., 1., NAN, 0., 2., NAN, 5.], np.float32)])


@pytest.mark.parametrize("dtype", ["float64", "int64", "int32", "uint8"])
def test_kthvalue_dtypes(dtype):
    check(lambda x: x.kthvalue(2, dim=0), shapes=[np.array([[5, 1], [3, 7], [9, 0], [2, 8]])], dtype=dtype)


def test_kthvalue_errors():
    check_raises(lambda x: x.kthvalue(5), shapes=[(3, 4)], match="out of range")
    check_raises(lambda x: x.kthvalue(0), shapes=[(3, 4)], match="out of range")
    check_raises(lambda x: x.kthvalue(2), shapes=[()], match="out of range")
    check_raises(lambda x: x.kthvalue(1), shapes=[(4,)], dtype="bool", match="Bool")


def test_kthvalue_on_device(device):
    check(lambda x: x.kthvalue(2, dim=0, keepdim=True), shapes=[(5, 3)], device=device)


# --- median --------------------------------------------------------------------------------------------

MEDIAN_ALL = [
    ("odd", (7,)),
    ("even_lower", (8,)),
    ("2d", (3, 4)),
    ("3d", (2, 3, 3)),
    ("0d", ()),
    ("one", (1,)),
    ("ties_grad_shared", np.array([2., 1., 2., 3., 2.], np.float32)),
    ("even_ties", np.array([[1., 2.], [2., 5.]], np.float32)),
    ("nan", WITH_NAN),
    ("all_nan", np.array([NAN, NAN], np.float32)),
    ("empty", np.zeros((0,), np.float32)),
]


@pytest.mark.parametrize("data", [pytest.param(d, id=i) for i, d in MEDIAN_ALL])
def test_median_all(data):
    check(lambda x: x.median(), shapes=[data])
    check(lambda x: lib(x).median(x), shapes=[data])


MEDIAN_DIM = [
    ("1d", (7,), {"dim": 0}),
    ("1d_even", (6,), {"dim": -1}),
    ("2d_last", (3, 5), {"dim": 1}),
    ("2d_keepdim", (3, 4), {"dim": 1, "keepdim": True}),
    ("2d_dim0", (6, 3), {"dim": 0}),
    ("3d_dim1_keepdim", (2, 5, 3), {"dim": 1, "keepdim": True}),
    ("0d", (), {"dim": 0}),
    ("rows_nan", ROWS_NAN, {"dim": 1}),
    ("cols_nan", ROWS_NAN, {"dim": 0, "keepdim": True}),
    ("empty_other_dim", np.zeros((3, 0), np.float32), {"dim": 0}),
]


@pytest.mark.parametrize("data,kw", [pytest.param(d, k, id=i) for i, d, k in MEDIAN_DIM])
def test_median_dim(data, kw):
    check(lambda x: x.median(**kw), shapes=[data])
    check(lambda x: lib(x).median(x, **kw), shapes=[data])


@pytest.mark.parametrize("dtype", ["float16", "float64", "int64", "int32", "int8", "uint8"])
def test_median_dtypes(dtype):
    check(lambda x: x.median(), shapes=[np.array([7, 1, 3, 9, 4, 4])], dtype=dtype)
    check(lambda x: x.median(0), shapes=[np.array([[7, 1], [3, 9], [4, 5]])], dtype=dtype)


def test_median_errors():
    check_raises(lambda x: x.median(0), shapes=[(0, 3)], match="non-zero size")
    check_raises(lambda x: x.median(), shapes=[(4,)], dtype="bool", match="Bool")
    check_raises(lambda x: x.median(2), shapes=[(3, 4)], match="Dimension out of range")


def test_median_on_device(device):
    check(lambda x: x.median(), shapes=[(4, 5)], device=device)
    check(lambda x: x.median(1, keepdim=True), shapes=[ROWS_NAN], device=device)


# --- gradients of gradients (the backward is written in Tensor ops) ------------------------------------

SECOND_ORDER = {
    "sort": lambda x: x.sort(dim=1, descending=True).values,
    "topk": lambda x: x.topk(2, dim=0).values,
    "kthvalue": lambda x: x.kthvalue(2, dim=1, keepdim=True).values,
    "median_dim": lambda x: x.median(0).values,
    "median_all": lambda x: x.median(),
}


@pytest.mark.parametrize("op", sorted(SECOND_ORDER))
def test_second_order(op):
    fn = SECOND_ORDER[op]
    a = np.random.default_rng(5).standard_normal((4, 5))
    results = []
    for L in (torch, ember):
        x = L.tensor(a, requires_grad=True)
        y = fn(x)
        w = L.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)))
        g, = L.autograd.grad((y * y * w).sum(), x, create_graph=True)
        assert g.requires_grad
        gg, = L.autograd.grad((g * L.tensor(a)).sum(), x)
        results.append((g, gg))
    (tg, tgg), (eg, egg) = results
    assert_same(eg.detach(), tg.detach(), what="first derivative")
    assert_same(egg, tgg, what="second derivative")


def test_gradcheck_float64():
    """PyTorch-free: numerical vs analytical first and second derivatives in float64."""
    x = ember.tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    for f in SECOND_ORDER.values():
        w = ember.tensor(np.linspace(-1, 1, f(x).numel()).reshape(tuple(f(x).shape)))

        def first(t):  # d/dt of sum(w * f(t)^2), differentiable again (gradcheck perturbs under no_grad)
            with ember.enable_grad():
                g, = ember.autograd.grad((f(t) * f(t) * w).sum(), t, create_graph=True)
            return g
        assert ember.autograd.gradcheck(lambda t: f(t) * f(t), (x,))
        assert ember.autograd.gradcheck(first, (x,))


def test_grad_fn_names_and_indices():
    x = ember.randn(3, 4, requires_grad=True)
    assert x.sort().values.grad_fn.name() == "SortBackward0"
    assert x.topk(2).values.grad_fn.name() == "TopkBackward0"
    assert x.kthvalue(2).values.grad_fn.name() == "KthvalueBackward0"
    assert x.median(0).values.grad_fn.name() == "MedianBackward1"
    assert x.median().grad_fn.name() == "MedianBackward0"
    for r in (x.sort(), x.topk(2), x.kthvalue(2), x.median(1)):
        assert r.indices.dtype is ember.int64 and not r.indices.requires_grad and r.indices.grad_fn is None


def test_only_indices_used_gives_no_grad():
    x = ember.randn(5, requires_grad=True)
    _, i = x.sort()
    y = x[i] * ember.arange(5.)  # uses the indices, not the values: the sort contributes nothing
    y.sum().backward()
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    (xt[xt.sort().indices] * torch.arange(5.)).sum().backward()
    assert_same(x.grad, xt.grad)


# --- unique --------------------------------------------------------------------------------------------

INTS = np.array([3, 1, 2, 1, 3, 3, 0], np.int64)
MAT = np.array([[1, 2], [0, 5], [1, 2], [0, 4]], np.int64)
UNIQUE_CASES = [
    ("ints", INTS, {}),
    ("unsorted_flag", INTS, {"sorted": False}),
    ("inverse", INTS, {"return_inverse": True}),
    ("counts", INTS, {"return_counts": True}),
    ("both", INTS, {"return_inverse": True, "return_counts": True}),
    ("2d_flat_inverse_shape", MAT, {"return_inverse": True, "return_counts": True}),
    ("dim0", MAT, {"dim": 0, "return_inverse": True, "return_counts": True}),
    ("dim1", MAT, {"dim": 1, "return_inverse": True, "return_counts": True}),
    ("dim-1", MAT.T.copy(), {"dim": -1}),
    ("floats_nan_not_merged", np.array([NAN, 1., NAN, 1., 0.], np.float32),
     {"return_inverse": True, "return_counts": True}),
    ("0d", np.array(5), {"return_inverse": True, "return_counts": True}),
    ("empty", np.zeros((0,), np.float32), {"return_counts": True}),
    ("empty_dim0", np.zeros((0, 2), np.int64), {"dim": 0, "return_inverse": True, "return_counts": True}),
    ("bool", np.array([True, False, True]), {"return_counts": True}),
    ("uint8", np.array([200, 3, 200], np.uint8), {"return_inverse": True}),
]


@pytest.mark.parametrize("data,kw", [pytest.param(d, k, id=i) for i, d, k in UNIQUE_CASES])
def test_unique(data, kw):
    check(lambda x: lib(x).unique(x, **kw), shapes=[data], grad=False)
    check(lambda x: x.unique(**kw), shapes=[data], grad=False)


def test_unique_requires_grad_but_has_no_derivative():
    x = ember.tensor([1., 2., 2.], requires_grad=True)
    u = ember.unique(x)
    assert u.requires_grad  # as in PyTorch: the output is in the graph ...
    with pytest.raises(NotImplementedError, match="derivative for 'unique' is not implemented"):
        u.sum().backward()  # ... but differentiating it is an error


def test_unique_errors():
    check_raises(lambda x: lib(x).unique(x, dim=2), shapes=[(3, 4)], match="Dimension out of range")
    check_raises(lambda x: lib(x).unique(x, dim=0), shapes=[(2, 0)], match="0 sized dimensions")


def test_unique_on_device(device):
    check(lambda x: lib(x).unique(x, return_inverse=True, return_counts=True), shapes=[INTS], device=device,
          grad=False)
    check(lambda x: lib(x).unique(x, dim=0), shapes=[MAT], device=device, grad=False)

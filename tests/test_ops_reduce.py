"""Reductions, scans and softmax against PyTorch: values, dtypes, shapes and gradients."""
import numpy as np
import pytest

from helpers import check, check_like_torch, check_raises, lib

# numpy's floating-point warnings (log(0), x/0) and PyTorch's deprecation notes are expected in edge cases
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")

INF = float("inf")

REDUCE = [
    # sum / mean
    ("sum", lambda x: x.sum(), (3, 4)), ("sum_0", lambda x: x.sum(0), (3, 4)), ("sum_neg", lambda x: x.sum(-1), (3, 4)),
    ("sum_keep", lambda x: x.sum(1, keepdim=True), (3, 4)), ("sum_dims", lambda x: x.sum((0, 2)), (2, 3, 4)),
    ("sum_dims_keep", lambda x: x.sum([0, 2], keepdim=True), (2, 3, 4)), ("sum_0d", lambda x: x.sum(), ()),
    ("sum_0d_dim", lambda x: x.sum(0), ()), ("sum_lib", lambda x: lib(x).sum(x, 1), (3, 4)),
    ("sum_dtype", lambda x: x.sum(dtype=lib(x).float64), (3, 4)),
    ("mean", lambda x: x.mean(), (3, 4)), ("mean_1", lambda x: x.mean(1), (3, 4)),
    ("mean_keep", lambda x: x.mean(-1, keepdim=True), (2, 3, 4)), ("mean_dims", lambda x: x.mean((0, 1)), (2, 3, 4)),
    ("mean_lib", lambda x: lib(x).mean(x, 0), (3, 4)),
    # prod
    ("prod", lambda x: x.prod(), (2, 3)), ("prod_0", lambda x: x.prod(0), (3, 4)),
    ("prod_keep", lambda x: x.prod(1, keepdim=True), (3, 4)), ("prod_0d", lambda x: x.prod(), ()),
    # max / min
    ("max", lambda x: x.max(), (3, 4)), ("min", lambda x: x.min(), (3, 4)),
    ("max_dim", lambda x: x.max(1), (3, 4)), ("min_dim", lambda x: x.min(0), (3, 4)),
    ("max_dim_keep", lambda x: x.max(-1, keepdim=True), (2, 3, 4)),
    ("min_dim_keep", lambda x: x.min(1, keepdim=True), (2, 3, 4)),
    ("max_values", lambda x: x.max(dim=1).values, (3, 4)), ("max_indices", lambda x: x.max(dim=1).indices, (3, 4)),
    ("max_0d", lambda x: x.max(0), ()), ("max_lib", lambda x: lib(x).max(x, 1), (3, 4)),
    ("max_elementwise", lambda x: lib(x).max(x, x * 0.5), (3, 4)),
    ("amax", lambda x: x.amax(), (3, 4)), ("amax_dim", lambda x: x.amax(1), (3, 4)),
    ("amax_dims", lambda x: x.amax((0, 2), keepdim=True), (2, 3, 4)), ("amin", lambda x: x.amin(), (3, 4)),
    ("amin_dim", lambda x: x.amin(-1), (3, 4)), ("amin_dims", lambda x: x.amin((0, 1)), (2, 3, 4)),
    ("argmax", lambda x: x.argmax(), (3, 4)), ("argmax_dim", lambda x: x.argmax(1), (3, 4)),
    ("argmax_keep", lambda x: x.argmax(0, keepdim=True), (3, 4)), ("argmin", lambda x: x.argmin(), (3, 4)),
    ("argmin_dim", lambda x: x.argmin(-1), (3, 4)), ("argmax_lib", lambda x: lib(x).argmax(x, 1), (3, 4)),
    # var / std
    ("var", lambda x: x.var(), (3, 4)), ("var_0", lambda x: x.var(0), (3, 4)),
    ("var_c0", lambda x: x.var(1, correction=0), (3, 4)), ("var_c2", lambda x: x.var(1, correction=2), (3, 5)),
    ("var_unbiased_false", lambda x: x.var(unbiased=False), (3, 4)),
    ("var_dims_keep", lambda x: x.var((0, 2), keepdim=True), (2, 3, 4)),
    ("std", lambda x: x.std(), (3, 4)), ("std_1", lambda x: x.std(1), (3, 4)),
    ("std_c0", lambda x: x.std(0, correction=0), (3, 4)), ("std_c2", lambda x: x.std(correction=2), (3, 4)),
    ("std_keep", lambda x: x.std(-1, keepdim=True), (2, 3, 4)), ("std_lib", lambda x: lib(x).std(x, 0), (3, 4)),
    ("var_lib", lambda x: lib(x).var(x, 1, correction=0), (3, 4)),
    # norm
    ("norm", lambda x: x.norm(), (3, 4)), ("norm_1", lambda x: x.norm(1), (3, 4)),
    ("norm_2_dim", lambda x: x.norm(2, dim=1), (3, 4)), ("norm_inf", lambda x: x.norm(INF), (3, 4)),
    ("norm_inf_dim", lambda x: x.norm(INF, dim=0), (3, 4)), ("norm_ninf", lambda x: x.norm(-INF, dim=0), (3, 4)),
    ("norm_3", lambda x: x.norm(3), (3, 4)), ("norm_3_dim_keep", lambda x: x.norm(3, dim=1, keepdim=True), (3, 4)),
    ("norm_1_dims", lambda x: x.norm(1, dim=(0, 2)), (2, 3, 4)), ("norm_fro", lambda x: x.norm("fro"), (3, 4)),
    ("norm_lib", lambda x: lib(x).norm(x, dim=1), (3, 4)), 
    ("norm_half", lambda x: x.norm(0.5, dim=1), (3, 4)),
    # logsumexp / softmax
    ("logsumexp", lambda x: x.logsumexp(1), (3, 4)), ("logsumexp_0", lambda x: x.logsumexp(0), (3, 4)),
    ("logsumexp_keep", lambda x: x.logsumexp(-1, keepdim=True), (2, 3, 4)),
    ("logsumexp_dims", lambda x: x.logsumexp((0, 2)), (2, 3, 4)),
    ("logsumexp_lib", lambda x: lib(x).logsumexp(x, 1), (3, 4)),
    ("softmax", lambda x: x.softmax(-1), (3, 4)), ("softmax_0", lambda x: x.softmax(0), (3, 4)),
    ("softmax_3d", lambda x: x.softmax(1), (2, 3, 4)), ("softmax_lib", lambda x: lib(x).softmax(x, 1), (3, 4)),
    ("log_softmax", lambda x: x.log_softmax(-1), (3, 4)), ("log_softmax_0", lambda x: x.log_softmax(0), (3, 4)),
    ("log_softmax_3d", lambda x: x.log_softmax(1), (2, 3, 4)),
    ("log_softmax_lib", lambda x: lib(x).log_softmax(x, 0), (3, 4)),
    ("softmax_1d", lambda x: x.softmax(0), (5,)),
    # scans
    ("cumsum", lambda x: x.cumsum(0), (3, 4)), ("cumsum_1", lambda x: x.cumsum(1), (3, 4)),
    ("cumsum_neg", lambda x: x.cumsum(-1), (2, 3, 4)), ("cumsum_lib", lambda x: lib(x).cumsum(x, 0), (5,)),
    ("cumprod", lambda x: x.cumprod(0), (3, 4)), ("cumprod_1", lambda x: x.cumprod(1), (3, 4)),
    ("cumprod_neg", lambda x: x.cumprod(-1), (2, 3, 4)), ("cumprod_0d", lambda x: x.cumprod(0), ()),
    ("cumsum_0d", lambda x: x.cumsum(0), ()),
    # all / any
    ("all", lambda x: (x > -1.5).all(), (3, 4)), ("any", lambda x: (x > 1.5).any(), (3, 4)),
    ("all_dim", lambda x: (x > -1).all(1), (3, 4)), ("any_dim", lambda x: (x > 1).any(0), (3, 4)),
    ("all_keep", lambda x: (x > -1).all(1, keepdim=True), (3, 4)), ("any_float", lambda x: x.any(), (3, 4)),
    ("all_float", lambda x: x.all(0), (3, 4)), ("all_lib", lambda x: lib(x).all(x > 0), (3, 4)),
    ("count_nonzero", lambda x: (x > 0).count_nonzero(), (3, 4)),
    ("count_nonzero_dim", lambda x: (x > 0).count_nonzero(1), (3, 4)),
    # dtype arguments and positional forms
    ("softmax_dtype", lambda x: x.softmax(1, dtype=lib(x).float64), (3, 4)),
    ("log_softmax_dtype", lambda x: x.log_softmax(0, dtype=lib(x).float64), (3, 4)),
    ("mean_dtype", lambda x: x.mean(dtype=lib(x).float64), (3, 4)),
    ("cumsum_dtype", lambda x: x.cumsum(1, dtype=lib(x).float64), (3, 4)),
    ("prod_dtype", lambda x: x.prod(0, dtype=lib(x).float64), (3, 4)),
    ("var_positional", lambda x: x.var(0, True), (3, 4)), ("var_positional_keep", lambda x: x.var(1, False, True), (3, 4)),
    ("std_unbiased_false", lambda x: x.std(unbiased=False), (3, 4)),
    ("argmax_keep_all", lambda x: x.argmax(keepdim=True), (3, 4)),
    ("sum_keep_all", lambda x: x.sum((0, 1), keepdim=True), (3, 4)), ("amax_neg_dims", lambda x: x.amax((-1, -2)), (2, 3, 4)),
    ("all_dims", lambda x: (x > -1.5).all((0, 2)), (2, 3, 4)), ("any_dims", lambda x: (x > 1.5).any((1, 2)), (2, 3, 4)),
    ("logsumexp_all", lambda x: x.logsumexp((0, 1, 2)), (2, 3, 4)),
    ("norm_fro_dims", lambda x: x.norm("fro", dim=(0, 1)), (2, 3, 4)),
    ("max_neg_dim", lambda x: x.max(-2), (2, 3, 4)), ("min_indices_3d", lambda x: x.min(2).indices, (2, 3, 4)),
    ("std_mean", lambda x: lib(x).std_mean(x, 1), (3, 4)), ("var_mean", lambda x: lib(x).var_mean(x, 0, correction=0), (3, 4)),
    ("nansum", lambda x: x.nansum(1), (3, 4)), ("nanmean", lambda x: x.nanmean(), (3, 4)),
    ("aminmax", lambda x: x.aminmax(dim=1), (3, 4)),
]


@pytest.mark.parametrize("fn,shape", [r[1:] for r in REDUCE], ids=[r[0] for r in REDUCE])
def test_reduce(fn, shape, device):
    check(fn, shapes=[shape], device=device)


@pytest.mark.parametrize("fn,shape", [r[1:] for r in REDUCE], ids=[r[0] for r in REDUCE])
def test_reduce_float64(fn, shape):
    check(fn, shapes=[shape], dtype="float64", low=0.2, high=3.0)


INT_REDUCE = ["logsumexp", "logsumexp_all", "mean_dtype", "cumsum_dtype", "prod_dtype", "sum", "sum_0", "sum_keep",
              "sum_dims", "prod", "prod_0", "max", "min", "max_dim", "min_dim_keep",
              "amax", "amax_dim", "amin_dims", "argmax", "argmax_dim", "argmin_dim", "cumsum", "cumsum_1",
              "cumprod", "all", "any", "any_float", "all_float", "count_nonzero", "sum_dtype"]


@pytest.mark.parametrize("name", INT_REDUCE)
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_reduce_int(name, dtype):
    if dtype == "bool" and name.startswith("arg"):
        pytest.skip("PyTorch: argmax/argmin don't support bool input (ember allows it)")
    fn, shape = next(r[1:] for r in REDUCE if r[0] == name)
    check(fn, shapes=[shape], dtype=dtype, low=0, high=4)


@pytest.mark.parametrize("name", ["mean", "var", "std", "mean_1", "std_1"])
def test_reduce_int_mean_like_raises(name):
    # mean/var/std of integer tensors raise in PyTorch
    fn, shape = next(r[1:] for r in REDUCE if r[0] == name)
    check_raises(fn, shapes=[shape], dtype="int64")


ZEROS_PROD = [
    ("one_zero_all", lambda x: x.prod(), np.array([[1.5, 0.0, 2.0], [3.0, -1.0, 0.5]], dtype=np.float32)),
    ("two_zeros_all", lambda x: x.prod(), np.array([[1.5, 0.0, 2.0], [3.0, 0.0, 0.5]], dtype=np.float32)),
    ("one_zero_dim", lambda x: x.prod(1), np.array([[1.5, 0.0, 2.0], [3.0, -1.0, 0.5]], dtype=np.float32)),
    ("zeros_dim0", lambda x: x.prod(0), np.array([[0.0, 0.0, 2.0], [3.0, 0.0, 0.5]], dtype=np.float32)),
    ("zero_keep", lambda x: x.prod(1, keepdim=True), np.array([[0.0, 1.0], [2.0, 3.0]], dtype=np.float32)),
    ("all_zeros", lambda x: x.prod(), np.zeros((2, 2), dtype=np.float32)),
    ("cumprod_one_zero", lambda x: x.cumprod(1), np.array([[1.5, 0.0, 2.0, 3.0], [3.0, -1.0, 0.5, 2.0]],
                                                          dtype=np.float32)),
    ("cumprod_two_zeros", lambda x: x.cumprod(0), np.array([[0.0, 1.0], [2.0, 0.0], [0.0, 3.0]], dtype=np.float32)),
    ("cumprod_first_zero", lambda x: x.cumprod(0), np.array([0.0, 2.0, 3.0, -1.0], dtype=np.float32)),
    ("cumprod_last_zero", lambda x: x.cumprod(0), np.array([2.0, 3.0, -1.0, 0.0], dtype=np.float32)),
]


@pytest.mark.parametrize("fn,arr", [z[1:] for z in ZEROS_PROD], ids=[z[0] for z in ZEROS_PROD])
def test_prod_cumprod_zeros(fn, arr, device):
    check(fn, shapes=[arr], device=device)


TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0], [5.0, 4.0, 5.0, 5.0]], dtype=np.float32)
TIE_CASES = [
    ("max", lambda x: x.max()), ("min", lambda x: x.min()), ("amax", lambda x: x.amax(1)),
    ("amin", lambda x: x.amin(0)), ("amax_all", lambda x: x.amax()), ("norm_inf", lambda x: x.norm(INF, dim=1)),
]


@pytest.mark.parametrize("fn", [t[1] for t in TIE_CASES], ids=[t[0] for t in TIE_CASES])
def test_reduce_ties(fn):
    # max/min/amax/amin over ties share the gradient equally among the tied elements
    check(fn, shapes=[TIES])


def test_max_dim_ties_first_index():
    # with ties, max(dim) returns the first index, like PyTorch on CPU
    check(lambda x: x.max(1), shapes=[TIES])
    check(lambda x: x.argmax(1), shapes=[TIES])
    check(lambda x: x.min(1), shapes=[TIES])
    check(lambda x: x.argmin(0), shapes=[TIES])


def test_reduce_nan():
    v = np.array([[1.0, np.nan, 2.0], [0.0, 1.0, -1.0]], dtype=np.float32)
    check(lambda x: x.sum(1), shapes=[v])
    check(lambda x: x.amax(1), shapes=[v], grad=False)
    check(lambda x: x.max(), shapes=[v], grad=False)
    check(lambda x: x.max(1), shapes=[v], grad=False)
    check(lambda x: x.argmax(1), shapes=[v], grad=False)


def test_softmax_large_values():
    v = np.array([[1000.0, 1000.0, -1000.0], [-1e4, 0.0, 1e4]], dtype=np.float32)
    check(lambda x: x.softmax(1), shapes=[v])
    check(lambda x: x.log_softmax(1), shapes=[v])
    check(lambda x: x.logsumexp(1), shapes=[v])


def test_logsumexp_inf():
    v = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 0.0]], dtype=np.float32)
    check(lambda x: x.logsumexp(1), shapes=[v], grad=False)


def test_reduce_empty():
    e = np.zeros((0, 3), dtype=np.float32)
    check(lambda x: x.sum(), shapes=[e])
    check(lambda x: x.sum(0), shapes=[e])
    check(lambda x: x.prod(0), shapes=[e])
    check(lambda x: x.mean(0), shapes=[e], grad=False)
    check(lambda x: x.amax(1), shapes=[e])
    check_raises(lambda x: x.max(), shapes=[e])
    check_raises(lambda x: x.max(0), shapes=[e])


def test_reduce_errors():
    check_raises(lambda x: x.sum(2), shapes=[(3, 4)], match="range")
    check_raises(lambda x: x.softmax(3), shapes=[(3, 4)])
    check_raises(lambda x: x.mean(), shapes=[(3, 4)], dtype="int64")


def test_var_single_element():
    # correction >= n gives nan (and inf/nan grads)
    check(lambda x: x.var(), shapes=[(1,)], grad=False)
    check(lambda x: x.std(0, correction=2), shapes=[(2, 3)], grad=False)


def test_norm_0():
    # the count of non-zeros: requires grad like in PyTorch (whose gradient is then undefined, ember's zero)
    v = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]], dtype=np.float32)
    check(lambda x: x.norm(0), shapes=[v], grad=False)
    check(lambda x: x.norm(0, dim=1), shapes=[v], grad=False)


F16 = np.array([[1000, 2000, 3000, 60000], [60000, 10000, -20000, 0.5]], dtype=np.float16)
F16_CASES = [
    ("sum", lambda x: x.sum()), ("sum_dim", lambda x: x.sum(1)), ("mean", lambda x: x.mean()),
    ("mean_dim", lambda x: x.mean(1)), ("cumsum", lambda x: x.cumsum(1)), ("prod_small", lambda x: (x / 1000).prod(1)),
    ("cumprod_small", lambda x: (x / 1000).cumprod(1)), ("var_small", lambda x: (x / 1000).var(1)),
    ("softmax", lambda x: (x / 10000).softmax(1)), ("logsumexp", lambda x: (x / 10000).logsumexp(1)),
    ("norm_small", lambda x: (x / 1000).norm(dim=1)),
]


@pytest.mark.parametrize("fn", [c[1] for c in F16_CASES], ids=[c[0] for c in F16_CASES])
def test_float16_accumulates_in_float32(fn):
    # PyTorch accumulates half precision in float: partial sums may exceed the float16 range
    check(fn, shapes=[F16], dtype="float16", grad_atol=1e-2, grad_rtol=1e-2)


EDGE = [
    ("cumsum_empty", lambda x: x.cumsum(0), [(0,)]), ("softmax_empty", lambda x: x.softmax(0), [(0, 3)]),
    ("log_softmax_empty", lambda x: x.log_softmax(1), [(0, 3)]), ("var_dim_empty", lambda x: x.var(0), [(0, 3)]),
    ("argmax_empty", lambda x: x.argmax(), [(0,)]), ("argmin_empty_dim", lambda x: x.argmin(0), [(0, 3)]),
    ("argmax_empty_other_dim", lambda x: x.argmax(1), [(0, 3)]), ("logsumexp_empty", lambda x: x.logsumexp(0), [(0, 3)]),
    ("amax_empty_dim", lambda x: x.amax(0), [(0, 3)]), ("amin_empty_other_dim", lambda x: x.amin(1), [(0, 3)]),
    ("all_empty", lambda x: (x > 0).all(), [(0,)]), ("any_empty", lambda x: (x > 0).any(), [(0,)]),
    ("prod_empty", lambda x: x.prod(), [(0,)]), ("norm_empty", lambda x: x.norm(), [(0,)]),
    ("max_dim_0d_keep", lambda x: x.max(0, keepdim=True), [()]), ("argmax_0d", lambda x: x.argmax(), [()]),
    ("sum_neg_zero", lambda x: x.sum(), [np.array([-0.0], np.float32)]),
    ("softmax_neg_inf_row", lambda x: x.softmax(1), [np.array([[-np.inf, 0.0], [-np.inf, -np.inf]], np.float32)]),
]


@pytest.mark.parametrize("fn,shapes", [e[1:] for e in EDGE], ids=[e[0] for e in EDGE])
def test_reduce_edge_cases(fn, shapes):
    check_like_torch(fn, shapes=shapes, grad=False)

"""Indexing, index_put (__setitem__), gather/scatter and masking against PyTorch, with gradients."""
import numpy as np
import pytest
import torch

import ember
from helpers import check, check_like_torch, check_raises, lib

# numpy's floating-point warnings (log(0), x/0) and PyTorch's deprecation notes are expected in edge cases
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")

I64 = np.int64


def idx(*v):
    """An int64 index array: idx(1, 2) or idx([[0, 1], [2, 0]])."""
    return np.array(v[0] if len(v) == 1 and isinstance(v[0], list) else v, dtype=I64)


GETITEM = [
    ("int", lambda x: x[1]), ("neg_int", lambda x: x[-1]), ("int_int", lambda x: x[1, 2]),
    ("int_neg", lambda x: x[-2, -1]), ("slice", lambda x: x[1:3]), ("slice_step", lambda x: x[::2]),
    ("slice_step3", lambda x: x[:, 1::3]), ("slice_neg", lambda x: x[-3:-1]), ("slice_empty", lambda x: x[3:1]),
    ("slice_over", lambda x: x[1:100]), ("slice_both", lambda x: x[1:, :-1]), ("none", lambda x: x[None]),
    ("none_mid", lambda x: x[:, None]), ("none_many", lambda x: x[None, 1, None]), ("ellipsis", lambda x: x[..., 1]),
    ("ellipsis_mid", lambda x: x[1, ..., 2]), ("ellipsis_none", lambda x: x[..., None]),
    ("ellipsis_only", lambda x: x[...]),
    ("list", lambda x: x[[0, 2]]), ("list_repeat", lambda x: x[[0, 0, 1, 0]]), ("list_neg", lambda x: x[[-1, 0]]),
    ("list_2d", lambda x: x[[[0, 1], [1, 0]]]), ("list_dim1", lambda x: x[:, [2, 0, 2]]),
    ("two_lists", lambda x: x[[0, 1, 1], [2, 0, 2]]), ("list_and_slice", lambda x: x[[1, 0], 1:3]),
    ("list_int", lambda x: x[[1, 0], 2]), ("list_of_tensors", lambda x: x[[lib(x).tensor([0, 2]), lib(x).tensor([1, 1])]]),
    ("list_with_slice", lambda x: x[[slice(None), 1]]), ("list_of_list_int", lambda x: x[[[0, 2], 1]]),
    ("list_long", lambda x: x[[0, 1, 2, 1, 0] * 7]),
    ("bool_row", lambda x: x[x.sum((1, 2)) > 0] if x.ndim == 3 else x[x.sum(1) > 0]),
    ("bool_full", lambda x: x[x > 0]), ("bool_scalar", lambda x: x[x > 100]),
    ("bool_list", lambda x: x[[True, False, True]]), ("bool_dim1", lambda x: x[:, lib(x).tensor([True, False, True, True])]),
    ("tensor_int", lambda x: x[lib(x).tensor([2, 0])]), ("tensor_int_2d", lambda x: x[lib(x).tensor([[0], [2]])]),
    ("tensor_0d", lambda x: x[lib(x).tensor(1)]), ("tensor_int32", lambda x: x[lib(x).tensor([1, 0], dtype=lib(x).int32)]),
    ("tensor_and_none", lambda x: x[None, lib(x).tensor([1, 0])]),
    ("chained", lambda x: x[1:][0][::2]),
]


@pytest.mark.parametrize("fn", [g[1] for g in GETITEM], ids=[g[0] for g in GETITEM])
def test_getitem(fn, device):
    check(fn, shapes=[(3, 4)], device=device)


@pytest.mark.parametrize("fn", [g[1] for g in GETITEM if g[0] not in ("bool_dim1", "list_2d")],
                         ids=[g[0] for g in GETITEM if g[0] not in ("bool_dim1", "list_2d")])
def test_getitem_3d(fn):
    check(fn, shapes=[(3, 4, 5)])


GETITEM_3D = [
    ("int_slice_step", lambda x: x[0, ::2, 1:]), ("lists_split", lambda x: x[[0, 1], :, [1, 0]]),
    ("list_none_list", lambda x: x[[0, 1], None, [1, 0]]), ("ellipsis_list", lambda x: x[..., [0, 0, 2]]),
    ("slice_list_slice", lambda x: x[1:, [3, 0], ::2]), ("bool_2d_mask", lambda x: x[x[..., 0] > 0]),
    ("int_list_int", lambda x: x[1, [0, 2], 3]),
]


@pytest.mark.parametrize("fn", [g[1] for g in GETITEM_3D], ids=[g[0] for g in GETITEM_3D])
def test_getitem_3d_only(fn, device):
    check(fn, shapes=[(3, 4, 5)], device=device)


@pytest.mark.parametrize("fn", [g[1] for g in GETITEM], ids=[g[0] for g in GETITEM])
def test_getitem_int(fn):
    check(fn, shapes=[(3, 4)], dtype="int64", low=-5, high=5)


def test_getitem_repeated_index_grad_accumulates():
    check(lambda x: x[[0, 0, 0, 2]] * lib(x).tensor([[1.0], [2.0], [3.0], [4.0]]), shapes=[(3, 2)])
    check(lambda x: x[[0, 1, 0], [1, 1, 1]], shapes=[(3, 2)])


def test_getitem_0d_and_1d():
    check(lambda x: x[...], shapes=[()])
    check(lambda x: x[None], shapes=[()])
    check(lambda x: x[3], shapes=[(5,)])
    check(lambda x: x[x > 0], shapes=[(5,)])


INDEX_ERRORS = [
    ("int", lambda x: x[3]), ("neg", lambda x: x[-4]), ("dim1", lambda x: x[0, 4]), ("too_many", lambda x: x[0, 0, 0]),
    ("list", lambda x: x[[0, 3]]), ("list_dim1", lambda x: x[:, [4]]), ("tensor", lambda x: x[lib(x).tensor([5])]),
    ("float_tensor", lambda x: x[lib(x).tensor([1.0])]), ("mask_shape", lambda x: x[lib(x).tensor([True, False])]),
    ("setitem", lambda x: x.__setitem__(5, 1.0)), ("setitem_list", lambda x: x.__setitem__([0, 9], 1.0)),
    ("neg_list", lambda x: x[[-4]]),
]


@pytest.mark.parametrize("fn", [e[1] for e in INDEX_ERRORS], ids=[e[0] for e in INDEX_ERRORS])
def test_index_errors(fn):
    check_raises(fn, shapes=[(3, 4)])


def test_index_error_message_names_dim_and_size():
    check_raises(lambda x: x[3], shapes=[(3, 4)], match="dimension 0 with size 3")
    check_raises(lambda x: x[:, 7], shapes=[(3, 4)], match="dimension 1 with size 4")
    check_raises(lambda x: x[0, -5], shapes=[(3, 4)], match="index -5 .*dimension 1 with size 4")
    check_raises(lambda x: x[[1, 3]], shapes=[(3, 4)], match="3 .*dimension 0 with size 3")


# --- __setitem__ ----------------------------------------------------------------------------------------

def _set(key, value_fn=None):
    """y = x * 1; y[key] = value (a scalar, or value_fn(y, *rest)); returns y."""
    def f(x, *rest):
        y = x * 1
        y[key] = value_fn(*rest) if value_fn is not None else 2.5
        return y
    return f


SETITEM = [
    ("int_scalar", _set(1), [(3, 4)]), ("slice_scalar", _set(slice(0, 2)), [(3, 4)]),
    ("step_scalar", _set((slice(None), slice(None, None, 2))), [(3, 4)]),
    ("ellipsis_scalar", _set((Ellipsis, 0)), [(3, 4)]), ("list_scalar", _set([0, 2]), [(3, 4)]),
    ("int_tensor", _set(0, lambda w: w), [(3, 4), (4,)]), ("int_tensor_bcast", _set(0, lambda w: w), [(3, 4), (1,)]),
    ("slice_tensor", _set(slice(1, 3), lambda w: w), [(3, 4), (2, 4)]),
    ("slice_tensor_bcast", _set(slice(1, 3), lambda w: w), [(3, 4), (4,)]),
    ("col_tensor", _set((slice(None), 1), lambda w: w), [(3, 4), (3,)]),
    ("list_tensor", _set([2, 0], lambda w: w), [(3, 4), (2, 4)]),
    ("two_lists_tensor", _set(([0, 2], [1, 3]), lambda w: w), [(3, 4), (2,)]),
    ("0d_tensor", _set((1, 1), lambda w: w), [(3, 4), ()]),
    ("none_tensor", _set((None, 0), lambda w: w), [(3, 4), (1, 4)]),
    ("elementwise", _set((2, 3), lambda w: w * 3), [(3, 4), ()]),
]


@pytest.mark.parametrize("fn,shapes", [s[1:] for s in SETITEM], ids=[s[0] for s in SETITEM])
def test_setitem(fn, shapes, device):
    check(fn, shapes=shapes, device=device)


def _set_mask(x, w):
    y = x * 1
    y[x > 0] = w
    return y


def _set_mask_values(x, w):
    y = x * 1
    m = x > 0
    y[m] = w[m]
    return y


def _set_twice(x, w):
    y = x * 1
    y[0] = w
    y[1] = w * 2
    y[0, 0] = 5.0
    return y


def _set_then_use(x, w):
    y = x.exp()
    y = y * 1
    y[1:] = w.sin()
    return (y * y).sum(0)


def _set_into_nonleaf_from_leaf(x, w):
    y = lib(x).zeros(3, 4)
    y[1] = w
    return y * x


def _set_leaf_no_grad(x, w):
    with lib(x).no_grad():
        x[0] = w
    return x * 2


@pytest.mark.parametrize("fn", [_set_mask, _set_mask_values, _set_twice, _set_then_use, _set_into_nonleaf_from_leaf,
                                _set_leaf_no_grad])
def test_setitem_composed(fn):
    shapes = [(3, 4), ()] if fn is _set_mask else [(3, 4), (3, 4)] if fn is _set_mask_values else [(3, 4), (4,)]
    check(fn, shapes=shapes)


def test_setitem_dtype_conversion():
    def f(x):
        x = x.clone()
        x[0] = 1.7        # float into int: truncated
        x[1] = True
        x[2, 0] = 2 ** 40 + 3  # wraps around like a cast
        return x
    check(f, shapes=[(3, 2)], dtype="int64", grad=False)

    def g(x, w):
        x = x.clone()
        x[1:] = w       # int tensor into a float tensor
        return x
    check(g, shapes=[(3, 2), (2,)], dtype=["float32", "int64"], grad=False)
    check(g, shapes=[(3, 2), (2,)], dtype=["int64", "float32"], grad=False)
    check(g, shapes=[(3, 2), (2,)], dtype=["uint8", "int64"], grad=False)


def test_setitem_errors():
    check_raises(lambda x, w: x.__setitem__(0, w), shapes=[(3, 4), (3,)])
    check_raises(lambda x: x.requires_grad_().__setitem__(0, 1.0), shapes=[(3, 4)], match="leaf")
    check_raises(lambda x, w: x.index_put_((lib(x).tensor([0]),), w), shapes=[(3, 4), (4,)], dtype=["int64", "float32"])


# --- gather / scatter / index_select / masked -------------------------------------------------------------

G = idx([[0, 2], [1, 1], [3, 0]])
GATHER = [
    ("gather1", lambda x, i: x.gather(1, i), [(3, 4), G]),
    ("gather0", lambda x, i: x.gather(0, i), [(4, 3), G]),
    ("gather_neg", lambda x, i: x.gather(-1, i), [(3, 4), G]),
    ("gather_lib", lambda x, i: lib(x).gather(x, 1, i), [(3, 4), G]),
    ("gather_small_index", lambda x, i: x.gather(1, i), [(3, 4), idx([[1], [0]])]),
    ("gather_1d", lambda x, i: x.gather(0, i), [(5,), idx(4, 0, 4, 1)]),
    ("scatter_src", lambda x, i, s: x.scatter(1, i, s), [(3, 4), idx([[0, 2], [1, 3], [3, 0]]), (3, 2)]),
    ("scatter_value", lambda x, i: x.scatter(1, i, 1.5), [(3, 4), G]),
    ("scatter0", lambda x, i, s: x.scatter(0, i, s), [(4, 3), idx([[0, 2, 1], [3, 0, 2]]), (2, 3)]),
    # (PyTorch can't backward into a src larger than index, so src comes from an int tensor here)
    ("scatter_big_src", lambda x, i, s: x.scatter(1, i, s.to(x.dtype)), [(3, 4), idx([[0], [2], [3]]),
                                                                          idx([[1, 2, 3]] * 3)]),
    ("scatter_int32_index", lambda x, i: x.scatter(1, i, -2.0), [(3, 4), np.array([[0], [3], [1]], dtype=np.int32)]),
    ("gather_int32_index", lambda x, i: x.gather(1, i), [(3, 4), np.array([[0], [3], [1]], dtype=np.int32)]),
    ("scatter_lib", lambda x, i, s: lib(x).scatter(x, 1, i, s), [(3, 4), idx([[0, 2], [1, 3], [3, 0]]), (3, 2)]),
    ("scatter_add", lambda x, i, s: x.scatter_add(1, i, s), [(3, 4), G, (3, 2)]),
    ("scatter_add_dup", lambda x, i, s: x.scatter_add(0, i, s), [(3, 2), idx([[0, 0], [0, 1], [2, 0]]), (3, 2)]),
    ("scatter_add_big_src", lambda x, i, s: x.scatter_add(1, i, s.to(x.dtype)), [(3, 4), idx([[1], [1], [3]]),
                                                                                  idx([[1, 2, 3, 4]] * 3)]),
    ("scatter_add_lib", lambda x, i, s: lib(x).scatter_add(x, 1, i, s), [(3, 4), G, (3, 2)]),
    ("index_select0", lambda x, i: x.index_select(0, i), [(3, 4), idx(2, 0, 2)]),
    ("index_select1", lambda x, i: x.index_select(1, i), [(3, 4), idx(3, 1)]),
    ("index_select_neg", lambda x, i: x.index_select(-1, i), [(2, 3, 4), idx(0, 0, 3)]),
    ("index_select_lib", lambda x, i: lib(x).index_select(x, 0, i), [(3, 4), idx(1)]),
    ("index_select_0d_idx", lambda x, i: x.index_select(0, i), [(3, 4), np.array(1, dtype=I64)]),
    ("index_add", lambda x, i, s: x.index_add(0, i, s), [(3, 4), idx(0, 2, 0), (3, 4)]),
    ("index_fill", lambda x, i: x.index_fill(1, i, -1.0), [(3, 4), idx(0, 2)]),
    ("take", lambda x, i: x.take(i), [(3, 4), idx([0, 5], [11, 5])]),
]


@pytest.mark.parametrize("fn,shapes", [g[1:] for g in GATHER], ids=[g[0] for g in GATHER])
def test_gather_scatter(fn, shapes, device):
    check(fn, shapes=shapes, device=device)


MASKED = [
    ("masked_fill", lambda x: x.masked_fill(x > 0, 0.5)),
    ("masked_fill_bcast", lambda x: x.masked_fill(lib(x).tensor([True, False, False, True]), -1.0)),
    ("masked_fill_0d", lambda x: x.masked_fill(x > 0, lib(x).tensor(2.0))),
    ("masked_fill_int_value", lambda x: x.masked_fill(x < 0, 3)),
    ("masked_fill_lib", lambda x: lib(x).masked_fill(x, x > 0.5, 0.0)),
    ("masked_select", lambda x: x.masked_select(x > 0)),
    ("masked_select_bcast", lambda x: x.masked_select(lib(x).tensor([True, False, True, True]))),
    ("masked_select_lib", lambda x: lib(x).masked_select(x, x < 0)),
    ("masked_fill_all", lambda x: x.masked_fill(x > -100, 1.0)),
]


@pytest.mark.parametrize("fn", [m[1] for m in MASKED], ids=[m[0] for m in MASKED])
def test_masked(fn, device):
    check(fn, shapes=[(3, 4)], device=device)


def test_masked_fill_tensor_value_grad():
    check(lambda x, v: x.masked_fill(x > 0, v), shapes=[(3, 4), ()])


@pytest.mark.parametrize("dtype", ["int64", "bool", "float64"])
def test_gather_masked_dtypes(dtype):
    check(lambda x, i: x.gather(1, i), shapes=[(3, 4), G], dtype=[dtype, "int64"])
    check(lambda x: x.masked_select(lib(x).tensor([True, False, True, True])), shapes=[(3, 4)], dtype=dtype)
    check(lambda x, i, s: x.scatter(1, i, s), shapes=[(3, 4), G, (3, 2)], dtype=[dtype, "int64", dtype])


def test_gather_scatter_errors():
    check_raises(lambda x, i: x.gather(1, i), shapes=[(3, 4), idx([[0, 4]])], match="4")
    check_raises(lambda x, i: x.gather(1, i), shapes=[(3, 4), idx(0, 1)])
    check_raises(lambda x, i: x.gather(1, i), shapes=[(3, 4), np.array([[0, 1]], dtype=np.int16)])
    check_raises(lambda x, i: x.index_select(0, i), shapes=[(3, 4), idx(3)])
    check_raises(lambda x, i: x.scatter(1, i, 1.0), shapes=[(3, 4), idx([[9]])])
    check_raises(lambda x: x.masked_fill(x, 1.0), shapes=[(3, 4)])


def test_nonzero_where_single():
    v = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, -1.0]], dtype=np.float32)
    check(lambda x: x.nonzero(), shapes=[v], grad=False)
    check(lambda x: x.nonzero(as_tuple=True), shapes=[v], grad=False)
    check(lambda x: lib(x).where(x != 0), shapes=[v], grad=False)
    check(lambda x: x.argwhere(), shapes=[v], grad=False)


def test_index_put_accumulate():
    check(lambda x, v: x.index_put((lib(x).tensor([0, 0, 2]),), v, accumulate=True), shapes=[(3, 2), (3, 2)])
    check(lambda x, v: x.index_put((lib(x).tensor([0, 2]),), v), shapes=[(3, 2), (2, 2)])


def test_index_add_errors_and_int():
    check(lambda x, i, s: x.index_add(0, i, s), shapes=[(3, 4), idx(0, 2, 0), (3, 4)], dtype=["int64", "int64", "int64"])


def test_select_scatter_like_with_storage():
    for mod in (torch, ember):
        x = mod.zeros(3, 4)
        x[1, ::2] = 1.0
        x[..., -1] = mod.tensor([7.0, 8.0, 9.0])
        assert x.tolist() == [[0, 0, 0, 7], [1, 0, 1, 8], [0, 0, 0, 9]]


EDGE = [
    ("bool_0d_index_true", lambda x: x[lib(x).tensor(True)], [(2, 3)]), ("bool_py_true", lambda x: x[True], [(2, 3)]),
    ("bool_py_false", lambda x: x[False], [(2, 3)]), ("none_none", lambda x: x[None, None], [(2,)]),
    ("uint8_mask", lambda x: x[lib(x).tensor([1, 0], dtype=lib(x).uint8)], [(2, 3)]),
    ("tensor_and_list", lambda x: x[lib(x).tensor([0, 1]), [2, 0]], [(2, 3)]),
    ("index_2d_tensor", lambda x: x[lib(x).tensor([[0, 1], [1, 1]])], [(2, 3)]),
    ("slice_then_tensor", lambda x: x[1:, lib(x).tensor([0, 2])], [(3, 3)]),
    ("index_select_int32", lambda x: x.index_select(1, lib(x).tensor([2, 0], dtype=lib(x).int32)), [(2, 3)]),
    ("index_select_0d_input", lambda x: x.index_select(0, lib(x).tensor([0])), [()]),
    ("index_select_0d_input_err", lambda x: x.index_select(0, lib(x).tensor([0, 0])), [()]),
    ("masked_fill_0d_mask", lambda x: x.masked_fill(lib(x).tensor(True), 1.0), [(2, 3)]),
    ("take_neg", lambda x: x.take(lib(x).tensor([-1, 0])), [(2, 3)]), ("gather_0d", lambda x: x.gather(0, lib(x).tensor(0)), [()]),
    ("scatter_0d", lambda x: x.scatter(0, lib(x).tensor(0), 2.0), [()]), ("negative_step", lambda x: x[::-1], [(3,)]),
]


@pytest.mark.parametrize("fn,shapes", [e[1:] for e in EDGE], ids=[e[0] for e in EDGE])
def test_index_edge_cases(fn, shapes):
    check_like_torch(fn, shapes=shapes)

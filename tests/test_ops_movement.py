"""Shape and movement ops against PyTorch: values, shapes, dtypes, view semantics and gradients."""
import numpy as np
import pytest
import torch

import ember
from helpers import check, check_like_torch, check_raises, lib

# numpy's floating-point warnings (log(0), x/0) and PyTorch's deprecation notes are expected in edge cases
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")

MOVEMENT = [
    ("view", lambda x: x.view(4, 3), (3, 4)), ("view_neg", lambda x: x.view(-1), (3, 4)),
    ("view_tuple", lambda x: x.view((2, -1, 2)), (3, 4)), ("view_0d", lambda x: x.view(1, 1), ()),
    ("view_as", lambda x: x.view_as(x.t().contiguous()), (3, 4)),
    ("reshape", lambda x: x.reshape(2, 6), (3, 4)), ("reshape_neg", lambda x: x.reshape(-1, 2), (3, 4)),
    ("reshape_T", lambda x: x.t().reshape(-1), (3, 4)), ("reshape_0d", lambda x: x.reshape(()), (1,)),
    ("reshape_lib", lambda x: lib(x).reshape(x, (4, 3)), (3, 4)),
    ("flatten", lambda x: x.flatten(), (2, 3, 4)), ("flatten_1", lambda x: x.flatten(1), (2, 3, 4)),
    ("flatten_0_1", lambda x: x.flatten(0, 1), (2, 3, 4)), ("flatten_0d", lambda x: x.flatten(), ()),
    ("flatten_neg", lambda x: x.flatten(-2, -1), (2, 3, 4)),
    ("unflatten", lambda x: x.unflatten(1, (2, 2)), (3, 4)), ("unflatten_neg", lambda x: x.unflatten(-1, (-1, 2)), (3, 4)),
    ("squeeze", lambda x: x.squeeze(), (1, 3, 1, 4)), ("squeeze_dim", lambda x: x.squeeze(0), (1, 3, 1, 4)),
    ("squeeze_noop", lambda x: x.squeeze(1), (1, 3, 1, 4)), ("squeeze_neg", lambda x: x.squeeze(-2), (1, 3, 1, 4)),
    ("squeeze_tuple", lambda x: x.squeeze((0, 2)), (1, 3, 1, 4)),
    ("unsqueeze", lambda x: x.unsqueeze(0), (3, 4)), ("unsqueeze_mid", lambda x: x.unsqueeze(1), (3, 4)),
    ("unsqueeze_neg", lambda x: x.unsqueeze(-1), (3, 4)), ("unsqueeze_0d", lambda x: x.unsqueeze(0), ()),
    ("t", lambda x: x.t(), (3, 4)), ("t_1d", lambda x: x.t(), (3,)), ("T", lambda x: x.T, (3, 4)),
    ("mT", lambda x: x.mT, (2, 3, 4)),
    ("transpose", lambda x: x.transpose(0, 1), (3, 4)), ("transpose_neg", lambda x: x.transpose(-1, 0), (2, 3, 4)),
    ("swapaxes", lambda x: x.swapaxes(1, 2), (2, 3, 4)),
    ("permute", lambda x: x.permute(2, 0, 1), (2, 3, 4)), ("permute_tuple", lambda x: x.permute((1, 2, 0)), (2, 3, 4)),
    ("permute_neg", lambda x: x.permute(-1, -3, -2), (2, 3, 4)), ("movedim", lambda x: x.movedim(0, -1), (2, 3, 4)),
    ("expand", lambda x: x.expand(3, 4), (1, 4)), ("expand_neg", lambda x: x.expand(2, -1, 4), (3, 1)),
    ("expand_new_dims", lambda x: x.expand(2, 3, 4), (4,)), ("expand_0d", lambda x: x.expand(3, 2), ()),
    ("expand_as", lambda x: x.expand_as(lib(x).ones(2, 3, 4)), (3, 1)),
    ("broadcast_to", lambda x: x.broadcast_to((2, 3)), (3,)),
    ("repeat", lambda x: x.repeat(2, 3), (3, 4)), ("repeat_new", lambda x: x.repeat(2, 1, 2), (3, 4)),
    ("repeat_1", lambda x: x.repeat(1, 1), (3, 4)), ("repeat_0d", lambda x: x.repeat(3), ()),
    ("tile", lambda x: x.tile((2,)), (3, 4)), ("tile_more", lambda x: x.tile((2, 1, 3)), (3, 4)),
    ("flip", lambda x: x.flip(0), (3, 4)), ("flip_both", lambda x: x.flip((0, 1)), (3, 4)),
    ("flip_neg", lambda x: x.flip(-1), (2, 3, 4)), ("fliplr", lambda x: x.fliplr(), (3, 4)),
    ("roll", lambda x: x.roll(1, 0), (3, 4)), ("roll_neg", lambda x: x.roll(-2, 1), (3, 4)),
    ("roll_flat", lambda x: x.roll(5), (3, 4)), ("roll_multi", lambda x: x.roll((1, 2), (0, 1)), (3, 4)),
    ("roll_big", lambda x: x.roll(7, -1), (3, 4)),
    ("narrow", lambda x: x.narrow(1, 1, 2), (3, 4)), ("narrow_neg", lambda x: x.narrow(-1, -3, 2), (3, 4)),
    ("narrow_0", lambda x: x.narrow(0, 0, 1), (3, 4)),
    ("select", lambda x: x.select(1, 2), (3, 4)),
    ("tril", lambda x: x.tril(), (4, 4)), ("tril_k", lambda x: x.tril(1), (3, 4)), ("tril_neg", lambda x: x.tril(-1), (4, 3)),
    ("triu", lambda x: x.triu(), (4, 4)), ("triu_k", lambda x: x.triu(2), (3, 4)), ("triu_neg", lambda x: x.triu(-1), (4, 3)),
    ("tril_batch", lambda x: x.tril(), (2, 3, 3)), ("triu_batch", lambda x: x.triu(1), (2, 3, 4)),
    ("diag_vec", lambda x: x.diag(), (3,)), ("diag_vec_k", lambda x: x.diag(1), (3,)),
    ("diag_vec_neg", lambda x: x.diag(-2), (3,)), ("diag_mat", lambda x: x.diag(), (3, 3)),
    ("diag_mat_k", lambda x: x.diag(1), (3, 4)), ("diag_mat_neg", lambda x: x.diag(-1), (4, 3)),
    ("diag_lib", lambda x: lib(x).diag(x), (3, 4)), ("diagonal", lambda x: x.diagonal(), (3, 4)),
    ("diagonal_batch", lambda x: x.diagonal(0, 1, 2), (2, 3, 3)), ("trace", lambda x: x.trace(), (3, 3)),
    ("diagonal_off", lambda x: x.diagonal(1), (3, 4)), ("diagonal_neg", lambda x: x.diagonal(-1, 0, 2), (3, 2, 4)),
    ("diagonal_dims", lambda x: x.diagonal(0, -1, 0), (3, 2, 4)), ("diagonal_empty", lambda x: x.diagonal(5), (3, 4)),
    ("diagonal_lib", lambda x: lib(x).diagonal(x, 0, 1, 2), (2, 3, 4)),
    ("contiguous", lambda x: x.t().contiguous(), (3, 4)), ("clone", lambda x: x.clone(), (3, 4)),
    ("detach", lambda x: x.detach(), (3, 4)),
]


@pytest.mark.parametrize("fn,shape", [m[1:] for m in MOVEMENT], ids=[m[0] for m in MOVEMENT])
def test_movement(fn, shape, device):
    check(fn, shapes=[shape], device=device)


@pytest.mark.parametrize("fn,shape", [m[1:] for m in MOVEMENT], ids=[m[0] for m in MOVEMENT])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_movement_dtypes(fn, shape, dtype):
    if fn is MOVEMENT[[m[0] for m in MOVEMENT].index("trace")][1] and dtype == "bool":
        pytest.skip("PyTorch: trace not implemented for bool")
    check(fn, shapes=[shape], dtype=dtype, low=-5, high=5)


# --- ops over several tensors ------------------------------------------------------------------------

MULTI = [
    ("cat0", lambda x, y: lib(x).cat([x, y]), [(2, 3), (4, 3)]),
    ("cat1", lambda x, y: lib(x).cat([x, y], 1), [(2, 3), (2, 5)]),
    ("cat_neg", lambda x, y: lib(x).cat((x, y), -1), [(2, 3, 1), (2, 3, 2)]),
    ("cat_three", lambda x, y, z: lib(x).cat([x, y, z], 0), [(1, 3), (2, 3), (3, 3)]),
    ("cat_same", lambda x: lib(x).cat([x, x, x], 1), [(2, 3)]),
    ("cat_empty_1d", lambda x: lib(x).cat([x, lib(x).tensor([])]), [(3,)]),
    ("concat", lambda x, y: lib(x).concat([x, y]), [(2,), (3,)]),
    ("cat_dtypes", lambda x, y: lib(x).cat([x, y]), [(2,), (3,)], ["float32", "float64"]),
    ("cat_int_float", lambda x, y: lib(x).cat([x, y]), [(2,), (3,)], ["int64", "float32"]),
    ("stack", lambda x, y: lib(x).stack([x, y]), [(2, 3), (2, 3)]),
    ("stack1", lambda x, y: lib(x).stack([x, y], 1), [(2, 3), (2, 3)]),
    ("stack_neg", lambda x, y: lib(x).stack((x, y), -1), [(2, 3), (2, 3)]),
    ("stack_0d", lambda x, y: lib(x).stack([x, y]), [(), ()]),
    ("stack_same", lambda x: lib(x).stack([x, x * 2]), [(4,)]),
    ("broadcast_tensors", lambda x, y: lib(x).broadcast_tensors(x, y), [(3, 1), (1, 4)]),
]


@pytest.mark.parametrize("args", [m[1:] for m in MULTI], ids=[m[0] for m in MULTI])
def test_multi(args, device):
    fn, shapes, *dt = args
    check(fn, shapes=shapes, dtype=dt[0] if dt else "float32", device=device)


SPLITS = [
    ("split_int", lambda x: x.split(2), (5, 3)), ("split_int_dim", lambda x: x.split(2, 1), (3, 5)),
    ("split_sizes", lambda x: x.split([1, 3, 1]), (5, 3)), ("split_sizes_dim", lambda x: x.split([2, 3], -1), (3, 5)),
    ("split_big", lambda x: x.split(10), (5, 3)), ("split_lib", lambda x: lib(x).split(x, 2, 1), (3, 4)),
    ("split_zero", lambda x: x.split([2, 0, 3]), (5, 2)),
    ("chunk", lambda x: x.chunk(2), (5, 3)), ("chunk_3", lambda x: x.chunk(3, 1), (2, 6)),
    ("chunk_uneven", lambda x: x.chunk(4, 1), (2, 5)), ("chunk_more", lambda x: x.chunk(6), (4, 2)),
    ("chunk_lib", lambda x: lib(x).chunk(x, 2, -1), (2, 4)),
    ("unbind", lambda x: x.unbind(), (3, 4)), ("unbind_1", lambda x: x.unbind(1), (3, 4)),
    ("unbind_lib", lambda x: lib(x).unbind(x, -1), (2, 3)), ("iter", lambda x: list(x), (3, 2)),
    ("tensor_split", lambda x: x.tensor_split(3), (7, 2)),
    ("tensor_split_idx", lambda x: x.tensor_split([1, 4]), (7, 2)),
    ("split_partial_use", lambda x: x.split(2)[1], (5, 3)), ("unbind_partial", lambda x: x.unbind(1)[0], (3, 4)),
]


@pytest.mark.parametrize("fn,shape", [m[1:] for m in SPLITS], ids=[m[0] for m in SPLITS])
def test_split(fn, shape, device):
    check(fn, shapes=[shape], device=device)


# --- view semantics --------------------------------------------------------------------------------------

VIEWS = [
    ("view", lambda x: x.view(-1)), ("reshape", lambda x: x.reshape(6, 2)), ("t", lambda x: x.t()),
    ("transpose", lambda x: x.transpose(0, 1)), ("permute", lambda x: x.permute(1, 0)),
    ("unsqueeze", lambda x: x.unsqueeze(0)), ("squeeze", lambda x: x.squeeze()), ("expand", lambda x: x[None].expand(2, 3, 4)),
    ("narrow", lambda x: x.narrow(1, 1, 2)), ("select", lambda x: x.select(0, 1)), ("slice", lambda x: x[1:, ::2]),
    ("split", lambda x: x.split(2, 1)[1]), ("unbind", lambda x: x.unbind(0)[1]), ("chunk", lambda x: x.chunk(2)[0]),
    ("flatten", lambda x: x.flatten()), ("diagonal", lambda x: x.diagonal()), ("T", lambda x: x.T),
]


@pytest.mark.parametrize("fn", [v[1] for v in VIEWS], ids=[v[0] for v in VIEWS])
def test_views_share_memory(fn):
    for mod in (torch, ember):
        x = mod.zeros(3, 4)
        v = fn(x)
        x.add_(1)  # an in-place change of the base shows in the view...
        assert v.sum().item() == v.numel(), f"{mod.__name__}: view does not see the base's update"
        assert v._version == x._version, f"{mod.__name__}: view and base don't share a version counter"


def test_reshape_copy_when_needed():
    for mod in (torch, ember):
        x = mod.zeros(3, 4)
        y = x.t().reshape(-1)  # not viewable: a copy
        x.add_(1)
        assert y.sum().item() == 0


# --- errors ---------------------------------------------------------------------------------------------

def test_movement_errors():
    check_raises(lambda x: x.view(5, 3), shapes=[(3, 4)], match=r"\[5, 3\].*12")
    check_raises(lambda x: x.reshape(-1, -1), shapes=[(3, 4)])
    check_raises(lambda x: x.t().view(-1), shapes=[(3, 4)], match="view")
    check_raises(lambda x: x.permute(0, 1), shapes=[(2, 3, 4)])
    check_raises(lambda x: x.permute(0, 0, 1), shapes=[(2, 3, 4)])
    check_raises(lambda x: x.transpose(0, 3), shapes=[(2, 3, 4)])
    check_raises(lambda x: x.squeeze(3), shapes=[(2, 3, 4)])
    check_raises(lambda x: x.unsqueeze(4), shapes=[(2, 3, 4)])
    check_raises(lambda x: x.expand(3, 5), shapes=[(3, 4)], match="4")
    check_raises(lambda x: x.expand(4), shapes=[(3, 4)])
    check_raises(lambda x: x.repeat(2), shapes=[(3, 4)])
    check_raises(lambda x: x.t(), shapes=[(2, 3, 4)])
    check_raises(lambda x: x.narrow(1, 3, 2), shapes=[(3, 4)], match="exceeds")
    check_raises(lambda x: x.narrow(1, 5, 1), shapes=[(3, 4)], match="range")
    check_raises(lambda x: x.narrow(1, -5, 1), shapes=[(3, 4)])
    check_raises(lambda x: x.narrow(1, 1, -1), shapes=[(3, 4)])
    check_raises(lambda x: x.flatten(2, 1), shapes=[(2, 3, 4)])
    check_raises(lambda x: x.split([1, 1]), shapes=[(3, 4)])
    check_raises(lambda x: x.diag(), shapes=[(2, 3, 4)])
    check_raises(lambda x: x.flip(3), shapes=[(2, 3, 4)])


def test_cat_stack_errors():
    check_raises(lambda x, y: lib(x).cat([x, y]), shapes=[(2, 3), (2, 4)], match="3.*4|4.*3")
    check_raises(lambda x, y: lib(x).cat([x, y]), shapes=[(2, 3), (3,)])
    check_raises(lambda x, y: lib(x).stack([x, y]), shapes=[(2, 3), (3, 2)], match=r"\[2, 3\].*\[3, 2\]")
    check_raises(lambda x, y: lib(x).cat([x, y], 2), shapes=[(2, 3), (2, 3)])
    check_raises(lambda x: lib(x).cat([]), shapes=[(2,)])
    check_raises(lambda x: lib(x).stack([]), shapes=[(2,)])


def test_view_dtype_reinterpret():
    check(lambda x: x.view(lib(x).int32), shapes=[np.array([1.0, -2.0], dtype=np.float32)], grad=False)


def test_write_through_diagonal_view():
    def f(x):
        x = x.clone()
        x.diagonal().fill_(7.0)
        x.diagonal(1).mul_(0)
        return x
    check(f, shapes=[(3, 4)], grad=False)


EDGE = [
    ("repeat_zero", lambda x: x.repeat(0, 2), [(2, 3)]), ("tile_zero", lambda x: x.tile((2, 0)), [(2, 3)]),
    ("flip_no_dims", lambda x: x.flip(()), [(2, 3)]), ("roll_neg_dim", lambda x: x.roll(-1, -2), [(2, 3)]),
    ("roll_0d", lambda x: x.roll(1), [()]), ("roll_tuple_single", lambda x: x.roll((1,), (1,)), [(2, 3)]),
    ("squeeze_0d", lambda x: x.squeeze(), [()]), ("squeeze_0d_dim", lambda x: x.squeeze(0), [()]),
    ("unsqueeze_neg_0d", lambda x: x.unsqueeze(-1), [()]), ("transpose_0d", lambda x: x.transpose(0, -1), [()]),
    ("permute_0d", lambda x: x.permute(()), [()]), ("flatten_1d_range", lambda x: x.flatten(0, 0), [(3,)]),
    ("view_neg_empty", lambda x: x.view(-1, 0), [(0, 3)]), ("reshape_empty", lambda x: x.reshape(3, 0), [(0, 3)]),
    ("expand_to_0", lambda x: x.expand(0, 3), [(1, 3)]), ("chunk_empty", lambda x: x.chunk(2), [(0, 3)]),
    ("chunk_zero", lambda x: x.chunk(0), [(2, 3)]), ("split_empty", lambda x: x.split(2), [(0, 3)]),
    ("tril_1d", lambda x: x.tril(), [(3,)]), ("triu_1d", lambda x: x.triu(), [(3,)]), ("diag_empty", lambda x: x.diag(), [(0,)]),
    ("diagonal_same_dims", lambda x: x.diagonal(0, 1, 1), [(2, 3)]),
    ("stack_mixed_dtype", lambda x, y: lib(x).stack([x, y]), [np.ones(3, np.float32), np.arange(3)]),
    ("cat_bool_int", lambda x, y: lib(x).cat([x > 0, y]), [(3,), np.arange(3)]),
]


@pytest.mark.parametrize("fn,shapes", [e[1:] for e in EDGE], ids=[e[0] for e in EDGE])
def test_movement_edge_cases(fn, shapes):
    check_like_torch(fn, shapes=shapes)

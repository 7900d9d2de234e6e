"""Matrix products and einsum against PyTorch: values, shapes, dtypes, gradients and error messages."""
import numpy as np
import pytest

from helpers import check, check_like_torch, check_raises, lib

# numpy's floating-point warnings (log(0), x/0) and PyTorch's deprecation notes are expected in edge cases
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")

MATMUL = [
    ("1d_1d", lambda a, b: a @ b, [(4,), (4,)]), ("1d_2d", lambda a, b: a @ b, [(3,), (3, 5)]),
    ("2d_1d", lambda a, b: a @ b, [(2, 3), (3,)]), ("2d_2d", lambda a, b: a @ b, [(2, 3), (3, 4)]),
    ("3d_3d", lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)]), ("3d_2d", lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    ("2d_3d", lambda a, b: a @ b, [(3, 4), (2, 4, 5)]), ("3d_1d", lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    ("1d_3d", lambda a, b: a @ b, [(3,), (2, 3, 4)]), ("bcast_batch", lambda a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)]),
    ("bcast_batch1", lambda a, b: a @ b, [(1, 3, 4), (6, 4, 2)]), ("4d_4d", lambda a, b: a @ b, [(2, 2, 3, 4), (2, 2, 4, 1)]),
    ("matmul_method", lambda a, b: a.matmul(b), [(2, 3), (3, 4)]),
    ("matmul_lib", lambda a, b: lib(a).matmul(a, b), [(2, 3, 4), (4, 2)]),
    ("mm", lambda a, b: a.mm(b), [(2, 3), (3, 4)]), ("mm_lib", lambda a, b: lib(a).mm(a, b), [(5, 3), (3, 1)]),
    ("mm_T", lambda a, b: a.t().mm(b.t()), [(3, 2), (4, 3)]),
    ("bmm", lambda a, b: a.bmm(b), [(2, 3, 4), (2, 4, 5)]), ("bmm_lib", lambda a, b: lib(a).bmm(a, b), [(3, 1, 2), (3, 2, 2)]),
    ("mv", lambda a, b: a.mv(b), [(3, 4), (4,)]), ("mv_lib", lambda a, b: lib(a).mv(a, b), [(1, 4), (4,)]),
    ("dot", lambda a, b: a.dot(b), [(5,), (5,)]), ("dot_lib", lambda a, b: lib(a).dot(a, b), [(3,), (3,)]),
    ("inner", lambda a, b: a.inner(b), [(5,), (5,)]),
    ("outer", lambda a, b: a.outer(b), [(3,), (4,)]), ("outer_lib", lambda a, b: lib(a).outer(a, b), [(1,), (4,)]),
    ("ger", lambda a, b: a.ger(b), [(3,), (2,)]),
    ("same_input", lambda a: a @ a.t(), [(3, 4)]), ("addmm", lambda c, a, b: c.addmm(a, b), [(2, 4), (2, 3), (3, 4)]),
    ("addmm_scaled", lambda c, a, b: lib(c).addmm(c, a, b, beta=0.5, alpha=2.0), [(4,), (2, 3), (3, 4)]),
    ("empty_inner", lambda a, b: a @ b, [(2, 0), (0, 3)]),
]


@pytest.mark.parametrize("fn,shapes", [m[1:] for m in MATMUL], ids=[m[0] for m in MATMUL])
def test_matmul(fn, shapes, device):
    check(fn, shapes=shapes, device=device)


@pytest.mark.parametrize("fn,shapes", [m[1:] for m in MATMUL[:20]], ids=[m[0] for m in MATMUL[:20]])
@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_matmul_dtypes(fn, shapes, dtype):
    check(fn, shapes=shapes, dtype=dtype, low=-3, high=3)


EINSUM = [
    ("matmul", "ij,jk->ik", [(2, 3), (3, 4)]), ("implicit", "ij,jk", [(2, 3), (3, 4)]),
    ("trace", "ii->", [(3, 3)]), ("trace_implicit", "ii", [(3, 3)]), ("diag", "ii->i", [(3, 3)]),
    ("batch", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("transpose", "ij->ji", [(2, 3)]), ("sum", "ij->", [(2, 3)]),
    ("row_sum", "ij->i", [(2, 3)]), ("outer", "i,j->ij", [(3,), (4,)]), ("dot", "i,i->", [(4,), (4,)]),
    ("hadamard", "ij,ij->ij", [(2, 3), (2, 3)]), ("bilinear", "i,ij,j->", [(3,), (3, 4), (4,)]),
    ("three_ops", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("ellipsis", "...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("ellipsis_bcast", "...ij,jk->...ik", [(2, 2, 3, 4), (4, 5)]), ("ellipsis_sum", "...i->...", [(2, 3, 4)]),
    ("ellipsis_front", "i...->...", [(3, 2, 4)]), ("batch_diag", "bii->bi", [(2, 3, 3)]),
    ("batch_trace", "bii->b", [(2, 3, 3)]), ("mv", "ij,j->i", [(3, 4), (4,)]), ("attention", "bhqd,bhkd->bhqk",
                                                                            [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("spaces", "ij, jk -> ik", [(2, 3), (3, 4)]), ("repeated_out_of_diag", "iij->ij", [(3, 3, 2)]),
    ("broadcast_sum", "ij,k->ijk", [(2, 3), (4,)]), ("permute3", "abc->cab", [(2, 3, 4)]),
    ("uppercase", "Ab,bC->AC", [(2, 3), (3, 4)]), ("implicit_ellipsis", "...ij,...jk", [(2, 3, 4), (2, 4, 5)]),
    ("implicit_upper", "bA,Ac", [(2, 3), (3, 4)]), ("implicit_ellipsis_only", "...", [(2, 3)]),
]


@pytest.mark.parametrize("eq,shapes", [e[1:] for e in EINSUM], ids=[e[0] for e in EINSUM])
def test_einsum(eq, shapes, device):
    check(lambda *ops: lib(ops[0]).einsum(eq, *ops), shapes=shapes, device=device)


def test_einsum_list_operands():
    check(lambda a, b: lib(a).einsum("ij,jk->ik", [a, b]), shapes=[(2, 3), (3, 4)])


def test_einsum_int():
    check(lambda a, b: lib(a).einsum("ij,jk->ik", a, b), shapes=[(2, 3), (3, 4)], dtype="int64", low=-3, high=3)


MATMUL_ERRORS = [
    ("mm_inner", lambda a, b: a.mm(b), [(64, 1000), (100, 10)], r"\(64, 1000\).*\(100, 10\).*1000 != 100"),
    ("matmul_inner", lambda a, b: a @ b, [(2, 3), (4, 5)], r"\(2, 3\).*\(4, 5\)"),
    ("matmul_1d", lambda a, b: a @ b, [(3,), (4,)], None),
    ("matmul_batch", lambda a, b: a @ b, [(2, 3, 4), (3, 4, 5)], r"\(2, 3, 4\).*\(3, 4, 5\)"),
    ("matmul_0d", lambda a, b: a @ b, [(), (3,)], None),
    ("mm_1d", lambda a, b: a.mm(b), [(3,), (3, 4)], None),
    ("bmm_batch", lambda a, b: a.bmm(b), [(2, 3, 4), (3, 4, 5)], None),
    ("bmm_inner", lambda a, b: a.bmm(b), [(2, 3, 4), (2, 3, 5)], r"\(2, 3, 4\).*\(2, 3, 5\)"),
    ("bmm_2d", lambda a, b: a.bmm(b), [(3, 4), (4, 5)], None),
    ("mv", lambda a, b: a.mv(b), [(3, 4), (5,)], r"\(3, 4\).*\(5,\)"),
    ("dot_size", lambda a, b: a.dot(b), [(3,), (4,)], None),
    ("dot_2d", lambda a, b: a.dot(b), [(3, 1), (3,)], None),
    ("einsum_ops", lambda a, b: lib(a).einsum("ij->i", a, b), [(2, 3), (3,)], None),
    ("einsum_dims", lambda a: lib(a).einsum("ijk->i", a), [(2, 3)], None),
    ("einsum_size", lambda a, b: lib(a).einsum("ij,jk->ik", a, b), [(2, 3), (4, 5)], None),
]


@pytest.mark.parametrize("fn,shapes,match", [m[1:] for m in MATMUL_ERRORS], ids=[m[0] for m in MATMUL_ERRORS])
def test_matmul_errors(fn, shapes, match):
    check_raises(fn, shapes=shapes, match=match)


def test_mm_dtype_mismatch():
    check_raises(lambda a, b: a.mm(b), shapes=[(2, 3), (3, 4)], dtype=["float32", "float64"], match="float")
    check_raises(lambda a, b: a @ b, shapes=[(2, 3), (3, 4)], dtype=["float32", "int64"])


EDGE = [
    ("matmul_f16", lambda x, y: x @ y, [np.ones((2, 3), np.float16), np.ones((3, 2), np.float16)]),
    ("dot_mixed", lambda x, y: x.dot(y), [np.ones(3), np.arange(3)]),
    ("einsum_repeated_output", lambda x: lib(x).einsum("ij->ii", x), [(2, 2)]),
    ("einsum_size1_broadcast", lambda x, y: lib(x).einsum("ij,ij->ij", x, y), [(2, 3), (1, 3)]),
    ("einsum_size1_contract", lambda x, y: lib(x).einsum("ij,jk->ik", x, y), [(2, 1), (3, 4)]),
]


@pytest.mark.parametrize("fn,shapes", [e[1:] for e in EDGE], ids=[e[0] for e in EDGE])
def test_linalg_edge_cases(fn, shapes):
    check_like_torch(fn, shapes=shapes)

"""backend.scatter_add's CUDA branch, run on the CPU through a numpy stand-in for CuPy whose
``add.at`` accepts only the dtypes CUDA's atomicAdd covers (as CuPy's does)."""
import types

import numpy as np
import pytest

from ember.backend import _CUDA_ATOMIC_ADD, scatter_add


class _AtomicOnlyAdd:
    @staticmethod
    def at(target, index, values):
        if target.dtype not in _CUDA_ATOMIC_ADD:
            raise TypeError(f"add.at: no atomicAdd for {target.dtype}")
        np.add.at(target, index, values)


FAKE_CUPY = types.SimpleNamespace(add=_AtomicOnlyAdd, asarray=np.asarray)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64",
                                   "uint8", "bool"])
def test_cuda_branch_equals_numpy_add_at(dtype):
    rng = np.random.default_rng(0)
    index = np.array([0, 3, 3, 1, 0, 3])
    if dtype == "bool":
        target = rng.random(5) < 0.3
        values = rng.random(6) < 0.5
    elif dtype.startswith("float"):
        target = rng.standard_normal(5).astype(dtype)
        values = rng.standard_normal(6).astype(dtype)
    else:  # values near the type's limits: the accumulation must wrap like numpy's
        info = np.iinfo(dtype)
        target = rng.integers(info.max - 3, info.max, 5, endpoint=True).astype(dtype)
        values = rng.integers(0, min(info.max, 100), 6).astype(dtype)
    expected = target.copy()
    np.add.at(expected, index, values)
    got = target.copy()
    scatter_add(FAKE_CUPY, got, index, values)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=2e-3)
    if dtype != "float16":
        np.testing.assert_array_equal(got, expected)

"""Array backends: numpy for the CPU, CuPy for CUDA.

Every op reaches its array library through :func:`xp_for` so that one code path
serves both devices. The few places where numpy and CuPy disagree live here.
"""
from contextlib import nullcontext as _nullcontext

import numpy as np

_cupy = None
_cupy_error = None


def cupy_module():
    """Return the cupy module, or raise a RuntimeError saying how to get it."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy  # noqa: F401
            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no CUDA device found")
            _cupy = cupy
        except Exception as e:  # ImportError, or CUDA driver missing
            _cupy_error = e
        if _cupy is not None:
            for hook in on_cupy_load:  # ember.cuda: memory peak tracking, TF32 flag
                try:
                    hook(_cupy)
                except Exception as e:  # a failing extra must not make CUDA unusable
                    import warnings
                    warnings.warn(f"ember: CUDA set-up step {getattr(hook, '__name__', hook)} failed: {e!r}")
    if _cupy is None:
        raise RuntimeError(
            "ember: CUDA is not available: "
            f"{type(_cupy_error).__name__}: {_cupy_error}. Install a GPU build on a machine with an NVIDIA GPU: "
            "`pip install ember[cuda12]` for a CUDA 12.x driver or `pip install ember[cuda13]` for CUDA 13.x "
            "(`nvidia-smi` shows the driver's CUDA version; see README, 'GPU (CUDA)')."
        )
    return _cupy


# Called once, with the cupy module, the first time ember loads CuPy successfully.
on_cupy_load = []


def cupy_loaded():
    """True once ember has loaded CuPy (PyTorch's "CUDA is initialized"); never imports it."""
    return _cupy is not None


def cuda_array(array, device):
    """``array`` (numpy or cupy) as a cupy array on CUDA ``device`` (an ember device with an index)."""
    cp = cupy_module()
    with cp.cuda.Device(device.index):
        if isinstance(array, cp.ndarray):
            # cupy.asarray hands back an array of another GPU unchanged; ndarray.copy() copies it to
            # the current device (CuPy's documented way across devices).
            return array if array.device.id == device.index else array.copy()
        return cp.asarray(array)


_NO_GUARD = _nullcontext()  # reusable, so the CPU path of a factory allocates nothing extra


def device_guard(device):
    """A context that makes ``device`` CuPy's current device (nothing for the CPU)."""
    if device.type == "cpu":
        return _NO_GUARD
    return cupy_module().cuda.Device(device.index)


def cupy_available():
    try:
        cupy_module()
        return True
    except RuntimeError:
        return False


def xp_for(device):
    """The array module (numpy or cupy) that holds tensors on ``device``."""
    if device.type == "cpu":
        return np
    return cupy_module()


def xp_of(array):
    """The array module an array belongs to."""
    if isinstance(array, np.ndarray) or isinstance(array, np.generic):
        return np
    return cupy_module()


def to_host(array):
    if isinstance(array, np.ndarray):
        return array
    return array.get()


# dtypes CuPy's add.at handles directly (it is built on CUDA's atomicAdd)
_CUDA_ATOMIC_ADD = frozenset(np.dtype(d) for d in ("float32", "float64", "int32", "uint32", "uint64"))


def scatter_add(xp, target, index, values):
    """``target[index] += values`` with repeated indices accumulating (numpy: ufunc.at, cupy: its own).

    CUDA's atomicAdd covers only some dtypes: int64 is added as uint64 (two's complement gives the
    same bits), and the narrow types (float16, int8/16, uint8, bool) accumulate in a wider copy.
    """
    if xp is np:
        np.add.at(target, index, values)
        return
    dt = target.dtype
    if dt in _CUDA_ATOMIC_ADD:
        xp.add.at(target, index, values)
    elif dt == np.int64:
        wide = xp.asarray(values, dtype=np.int64)
        xp.add.at(target.view(np.uint64), index, wide.view(np.uint64))
    else:
        wide_dt = np.float32 if dt == np.float16 else np.int32
        acc = target.astype(wide_dt)
        xp.add.at(acc, index, xp.asarray(values, dtype=wide_dt))
        target[...] = acc != 0 if dt == np.bool_ else acc.astype(dt)

"""Array backends: numpy for the CPU, CuPy for CUDA.

Every op reaches its array library through :func:`xp_for` so that one code path
serves both devices. The few places where numpy and CuPy disagree live here.
"""
import numpy as np

_cupy = None
_cupy_error = None


def cupy_module():
    """Return the cupy module, or raise a RuntimeError saying how to get it."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy  # noqa: F401
            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception as e:  # ImportError, or CUDA driver missing
            _cupy_error = e
    if _cupy is None:
        raise RuntimeError(
            "ember: CUDA is not available: "
            f"{type(_cupy_error).__name__}: {_cupy_error}. Install a GPU build with "
            "`pip install ember[cuda]` (CuPy for your CUDA version) on a machine with an NVIDIA GPU."
        )
    return _cupy


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


def scatter_add(xp, target, index, values):
    """``target[index] += values`` with repeated indices accumulating (numpy: ufunc.at, cupy: its own)."""
    if xp is np:
        np.add.at(target, index, values)
    else:
        xp.add.at(target, index, values)

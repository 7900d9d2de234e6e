"""``ember.backends.cuda``: ``matmul.allow_tf32`` and ``is_built()``.

``matmul.allow_tf32 = True`` lets CuPy's float32 (and complex64) matrix products use
TensorFloat-32 tensor cores (GPUs of compute capability 8.0 and up: A100, H100, ...):
about 10 mantissa bits in the products instead of 23, several times faster. ember sets
CuPy's matmul compute type for float32 with
``cupy._core._routines_linalg.set_compute_type(numpy.float32, COMPUTE_TYPE_TF32)`` (or
``COMPUTE_TYPE_DEFAULT`` when False). That function is the programmatic form of CuPy's
documented ``CUPY_TF32=1`` environment variable (which CuPy reads once, on the first
float32 product) but it is not public API: if a CuPy version lacks it, ember warns and
the flag only records the wish; set ``CUPY_TF32=1`` before starting Python instead.
The setting is process-wide in CuPy (all devices). On a GPU below compute capability 8.0
CuPy warns and keeps full float32. Without CuPy the flag is only stored; it is applied
when ember first loads CuPy.
"""
import warnings as _warnings

from .. import backend as _backend

__all__ = ["matmul", "is_built"]


def is_built():
    """True when CuPy can be imported (ember's GPU build is installed); no GPU is needed."""
    try:
        import importlib.util
        return importlib.util.find_spec("cupy") is not None
    except (ImportError, ValueError):
        return False


def _apply_tf32(cp):
    try:
        import numpy as np
        from cupy._core import _routines_linalg as rl
        ct = rl.COMPUTE_TYPE_TF32 if matmul._allow_tf32 else rl.COMPUTE_TYPE_DEFAULT
        rl.set_compute_type(np.float32, ct)
    except (ImportError, AttributeError) as e:
        _warnings.warn(f"ember.backends.cuda.matmul.allow_tf32: this CuPy has no compute-type switch ({e}); "
                       "set the environment variable CUPY_TF32=1 before starting Python instead")


class _Matmul:
    """``ember.backends.cuda.matmul``: ``allow_tf32`` (bool, default False)."""

    __slots__ = ("_allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction")

    def __init__(self):
        self._allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self):
        return self._allow_tf32

    @allow_tf32.setter
    def allow_tf32(self, value):
        if not isinstance(value, bool):
            raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got {type(value).__name__}")
        self._allow_tf32 = value
        if _backend.cupy_loaded():  # otherwise applied when ember loads CuPy (ember.cuda registers that)
            _apply_tf32(_backend.cupy_module())

    def __repr__(self):
        return f"<ember.backends.cuda.matmul allow_tf32={self._allow_tf32}>"


matmul = _Matmul()

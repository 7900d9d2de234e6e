"""``ember.testing.assert_close``: compare tensors with dtype-aware tolerances."""
import numpy as np

__all__ = ["assert_close"]

_TOL = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` are close (PyTorch's default tolerances)."""
    from .tensor import Tensor, tensor
    a = actual if isinstance(actual, Tensor) else tensor(actual)
    e = expected if isinstance(expected, Tensor) else tensor(expected, dtype=a.dtype)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.")
    if check_dtype and a.dtype is not e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.")
    r, t = _TOL.get(a.dtype.name, (0.0, 0.0))
    rtol = r if rtol is None else rtol
    atol = t if atol is None else atol
    av, ev = np.asarray(a), np.asarray(e)
    if not np.allclose(av, ev, rtol=rtol, atol=atol, equal_nan=equal_nan):
        bad = ~np.isclose(av, ev, rtol=rtol, atol=atol, equal_nan=equal_nan)
        raise AssertionError(msg or f"Tensor-likes are not close! Mismatched elements: {bad.sum()} / {bad.size}; "
                                    f"greatest absolute difference: {np.max(np.abs(av - ev)[bad])}")

"""DLPack exchange with numpy, PyTorch, CuPy and anything else that speaks it (zero-copy)."""
import numpy as np

from .backend import cupy_module

__all__ = ["from_dlpack"]


def from_dlpack(ext_tensor):
    """A tensor sharing memory with ``ext_tensor`` (any object with ``__dlpack__``, or a capsule)."""
    from .tensor import _wrap, Tensor
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if hasattr(ext_tensor, "__dlpack_device__"):
        dev_type, dev_id = ext_tensor.__dlpack_device__()
        if int(dev_type) in (2, 3):  # kDLCUDA, kDLCUDAHost
            return _wrap(cupy_module().from_dlpack(ext_tensor))
        return _wrap(np.from_dlpack(ext_tensor))
    # a bare capsule: numpy needs an object with __dlpack__, so wrap it
    return _wrap(np.from_dlpack(_Capsule(ext_tensor)))


class _Capsule:
    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, stream=None, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)

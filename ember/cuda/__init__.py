"""``ember.cuda``: GPU queries. Without CuPy or a GPU, ``is_available()`` is False
and the rest raise a RuntimeError that says how to get a GPU build."""
from ..backend import cupy_available, cupy_module

__all__ = ["is_available", "device_count", "current_device", "get_device_name", "device", "synchronize",
           "manual_seed", "manual_seed_all"]


def is_available():
    """Returns True when CuPy is installed and an NVIDIA GPU is present."""
    return cupy_available()


def device_count():
    """Number of CUDA devices: 0 without CuPy or a GPU (as in PyTorch, so ``if device_count() > 1`` works)."""
    if not cupy_available():
        return 0
    return cupy_module().cuda.runtime.getDeviceCount()


def current_device():
    """Index of the current CUDA device; raises RuntimeError without CUDA."""
    return cupy_module().cuda.runtime.getDevice()


def get_device_name(device=None):
    """Name of a CUDA device, e.g. ``'NVIDIA H100'``; raises RuntimeError without CUDA."""
    cp = cupy_module()
    idx = _index(device)
    return cp.cuda.runtime.getDeviceProperties(idx)["name"].decode()


def synchronize(device=None):
    cupy_module().cuda.runtime.deviceSynchronize()


def manual_seed(seed):
    from .. import random
    random.manual_seed(seed)


manual_seed_all = manual_seed


def _index(d):
    if d is None:
        return current_device()
    if isinstance(d, int):
        return d
    from ..device import device as _dev
    d = _dev(d) if not isinstance(d, _dev) else d
    return d.index if d.index is not None else current_device()


class device:
    """Context manager that selects a CUDA device (``with ember.cuda.device(0): ...``)."""

    def __init__(self, device):
        self.idx = _index(device)

    def __enter__(self):
        self.prev = current_device()
        cupy_module().cuda.runtime.setDevice(self.idx)

    def __exit__(self, *exc):
        cupy_module().cuda.runtime.setDevice(self.prev)
        return False

"""Thread count for ember's CPU work (BLAS and ember's own parallel matmul)."""
import os

__all__ = ["set_num_threads", "get_num_threads"]


class _Threads:
    n = int(os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS") or os.cpu_count() or 1)


def set_num_threads(n):
    """Sets the number of threads ember uses on the CPU (like ``torch.set_num_threads``)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    _Threads.n = n
    from .backend import blas
    blas.set_threads(n)


def get_num_threads():
    """The number of threads ember uses on the CPU."""
    return _Threads.n

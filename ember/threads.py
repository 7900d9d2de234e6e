"""Thread count for ember's CPU work (BLAS and ember's own parallel matmul)."""
import os

__all__ = ["set_num_threads", "get_num_threads"]


class _Threads:
    n = int(os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS") or os.cpu_count() or 1)
    # ember splits products over its own threads only after set_num_threads(): until then
    # numpy's BLAS keeps its own threading, as a plain numpy user would expect.
    split = 1


def set_num_threads(n):
    """Sets the number of threads ember uses on the CPU (like ``torch.set_num_threads``)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    _Threads.n = n
    _Threads.split = n
    # ember splits large products over its own threads (backend/parallel.py); BLAS
    # threads on top of those would oversubscribe the cores.
    from .backend import blas
    blas.set_threads(1 if n > 1 else n)


def get_num_threads():
    """The number of threads ember uses on the CPU."""
    return _Threads.n

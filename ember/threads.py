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
    # Products run on numpy's BLAS with n threads: its workers wait by spinning, so a
    # hand-off costs microseconds. ember's own row split (backend/parallel.py) pays a
    # Python thread wake-up (~80 us measured here) per product, more than it saves at
    # everyday sizes, so it stays off unless EMBER_MATMUL_SPLIT asks for it.
    _Threads.split = n if os.environ.get("EMBER_MATMUL_SPLIT") == "1" else 1
    from .backend import blas
    blas.set_threads(n if _Threads.split == 1 else 1)


def get_num_threads():
    """The number of threads ember uses on the CPU."""
    return _Threads.n

"""Splitting a large CPU matrix product across threads.

numpy releases the GIL inside a product, so two Python threads each running
half of it run in parallel. numpy's OpenBLAS does not split the small products
of everyday networks (a 64x1000 @ 1000x100 step) across cores; this does, when
``ember.set_num_threads(n)`` asks for n > 1. Workers are persistent and handed
work through C-level locks, because a thread pool's futures cost more than
the product saves at these sizes.
"""
import threading

import numpy as np

from ..threads import _Threads

# Below this many multiply-adds the hand-off costs more than it saves.
MIN_WORK = 1_500_000


class _Worker:
    """A thread that runs one callable at a time, handed over with two locks."""

    def __init__(self):
        self._go = threading.Lock()
        self._done = threading.Lock()
        self._go.acquire()
        self._done.acquire()
        self._job = None
        self._error = None
        t = threading.Thread(target=self._loop, name="ember-matmul", daemon=True)
        t.start()

    def _loop(self):
        while True:
            self._go.acquire()
            try:
                self._job()
            except BaseException as e:  # surfaced to the caller in wait()
                self._error = e
            self._job = None
            self._done.release()

    def submit(self, job):
        self._job = job
        self._go.release()

    def wait(self):
        self._done.acquire()
        if self._error is not None:
            e, self._error = self._error, None
            raise e


_workers = []
_lock = threading.Lock()


def _get_workers(n):
    with _lock:
        while len(_workers) < n:
            _workers.append(_Worker())
    return _workers[:n]


def matmul(a, b):
    """``a @ b`` on numpy arrays, split by rows over ember's threads when it pays."""
    n = _Threads.split
    if n < 2 or a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype.kind != "f":
        return np.matmul(a, b)
    m, k = a.shape
    p = b.shape[1]
    if m * k * p < MIN_WORK or threading.current_thread() is not threading.main_thread():
        return np.matmul(a, b)
    parts = min(n, m)
    if parts < 2:
        return np.matmul(a, b)
    out = np.empty((m, p), dtype=a.dtype)
    bounds = [m * i // parts for i in range(parts + 1)]
    workers = _get_workers(parts - 1)
    for w, lo, hi in zip(workers, bounds[1:-1], bounds[2:]):
        w.submit(lambda lo=lo, hi=hi: np.matmul(a[lo:hi], b, out=out[lo:hi]))
    np.matmul(a[:bounds[1]], b, out=out[:bounds[1]])
    for w in workers:
        w.wait()
    return out

"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

With ``num_workers > 0`` the loader starts that many processes. Each has its own index queue; the parent sends
tasks round-robin, keeping ``prefetch_factor * num_workers`` in flight, and all workers answer on one shared
data queue. Answers can arrive in any order; the parent keeps early ones until their turn, so batches come out
in sampler order. Tasks carry an epoch number: answers from an abandoned epoch (a persistent iterator that was
restarted) are recognised and dropped.
"""
import math
import multiprocessing
import os
import queue
import sys
import time
import warnings
import weakref

from ... import random as _random
from .dataset import IterableDataset
from .sampler import SequentialSampler, RandomSampler, BatchSampler, _InfiniteConstantSampler
from ._collate import default_collate, default_convert
from . import _worker

__all__ = ["DataLoader"]

# Seconds a shutting-down worker gets to finish its current item before it is terminated.
_JOIN_TIMEOUT = 5.0


class _DatasetKind:
    Map = 0
    Iterable = 1


def _default_context():
    # 'fork' where the platform has it (Linux): workers inherit the dataset without pickling it, as PyTorch's
    # workers do under Python's Linux default. Elsewhere, the platform's default method.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class DataLoader:
    r"""Combines a dataset and a sampler, and provides an iterable over the given dataset.

    Supports map-style and iterable-style datasets, single- or multi-process loading, customizing loading
    order and optional automatic batching (collation).

    Args:
        dataset (Dataset): dataset from which to load the data.
        batch_size (int, optional): how many samples per batch to load (default: ``1``). ``None`` disables
            automatic batching: each item of the sampler is loaded and passed through ``collate_fn`` alone
            (``default_convert`` by default).
        shuffle (bool, optional): set to ``True`` to have the data reshuffled at every epoch (default:
            ``False``).
        sampler (Sampler or Iterable, optional): defines the strategy to draw samples from the dataset. If
            specified, :attr:`shuffle` must not be specified.
        batch_sampler (Sampler or Iterable, optional): like :attr:`sampler`, but returns a batch of indices at
            a time. Mutually exclusive with :attr:`batch_size`, :attr:`shuffle`, :attr:`sampler`, and
            :attr:`drop_last`.
        num_workers (int, optional): how many subprocesses to use for data loading. ``0`` means that the data
            will be loaded in the main process. (default: ``0``)
        collate_fn (Callable, optional): merges a list of samples to form a mini-batch of Tensor(s).
        pin_memory (bool, optional): accepted for compatibility; ember's CPU tensors need no pinning, so it
            has no effect (a warning says so when no CUDA device is present).
        drop_last (bool, optional): set to ``True`` to drop the last incomplete batch. (default: ``False``)
        timeout (numeric, optional): if positive, the timeout in seconds for collecting a batch from workers.
            Should always be non-negative. (default: ``0``)
        worker_init_fn (Callable, optional): if not ``None``, this will be called on each worker subprocess
            with the worker id (an int in ``[0, num_workers - 1]``) as input, after seeding and before data
            loading. (default: ``None``)
        multiprocessing_context (str or multiprocessing.context.BaseContext, optional): the start method of
            the workers; ``None`` means ``'fork'`` on Linux and the platform default elsewhere. With
            ``'spawn'`` or ``'forkserver'`` the dataset, ``collate_fn`` and ``worker_init_fn`` must be
            picklable (tensors in them are fine).
        generator (ember.Generator, optional): used by the RandomSampler to generate random indexes and to
            generate the ``base_seed`` for the workers. (default: ``None``, the global generator)
        prefetch_factor (int, optional, keyword-only arg): number of batches loaded in advance by each
            worker. (default: ``None``, meaning 2 when ``num_workers > 0``)
        persistent_workers (bool, optional): if ``True``, the worker processes are kept alive after a dataset
            has been consumed once and reused by the next epoch. (default: ``False``)
        pin_memory_device (str, optional): accepted for compatibility; no effect.

    Worker seeding: each iterator draws a ``base_seed`` from :attr:`generator` (or the global generator).
    Worker ``i`` seeds ember's global generator and Python's ``random`` with ``base_seed + i``, and NumPy's
    legacy global generator with a seed derived from both; :func:`get_worker_info` tells it its ``seed``.

    Example::

        >>> ds = ember.utils.data.TensorDataset(ember.arange(10.0), ember.arange(10))
        >>> for x, y in ember.utils.data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2):
        ...     pass
    """

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device=""):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
                             "None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            # An iterable dataset decides its own order: there is nothing to shuffle or sample.
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._IterableDataset_len_called = None
        self._iterator = None
        self._initialized = True

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx):
        if ctx is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(ctx, str):
                valid = multiprocessing.get_all_start_methods()
                if ctx not in valid:
                    raise ValueError("multiprocessing_context option should specify a valid start method in "
                                     f"{valid!r}, but got multiprocessing_context={ctx!r}")
                ctx = multiprocessing.get_context(ctx)
            elif not isinstance(ctx, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={ctx}")
        self.__multiprocessing_context = ctx

    def __setattr__(self, attr, val):
        # These define the iteration a loader was validated for; changing them later would bypass the checks.
        if self._initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                          "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        # What the fetchers receive: lists of indices with auto-collation, single indices without.
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __iter__(self):
        """A new iterator over the batches; with ``persistent_workers`` the same one, restarted, whose workers
        stay alive between epochs."""
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._dataset_kind == _DatasetKind.Iterable:
            # The dataset's own claim; the iterator warns when more batches than this come out.
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        if loader.pin_memory:
            from ... import cuda
            if not cuda.is_available():
                warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device "
                              "pinned memory won't be used.", stacklevel=3)
        self._sampler_iter = iter(self._index_sampler)
        # One draw per iterator, before the sampler draws its order: the same generator seed gives the same
        # worker seeds and the same order, whatever num_workers is.
        self._base_seed = _random._draw_seed(loader.generator)
        self._num_yielded = 0
        self._len_reported = loader._IterableDataset_len_called

    def __iter__(self):
        return self

    def _reset(self, loader):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._len_reported = loader._IterableDataset_len_called

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if (self._dataset_kind == _DatasetKind.Iterable and self._len_reported is not None
                and self._num_yielded > self._len_reported):
            msg = (f"Length of IterableDataset {self._dataset} was reported to be {self._len_reported} (when "
                   f"accessing len(dataloader)), but {self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly configuring the "
                        "IterableDataset replica at each worker: shard it with get_worker_info().")
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = self._new_fetcher()

    def _new_fetcher(self):
        return _worker.make_fetcher(self._dataset, self._auto_collation, self._collate_fn, self._drop_last)

    def _reset(self, loader):
        super()._reset(loader)
        self._fetcher = self._new_fetcher()

    def _next_data(self):
        index = next(self._sampler_iter)  # StopIteration ends the epoch
        return self._fetcher.fetch(index)  # so does an exhausted IterableDataset


_PENDING = object()


class _WorkerPool:
    """The worker processes and their queues, apart from the iterator that uses them.

    The iterator shuts the pool down through a ``weakref.finalize``, which holds the pool strongly. That keeps
    the processes and queues intact until shutdown even when the iterator dies inside a reference cycle (a
    traceback that holds its frame, say): the garbage collector would otherwise run multiprocessing's own
    finalizers on them first (closing a process's sentinel, a queue's pipe), and joining would stall.
    """

    def __init__(self, ctx, setup, num_workers, base_seed):
        forked = ctx.get_start_method() == "fork"
        if not forked:  # the child gets a pickled copy: send one that can carry tensors
            setup = _worker.dumps(setup)
        self.data_queue = ctx.Queue()
        self.done_event = ctx.Event()
        self.index_queues = []
        self.workers = []
        self.closed = False
        try:
            for i in range(num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()  # tasks for a dead worker must not block our exit
                w = ctx.Process(target=_worker.worker_loop, daemon=True,
                                args=(setup, not forked, index_queue, self.data_queue, self.done_event, i,
                                      num_workers, base_seed, os.getpid()))
                w.start()
                self.index_queues.append(index_queue)
                self.workers.append(w)
        except BaseException:
            self.shutdown()
            raise

    def shutdown(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.done_event.set()
            for q in self.index_queues:
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
            for w in self.workers:
                w.join(timeout=_JOIN_TIMEOUT)
            for w in self.workers:
                if w.is_alive():  # stuck in user code: don't let it outlive the loader
                    w.terminate()
                    w.join(timeout=1.0)
        finally:
            for q in self.index_queues:
                q.cancel_join_thread()
                q.close()
            self.data_queue.cancel_join_thread()
            self.data_queue.close()


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader):
        if loader.prefetch_factor <= 0:
            raise AssertionError(f"prefetch_factor must be greater than 0 for multi-process loading, got "
                                 f"{loader.prefetch_factor}; pass prefetch_factor >= 1 (or None for 2)")
        super().__init__(loader)
        self._persistent = loader.persistent_workers
        self._prefetch = loader.prefetch_factor
        ctx = loader.multiprocessing_context or _default_context()
        setup = (self._dataset, self._auto_collation, self._collate_fn, self._drop_last, loader.worker_init_fn)
        self._pool = _WorkerPool(ctx, setup, self._num_workers, self._base_seed)
        self._index_queues, self._data_queue, self._workers = \
            self._pool.index_queues, self._pool.data_queue, self._pool.workers
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        self._epoch = 0
        self._start_epoch()

    def _start_epoch(self):
        self._send_idx = 0  # next task number to send
        self._rcvd_idx = 0  # next task number to hand out
        self._tasks = {}  # task number -> [worker id, data or _PENDING]
        self._active = [True] * self._num_workers  # False once a worker's IterableDataset copy is exhausted
        self._next_worker = 0
        self._fill()

    def _reset(self, loader):
        super()._reset(loader)
        self._epoch += 1  # answers still in flight from the old epoch get dropped
        self._start_epoch()

    def _fill(self):
        """Send tasks until ``prefetch_factor * num_workers`` are in flight, the sampler is exhausted, or no
        worker has data left."""
        while self._send_idx - self._rcvd_idx < self._prefetch * self._num_workers:
            if not any(self._active):
                return
            try:
                index = next(self._sampler_iter)
            except StopIteration:
                return
            while not self._active[self._next_worker]:
                self._next_worker = (self._next_worker + 1) % self._num_workers
            wid = self._next_worker
            self._next_worker = (wid + 1) % self._num_workers
            self._index_queues[wid].put((self._epoch, self._send_idx, index))
            self._tasks[self._send_idx] = [wid, _PENDING]
            self._send_idx += 1

    def _get_result(self):
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _worker._POLL_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                return _worker.loads(self._data_queue.get(timeout=wait))
            except queue.Empty:
                dead = [w.pid for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) exited "
                                       "unexpectedly") from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None

    def _next_data(self):
        if self._shutdown:
            raise StopIteration
        while True:
            # Skip tasks that an exhausted worker will never fill.
            while self._rcvd_idx < self._send_idx:
                wid, data = self._tasks[self._rcvd_idx]
                if data is not _PENDING or self._active[wid]:
                    break
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
                self._fill()
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            data = self._tasks[self._rcvd_idx][1]
            if data is not _PENDING:
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
                self._fill()
                if isinstance(data, _worker.ExceptionWrapper):
                    data.reraise()
                return data
            epoch, idx, data = self._get_result()
            if epoch != self._epoch or idx not in self._tasks:
                continue  # left over from an abandoned epoch, or a task skipped above
            if isinstance(data, _worker._WorkerExhausted):
                self._active[data.worker_id] = False
                continue
            self._tasks[idx][1] = data

    @property
    def _shutdown(self):
        return self._pool.closed

    def _shutdown_workers(self):
        self._finalizer()

"""What runs inside a DataLoader worker process, and how data crosses the process boundary.

Tensors refuse ``pickle`` on purpose (``ember.save`` is the safe way to store them). Between a worker and its
DataLoader we still need to move them, so this module has its own pickler, ``dumps``, which turns each tensor
into its numpy array plus the facts needed to rebuild it (class, requires_grad, device). Only the bytes it makes
travel over the multiprocessing queues, so the ordinary pickle rule stays untouched everywhere else.
"""
import io
import os
import pickle
import queue
import random
import sys
import traceback

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

# How often a blocked worker wakes up to check that its DataLoader still exists (seconds).
_POLL_INTERVAL = 1.0


class WorkerInfo:
    r"""Information about the DataLoader worker process this code runs in.

    Attributes:
        id (int): the current worker id, in ``range(num_workers)``.
        num_workers (int): the total number of workers.
        seed (int): the random seed of this worker: the loader's base seed plus ``id``. ``ember``'s global
            generator and Python's ``random`` are seeded with it; NumPy's legacy global generator gets a
            seed derived from the base seed and ``id``.
        dataset: the copy of the dataset object in this process.
    """

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{type(self).__name__}({fields})"


_worker_info = None


def get_worker_info():
    r"""The :class:`WorkerInfo` of the current DataLoader worker process, or ``None`` in the main process.

    Use it in :meth:`IterableDataset.__iter__` (or ``worker_init_fn``) to give each worker its own shard::

        >>> info = ember.utils.data.get_worker_info()
        >>> if info is not None:
        ...     start, step = info.id, info.num_workers
    """
    return _worker_info


# --- crossing the process boundary ---------------------------------------------------------------------------

def _rebuild_tensor(cls, array, requires_grad, device):
    from ...tensor import _wrap
    t = _wrap(array)
    if device != "cpu":
        t = t.to(device)
    from ...nn.parameter import Parameter
    if issubclass(cls, Parameter):
        return cls(t, requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t  # a Tensor, or a subclass other than Parameter, comes back as a plain Tensor


class _Pickler(pickle.Pickler):
    """pickle, except that tensors travel as numpy arrays (see the module docstring)."""

    def reducer_override(self, obj):
        from ...tensor import Tensor
        if isinstance(obj, Tensor):
            if obj.requires_grad and obj.grad_fn is not None:
                raise RuntimeError("Cowardly refusing to send a non-leaf tensor that requires grad to another "
                                   "process: autograd graphs cannot cross processes. Call .detach() on it "
                                   "first if you only need the data.")
            from ...backend import to_host
            return _rebuild_tensor, (type(obj), to_host(obj._data), obj.requires_grad, str(obj.device))
        return NotImplemented


def dumps(obj):
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


loads = pickle.loads


# --- results a worker sends back besides data ----------------------------------------------------------------

class _KeyErrorMessage(str):
    """KeyError shows repr(arg); this str's repr is itself, so a traceback text stays readable."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the parent as its type and traceback text."""

    def __init__(self, where):
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(*sys.exc_info()))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            raise KeyError(_KeyErrorMessage(msg))
        try:
            exc = self.exc_type(msg)
        except Exception:
            # An exception type that wants other constructor arguments: keep the text, lose the type.
            raise RuntimeError(msg) from None
        raise exc


class _WorkerExhausted:
    """Sent by a worker whose IterableDataset copy has no more data for this epoch."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


# --- fetchers: index (or batch of indices) -> collated data ----------------------------------------------------

class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.it = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.it))
        data = []
        for _ in index:
            try:
                data.append(next(self.it))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def make_fetcher(dataset, auto_collation, collate_fn, drop_last):
    from .dataset import IterableDataset
    kind = _IterFetcher if isinstance(dataset, IterableDataset) else _MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)


# --- the worker process ------------------------------------------------------------------------------------------

def _numpy_seed(base_seed, worker_id):
    """Four 32-bit words for numpy's legacy global generator, mixed from (worker_id, base_seed) so that
    neighbouring workers and neighbouring base seeds give unrelated streams."""
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32]
    return np.random.SeedSequence(entropy).generate_state(4)


def _seed_worker(base_seed, worker_id):
    from ... import random as _random
    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    return seed


def worker_loop(setup, pickled, index_queue, data_queue, done_event, worker_id, num_workers, base_seed,
                parent_pid):
    """Serve (epoch, task index, sampler index) requests from ``index_queue`` until ``None`` arrives.

    ``setup`` is (dataset, auto_collation, collate_fn, drop_last, worker_init_fn), as ``dumps`` bytes when the
    process was not forked. Every result goes to ``data_queue`` as ``dumps((epoch, task, data))``, where data may
    be an ExceptionWrapper or a _WorkerExhausted marker. A new epoch number restarts an IterableDataset's
    iterator (persistent workers serve several epochs).
    """
    global _worker_info
    try:
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        fetcher = None
        try:
            dataset, auto_collation, collate_fn, drop_last, worker_init_fn = \
                loads(setup) if pickled else setup
            seed = _seed_worker(base_seed, worker_id)
            _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
            if worker_init_fn is not None:
                worker_init_fn(worker_id)
        except Exception:
            init_error = ExceptionWrapper(where)
        epoch = None
        while True:
            try:
                task = index_queue.get(timeout=_POLL_INTERVAL)
            except queue.Empty:
                # The parent went away without telling us (killed): don't linger as an orphan.
                if os.getppid() != parent_pid:
                    break
                continue
            if task is None:
                break
            if done_event.is_set():
                continue  # shutting down: skip the backlog until the None arrives
            task_epoch, idx, index = task
            if init_error is not None:
                data = init_error
            else:
                try:
                    if task_epoch != epoch:
                        fetcher = make_fetcher(dataset, auto_collation, collate_fn, drop_last)
                        epoch = task_epoch
                    data = fetcher.fetch(index)
                except StopIteration:
                    data = _WorkerExhausted(worker_id)
                except Exception:
                    data = ExceptionWrapper(where)
            try:
                payload = dumps((task_epoch, idx, data))
            except Exception:
                payload = dumps((task_epoch, idx, ExceptionWrapper(where)))
            data_queue.put(payload)
            del data, payload
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; the parent reports it
    # The parent may have stopped reading: exit without waiting for the queue's feeder thread to flush.
    data_queue.cancel_join_thread()
    data_queue.close()

"""ember.utils.data against torch.utils.data where the semantics are deterministic, plus the worker-process
behaviour that only ember can check (seeding, errors, sharding, shutdown)."""
import collections
import gc
import multiprocessing
import os
import pickle
import random
import time
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.utils import data as ed
import torch.utils.data as td

Point = collections.namedtuple("Point", ["x", "y"])


# --- helpers -----------------------------------------------------------------------------------------------------

def norm(obj):
    """A library-neutral picture of a (collated) structure: tensors become ('T', dtype name, shape, values)."""
    if isinstance(obj, (ember.Tensor, torch.Tensor)):
        return ("T", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__,) + tuple(norm(v) for v in obj)
    if isinstance(obj, tuple):
        return ("tuple",) + tuple(norm(v) for v in obj)
    if isinstance(obj, list):
        return [norm(v) for v in obj]
    if isinstance(obj, dict):
        return {k: norm(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return ("np", obj.dtype.str, obj.tolist())
    return obj


def same_error(fn_ember, fn_torch):
    """Both raise, and the same exception type; returns the ember exception."""
    with pytest.raises(Exception) as te:
        fn_torch()
    with pytest.raises(Exception) as ee:
        fn_ember()
    assert type(ee.value) is type(te.value), (ee.value, te.value)
    return ee.value


def no_children():
    gc.collect()  # an iterator caught in a reference cycle (e.g. through a traceback) owns live workers
    # Workers are joined during shutdown; allow a moment for the OS bookkeeping of a terminated child.
    for _ in range(50):
        if not multiprocessing.active_children():
            return True
        time.sleep(0.02)
    return False


# Datasets used in worker processes live at module level (spawn would need to import them).

class Squares(ed.Dataset):
    def __init__(self, n=6):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class WorkerProbe(ed.Dataset):
    """Each sample reports the worker that loaded it and the random state it found there."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = ed.get_worker_info()
        return {"id": info.id, "num_workers": info.num_workers, "seed": info.seed,
                "initial_seed": ember.initial_seed(), "ember": ember.rand(1).item(),
                "python": random.random(), "numpy": float(np.random.rand()),
                "same_dataset_type": type(info.dataset) is WorkerProbe, "pid": os.getpid(),
                "init": _init_called}


_init_called = None


def _record_init(worker_id):
    global _init_called
    _init_called = ("init", worker_id)


def _failing_init(worker_id):
    raise ZeroDivisionError(f"init of worker {worker_id} failed")


class Failing(ed.Dataset):
    def __init__(self, bad, exc=ValueError):
        self.bad, self.exc = bad, exc

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc(f"sample {i} is broken")
        return i


class Sharded(ed.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = ed.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


class Unsharded(ed.IterableDataset):
    def __iter__(self):
        return iter(range(3))

    def __len__(self):
        return 3


class Slow(ed.Dataset):
    def __init__(self, delay):
        self.delay = delay

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i % 2 == 0:
            time.sleep(self.delay)  # worker 0 gets the even indices and lags behind worker 1
        return i


class Dies(ed.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 1:
            os._exit(3)
        return i


class Hangs(ed.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(0.6)
        return i


class Rich(ed.Dataset):
    def __init__(self, batched=True):
        self.batched = batched

    def __len__(self):
        return 2

    def __getitem__(self, i):
        out = {"x": ember.full((2,), float(i))}
        if not self.batched:  # stacking these would make non-leaf tensors that require grad
            out["w"] = ember.tensor([1.0, 2.0], requires_grad=True)
            out["p"] = ember.nn.Parameter(ember.ones(1) * i)
        return out


class Boxed:
    def __init__(self, t):
        self.t = t


def _boxed_collate(batch):
    return Boxed(ember.stack([b["x"] for b in batch]))


class NonLeaf(ed.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return ember.tensor([1.0], requires_grad=True) * 2


class TorchRange(td.IterableDataset):
    def __iter__(self):
        return iter(range(3))


# --- datasets ------------------------------------------------------------------------------------------------

def test_dataset_base_and_add():
    same_error(lambda: ed.Dataset()[0], lambda: td.Dataset()[0])
    cat = Squares(2) + Squares(3)
    assert isinstance(cat, ed.ConcatDataset) and len(cat) == 5
    assert [cat[i] for i in range(5)] == [0, 1, 0, 1, 4]


def test_tensor_dataset():
    x, y = ember.arange(6.0).reshape(3, 2), ember.tensor([7, 8, 9])
    ds = ed.TensorDataset(x, y)
    assert len(ds) == 3
    a, b = ds[1]
    assert a.tolist() == [2.0, 3.0] and b.item() == 8
    same_error(lambda: ed.TensorDataset(ember.zeros(3), ember.zeros(4)),
               lambda: td.TensorDataset(torch.zeros(3), torch.zeros(4)))


def test_concat_dataset_matches_torch():
    parts = [list(range(3)), list(range(10, 15)), [], list(range(20, 22))]
    e, t = ed.ConcatDataset(parts), td.ConcatDataset(parts)
    assert e.cumulative_sizes == t.cumulative_sizes and len(e) == len(t)
    for i in range(-len(t), len(t)):
        assert e[i] == t[i]
    same_error(lambda: e[-len(e) - 1], lambda: t[-len(t) - 1])
    same_error(lambda: ed.ConcatDataset([]), lambda: td.ConcatDataset([]))
    same_error(lambda: ed.ConcatDataset([Sharded(2)]), lambda: td.ConcatDataset([TorchRange()]))
    same_error(lambda: ed.IterableDataset(), lambda: td.IterableDataset())
    with pytest.raises(IndexError):
        e[len(e)]


def test_subset():
    s = ed.Subset(Squares(10), [9, 2, 5])
    assert len(s) == 3 and [s[i] for i in range(3)] == [81, 4, 25]
    assert s.__getitems__([2, 0]) == [25, 81]


@pytest.mark.parametrize("n,lengths", [(10, [3, 7]), (10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]),
                                       (7, [0.1, 0.2, 0.7]), (5, [1 / 3] * 3), (8, [0.25] * 4)])
def test_random_split_lengths_match_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = ed.random_split(range(n), lengths, generator=ember.Generator().manual_seed(1))
        t = td.random_split(range(n), lengths, generator=torch.Generator().manual_seed(1))
    assert [len(s) for s in e] == [len(s) for s in t]
    got = sorted(x for s in e for x in (s[i] for i in range(len(s))))
    assert got == list(range(n))  # a partition: every item in exactly one split


def test_random_split_reproducible_and_errors():
    a = ed.random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(3))
    b = ed.random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(3))
    c = ed.random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(4))
    assert a[0].indices == b[0].indices and a[0].indices != c[0].indices
    same_error(lambda: ed.random_split(range(5), [2, 2]), lambda: td.random_split(range(5), [2, 2]))
    same_error(lambda: ed.random_split(range(5), [1.5, -0.5]), lambda: td.random_split(range(5), [1.5, -0.5]))
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        assert [len(s) for s in ed.random_split(range(1), [0.1, 0.9])] == [1, 0]


# --- samplers ------------------------------------------------------------------------------------------------

def test_sequential_and_batch_sampler_match_torch():
    assert list(ed.SequentialSampler(range(5))) == list(td.SequentialSampler(range(5)))
    for n in (0, 1, 7, 9):
        for bs in (1, 3, 4):
            for drop in (False, True):
                e = ed.BatchSampler(ed.SequentialSampler(range(n)), bs, drop)
                t = td.BatchSampler(td.SequentialSampler(range(n)), bs, drop)
                assert list(e) == list(t) and len(e) == len(t)
    for bad in (0, -1, True, 2.0):
        same_error(lambda: ed.BatchSampler(range(3), bad, False), lambda: td.BatchSampler(range(3), bad, False))
    same_error(lambda: ed.BatchSampler(range(3), 2, 1), lambda: td.BatchSampler(range(3), 2, 1))


def test_random_sampler():
    s = ed.RandomSampler(range(10), generator=ember.Generator().manual_seed(0))
    order = list(s)
    assert sorted(order) == list(range(10)) and order != list(range(10)) and len(s) == 10
    s2 = ed.RandomSampler(range(10), generator=ember.Generator().manual_seed(0))
    assert list(s2) == order
    r = ed.RandomSampler(range(3), replacement=True, num_samples=50, generator=ember.Generator().manual_seed(0))
    drawn = list(r)
    assert len(drawn) == len(r) == 50 and set(drawn) == {0, 1, 2}
    more = list(ed.RandomSampler(range(4), num_samples=10))
    assert len(more) == 10 and sorted(more[:4]) == [0, 1, 2, 3] and sorted(more[4:8]) == [0, 1, 2, 3]
    same_error(lambda: ed.RandomSampler(range(3), replacement=1), lambda: td.RandomSampler(range(3), replacement=1))
    same_error(lambda: ed.RandomSampler(range(3), num_samples=0), lambda: td.RandomSampler(range(3), num_samples=0))
    same_error(lambda: ed.RandomSampler([]), lambda: td.RandomSampler([]))
    # Without a generator the order follows the global seed.
    ember.manual_seed(5)
    first = list(ed.RandomSampler(range(10)))
    ember.manual_seed(5)
    assert list(ed.RandomSampler(range(10))) == first


def test_subset_and_weighted_samplers():
    s = ed.SubsetRandomSampler([10, 20, 30, 40], generator=ember.Generator().manual_seed(0))
    assert sorted(s) == [10, 20, 30, 40] and len(s) == 4
    w = ed.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 40, generator=ember.Generator().manual_seed(0))
    drawn = list(w)
    assert len(drawn) == len(w) == 40 and set(drawn) == {1, 3}
    nr = list(ed.WeightedRandomSampler([1.0, 1.0, 1.0, 1.0], 4, replacement=False))
    assert sorted(nr) == [0, 1, 2, 3]
    for args, kw in [(([1.0, 2.0], 0), {}), (([1.0, 2.0], 2), {"replacement": 1}),
                     (([[1.0, 2.0]], 2), {}), (([1.0], True), {})]:
        same_error(lambda: ed.WeightedRandomSampler(*args, **kw), lambda: td.WeightedRandomSampler(*args, **kw))


# --- collate -------------------------------------------------------------------------------------------------

def _batches(lib):
    T = lib.tensor
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    return [
        [1, 2, 3],
        [1.5, 2.5],
        [True, False],
        [1, 2.5],
        ["a", "b"],
        [b"x", b"y"],
        [(1, "a"), (2, "b")],
        [[1, 2.0], [3, 4.0]],
        [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
        [Point(1, 2.0), Point(3, 4.0)],
        [arr, arr + 1],
        [np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)],
        [np.float32(1.5), np.float32(2.5)],
        [np.int32(1), np.int32(2)],
        [np.float64(1.5), np.float64(2.5)],
        [np.bool_(True), np.bool_(False)],
        [T([1.0, 2.0]), T([3.0, 4.0])],
        [T([[1, 2]]), T([[3, 4]])],
        [(T([1.0]), {"k": Point(T([1]), "s")}), (T([2.0]), {"k": Point(T([2]), "t")})],
        [collections.OrderedDict(b=1, a=2.0), collections.OrderedDict(b=3, a=4.0)],
    ]


@pytest.mark.parametrize("i", range(len(_batches(torch))))
def test_default_collate_matches_torch(i):
    e = ed.default_collate(_batches(ember)[i])
    t = td.default_collate(_batches(torch)[i])
    assert norm(e) == norm(t)
    assert type(e) is type(t) or (isinstance(t, torch.Tensor) and isinstance(e, ember.Tensor))


@pytest.mark.parametrize("batch", [
    [[1, 2], [3]],
    [object(), object()],
    [None, None],
    [np.array(["a", "b"]), np.array(["c", "d"])],
    [np.array([object()]), np.array([object()])],
])
def test_default_collate_errors_match_torch(batch):
    same_error(lambda: ed.default_collate(batch), lambda: td.default_collate(batch))


def test_default_collate_ragged_tensors():
    err = same_error(lambda: ed.default_collate([ember.zeros(2), ember.zeros(3)]),
                     lambda: td.default_collate([torch.zeros(2), torch.zeros(3)]))
    assert "equal size" in str(err)


@pytest.mark.parametrize("sample", [
    3, 2.5, "s", np.arange(3), np.float32(2.0), (np.arange(2), 1), [np.arange(2), "x"],
    {"a": np.ones(2), "b": (1, 2)}, Point(np.zeros(1), 3), np.array(["a", "b"]),
])
def test_default_convert_matches_torch(sample):
    assert norm(ed.default_convert(sample)) == norm(td.default_convert(sample))


def test_default_convert_keeps_tensors():
    t = ember.ones(2)
    assert ed.default_convert(t) is t


# --- DataLoader: single process --------------------------------------------------------------------------------

@pytest.mark.parametrize("bs,drop", [(1, False), (3, False), (3, True), (4, False), (7, True)])
def test_sequential_batches_match_torch(bs, drop):
    samples = [(i, float(i) / 2, {"k": [i, i + 1]}) for i in range(7)]
    e = ed.DataLoader(samples, batch_size=bs, drop_last=drop)
    t = td.DataLoader(samples, batch_size=bs, drop_last=drop)
    assert len(e) == len(t)
    assert [norm(b) for b in e] == [norm(b) for b in t]


def test_no_auto_batching_matches_torch():
    samples = [np.arange(2) + i for i in range(3)]
    e = list(ed.DataLoader(samples, batch_size=None))
    t = list(td.DataLoader(samples, batch_size=None))
    assert [norm(x) for x in e] == [norm(x) for x in t]
    bs = [[0, 1], [2]]
    e = ed.DataLoader(Squares(3), batch_sampler=bs)
    t = td.DataLoader(Squares(3), batch_sampler=bs)
    assert len(e) == len(t) and [norm(b) for b in e] == [norm(b) for b in t]


@pytest.mark.parametrize("kw", [
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(persistent_workers=True),
    dict(multiprocessing_context="spawn"),
    dict(num_workers=1, multiprocessing_context="no-such-method"),
    dict(num_workers=1, multiprocessing_context=3),
])
def test_loader_argument_errors_match_torch(kw):
    err = same_error(lambda: ed.DataLoader(range(4), **kw), lambda: td.DataLoader(range(4), **kw))
    assert str(err)


@pytest.mark.parametrize("kw", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_argument_errors_match_torch(kw):
    same_error(lambda: ed.DataLoader(Sharded(3), **kw), lambda: td.DataLoader(TorchRange(), **kw))


def test_attributes_frozen_after_init():
    e, t = ed.DataLoader(range(4)), td.DataLoader(range(4))
    for attr in ("batch_size", "sampler", "drop_last", "dataset"):
        same_error(lambda: setattr(e, attr, 2), lambda: setattr(t, attr, 2))
    e.num_workers = 1  # not frozen, as in PyTorch


def test_iterable_dataset_single_process_len_and_warning():
    for bs, drop in ((2, False), (2, True), (None, False)):
        e = ed.DataLoader(Sharded(5), batch_size=bs, drop_last=drop)
        t = td.DataLoader(td.TensorDataset(torch.arange(5)), batch_size=bs, drop_last=drop)
        assert len(e) == len(t)
    assert [b.tolist() for b in ed.DataLoader(Sharded(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in ed.DataLoader(Sharded(5), batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]
    loader = ed.DataLoader(Sharded(4), batch_size=None)

    class Liar(Sharded):
        def __len__(self):
            return 2
    loader = ed.DataLoader(Liar(4), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="was reported to be 2"):
        assert [int(x) for x in loader] == [0, 1, 2, 3]


def test_shuffle_reproducible_and_independent_of_workers():
    ds = ed.TensorDataset(ember.arange(10))

    def order(seed, nw):
        loader = ed.DataLoader(ds, batch_size=3, shuffle=True, num_workers=nw,
                               generator=ember.Generator().manual_seed(seed))
        return [b[0].tolist() for b in loader]

    a = order(7, 0)
    assert sorted(sum(a, [])) == list(range(10)) and sum(a, []) != list(range(10))
    assert order(7, 0) == a
    assert order(7, 2) == a
    assert order(8, 0) != a
    # Each epoch of one loader reshuffles.
    loader = ed.DataLoader(ds, batch_size=10, shuffle=True, generator=ember.Generator().manual_seed(1))
    assert [b[0].tolist() for b in loader] != [b[0].tolist() for b in loader]


def test_pin_memory_accepted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = [b.tolist() for b in ed.DataLoader(Squares(4), batch_size=2, pin_memory=True,
                                                  pin_memory_device="cuda")]
    assert out == [[0, 1], [4, 9]]


def test_get_worker_info_is_none_in_main_process():
    assert ed.get_worker_info() is None
    seen = []

    class Probe(ed.Dataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            seen.append(ed.get_worker_info())
            return i
    list(ed.DataLoader(Probe()))
    assert seen == [None]


# --- DataLoader: worker processes --------------------------------------------------------------------------------

def _probe(seed, **kw):
    loader = ed.DataLoader(WorkerProbe(), batch_size=None, num_workers=2,
                           generator=ember.Generator().manual_seed(seed), **kw)
    return list(loader)


def test_workers_seeded_per_worker_and_reproducibly():
    a = _probe(11)
    assert [s["id"] for s in a] == [0, 1, 0, 1]  # round-robin, returned in sampler order
    assert all(s["num_workers"] == 2 and s["same_dataset_type"] for s in a)
    w0, w1 = a[0], a[1]
    assert w1["seed"] == w0["seed"] + 1
    assert w0["initial_seed"] == w0["seed"] and w1["initial_seed"] == w1["seed"]
    for key in ("ember", "python", "numpy"):
        assert w0[key] != w1[key]
        assert a[2][key] != w0[key]  # the stream moves on inside a worker
    assert w0["pid"] != w1["pid"] and os.getpid() not in (w0["pid"], w1["pid"])
    b = _probe(11)
    c = _probe(12)
    strip = [{k: v for k, v in s.items() if k != "pid"} for s in a]
    assert strip == [{k: v for k, v in s.items() if k != "pid"} for s in b]
    assert [s["ember"] for s in c] != [s["ember"] for s in a]
    assert [s["seed"] for s in c] != [s["seed"] for s in a]
    assert no_children()


def test_worker_init_fn_runs_in_worker():
    out = _probe(0, worker_init_fn=_record_init)
    assert [s["init"] for s in out] == [["init", 0], ["init", 1], ["init", 0], ["init", 1]]  # tuple -> list
    assert _init_called is None  # the main process never ran it


def test_worker_info_is_read_only():
    info = ed.WorkerInfo(id=0, num_workers=1, seed=3, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign"):
        info.id = 2
    assert "id=0" in repr(info)


def test_worker_exception_is_reraised_with_worker_id_and_traceback():
    loader = ed.DataLoader(Failing(3), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as err:
        list(loader)
    msg = str(err.value)
    assert "Caught ValueError in DataLoader worker process 1" in msg  # batch [2, 3] went to worker 1
    assert "Original Traceback" in msg and "sample 3 is broken" in msg and "__getitem__" in msg
    del err  # its traceback holds the iterator, and so its workers, alive (as in PyTorch)
    with pytest.raises(KeyError, match="worker process 0"):
        list(ed.DataLoader(Failing(0, KeyError), num_workers=2))
    with pytest.raises(ZeroDivisionError, match="init of worker 0 failed"):
        list(ed.DataLoader(Squares(), num_workers=2, worker_init_fn=_failing_init))
    assert no_children()


def test_iterable_dataset_sharded_across_two_workers():
    for bs in (2, None):
        out = ed.DataLoader(Sharded(9), batch_size=bs, num_workers=2)
        got = [x for b in out for x in (b.tolist() if bs else [int(b)])]
        assert sorted(got) == list(range(9))  # each sample exactly once
    # Without sharding every worker yields the whole dataset, and the loader warns about the length.
    loader = ed.DataLoader(Unsharded(), batch_size=None, num_workers=2)
    assert len(loader) == 3
    with pytest.warns(UserWarning, match="IterableDataset replica at each worker"):
        assert sorted(int(x) for x in loader) == [0, 0, 1, 1, 2, 2]
    assert no_children()


def test_batches_in_sampler_order_despite_slow_worker():
    out = [int(b) for b in ed.DataLoader(Slow(0.05), batch_size=None, num_workers=2)]
    assert out == list(range(6))
    for pf in (1, 3):
        loader = ed.DataLoader(Squares(7), batch_size=2, num_workers=2, prefetch_factor=pf)
        assert [b.tolist() for b in loader] == [[0, 1], [4, 9], [16, 25], [36]]
    with pytest.raises(AssertionError, match="prefetch_factor must be greater than 0"):
        iter(ed.DataLoader(Squares(), num_workers=1, prefetch_factor=0))


def test_no_leftover_children_after_exhaustion_partial_iteration_and_del():
    list(ed.DataLoader(Squares(), batch_size=2, num_workers=2))
    assert no_children()
    it = iter(ed.DataLoader(Squares(), batch_size=1, num_workers=2))
    assert next(it).tolist() == [0]
    assert len(multiprocessing.active_children()) == 2
    del it
    assert no_children()


def test_persistent_workers_reuse_processes():
    loader = ed.DataLoader(WorkerProbe(), batch_size=None, num_workers=2, persistent_workers=True)
    first = list(loader)
    second = list(loader)
    assert {s["pid"] for s in first} == {s["pid"] for s in second}
    assert [s["id"] for s in second] == [0, 1, 0, 1]
    partial = iter(loader)
    next(partial)
    assert [s["id"] for s in loader] == [0, 1, 0, 1]  # a restarted epoch starts from the beginning
    assert len(multiprocessing.active_children()) == 2
    del loader, partial
    assert no_children()


def test_persistent_workers_restart_iterable_dataset():
    loader = ed.DataLoader(Sharded(5), batch_size=None, num_workers=2, persistent_workers=True)
    assert sorted(int(x) for x in loader) == list(range(5))
    assert sorted(int(x) for x in loader) == list(range(5))
    del loader
    assert no_children()


def test_tensors_cross_processes_and_pickle_rule_stays():
    e = list(ed.DataLoader(Rich(), batch_size=2, num_workers=2))
    assert norm(e) == norm(list(ed.DataLoader(Rich(), batch_size=2)))
    assert e[0]["x"].tolist() == [[0.0, 0.0], [1.0, 1.0]]
    boxed = list(ed.DataLoader(Rich(), batch_size=2, num_workers=1, collate_fn=_boxed_collate))
    assert isinstance(boxed[0], Boxed) and boxed[0].t.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    item = list(ed.DataLoader(Rich(batched=False), batch_size=None, num_workers=1))[1]
    assert item["w"].requires_grad and item["w"].is_leaf and not item["x"].requires_grad
    assert isinstance(item["p"], ember.nn.Parameter) and item["p"].tolist() == [1.0]
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(e[0]["x"])
    with pytest.raises(RuntimeError, match="non-leaf"):
        list(ed.DataLoader(NonLeaf(), batch_size=None, num_workers=1))


def test_worker_death_and_timeout_raise():
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(ed.DataLoader(Dies(), batch_size=None, num_workers=2))
    it = iter(ed.DataLoader(Hangs(), batch_size=None, num_workers=1, timeout=0.1))
    with pytest.raises(RuntimeError, match="timed out after 0.1 seconds"):
        next(it)
    del it
    assert no_children()


def test_spawn_context():
    ds = ed.TensorDataset(ember.arange(6.0), ember.arange(6))
    loader = ed.DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn")
    out = [[t.tolist() for t in b] for b in loader]
    assert out == [[[0.0, 1.0, 2.0, 3.0], [0, 1, 2, 3]], [[4.0, 5.0], [4, 5]]]
    assert no_children()

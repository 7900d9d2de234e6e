"""Datasets: the map-style ``Dataset`` and stream-style ``IterableDataset`` and their combinators."""
import bisect
import collections.abc
import math
import warnings
from itertools import accumulate

from ... import random as _random

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset",
           "random_split"]


class Dataset:
    r"""An abstract class representing a map-style :class:`Dataset`.

    Subclasses should overwrite :meth:`__getitem__`, supporting fetching a data sample for a given key, and
    usually :meth:`__len__`, which :class:`~ember.utils.data.Sampler` implementations and the default options of
    :class:`~ember.utils.data.DataLoader` expect. Subclasses may also implement :meth:`__getitems__` to speed up
    loading a batch of samples: it receives a list of indices and returns a list of samples.

    ``dataset_a + dataset_b`` is a :class:`ConcatDataset`.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset, collections.abc.Iterable):
    r"""An iterable Dataset: a stream of samples, for data that arrives as a stream.

    Subclasses must implement :meth:`__iter__` (it is abstract: instantiating without it is a TypeError). With ``num_workers > 0`` each worker process gets its own copy
    of the dataset and iterates it fully, so configure each copy differently to avoid duplicate data, for
    example with :func:`~ember.utils.data.get_worker_info` in :meth:`__iter__`::

        >>> class MyRange(ember.utils.data.IterableDataset):
        ...     def __init__(self, start, end):
        ...         self.start, self.end = start, end
        ...     def __iter__(self):
        ...         info = ember.utils.data.get_worker_info()
        ...         if info is None:  # single-process loading: the whole range
        ...             return iter(range(self.start, self.end))
        ...         return iter(range(self.start + info.id, self.end, info.num_workers))
    """

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    r"""Dataset wrapping tensors; sample ``i`` is ``tuple(t[i] for t in tensors)``.

    Args:
        *tensors (Tensor): tensors that have the same size of the first dimension.
    """

    def __init__(self, *tensors):
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class ConcatDataset(Dataset):
    r"""Dataset as a concatenation of multiple map-style datasets.

    Args:
        datasets (sequence): list of datasets to be concatenated

    Attributes:
        cumulative_sizes (list of int): running total of the datasets' lengths.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset; use ChainDataset to "
                                     "chain iterable datasets")
        self.cumulative_sizes = list(accumulate(len(d) for d in self.datasets))

    @property
    def cummulative_sizes(self):
        warnings.warn("cummulative_sizes attribute is renamed to cumulative_sizes", DeprecationWarning,
                      stacklevel=2)
        return self.cumulative_sizes

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += n
        if idx >= n:
            raise IndexError(f"index {idx} is out of range for ConcatDataset of length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    r"""Dataset for chaining multiple :class:`IterableDataset` s, one after another, on the fly.

    Args:
        datasets (iterable of IterableDataset): datasets to be chained together
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class Subset(Dataset):
    r"""Subset of a dataset at specified indices.

    Args:
        dataset (Dataset): the whole Dataset
        indices (sequence): indices in the whole set selected for subset
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        # Hand the whole batch to the wrapped dataset when it can take one (its own __getitems__).
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)


def _fraction_lengths(n, fractions):
    """Integer split sizes for ``fractions`` of ``n`` items: floor of each share, then the leftover items go
    one each to the splits in round-robin order from the first."""
    sizes = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        sizes.append(int(math.floor(n * frac)))
    for k in range(n - sum(sizes)):
        sizes[k % len(sizes)] += 1
    for i, size in enumerate(sizes):
        if size == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return sizes


def random_split(dataset, lengths, generator=_random.default_generator):
    r"""Randomly split a dataset into non-overlapping new datasets of given lengths.

    If a list of fractions that sum up to 1 is given, the lengths are computed as ``floor(frac * len(dataset))``
    for each fraction, and the remaining items are distributed one each, round-robin, starting with the first
    split.

    Args:
        dataset (Dataset): Dataset to be split
        lengths (sequence): lengths or fractions of splits to be produced
        generator (Generator): Generator used for the random permutation.

    Returns:
        list of :class:`Subset`

    Example::

        >>> generator = ember.Generator().manual_seed(42)
        >>> random_split(range(10), [3, 7], generator=generator)
        >>> random_split(range(30), [0.3, 0.3, 0.4], generator=generator)
    """
    lengths = list(lengths)
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _fraction_lengths(n, lengths)
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _random.randperm(sum(lengths), generator=generator).tolist()
    return [Subset(dataset, perm[end - size:end]) for end, size in zip(accumulate(lengths), lengths)]

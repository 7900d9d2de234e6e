"""``default_collate`` (a list of samples -> one batch) and ``default_convert`` (one sample -> tensors)."""
import collections.abc
import copy
import re

import numpy as np

from ...tensor import Tensor, as_tensor, stack, tensor
from ... import dtypes as _dt

__all__ = ["default_collate", "default_convert"]

# numpy dtype kinds that cannot become tensors: byte strings, unicode strings, objects.
_np_str_obj = re.compile(r"[SaUO]")

_collate_err = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def _is_numpy_array(x):
    return isinstance(x, np.ndarray)


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _rebuild_mapping(elem, values):
    """A mapping of ``elem``'s type holding ``values``: a shallow copy for mutable mappings (keeps extra state,
    e.g. an OrderedDict's order or a defaultdict's factory), otherwise the type called on a dict, falling back
    to a plain dict when the type cannot be built that way."""
    if isinstance(elem, collections.abc.MutableMapping):
        out = copy.copy(elem)
        out.update(values)
        return out
    try:
        return type(elem)(values)
    except TypeError:
        return values


def _rebuild_sequence(elem, values):
    try:
        return type(elem)(values)
    except TypeError:  # a sequence type whose constructor does not take a list
        return values


def default_convert(data):
    r"""Convert each NumPy array element into a :class:`ember.Tensor`, recursing into containers.

    This is the ``collate_fn`` of a DataLoader with automatic batching disabled (``batch_size=None``):

    * :class:`ember.Tensor` -> unchanged
    * NumPy array or scalar -> :class:`ember.Tensor` (arrays of strings or objects are left alone)
    * Mapping[K, V] -> Mapping[K, default_convert(V)]
    * NamedTuple[V1, V2, ...] -> NamedTuple[default_convert(V1), default_convert(V2), ...]
    * Tuple[V1, V2, ...] -> List[default_convert(V1), default_convert(V2), ...]
    * Sequence[V1, V2, ...] -> Sequence[default_convert(V1), default_convert(V2), ...] (a list when the type
      cannot be rebuilt)
    * anything else -> unchanged

    Examples:
        >>> default_convert(0)
        0
        >>> default_convert(np.array([0, 1]))
        tensor([0, 1])
        >>> default_convert((np.array([0, 1]), 2))
        [tensor([0, 1]), 2]
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        if isinstance(data, np.ndarray) and _np_str_obj.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def default_collate(batch):
    r"""Collate a list of samples into a batch with an extra outer dimension of batch size.

    This is the ``collate_fn`` of a DataLoader with automatic batching (``batch_size`` not ``None``). The
    type of the first sample decides:

    * :class:`ember.Tensor` -> :class:`ember.Tensor` (stacked; all must have the same shape)
    * NumPy arrays -> :class:`ember.Tensor` (stacked)
    * NumPy scalars -> :class:`ember.Tensor` of their dtype
    * `float` -> :class:`ember.Tensor` of ``float64``
    * `int` -> :class:`ember.Tensor` of ``int64``; `bool` -> of ``bool``
    * `str`, `bytes` -> unchanged (a list of them)
    * `Mapping[K, V_i]` -> `Mapping[K, default_collate([V_1, V_2, ...])]`
    * `NamedTuple[V1_i, V2_i, ...]` -> `NamedTuple[default_collate([V1_1, V1_2, ...]), ...]`
    * `Sequence[V1_i, V2_i, ...]` -> `Sequence[default_collate([V1_1, V1_2, ...]), ...]` (a list for tuples)

    Examples:
        >>> default_collate([0, 1, 2, 3])
        tensor([0, 1, 2, 3])
        >>> default_collate(['a', 'b', 'c'])
        ['a', 'b', 'c']
        >>> default_collate([{'A': 0, 'B': 1}, {'A': 100, 'B': 100}])
        {'A': tensor([  0, 100]), 'B': tensor([  1, 100])}
        >>> default_collate([(0, 'a'), (1, 'b')])
        [tensor([0, 1]), ['a', 'b']]

    Raises:
        TypeError: for element types it cannot collate, and for NumPy arrays of strings or objects.
        RuntimeError: when sequences in the batch differ in length, or tensors differ in shape.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if isinstance(elem, np.ndarray):
            if _np_str_obj.search(elem.dtype.str) is not None:
                raise TypeError(_collate_err.format(elem.dtype))
            return default_collate([as_tensor(b) for b in batch])
        # NumPy scalars keep their dtype (np.float32 -> float32), as their arrays do.
        return as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_dt.float64)
    if isinstance(elem, int):  # bool is an int: a batch of bools infers the bool dtype
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        # Each column is a tuple, passed on as such: strings inside samples come back as tuples, as in PyTorch.
        columns = [default_collate(field) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        return _rebuild_sequence(elem, columns)
    raise TypeError(_collate_err.format(type(elem)))

"""ember.utils.data: datasets, samplers and the DataLoader, as ``torch.utils.data``.

    dataset.py     Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset, ChainDataset, random_split
    sampler.py     Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
                   BatchSampler
    _collate.py    default_collate, default_convert
    dataloader.py  DataLoader and its single- and multi-process iterators
    _worker.py     the worker process loop, get_worker_info, and how batches cross processes
"""
from .dataset import (Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset, ChainDataset,
                      random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
                      BatchSampler)
from ._collate import default_collate, default_convert
from ._worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset",
           "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "default_collate", "default_convert", "WorkerInfo",
           "get_worker_info", "DataLoader"]

import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))

from helpers import DEVICES, skip_unless_device  # noqa: E402

import ember  # noqa: E402
from ember.autograd.grad_mode import GradMode  # noqa: E402

# `make test` runs two xdist workers on a 2-core machine: one BLAS thread each. More threads
# than cores makes OpenBLAS/OpenMP spin against each other and small products ~100x slower.
torch.set_num_threads(1)
ember.set_num_threads(1)


@pytest.fixture(autouse=True)
def _restore_modes():
    """A test that fails inside no_grad() or detect_anomaly() must not leak the mode into the next."""
    before = (GradMode.enabled, GradMode.inference, GradMode.anomaly)
    yield
    GradMode.enabled, GradMode.inference, GradMode.anomaly = before


@pytest.fixture(params=DEVICES)
def device(request):
    """Every device test runs on "cpu" and "cuda"; the CUDA case skips visibly without a GPU."""
    skip_unless_device(request.param)
    return request.param

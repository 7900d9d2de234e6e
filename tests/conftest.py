import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))

from helpers import DEVICES, skip_unless_device  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(params=DEVICES)
def device(request):
    """Every device test runs on "cpu" and "cuda"; the CUDA case skips visibly without a GPU."""
    skip_unless_device(request.param)
    return request.param

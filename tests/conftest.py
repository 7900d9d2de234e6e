import inspect
import os
import re
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))

import helpers  # noqa: E402
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


# A test that calls the oracle helpers ``check``/``check_raises`` without naming a device runs
# once per device: its CUDA case skips (one reason, CUDA_SKIP_REASON) where there is no GPU,
# and runs every comparison on CUDA where there is one.
_CALLS_ORACLE = re.compile(r"(?<![\w.])(check|check_raises|check_like_torch)\(")


def _calls_oracle(fn):
    try:
        return bool(_CALLS_ORACLE.search(inspect.getsource(fn)))
    except (OSError, TypeError):
        return False


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames or not _calls_oracle(metafunc.function):
        return
    metafunc.fixturenames.append("_oracle_device")
    metafunc.parametrize("_oracle_device", DEVICES)


@pytest.fixture(autouse=True)
def _oracle_device_setup(request):
    """Apply the device ``pytest_generate_tests`` chose: skip without it, else point the helpers at it."""
    callspec = getattr(request.node, "callspec", None)
    device = callspec.params.get("_oracle_device") if callspec is not None else None
    if device is None:
        yield
        return
    skip_unless_device(device)
    helpers.CURRENT["device"] = device
    try:
        yield
    finally:
        helpers.CURRENT["device"] = "cpu"

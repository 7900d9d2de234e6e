"""A view taken before its base changed in place follows the base's new graph, as in PyTorch
(before this, such a view kept the old node and its gradient was silently wrong)."""
import pytest
import torch

import ember
from helpers import assert_same


def _row_after_mul(lib):
    x = lib.ones(2, 3, requires_grad=True)
    y = x * 1
    v = y[0]
    y.mul_(2)
    v.sum().backward()
    return x.grad


def _slice_of_buffer_filled_later(lib):
    w = lib.ones(3, requires_grad=True)
    buf = lib.zeros(3)
    v = buf[:2]
    buf.copy_(w * 3)
    (v * 1).sum().backward()
    return w.grad


def _transpose_after_add(lib):
    x = lib.ones(2, 3, requires_grad=True)
    y = x * 1
    v = y.t()
    y.add_(1)
    (v * v).sum().backward()
    return x.grad


def _two_views_one_written(lib):
    x = lib.arange(6.0).reshape(2, 3).requires_grad_(True)
    y = x * 1
    a, b = y[0], y[1]
    a.mul_(3)  # through a view: b's base changed too
    (a * b).sum().backward()
    return x.grad


@pytest.mark.parametrize("case", [_row_after_mul, _slice_of_buffer_filled_later, _transpose_after_add,
                                  _two_views_one_written], ids=lambda f: f.__name__.strip("_"))
def test_stale_view_gradient_matches_torch(case):
    assert_same(case(ember), case(torch))

"""ember.nn.init against PyTorch 2.13.

The random streams differ from PyTorch's, so random initialisers are checked by their
distributions (bounds, mean and std within tolerance, orthogonality); gains, fans,
deterministic fills and errors are compared exactly.
"""
import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn import init


def same_err(fn):
    with pytest.raises(Exception) as t:
        fn(torch)
    with pytest.raises(Exception) as e:
        fn(ember)
    assert e.type is t.type and str(e.value) == str(t.value)


@pytest.mark.parametrize("args", [
    ("linear",), ("conv1d",), ("conv2d",), ("conv3d",), ("conv_transpose1d",), ("conv_transpose2d",),
    ("conv_transpose3d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
    ("leaky_relu", 1), ("leaky_relu", math.sqrt(5)), ("selu",),
])
def test_calculate_gain_equals_torch(args):
    e, t = init.calculate_gain(*args), torch.nn.init.calculate_gain(*args)
    assert e == t and type(e) is type(t)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.init.calculate_gain("softmax"),
    lambda lib: lib.nn.init.calculate_gain("leaky_relu", True),
    lambda lib: lib.nn.init.calculate_gain("leaky_relu", "x"),
    lambda lib: lib.nn.init.xavier_uniform_(lib.ones(3)),
    lambda lib: lib.nn.init.kaiming_normal_(lib.ones(3)),
    lambda lib: lib.nn.init.kaiming_uniform_(lib.ones(3, 4), mode="fan_avg"),
    lambda lib: lib.nn.init.eye_(lib.ones(3)),
    lambda lib: lib.nn.init.dirac_(lib.ones(3, 3)),
    lambda lib: lib.nn.init.dirac_(lib.ones(3, 3, 3), groups=2),
    lambda lib: lib.nn.init.orthogonal_(lib.ones(3)),
    lambda lib: lib.nn.init.sparse_(lib.ones(3, 3, 3), 0.5),
], ids=lambda f: None)
def test_errors_equal_torch(fn):
    same_err(fn)


@pytest.mark.parametrize("shape", [(3, 4), (6, 2, 3), (8, 4, 3, 3), (2, 5, 1, 2, 3)])
def test_fans_equal_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_deterministic_fills_equal_torch():
    for shape in [(3, 5), (5, 3), (4, 4)]:
        np.testing.assert_array_equal(init.eye_(ember.empty(shape)).numpy(), torch.nn.init.eye_(torch.empty(shape)))
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 4, 3, 1, 5), 1), ((4, 1, 3), 4)]:
        np.testing.assert_array_equal(init.dirac_(ember.empty(shape), groups).numpy(),
                                      torch.nn.init.dirac_(torch.empty(shape), groups).numpy())
    assert init.constant_(ember.empty(2, 2), 0.3).tolist() == torch.nn.init.constant_(torch.empty(2, 2), 0.3).tolist()
    assert init.ones_(ember.empty(3)).tolist() == [1.0] * 3 and init.zeros_(ember.ones(3)).tolist() == [0.0] * 3


BIG = (400, 500)


def _stats(t):
    v = t.numpy(force=True).astype(np.float64)
    return v.min(), v.max(), v.mean(), v.std()


@pytest.mark.parametrize("a, b", [(0.0, 1.0), (-3.0, 2.0)])
def test_uniform_(a, b):
    lo, hi, mean, std = _stats(init.uniform_(ember.empty(BIG), a, b))
    assert a <= lo and hi <= b and lo < a + 0.01 * (b - a) and hi > b - 0.01 * (b - a)
    assert abs(mean - (a + b) / 2) < 0.01 * (b - a) and abs(std - (b - a) / math.sqrt(12)) < 0.01 * (b - a)


@pytest.mark.parametrize("mean, std", [(0.0, 1.0), (2.0, 0.5)])
def test_normal_(mean, std):
    _, _, m, s = _stats(init.normal_(ember.empty(BIG), mean, std))
    assert abs(m - mean) < 0.01 * std and abs(s - std) < 0.01 * std


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (1.0, 2.0, 0.0, 1.5), (0.0, 0.02, -0.04, 0.04)])
def test_trunc_normal_(mean, std, a, b):
    x = init.trunc_normal_(ember.empty(BIG), mean, std, a, b)
    lo, hi, m, s = _stats(x)
    # the reference: torch's own trunc_normal_, same distribution, different draws
    _, _, tm, ts = _stats(torch.nn.init.trunc_normal_(torch.empty(BIG), mean, std, a, b))
    assert a <= lo and hi <= b
    assert abs(m - tm) < 0.02 * std and abs(s - ts) < 0.02 * std


def test_trunc_normal_warns_far_mean():
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        init.trunc_normal_(ember.empty(10), mean=10.0, std=1.0, a=-2.0, b=2.0)


@pytest.mark.parametrize("gain", [1.0, 2.0])
@pytest.mark.parametrize("shape", [(400, 500), (64, 32, 3, 3)])
def test_xavier(shape, gain):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    lo, hi, m, s = _stats(init.xavier_uniform_(ember.empty(shape), gain))
    bound = math.sqrt(3) * std
    assert -bound <= lo and hi <= bound and hi > 0.98 * bound and abs(s - std) < 0.02 * std and abs(m) < 0.02 * std
    _, _, m, s = _stats(init.xavier_normal_(ember.empty(shape), gain))
    assert abs(s - std) < 0.02 * std and abs(m) < 0.02 * std


@pytest.mark.parametrize("a, mode, nonlinearity", [
    (0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in", "leaky_relu"), (0, "fan_out", "relu"),
    (0.1, "fan_out", "leaky_relu"), (0, "fan_in", "tanh"),
])
def test_kaiming(a, mode, nonlinearity):
    shape = (300, 200, 2)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    lo, hi, m, s = _stats(init.kaiming_uniform_(ember.empty(shape), a, mode, nonlinearity))
    bound = math.sqrt(3) * std
    assert -bound <= lo and hi <= bound and hi > 0.98 * bound and abs(s - std) < 0.02 * std
    _, _, m, s = _stats(init.kaiming_normal_(ember.empty(shape), a, mode, nonlinearity))
    assert abs(s - std) < 0.02 * std and abs(m) < 0.02 * std


def test_kaiming_zero_element_warns_like_torch():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            lib.nn.init.kaiming_uniform_(lib.empty(0, 3))


@pytest.mark.parametrize("shape, gain", [((5, 5), 1.0), ((3, 7), 2.0), ((7, 3), 1.0), ((4, 2, 3), 0.5)])
def test_orthogonal_(shape, gain):
    x = init.orthogonal_(ember.empty(shape), gain).numpy().reshape(shape[0], -1).astype(np.float64)
    rows, cols = x.shape
    gram = x @ x.T if rows <= cols else x.T @ x
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_is_random_and_float64_accurate():
    a = init.orthogonal_(ember.empty(6, 6, dtype=ember.float64)).numpy()
    b = init.orthogonal_(ember.empty(6, 6, dtype=ember.float64)).numpy()
    assert not np.allclose(a, b)
    np.testing.assert_allclose(a @ a.T, np.eye(6), atol=1e-12)


def test_sparse_():
    x = init.sparse_(ember.empty(20, 30), 0.3, std=0.5).numpy()
    zeros_per_col = (x == 0).sum(0)
    assert (zeros_per_col == math.ceil(0.3 * 20)).all()
    assert abs(x[x != 0].std() - 0.5) < 0.1


def test_generator_keyword_reproducible():
    g1, g2 = ember.Generator().manual_seed(5), ember.Generator().manual_seed(5)
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_,
               init.trunc_normal_):
        a = fn(ember.empty(4, 3), generator=g1).tolist()
        b = fn(ember.empty(4, 3), generator=g2).tolist()
        assert a == b, fn.__name__


def test_in_place_on_parameter_keeps_graph_clean():
    p = ember.nn.Parameter(ember.empty(3, 4))
    v = p._version
    out = init.kaiming_uniform_(p, a=math.sqrt(5))
    assert out is p and p.requires_grad and p.grad_fn is None and p._version > v
    init.zeros_(p)
    assert p.abs().sum().item() == 0 and p.grad_fn is None


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_keeps_dtype(dtype):
    t = ember.empty(10, 10, dtype=getattr(ember, dtype))
    for fn in (init.uniform_, init.normal_, init.xavier_normal_, init.orthogonal_, init.trunc_normal_):
        assert fn(t).dtype == getattr(ember, dtype)


def test_deprecated_aliases_warn():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        init.normal(ember.empty(2, 2))
    assert any(issubclass(x.category, FutureWarning) for x in w)


def test_initialisers_on_device(device):
    for fn in (init.uniform_, init.normal_, init.trunc_normal_, init.xavier_uniform_, init.kaiming_normal_,
               init.orthogonal_, init.eye_, init.zeros_):
        t = fn(ember.empty(6, 4, device=device))
        assert t.device == ember.device(device), fn.__name__
    x = init.orthogonal_(ember.empty(6, 4, device=device)).numpy(force=True)
    np.testing.assert_allclose(x.T @ x, np.eye(4), atol=1e-5)
    x = init.sparse_(ember.empty(10, 3, device=device), 0.5).numpy(force=True)
    assert ((x == 0).sum(0) == 5).all()
    x = init.dirac_(ember.empty(2, 2, 3, device=device)).numpy(force=True)
    assert x.sum() == 2

"""ember.nn.utils (gradient clipping, parameter vectors) against PyTorch 2.13."""
import math

import numpy as np
import pytest
import torch

import ember
from ember.nn.utils import parameters_to_vector, vector_to_parameters

SHAPES = [(3, 4), (5,), (2, 2, 2), ()]


def make(scale=1.0, dtype="float32", seed=0):
    """Matching torch and ember leaves with matching .grad (the last one has none)."""
    rng = np.random.default_rng(seed)
    arrs = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [(rng.standard_normal(s) * scale).astype(dtype) for s in SHAPES]
    tp = [torch.tensor(a, requires_grad=True) for a in arrs] + [torch.zeros(2, requires_grad=True)]
    ep = [ember.tensor(a, requires_grad=True) for a in arrs] + [ember.zeros(2, requires_grad=True)]
    for t, e, g in zip(tp, ep, grads):
        t.grad, e.grad = torch.tensor(g), ember.tensor(g)
    return tp, ep


def assert_grads_equal(tp, ep, rtol):
    for t, e in zip(tp, ep):
        if t.grad is None:
            assert e.grad is None
        else:
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=0)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm, scale", [(1.0, 1.0), (100.0, 1.0), (0.1, 3.0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_norm_like_torch(norm_type, max_norm, scale, dtype):
    tp, ep = make(scale, dtype)
    t_total = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    e_total = ember.nn.utils.clip_grad_norm_(ep, max_norm, norm_type)
    assert isinstance(e_total, ember.Tensor) and e_total.shape == () and str(e_total.dtype) == \
        str(t_total.dtype).replace("torch", "ember")
    rtol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(e_total.item(), t_total.item(), rtol=rtol)
    assert_grads_equal(tp, ep, rtol)


def test_clip_grad_norm_single_tensor_and_no_grads():
    t, e = torch.ones(3, requires_grad=True), ember.ones(3, requires_grad=True)
    t.grad, e.grad = torch.full((3,), 2.0), ember.full((3,), 2.0)
    np.testing.assert_allclose(ember.nn.utils.clip_grad_norm_(e, 1.0).item(),
                               torch.nn.utils.clip_grad_norm_(t, 1.0).item(), rtol=1e-6)
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-6)
    empty = ember.nn.utils.clip_grad_norm_([ember.ones(2, requires_grad=True)], 1.0)
    assert empty.item() == torch.nn.utils.clip_grad_norm_([torch.ones(2, requires_grad=True)], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    for lib in (torch, ember):
        p = lib.ones(2, requires_grad=True)
        p.grad = lib.tensor([1.0, float("nan")])
        with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
            lib.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
        assert math.isnan(lib.nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_norm_module_parameters():
    torch.manual_seed(0)
    t = torch.nn.Linear(5, 3)
    e = ember.nn.Linear(5, 3)
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((7, 5)).astype(np.float32)
    (t(torch.tensor(x)) ** 2).sum().backward()
    (e(ember.tensor(x)) ** 2).sum().backward()
    a = torch.nn.utils.clip_grad_norm_(t.parameters(), 0.5)
    b = ember.nn.utils.clip_grad_norm_(e.parameters(), 0.5)
    np.testing.assert_allclose(b.item(), a.item(), rtol=1e-5)
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("clip", [0.5, 1, 10.0])
def test_clip_grad_value_like_torch(clip):
    tp, ep = make(2.0)
    assert torch.nn.utils.clip_grad_value_(tp, clip) is None
    assert ember.nn.utils.clip_grad_value_(ep, clip) is None
    assert_grads_equal(tp, ep, 0)


def test_clip_grad_version_bumped():
    p = ember.ones(3, requires_grad=True)
    p.grad = ember.full((3,), 5.0)
    v = p.grad._version
    ember.nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad._version > v and p.grad.tolist() == [1.0, 1.0, 1.0]


def test_parameters_to_vector_like_torch():
    tp, ep = make()
    tv, ev = torch.nn.utils.parameters_to_vector(tp), parameters_to_vector(ep)
    np.testing.assert_array_equal(ev.detach().numpy(), tv.detach().numpy())
    assert ev.requires_grad and ev.grad_fn is not None  # differentiable, as in torch
    w = np.arange(ev.numel(), dtype=np.float32)
    (tv * torch.tensor(w)).sum().backward()
    (ev * ember.tensor(w)).sum().backward()
    for t, e in zip(tp, ep):
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_vector_to_parameters_like_torch():
    tp, ep = make()
    vec = np.arange(sum(p.numel() for p in tp), dtype=np.float32)
    tv, ev = torch.tensor(vec), ember.tensor(vec)
    torch.nn.utils.vector_to_parameters(tv, tp)
    vector_to_parameters(ev, ep)
    for t, e in zip(tp, ep):
        assert type(e) is ember.Tensor and e.requires_grad and tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    ev.fill_(0.0)  # parameters are views of the vector, as in torch
    assert all(e.abs().sum().item() == 0 for e in ep)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got"):
        vector_to_parameters(vec, ep)


def test_module_parameters_round_trip():
    m = ember.nn.Linear(3, 2)
    vec = parameters_to_vector(m.parameters())
    assert vec.shape == (8,)
    vector_to_parameters(vec.detach() * 0 + 1, m.parameters())
    assert isinstance(m.weight, ember.nn.Parameter) and m.weight.tolist() == [[1.0] * 3] * 2


def test_import_paths():
    from ember.nn.utils import clip_grad_norm_, clip_grad_value_  # noqa: F401
    assert ember.nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert ember.nn.utils.clip_grad.clip_grad_norm_ is clip_grad_norm_
    assert ember.nn.utils.convert_parameters.parameters_to_vector is parameters_to_vector


def test_on_device(device):
    tp, _ = make(2.0)
    ep = [ember.tensor(t.detach().numpy(), device=device, requires_grad=True) for t in tp]
    for t, e in zip(tp, ep):
        e.grad = ember.tensor(t.grad.numpy(), device=device) if t.grad is not None else None
    a = torch.nn.utils.clip_grad_norm_(tp, 0.5)
    b = ember.nn.utils.clip_grad_norm_(ep, 0.5)
    assert b.device == ember.device(device)
    np.testing.assert_allclose(b.item(), a.item(), rtol=1e-6)
    for t, e in zip(tp, ep):
        if t.grad is not None:
            np.testing.assert_allclose(e.grad.numpy(force=True), t.grad.numpy(), rtol=1e-6)
    ember.nn.utils.clip_grad_value_(ep, 0.01)
    assert max(abs(e.grad).max().item() for e in ep if e.grad is not None) <= 0.01
    vec = parameters_to_vector(ep)
    assert vec.device == ember.device(device)

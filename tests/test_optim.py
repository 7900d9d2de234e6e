"""ember.optim against torch.optim: the same parameters and gradient sequence give the same
parameters and state after 20 steps; state_dict layout and round trip; groups; errors."""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember

SHAPES = [(5, 4), (4,), (3, 2, 2)]
STEPS = 20

# (optimizer name, options): every option that changes the math
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, maximize=True)),
]


def _ids(case):
    name, opts = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in opts.items())


def make_params(dtype, seed=0, device="cpu"):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [ember.tensor(a, requires_grad=True, device=device) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def grads_for(step, dtype, seed=1):
    rng = np.random.default_rng(seed * 1000 + step)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def run_ours(opt, params, steps, start=0, dtype="float32", device="cpu"):
    for i in range(start, start + steps):
        for p, g in zip(params, grads_for(i, dtype)):
            p.grad = ember.tensor(g, device=device)
        opt.step()


def run_theirs(opt, params, steps, start=0, dtype="float32"):
    for i in range(start, start + steps):
        for p, g in zip(params, grads_for(i, dtype)):
            p.grad = torch.tensor(g)
        opt.step()


def to_np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach().cpu().numpy())


def assert_close(ours, theirs, rtol):
    a, b = to_np(ours), to_np(theirs)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_parity_with_torch(case, dtype):
    name, opts = case
    ours, theirs = make_params(dtype)
    # foreach=False: PyTorch's one-tensor-at-a-time path (ember stores the flag and ignores it)
    opt = getattr(ember.optim, name)(ours, **opts, foreach=False)
    ref = getattr(torch.optim, name)(theirs, **opts, foreach=False)
    run_ours(opt, ours, STEPS, dtype=dtype)
    run_theirs(ref, theirs, STEPS, dtype=dtype)
    rtol = 1e-5 if dtype == "float32" else 1e-10
    for a, b in zip(ours, theirs):
        assert_close(a, b, rtol)
    # the state matches too: same keys in the same order, same values and dtypes
    sd, ref_sd = opt.state_dict(), ref.state_dict()
    assert [list(g.items()) for g in sd["param_groups"]] == [list(g.items()) for g in ref_sd["param_groups"]]
    assert list(sd["state"]) == list(ref_sd["state"])
    for i in ref_sd["state"]:
        assert list(sd["state"][i]) == list(ref_sd["state"][i])
        for key, value in ref_sd["state"][i].items():
            assert_close(sd["state"][i][key], value, rtol)

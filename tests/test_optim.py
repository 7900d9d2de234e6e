"""ember.optim against torch.optim: the same parameters and gradient sequence give the same
parameters and state after 20 steps; state_dict layout and round trip; groups; errors."""
import copy
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


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_cpu_slices_give_the_same_result(case, monkeypatch):
    """Large parameters are updated slice by slice on the CPU: with 16-element slices every
    parameter here spans several (and a remainder), and must still match torch exactly in float64.
    The first gradient is a transposed (non-contiguous) array: that parameter takes the
    whole-array path."""
    from ember.optim import _functional
    monkeypatch.setattr(_functional, "CHUNK_BYTES", 16 * 8)
    name, opts = case
    ours, theirs = make_params("float64")
    opt = getattr(ember.optim, name)(ours, **opts)
    ref = getattr(torch.optim, name)(theirs, **opts, foreach=False)
    for i in range(STEPS):
        grads = grads_for(i, "float64")
        grads[0] = np.ascontiguousarray(grads[0].T).T  # same values, Fortran order
        for p, q, g in zip(ours, theirs, grads):
            p.grad = ember.tensor(g) if p is not ours[0] else ember.from_numpy(g)
            q.grad = torch.tensor(g)
        assert not ours[0].grad._data.flags.c_contiguous
        opt.step()
        ref.step()
    for a, b in zip(ours, theirs):
        assert_close(a, b, 1e-10)


def test_big_parameter_matches_torch():
    """A real-sized weight (several 128 KiB slices plus a remainder) in float32."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((300, 150)).astype("float32")
    ours, theirs = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    opt, ref = ember.optim.Adam([ours], lr=0.01, weight_decay=0.1), torch.optim.Adam([theirs], lr=0.01,
                                                                                       weight_decay=0.1)
    for _ in range(5):
        g = rng.standard_normal(w.shape).astype("float32")
        ours.grad, theirs.grad = ember.tensor(g), torch.tensor(g)
        opt.step()
        ref.step()
    assert_close(ours, theirs, 1e-5)
    assert_close(opt.state[ours]["exp_avg_sq"], ref.state[theirs]["exp_avg_sq"], 1e-5)


@pytest.mark.parametrize("name,opts", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                                       ("RMSprop", dict(momentum=0.5, centered=True)), ("Adagrad", {}),
                                       ("NAdam", {}), ("Adamax", {}), ("AdamW", {})])
def test_state_dict_round_trip_resumes_training(name, opts):
    """Save mid-training, load into a fresh optimizer over fresh copies of the parameters, continue:
    the result equals uninterrupted training (also through ember.save / ember.load)."""
    import io
    ours, _ = make_params("float32")
    opt = getattr(ember.optim, name)(ours, **opts)
    run_ours(opt, ours, 7)
    buffer = io.BytesIO()
    ember.save(opt.state_dict(), buffer)
    snapshot = copy.deepcopy(opt.state_dict())
    copies = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ours]
    copies2 = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ours]
    run_ours(opt, ours, 8, start=7)

    resumed = getattr(ember.optim, name)(copies, lr=123.0)  # group options come from the state dict
    resumed.load_state_dict(snapshot)
    assert resumed.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    run_ours(resumed, copies, 8, start=7)
    buffer.seek(0)
    resumed2 = getattr(ember.optim, name)(copies2, **opts)
    resumed2.load_state_dict(ember.load(buffer))
    run_ours(resumed2, copies2, 8, start=7)
    for a, b, c in zip(ours, copies, copies2):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        np.testing.assert_array_equal(a.detach().numpy(), c.detach().numpy())
    # the loaded state was not aliased to the saved snapshot's group dicts
    assert resumed.param_groups[0] is not snapshot["param_groups"][0]


def test_state_dict_layout_and_load_casts_like_torch():
    p32 = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.Adam([p32], lr=0.1)
    p32.grad = ember.tensor([0.5, -0.5])
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    step = sd["state"][0]["step"]
    assert isinstance(step, ember.Tensor) and step.dim() == 0 and step.dtype == ember.float32 and step.item() == 1
    assert sd["param_groups"][0]["params"] == [0]
    # the returned dict references live state (as torch's does) but its groups are copies
    sd["param_groups"][0]["lr"] = 5.0
    assert opt.param_groups[0]["lr"] == 0.1
    assert sd["state"][0]["exp_avg"]._data is opt.state[p32]["exp_avg"]._data

    p64 = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    opt64 = ember.optim.Adam([p64])
    opt64.load_state_dict(sd)
    st = opt64.state[p64]
    assert st["exp_avg"].dtype == ember.float64 and st["exp_avg_sq"].dtype == ember.float64
    assert st["step"].dtype == ember.float32  # step keeps its own dtype, as in torch
    np.testing.assert_allclose(st["exp_avg"].numpy(), sd["state"][0]["exp_avg"].numpy())


def test_step_dtype_follows_default_dtype():
    old = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    try:
        p = ember.tensor([1.0], dtype=ember.float32, requires_grad=True)
        opt = ember.optim.NAdam([p])
        p.grad = ember.tensor([1.0])
        opt.step()
    finally:
        ember.set_default_dtype(old)
    assert opt.state[p]["step"].dtype == ember.float64
    assert opt.state[p]["mu_product"].dtype == ember.float64


def test_load_state_dict_errors():
    a, b = ember.tensor([1.0], requires_grad=True), ember.tensor([2.0], requires_grad=True)
    sd = ember.optim.SGD([a], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="^loaded state dict contains a parameter group that doesn't match the "
                                         "size of optimizer's group$"):
        ember.optim.SGD([a, b], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="^loaded state dict has a different number of parameter groups$"):
        ember.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


def test_param_groups_with_their_own_options_match_torch():
    ours, theirs = make_params("float64")

    def groups(ps):
        return [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5, "momentum": 0.0}]
    opt = ember.optim.SGD(groups(ours), lr=0.05, momentum=0.9)
    ref = torch.optim.SGD(groups(theirs), lr=0.05, momentum=0.9)
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[0]["lr"] == 0.05
    run_ours(opt, ours, 5, dtype="float64")
    run_theirs(ref, theirs, 5, dtype="float64")
    for a, b in zip(ours, theirs):
        assert_close(a, b, 1e-12)
    assert [list(g.items()) for g in opt.state_dict()["param_groups"]] == \
        [list(g.items()) for g in ref.state_dict()["param_groups"]]
    assert list(opt.state_dict()["state"]) == list(ref.state_dict()["state"]) == [0]


def test_add_param_group():
    a, b = ember.tensor([1.0], requires_grad=True), ember.tensor([2.0], requires_grad=True)
    opt = ember.optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.3)
    opt.add_param_group({"params": b, "lr": 0.2})
    assert opt.param_groups[1]["params"] == [b] and opt.param_groups[1]["lr"] == 0.2
    assert opt.param_groups[1]["initial_accumulator_value"] == 0.3
    b.grad = ember.tensor([1.0])
    opt.step()  # a has no gradient: skipped, b's state is made on its first step
    assert opt.state[a]["step"].item() == 0 and opt.state[b]["step"].item() == 1
    np.testing.assert_allclose(b.detach().numpy(), [2.0 - 0.2 / np.sqrt(1.3)], rtol=1e-6)
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter group$"):
        opt.add_param_group({"params": [a]})


def test_parameters_without_grad_are_skipped():
    a, b = ember.tensor([1.0], requires_grad=True), ember.tensor([2.0], requires_grad=True)
    opt = ember.optim.Adam([a, b], lr=0.1)
    a.grad = ember.tensor([1.0])
    opt.step()
    assert b not in opt.state and b.item() == 2.0
    assert list(opt.state_dict()["state"]) == [0]


def test_zero_grad():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.SGD([a])
    (a * a).sum().backward()
    opt.zero_grad()
    assert a.grad is None
    (a * a).sum().backward()
    grad = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad and a.grad.tolist() == [0.0, 0.0]
    (a * a).sum().backward()
    assert a.grad.tolist() == [2.0, 4.0]


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    w = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1)
    seen = []

    def closure():
        seen.append(ember.is_grad_enabled())
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6], rtol=1e-6)
    assert opt.step() is None


def test_step_is_in_place_and_bumps_the_version():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    data, version = w._data, w._version
    opt = ember.optim.Adam([w], lr=0.1)
    w.grad = ember.tensor([1.0, 1.0])
    grad_data = w.grad._data.copy()
    opt.step()
    assert w._data is data and w._version == version + 1
    np.testing.assert_array_equal(w.grad.numpy(), grad_data)  # the gradient is left untouched
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_maximize_climbs():
    w = ember.tensor([0.0], requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1, maximize=True)
    w.grad = ember.tensor([1.0])
    opt.step()
    assert w.item() == pytest.approx(0.1)


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and text are what is compared
        return type(e).__name__, str(e).replace("torch.", "ember.")
    return None


@pytest.mark.parametrize("name,opts", [
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-1)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=-1.0)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)), ("AdamW", dict(weight_decay=-1)),
    ("AdamW", dict(lr=-0.5)), ("RMSprop", dict(alpha=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(eps=-1)), ("RMSprop", dict(lr=-1)), ("RMSprop", dict(weight_decay=-1)),
    ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("Adagrad", dict(weight_decay=-1)), ("Adagrad", dict(lr=-1)), ("Adamax", dict(betas=(0.9, 1.0))),
    ("Adamax", dict(eps=-1)), ("Adamax", dict(lr=-1)), ("NAdam", dict(momentum_decay=-1)),
    ("NAdam", dict(betas=(1.0, 0.9))), ("NAdam", dict(lr=-1)), ("NAdam", dict(weight_decay=-1)),
])
def test_invalid_options_raise_like_torch(name, opts):
    expected = _err(lambda: getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **opts))
    assert expected is not None
    assert _err(lambda: getattr(ember.optim, name)([ember.zeros(1, requires_grad=True)], **opts)) == expected


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(2, requires_grad=True),                                     # a tensor, not an iterable
    lambda lib: [],                                                                   # empty
    lambda lib: [lib.zeros(2, requires_grad=True) * 2],                               # non-leaf
    lambda lib: [1.0],                                                                # not a tensor
    lambda lib: [{"params": {lib.zeros(2, requires_grad=True)}}],                     # a set
])
def test_bad_params_raise_like_torch(make):
    expected = _err(lambda: torch.optim.SGD(make(torch)))
    assert expected is not None
    assert _err(lambda: ember.optim.SGD(make(ember))) == expected


def test_duplicate_parameters():
    a = ember.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([a, a])
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter group$"):
        ember.optim.SGD([{"params": [a]}, {"params": [a]}])


def test_required_option():
    from ember.optim.optimizer import Optimizer, required
    assert repr(required) == "<required parameter>"
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Optimizer([ember.zeros(1, requires_grad=True)], dict(lr=required))


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam"])
def test_repr_and_defaults_match_torch(name):
    ours = getattr(ember.optim, name)([{"params": [ember.zeros(1, requires_grad=True)]},
                                       {"params": [ember.zeros(1, requires_grad=True)], "lr": 0.5}])
    theirs = getattr(torch.optim, name)([{"params": [torch.zeros(1, requires_grad=True)]},
                                         {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5}])
    assert repr(ours) == repr(theirs)
    assert ours.defaults == theirs.defaults


def test_named_parameters():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(1, requires_grad=True)
    opt = ember.optim.SGD([("weight", a), ("bias", b)], lr=0.1)
    ref = torch.optim.SGD([("weight", torch.zeros(2, requires_grad=True)),
                           ("bias", torch.zeros(1, requires_grad=True))], lr=0.1)
    assert opt.param_groups[0]["params"] == [a, b]
    assert [list(g.items()) for g in opt.state_dict()["param_groups"]] == \
        [list(g.items()) for g in ref.state_dict()["param_groups"]]


def test_with_nn_parameters_and_a_model():
    nn = ember.nn
    if not hasattr(nn, "Parameter") or not hasattr(nn, "Linear"):
        pytest.skip("ember.nn.Parameter / Linear not written yet")
    ember.manual_seed(0)
    model = nn.Linear(4, 1)
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())
    opt = ember.optim.Adam(model.parameters(), lr=0.05)
    x = ember.randn(32, 4)
    y = x.sum(1, keepdim=True)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


def test_deepcopy():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.Adam([w], lr=0.1)
    w.grad = ember.tensor([1.0, 1.0])
    opt.step()
    clone = copy.deepcopy(opt)
    assert clone.param_groups[0]["lr"] == 0.1 and len(clone.state) == 1
    clone.param_groups[0]["params"][0].grad = ember.tensor([1.0, 1.0])
    clone.step()
    assert opt.state[w]["step"].item() == 1 and clone.state[clone.param_groups[0]["params"][0]]["step"].item() == 2


def test_state_lives_on_the_parameters_device(device):
    w = ember.tensor([1.0, 2.0], requires_grad=True, device=device)
    for opt in (ember.optim.Adam([w], amsgrad=True), ember.optim.SGD([w], momentum=0.9),
                ember.optim.RMSprop([w], centered=True, momentum=0.1), ember.optim.Adagrad([w]),
                ember.optim.Adamax([w]), ember.optim.NAdam([w])):
        w.grad = ember.tensor([1.0, -1.0], device=device)
        before = w.detach().cpu().numpy().copy()
        opt.step()
        assert w.device.type == device
        assert not np.array_equal(w.detach().cpu().numpy(), before)
        for key, value in opt.state[w].items():
            if key in ("step", "mu_product"):
                assert value.device.type == "cpu"  # as torch keeps step (without capturable)
            else:
                assert value.device.type == device, key

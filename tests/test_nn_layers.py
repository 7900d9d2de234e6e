"""ember.nn layers against torch.nn: the torch layer's parameters and buffers copied into the ember
one, then forward, input and parameter gradients, train/eval behaviour, running statistics, reprs."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error, skip_unless_device

tnn, enn = torch.nn, ember.nn


def copy_state(t_mod, e_mod, device="cpu"):
    """Copy every parameter and buffer of a torch module into the ember module of the same structure."""
    e_params = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        e_params[name].data = ember.tensor(p.detach().numpy().copy(), device=device)
    e_bufs = dict(e_mod.named_buffers())
    for name, b in t_mod.named_buffers():
        e_bufs[name].data = ember.tensor(b.numpy().copy(), device=device)
    assert sorted(e_params) == sorted(n for n, _ in t_mod.named_parameters())
    assert sorted(e_bufs) == sorted(n for n, _ in t_mod.named_buffers())


def compare(t_mod, e_mod, inputs, device="cpu", train=True, grad=True, atol=None, rtol=None, copy=True):
    """Run both modules on the same inputs (numpy arrays; floating ones require grad), compare outputs,
    then back-propagate one random upstream gradient and compare input and parameter gradients."""
    skip_unless_device(device)
    if copy:
        copy_state(t_mod, e_mod, device)
    t_mod.train(train)
    e_mod.train(train)
    e_mod.to(device)
    tin = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in inputs]
    ein = [ember.tensor(a, device=device, requires_grad=grad and a.dtype.kind == "f") for a in inputs]
    t_out, e_out = t_mod(*tin), e_mod(*ein)
    assert_same(e_out, t_out, atol, rtol)
    if not grad:
        return e_out
    g = np.random.default_rng(5).uniform(-1, 1, tuple(t_out.shape)).astype(str(t_out.dtype).split(".")[-1])
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g, device=device))
    for i, (e, t) in enumerate(zip(ein, tin)):
        if t.requires_grad:
            assert_same(e.grad, t.grad, atol, rtol, what=f"grad of input {i}")
    e_params = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        if p.grad is None:
            assert e_params[name].grad is None, name
        else:
            assert_same(e_params[name].grad, p.grad, atol, rtol, what=f"grad of {name}")
    return e_out


def rand(*shape, seed=0, low=-2.0, high=2.0, dtype=np.float32):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


# --- activations ----------------------------------------------------------------------------

ACTIVATIONS = [
    ("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.2,)), ("PReLU", ()), ("ELU", (0.5,)), ("SELU", ()),
    ("CELU", (1.5,)), ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Sigmoid", ()), ("Tanh", ()),
    ("Hardtanh", (-0.5, 1.5)), ("Hardsigmoid", ()), ("Hardswish", ()), ("Softplus", (2.0, 3.0)), ("Softmax", (1,)),
    ("LogSoftmax", (-1,)), ("Softmin", (0,)), ("Softsign", ()), ("Threshold", (0.3, -1.0)), ("LogSigmoid", ()),
]


@pytest.mark.parametrize("name,args", ACTIVATIONS, ids=[f"{n}{a}" for n, a in ACTIVATIONS])
def test_activation_layer(name, args, device):
    t_mod, e_mod = getattr(tnn, name)(*args), getattr(enn, name)(*args)
    assert repr(e_mod) == repr(t_mod)
    compare(t_mod, e_mod, [rand(4, 3, 5) * 2], device=device)


def test_prelu_channels():
    t_mod = tnn.PReLU(3, init=0.1)
    e_mod = enn.PReLU(3, init=0.1)
    np.testing.assert_array_equal(e_mod.weight.detach().numpy(), t_mod.weight.detach().numpy())
    torch.nn.init.uniform_(t_mod.weight)
    compare(t_mod, e_mod, [rand(2, 3, 4)])
    assert repr(e_mod) == repr(t_mod) == "PReLU(num_parameters=3)"


@pytest.mark.parametrize("name,kw", [("ReLU", {"inplace": True}), ("LeakyReLU", {"negative_slope": 0.3,
                                     "inplace": True}), ("ELU", {"alpha": 2.0, "inplace": True}),
                                     ("Hardtanh", {"min_val": -2, "max_val": 3}), ("ReLU6", {"inplace": True}),
                                     ("SiLU", {"inplace": True}), ("Mish", {"inplace": True}),
                                     ("Threshold", {"threshold": 0.1, "value": 2, "inplace": True}),
                                     ("Softplus", {"beta": 2, "threshold": 10}), ("GELU", {"approximate": "tanh"}),
                                     ("Softmax", {}), ("CELU", {"alpha": 1.0}), ("Hardsigmoid", {"inplace": True})])
def test_activation_reprs(name, kw):
    assert repr(getattr(enn, name)(**kw)) == repr(getattr(tnn, name)(**kw))


def test_softmax_module_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension"):
        enn.Softmax()(ember.ones(2, 3))


def test_inplace_activation_module():
    x = ember.tensor(rand(3, 4))
    y = enn.ReLU(inplace=True)(x)
    assert y is x and (x.numpy() >= 0).all()


# --- dropout ----------------------------------------------------------------------------------

def test_dropout_layer(device):
    skip_unless_device(device)
    ember.manual_seed(1)
    d = enn.Dropout(0.25)
    x = ember.ones(300, 300, device=device, requires_grad=True)
    y = d(x)
    a = y.detach().cpu().numpy()
    assert abs((a == 0).mean() - 0.25) < 0.01
    np.testing.assert_allclose(a[a != 0], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), a)  # the gradient is the same mask and scale
    d.eval()
    np.testing.assert_array_equal(d(x).detach().cpu().numpy(), 1.0)
    assert repr(d) == repr(tnn.Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"
    assert repr(enn.Dropout(0.1, True)) == repr(tnn.Dropout(0.1, True))
    same_error(lambda m: m.nn.Dropout(1.5), match="between 0 and 1")


# --- embedding --------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"padding_idx": 1}, {"padding_idx": -2, "scale_grad_by_freq": True},
                                {"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0}])
def test_embedding_layer(kw, device):
    torch.manual_seed(0)
    t_mod, e_mod = tnn.Embedding(7, 4, **kw), enn.Embedding(7, 4, **kw)
    assert repr(e_mod) == repr(t_mod)
    i = np.array([[0, 1, 5], [1, 1, 6]])
    compare(t_mod, e_mod, [i], device=device)
    # max_norm renormalises the looked-up rows of the weight in place: the stored weights agree too
    np.testing.assert_allclose(e_mod.weight.detach().cpu().numpy(), t_mod.weight.detach().numpy(), rtol=1e-6)


def test_embedding_init_and_from_pretrained():
    e = enn.Embedding(1000, 8, padding_idx=3)
    w = e.weight.detach().numpy()
    assert np.all(w[3] == 0) and abs(w.std() - 1) < 0.05 and abs(w.mean()) < 0.05
    pre = ember.tensor(rand(5, 3))
    m = enn.Embedding.from_pretrained(pre)
    assert not m.weight.requires_grad and m.weight.shape == (5, 3)
    np.testing.assert_array_equal(m(ember.tensor([4])).numpy(), pre.numpy()[[4]])
    m2 = enn.Embedding.from_pretrained(pre, freeze=False, padding_idx=0)
    assert m2.weight.requires_grad and m2.padding_idx == 0
    assert repr(m2) == repr(tnn.Embedding.from_pretrained(torch.tensor(pre.numpy()), padding_idx=0))


# --- normalisation ----------------------------------------------------------------------------

NORMS = [
    ("LayerNorm", (5,), {}, (3, 4, 5)),
    ("LayerNorm", ((4, 5),), {"eps": 1e-3}, (3, 4, 5)),
    ("LayerNorm", (5,), {"elementwise_affine": False}, (3, 5)),
    ("LayerNorm", (5,), {"bias": False}, (2, 5)),
    ("RMSNorm", (5,), {}, (3, 4, 5)),
    ("RMSNorm", ([4, 5],), {"eps": 1e-4, "elementwise_affine": False}, (3, 4, 5)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("GroupNorm", (4, 4), {"affine": False}, (3, 4, 2, 2)),
    ("GroupNorm", (1, 4), {"eps": 0.1}, (3, 4)),
]


@pytest.mark.parametrize("name,args,kw,shape", NORMS)
def test_norm_layers(name, args, kw, shape, device):
    t_mod, e_mod = getattr(tnn, name)(*args, **kw), getattr(enn, name)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    for p in t_mod.parameters():  # non-trivial affine parameters
        torch.nn.init.uniform_(p, -1, 2)
    compare(t_mod, e_mod, [rand(*shape)], device=device)


def test_norm_layer_default_init():
    for e, t in [(enn.LayerNorm(3), tnn.LayerNorm(3)), (enn.GroupNorm(1, 3), tnn.GroupNorm(1, 3)),
                 (enn.BatchNorm1d(3), tnn.BatchNorm1d(3)), (enn.RMSNorm(3), tnn.RMSNorm(3))]:
        for (n1, p1), (n2, p2) in zip(e.named_parameters(), t.named_parameters()):
            assert n1 == n2
            np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())
        for (n1, b1), (n2, b2) in zip(e.named_buffers(), t.named_buffers()):
            assert n1 == n2 and b1.dtype.name == str(b2.dtype).split(".")[-1]
            np.testing.assert_array_equal(b1.numpy(), b2.numpy())
    with pytest.raises(ValueError):
        enn.GroupNorm(3, 4)


BATCHNORMS = [
    ("BatchNorm1d", {}, (6, 3)),
    ("BatchNorm1d", {"momentum": 0.3}, (4, 3, 5)),
    ("BatchNorm1d", {"momentum": None}, (6, 3)),
    ("BatchNorm1d", {"affine": False}, (6, 3)),
    ("BatchNorm1d", {"track_running_stats": False}, (6, 3)),
    ("BatchNorm2d", {}, (2, 3, 4, 4)),
    ("BatchNorm2d", {"momentum": None, "eps": 1e-3}, (3, 3, 2, 2)),
    ("BatchNorm2d", {"bias": False}, (2, 3, 2, 2)),
]


@pytest.mark.parametrize("name,kw,shape", BATCHNORMS)
def test_batchnorm_train_then_eval(name, kw, shape, device):
    t_mod, e_mod = getattr(tnn, name)(3, **kw), getattr(enn, name)(3, **kw)
    assert repr(e_mod) == repr(t_mod)
    for p in t_mod.parameters():
        torch.nn.init.uniform_(p, -1, 2)
    copy_state(t_mod, e_mod, device)
    for step in range(3):  # running statistics follow torch's over several batches
        x = rand(*shape, seed=step) * (step + 1) + step
        compare(t_mod, e_mod, [x], device=device, copy=False)
    for name_, b in t_mod.named_buffers():
        eb = dict(e_mod.named_buffers())[name_]
        assert_same(eb, b, what=name_)
    if t_mod.track_running_stats:
        assert int(e_mod.num_batches_tracked.item()) == 3
    compare(t_mod, e_mod, [rand(*shape, seed=9)], device=device, train=False, copy=False)  # eval: running stats


def test_batchnorm_input_dim_errors():
    same_error(lambda m: m.nn.BatchNorm1d(3)(m.ones(2, 3, 4, 5)), match="expected 2D or 3D input")
    same_error(lambda m: m.nn.BatchNorm2d(3)(m.ones(2, 3, 4)), match="expected 4D input")
    same_error(lambda m: m.nn.BatchNorm1d(3)(m.ones(1, 3)), match="more than 1 value per channel")
    bn = enn.BatchNorm1d(3).eval()
    bn(ember.ones(1, 3))  # eval mode with a single sample is fine


def test_batchnorm_state_dict_keys():
    e, t = enn.BatchNorm2d(4), tnn.BatchNorm2d(4)
    assert list(e.state_dict().keys()) == list(t.state_dict().keys())


# --- losses -----------------------------------------------------------------------------------

def _loss_inputs(name):
    x, y = rand(4, 3), rand(4, 3, seed=1)
    cls = np.array([0, 2, 1, 2])
    if name in ("CrossEntropyLoss", "NLLLoss"):
        return [x, cls]
    if name == "BCELoss":
        return [rand(4, 3, low=0.05, high=0.95), rand(4, 3, seed=1, low=0, high=1)]
    if name == "BCEWithLogitsLoss":
        return [x, rand(4, 3, seed=1, low=0, high=1)]
    if name == "KLDivLoss":
        return [np.log(np.random.default_rng(0).dirichlet(np.ones(3), 4)).astype(np.float32),
                np.random.default_rng(1).dirichlet(np.ones(3), 4).astype(np.float32)]
    if name in ("CosineEmbeddingLoss",):
        return [x, y, np.array([1, -1, 1, -1], dtype=np.float32)]
    if name == "MarginRankingLoss":
        return [x[:, 0].copy(), y[:, 0].copy(), np.array([1, -1, 1, -1], dtype=np.float32)]
    return [x, y]


LOSSES = [
    ("MSELoss", {}), ("L1Loss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.5}),
    ("HuberLoss", {"delta": 0.7, "reduction": "none"}), ("CrossEntropyLoss", {}),
    ("CrossEntropyLoss", {"weight": [0.2, 1.0, 3.0], "label_smoothing": 0.1}),
    ("CrossEntropyLoss", {"ignore_index": 2, "reduction": "sum"}), ("NLLLoss", {"weight": [0.2, 1.0, 3.0]}),
    ("BCELoss", {}), ("BCELoss", {"weight": [0.5, 1.0, 2.0]}), ("BCEWithLogitsLoss", {"pos_weight": [0.5, 1.0, 2.0]}),
    ("KLDivLoss", {"reduction": "batchmean"}), ("CosineEmbeddingLoss", {"margin": 0.1}),
    ("MarginRankingLoss", {"margin": 0.2, "reduction": "none"}),
]


@pytest.mark.parametrize("name,kw", LOSSES, ids=[f"{n}-{sorted(k)}" for n, k in LOSSES])
def test_loss_layers(name, kw, device):
    tkw = {k: torch.tensor(v) if isinstance(v, list) else v for k, v in kw.items()}
    ekw = {k: ember.tensor(v) if isinstance(v, list) else v for k, v in kw.items()}
    t_mod, e_mod = getattr(tnn, name)(**tkw), getattr(enn, name)(**ekw)
    assert repr(e_mod) == repr(t_mod)
    assert sorted(n for n, _ in e_mod.named_buffers()) == sorted(n for n, _ in t_mod.named_buffers())
    compare(t_mod, e_mod, _loss_inputs(name), device=device)


def test_loss_weight_is_a_buffer():
    m = enn.CrossEntropyLoss(weight=ember.tensor([1.0, 2.0]))
    assert "weight" in m.state_dict()
    assert enn.BCEWithLogitsLoss().weight is None and enn.BCEWithLogitsLoss().pos_weight is None


def test_loss_legacy_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert enn.MSELoss(size_average=False).reduction == tnn.MSELoss(size_average=False).reduction == "sum"
        assert enn.L1Loss(reduce=False).reduction == tnn.L1Loss(reduce=False).reduction == "none"


# --- an MLP trained a few steps with Adam-free SGD: the whole path together -----------------------

def test_mlp_training_steps_match_torch():
    torch.manual_seed(0)
    t_net = tnn.Sequential(tnn.Linear(6, 8), tnn.LayerNorm(8), tnn.GELU(), tnn.Linear(8, 3))
    e_net = enn.Sequential(enn.Linear(6, 8), enn.LayerNorm(8), enn.GELU(), enn.Linear(8, 3))
    copy_state(t_net, e_net)
    x, y = rand(10, 6), np.random.default_rng(0).integers(0, 3, 10)
    for _ in range(3):
        losses = []
        for net, m in ((t_net, torch), (e_net, ember)):
            net.zero_grad()
            loss = m.nn.functional.cross_entropy(net(m.tensor(x)), m.tensor(y))
            loss.backward()
            with m.no_grad():
                for p in net.parameters():
                    p -= 0.1 * p.grad
            losses.append(loss.item())
        assert losses[1] == pytest.approx(losses[0], rel=1e-5)
    for (n, p), (_, q) in zip(t_net.named_parameters(), e_net.named_parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=n)

"""ember.nn.functional against torch.nn.functional: forward and gradients in one line per case,
PyTorch-free numerical gradient checks of the new primitives, error types and messages."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck
from helpers import check, same_error, cases


def F(x):
    """The functional module of a tensor's framework."""
    return TF if isinstance(x, torch.Tensor) else EF


def L(x):
    return torch if isinstance(x, torch.Tensor) else ember


def idx(a):
    return np.asarray(a, dtype=np.int64)


# --- linear / bilinear ----------------------------------------------------------------------

@pytest.mark.parametrize("xs", [(5, 4), (4,), (2, 3, 4), (0, 4)])
def test_linear(xs, device):
    check(lambda x, w, b: F(x).linear(x, w, b), shapes=[xs, (6, 4), (6,)], device=device)
    check(lambda x, w: F(x).linear(x, w), shapes=[xs, (6, 4)], device=device)


def test_linear_float64_and_grad_fn():
    check(lambda x, w, b: F(x).linear(x, w, b), shapes=[(7, 3), (2, 3), (2,)], dtype="float64")
    check(lambda x, w, b: F(x).linear(x, w, b), shapes=[(7, 3), (2, 3), (1,)])
    check(lambda x, w: F(x).linear(x, w), shapes=[(7, 3), (3,)])
    x = ember.randn(3, 4, requires_grad=True)
    assert EF.linear(x, ember.randn(2, 4), ember.randn(2)).grad_fn.name() == "AddmmBackward0"


def test_linear_errors():
    e = same_error(lambda m: m.nn.functional.linear(m.ones(3, 5), m.ones(2, 4)), match=r"linear.*3x5")
    assert "4x2" in str(e.value)
    same_error(lambda m: m.nn.functional.linear(m.ones(3, 5, dtype=m.float64), m.ones(2, 5)), match="dtype")


@pytest.mark.parametrize("s1,s2", [((5, 3), (5, 4)), ((2, 5, 3), (2, 5, 4)), ((3,), (4,))])
def test_bilinear(s1, s2):
    check(lambda a, b, w, c: F(a).bilinear(a, b, w, c), shapes=[s1, s2, (6, 3, 4), (6,)])
    check(lambda a, b, w: F(a).bilinear(a, b, w), shapes=[s1, s2, (2, 3, 4)], dtype="float64")


# --- activations ----------------------------------------------------------------------------

ACTS = cases(
    ("relu", lambda x: F(x).relu(x)),
    ("relu6", lambda x: F(x).relu6(x * 4)),
    ("leaky_relu", lambda x: F(x).leaky_relu(x)),
    ("leaky_relu_0.2", lambda x: F(x).leaky_relu(x, 0.2)),
    ("elu", lambda x: F(x).elu(x)),
    ("elu_alpha", lambda x: F(x).elu(x * 30, alpha=0.5)),
    ("selu", lambda x: F(x).selu(x)),
    ("celu", lambda x: F(x).celu(x, alpha=1.5)),
    ("gelu", lambda x: F(x).gelu(x)),
    ("gelu_tanh", lambda x: F(x).gelu(x, approximate="tanh")),
    ("silu", lambda x: F(x).silu(x)),
    ("mish", lambda x: F(x).mish(x * 10)),
    ("sigmoid", lambda x: F(x).sigmoid(x)),
    ("tanh", lambda x: F(x).tanh(x)),
    ("hardtanh", lambda x: F(x).hardtanh(x)),
    ("hardtanh_range", lambda x: F(x).hardtanh(x, -0.5, 1.5)),
    ("hardsigmoid", lambda x: F(x).hardsigmoid(x * 3)),
    ("hardswish", lambda x: F(x).hardswish(x * 3)),
    ("softplus", lambda x: F(x).softplus(x)),
    ("softplus_beta", lambda x: F(x).softplus(x * 10, beta=2, threshold=5)),
    ("softsign", lambda x: F(x).softsign(x)),
    ("threshold", lambda x: F(x).threshold(x, 0.5, -2.0)),
    ("logsigmoid", lambda x: F(x).logsigmoid(x * 30)),
    ("softmax0", lambda x: F(x).softmax(x, 0)),
    ("softmax1", lambda x: F(x).softmax(x, -1)),
    ("log_softmax", lambda x: F(x).log_softmax(x, 1)),
    ("softmin", lambda x: F(x).softmin(x, 1)),
)


@pytest.mark.parametrize("fn", ACTS)
def test_activation(fn, device):
    check(fn, shapes=[(3, 5)], device=device)


@pytest.mark.parametrize("fn", ACTS)
def test_activation_float64(fn):
    # grad_rtol: PyTorch's hardsigmoid backward is only float32-accurate in float64
    check(fn, shapes=[(2, 3, 4)], dtype="float64", seed=3, grad_rtol=1e-7)


def test_activation_edges():
    x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0, 6.0, -100.0, 100.0])
    for f in [lambda x: F(x).relu6(x), lambda x: F(x).hardtanh(x), lambda x: F(x).hardsigmoid(x),
              lambda x: F(x).hardswish(x), lambda x: F(x).leaky_relu(x), lambda x: F(x).elu(x),
              lambda x: F(x).softplus(x), lambda x: F(x).logsigmoid(x), lambda x: F(x).celu(x),
              lambda x: F(x).mish(x), lambda x: F(x).gelu(x), lambda x: F(x).selu(x),
              lambda x: F(x).threshold(x, 1.0, 5.0)]:
        check(f, shapes=[x], dtype="float64", grad_rtol=1e-7)


def test_prelu():
    check(lambda x, w: F(x).prelu(x, w), shapes=[(2, 3, 4), (3,)])
    check(lambda x, w: F(x).prelu(x, w), shapes=[(2, 3), (1,)])
    check(lambda x, w: F(x).prelu(x, w), shapes=[(5,), (1,)], dtype="float64")
    same_error(lambda m: m.nn.functional.prelu(m.ones(2, 5), m.ones(3)), match="prelu.*3.*5")


def test_softmax_dtype_and_implicit_dim():
    check(lambda x: F(x).softmax(x, 1, dtype=L(x).float64), shapes=[(3, 4)])
    check(lambda x: F(x).log_softmax(x, 0, dtype=L(x).float64), shapes=[(3, 4)])
    for shape in [(4,), (3, 4), (2, 3, 4), (2, 3, 4, 5)]:
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            e = EF.softmax(ember.ones(*shape) * ember.arange(shape[-1]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = TF.softmax(torch.ones(*shape) * torch.arange(shape[-1]))
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match="log_softmax"):
        EF.log_softmax(ember.ones(2, 3))


def test_gelu_bad_approximate():
    same_error(lambda m: m.nn.functional.gelu(m.ones(2), approximate="foo"), match="gelu.*none or tanh")


@pytest.mark.parametrize("name,kw", [("relu", {}), ("leaky_relu", {"negative_slope": 0.3}), ("elu", {}),
                                     ("hardtanh", {}), ("relu6", {}), ("selu", {}), ("celu", {}),
                                     ("threshold", {"threshold": 0.1, "value": 9.0}), ("silu", {}),
                                     ("hardswish", {}), ("hardsigmoid", {}), ("mish", {})])
def test_inplace_activations(name, kw):
    a = np.random.default_rng(0).uniform(-2, 2, (3, 4)).astype(np.float32)
    res = []
    for m, F_ in ((torch, TF), (ember, EF)):
        leaf = m.tensor(a, requires_grad=True)
        x = leaf * 1.0
        y = getattr(F_, name)(x, inplace=True, **kw)
        assert y is x
        (y * y).sum().backward()
        res.append((y.detach().numpy().copy(), leaf.grad.numpy().copy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-5, atol=1e-6)
    # no grad: the data itself changes
    x = ember.tensor(a)
    getattr(EF, name)(x, inplace=True, **kw)
    np.testing.assert_allclose(x.numpy(), res[0][0], rtol=1e-5, atol=1e-6)


def test_inplace_on_leaf_errors():
    same_error(lambda m: m.nn.functional.relu(m.ones(3, requires_grad=True), inplace=True), match="leaf")


# --- dropout ----------------------------------------------------------------------------------

def test_dropout_statistics(device):
    ember.manual_seed(0)
    x = ember.ones(200, 500, device=device, requires_grad=True)
    for p in (0.2, 0.5, 0.8):
        y = EF.dropout(x, p)
        a = y.detach().cpu().numpy()
        assert abs((a == 0).mean() - p) < 0.01
        assert np.allclose(a[a != 0], 1 / (1 - p))
    y = EF.dropout(x, 0.3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), y.detach().cpu().numpy())
    assert EF.dropout(x, 0.5, training=False) is x
    assert np.all(EF.dropout(x, 1.0).detach().cpu().numpy() == 0)
    assert np.all(EF.dropout(x, 0.0).detach().cpu().numpy() == 1)


def test_dropout_inplace_and_errors():
    x = ember.ones(100, 100)
    y = EF.dropout(x, 0.5, inplace=True)
    assert y is x and (x.numpy() == 0).mean() > 0.4
    same_error(lambda m: m.nn.functional.dropout(m.ones(3), 1.5), match="between 0 and 1, but got 1.5")
    same_error(lambda m: m.nn.functional.dropout(m.ones(3), -0.1), match="between 0 and 1")


# --- embedding --------------------------------------------------------------------------------

def test_embedding(device):
    i = idx([[0, 2, 4], [4, 3, 2]])
    check(lambda i, w: F(w).embedding(i, w), shapes=[i, (5, 3)], dtype=["int64", "float32"], device=device)
    check(lambda i, w: F(w).embedding(i, w, padding_idx=2), shapes=[i, (5, 3)], dtype=["int64", "float32"],
          device=device)
    check(lambda i, w: F(w).embedding(i, w, padding_idx=-1), shapes=[i, (5, 3)], dtype=["int64", "float64"])
    check(lambda i, w: F(w).embedding(i, w, scale_grad_by_freq=True), shapes=[i, (5, 3)],
          dtype=["int64", "float64"])
    check(lambda i, w: F(w).embedding(i, w), shapes=[idx(3), (5, 3)], dtype=["int64", "float32"])


def test_embedding_max_norm():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(6, 4)) * 3
    i = idx([[0, 1], [1, 5]])
    for norm_type in (2.0, 1.0):
        tw, ew = torch.tensor(w0, requires_grad=True), ember.tensor(w0, requires_grad=True)
        with torch.no_grad():
            tw2 = tw.clone()
        ew2 = ew.detach().clone()
        to = TF.embedding(torch.tensor(i), tw2, max_norm=1.5, norm_type=norm_type)
        eo = EF.embedding(ember.tensor(i), ew2, max_norm=1.5, norm_type=norm_type)
        np.testing.assert_allclose(eo.numpy(), to.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ew2.numpy(), tw2.numpy(), rtol=1e-10)  # rows renormalised in place
        assert not np.allclose(ew2.numpy(), w0)


def test_embedding_errors():
    same_error(lambda m: m.nn.functional.embedding(m.tensor([0, 9]), m.ones(5, 3)), match="index out of range")
    same_error(lambda m: m.nn.functional.embedding(m.tensor([0.0, 1.0]), m.ones(5, 3)), match="Long, Int")


# --- normalisation ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape,ns", [((3, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 3, 4), [4])])
def test_layer_norm(shape, ns, device):
    nshape = tuple(ns)
    check(lambda x, w, b: F(x).layer_norm(x, ns, w, b), shapes=[shape, nshape, nshape], device=device)
    check(lambda x: F(x).layer_norm(x, ns, eps=1e-3), shapes=[shape], dtype="float64")


def test_rms_norm(device):
    check(lambda x, w: F(x).rms_norm(x, (4,), w), shapes=[(3, 4), (4,)], device=device)
    check(lambda x: F(x).rms_norm(x, (3, 4)), shapes=[(2, 3, 4)], dtype="float64")
    check(lambda x: F(x).rms_norm(x, [4], eps=0.1), shapes=[(2, 3, 4)], dtype="float64", low=-0.01, high=0.01)
    check(lambda x: F(x).rms_norm(x, [4]), shapes=[(2, 3, 4)], low=-1e-4, high=1e-4)


def test_group_norm(device):
    check(lambda x, w, b: F(x).group_norm(x, 2, w, b), shapes=[(2, 4, 3), (4,), (4,)], device=device)
    check(lambda x: F(x).group_norm(x, 3), shapes=[(2, 6, 2, 2)], dtype="float64")
    check(lambda x, w, b: F(x).group_norm(x, 1, w, b, eps=0.1), shapes=[(3, 2), (2,), (2,)], dtype="float64")


def test_norm_errors():
    same_error(lambda m: m.nn.functional.layer_norm(m.ones(3, 5), (4,)), match=r"normalized_shape=\[4\].*\[3, 5\]")
    same_error(lambda m: m.nn.functional.rms_norm(m.ones(3, 5), (4,)), match="normalized_shape")
    same_error(lambda m: m.nn.functional.group_norm(m.ones(2, 5, 3), 2), match=r"divisible by num_groups.*\[2, 5, 3\]")
    same_error(lambda m: m.nn.functional.batch_norm(m.ones(1, 5), m.zeros(5), m.ones(5), training=True),
               match="more than 1 value per channel")
    same_error(lambda m: m.nn.functional.batch_norm(m.ones(4, 5), None, None), match="running_mean")


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 2, 2)])
def test_batch_norm_training(shape, device):
    check(lambda x, w, b: F(x).batch_norm(x, None, None, w, b, training=True), shapes=[shape, (3,), (3,)],
          device=device)
    check(lambda x: F(x).batch_norm(x, None, None, training=True, eps=0.1), shapes=[shape], dtype="float64")


def test_batch_norm_running_stats_and_eval():
    rng = np.random.default_rng(0)
    tm, tv = torch.zeros(3), torch.ones(3)
    em, ev = ember.zeros(3), ember.ones(3)
    for step in range(3):
        x = rng.normal(size=(5, 3, 2)).astype(np.float32) * (step + 1) + step
        TF.batch_norm(torch.tensor(x), tm, tv, training=True, momentum=0.3)
        EF.batch_norm(ember.tensor(x), em, ev, training=True, momentum=0.3)
    np.testing.assert_allclose(em.numpy(), tm.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ev.numpy(), tv.numpy(), rtol=1e-5)
    check(lambda x, m, v, w, b: F(x).batch_norm(x, m.detach(), v.detach(), w, b, training=False),
          shapes=[(4, 3), tm.numpy(), tv.numpy(), (3,), (3,)])


# --- losses -----------------------------------------------------------------------------------

RED = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", RED)
def test_regression_losses(reduction, device):
    kw = dict(shapes=[(3, 4), (3, 4)], device=device)
    check(lambda x, y: F(x).mse_loss(x, y, reduction=reduction), **kw)
    check(lambda x, y: F(x).l1_loss(x, y, reduction=reduction), **kw)
    check(lambda x, y: F(x).smooth_l1_loss(x, y, reduction=reduction), **kw)
    check(lambda x, y: F(x).smooth_l1_loss(x, y, reduction=reduction, beta=0.5), **kw)
    check(lambda x, y: F(x).smooth_l1_loss(x, y, reduction=reduction, beta=0.0), **kw)
    check(lambda x, y: F(x).huber_loss(x, y, reduction=reduction), **kw)
    check(lambda x, y: F(x).huber_loss(x, y, reduction=reduction, delta=0.3), **kw)
    kw = dict(shapes=[(3, 4), (3, 4), (3, 4)], dtype="float64")
    check(lambda x, y, w: F(x).mse_loss(x, y, reduction=reduction, weight=w.detach()), **kw)
    check(lambda x, y, w: F(x).l1_loss(x, y, reduction=reduction, weight=w.detach()), **kw)
    check(lambda x, y, w: F(x).huber_loss(x, y, reduction=reduction, weight=w.detach()), **kw)


def test_regression_loss_broadcast_warning_and_errors():
    with pytest.warns(UserWarning, match="different to the input size"):
        EF.mse_loss(ember.ones(3, 1), ember.ones(3))
    same_error(lambda m: m.nn.functional.mse_loss(m.ones(3), m.ones(3), reduction="foo"),
               match="foo is not a valid value for reduction")
    same_error(lambda m: m.nn.functional.smooth_l1_loss(m.ones(3), m.ones(3), beta=-1), match="negative")
    same_error(lambda m: m.nn.functional.huber_loss(m.ones(3), m.ones(3), delta=0), match="non-positive")
    same_error(lambda m: m.nn.functional.mse_loss(m.ones(3), m.ones(3), weight=m.ones(2)), match="same size")
    with pytest.warns(UserWarning):
        check(lambda x, y: F(x).mse_loss(x, y, size_average=False), shapes=[(3, 4), (3, 4)])


@pytest.mark.parametrize("reduction", RED)
def test_cross_entropy_indices(reduction, device):
    t = idx([1, 0, 3, 2, 1])
    check(lambda x, t: F(x).cross_entropy(x, t, reduction=reduction), shapes=[(5, 4), t],
          dtype=["float32", "int64"], device=device)
    t2 = idx([1, -100, 3, 2, -100])
    check(lambda x, t: F(x).cross_entropy(x, t, reduction=reduction), shapes=[(5, 4), t2],
          dtype=["float64", "int64"])
    check(lambda x, t: F(x).cross_entropy(x, t, reduction=reduction, ignore_index=3), shapes=[(5, 4), t],
          dtype=["float64", "int64"])
    # K-dim (N, C, d1, d2) and unbatched (C,)
    tk = np.random.default_rng(1).integers(0, 4, (2, 3, 2))
    check(lambda x, t: F(x).cross_entropy(x, t, reduction=reduction), shapes=[(2, 4, 3, 2), tk],
          dtype=["float32", "int64"], device=device)
    check(lambda x, t: F(x).cross_entropy(x, t, reduction=reduction), shapes=[(4,), idx(2)],
          dtype=["float32", "int64"])


@pytest.mark.parametrize("reduction", RED)
def test_cross_entropy_weight_smoothing(reduction):
    t = idx([1, 0, 3, 2, 1, -100])
    w = np.array([0.5, 2.0, 1.0, 3.0])
    kw = dict(dtype=["float64", "int64", "float64"])
    check(lambda x, t, w: F(x).cross_entropy(x, t, w.detach(), reduction=reduction), shapes=[(6, 4), t, w], **kw)
    check(lambda x, t, w: F(x).cross_entropy(x, t, w.detach(), reduction=reduction, label_smoothing=0.2),
          shapes=[(6, 4), t, w], **kw)
    check(lambda x, t: F(x).cross_entropy(x, t, reduction=reduction, label_smoothing=0.1),
          shapes=[(6, 4), t], dtype=["float64", "int64"])
    tk = np.random.default_rng(1).integers(0, 4, (2, 3))
    check(lambda x, t, w: F(x).cross_entropy(x, t, w.detach(), reduction=reduction, label_smoothing=0.3),
          shapes=[(2, 4, 3), tk, w], **kw)


@pytest.mark.parametrize("reduction", RED)
def test_cross_entropy_probabilities(reduction):
    p = np.random.default_rng(2).dirichlet(np.ones(4), size=5)
    check(lambda x, p: F(x).cross_entropy(x, p, reduction=reduction), shapes=[(5, 4), p], dtype="float64")
    check(lambda x, p, w: F(x).cross_entropy(x, p, w.detach(), reduction=reduction, label_smoothing=0.2),
          shapes=[(5, 4), p, (4,)], dtype="float64")
    pk = np.random.default_rng(2).dirichlet(np.ones(3), size=(2, 2)).transpose(0, 2, 1)
    check(lambda x, p: F(x).cross_entropy(x, p, reduction=reduction), shapes=[(2, 3, 2), pk], dtype="float64")
    check(lambda x, p: F(x).cross_entropy(x, p, reduction=reduction), shapes=[(4,), p[0]], dtype="float64")


@pytest.mark.parametrize("reduction", RED)
def test_nll_loss(reduction):
    t = idx([1, 0, 3, -100, 1])
    check(lambda x, t: F(x).nll_loss(x, t, reduction=reduction), shapes=[(5, 4), t], dtype=["float32", "int64"])
    check(lambda x, t, w: F(x).nll_loss(x, t, w.detach(), reduction=reduction), shapes=[(5, 4), t, (4,)],
          dtype=["float64", "int64", "float64"], low=0.1)
    tk = np.random.default_rng(1).integers(0, 4, (2, 3))
    check(lambda x, t: F(x).nll_loss(x, t, reduction=reduction), shapes=[(2, 4, 3), tk], dtype=["float64", "int64"])


@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.1}, {"weight": np.ones(4, dtype=np.float32)}])
def test_cross_entropy_all_ignored(kw):
    t = idx([-100, -100, -100])
    w = kw.get("weight")
    extra = {"label_smoothing": kw["label_smoothing"]} if "label_smoothing" in kw else {}
    if w is None:
        check(lambda x, t: F(x).cross_entropy(x, t, **extra), shapes=[(3, 4), t], dtype=["float32", "int64"])
    else:
        check(lambda x, t, w: F(x).cross_entropy(x, t, w.detach()), shapes=[(3, 4), t, w],
              dtype=["float32", "int64", "float32"])


def test_class_target_errors():
    f = lambda m: m.nn.functional  # noqa: E731
    same_error(lambda m: f(m).cross_entropy(m.ones(3, 5), m.tensor([0, 1, 7])), match="Target 7 is out of bounds")
    same_error(lambda m: f(m).nll_loss(m.ones(3, 5), m.tensor([0, 1, -3])), match="Target -3 is out of bounds")
    same_error(lambda m: f(m).cross_entropy(m.ones(3, 5), m.tensor([0, 1])), match=r"batch_size \(3\).*\(2\)")
    same_error(lambda m: f(m).cross_entropy(m.ones(3, 5), m.tensor([0.0, 1, 2])), match="Long")
    same_error(lambda m: f(m).cross_entropy(m.ones(3, 5), m.tensor([0, 1, 2]), weight=m.ones(4)),
               match="5 classes")
    same_error(lambda m: f(m).nll_loss(m.ones(3, 4, 5), m.zeros(3, 4, dtype=m.int64)), match=r"\[3, 5\]")
    same_error(lambda m: f(m).cross_entropy(m.ones(3, 5), m.tensor([0, 1, 2]), label_smoothing=1.5),
               match="label_smoothing")


@pytest.mark.parametrize("reduction", RED)
def test_binary_cross_entropy(reduction, device):
    check(lambda x, y: F(x).binary_cross_entropy(x, y, reduction=reduction), shapes=[(3, 4), (3, 4)],
          low=0.05, high=0.95, device=device)
    check(lambda x, y, w: F(x).binary_cross_entropy(x, y, w.detach(), reduction=reduction),
          shapes=[(3, 4), (3, 4), (4,)], low=0.05, high=0.95, dtype="float64")
    check(lambda x, y: F(x).binary_cross_entropy(x, y, reduction=reduction),
          shapes=[np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.5])], grad=False)
    check(lambda x, y: F(x).binary_cross_entropy_with_logits(x, y, reduction=reduction),
          shapes=[(3, 4), (3, 4)], device=device)
    check(lambda x, y, w, p: F(x).binary_cross_entropy_with_logits(x, y, w.detach(), reduction=reduction,
                                                                  pos_weight=p.detach()),
          shapes=[(3, 4), (3, 4), (3, 1), (4,)], dtype="float64", low=0.0, high=1.0)
    check(lambda x, y: F(x).binary_cross_entropy_with_logits(x * 100, y, reduction=reduction),
          shapes=[(3, 4), (3, 4)], dtype="float64", low=0.0, high=1.0)


def test_bce_errors():
    same_error(lambda m: m.nn.functional.binary_cross_entropy(m.rand(3), m.rand(3, 1)), match="target size")
    same_error(lambda m: m.nn.functional.binary_cross_entropy(m.tensor([1.5]), m.rand(1)), match="between 0 and 1")
    same_error(lambda m: m.nn.functional.binary_cross_entropy_with_logits(m.rand(3), m.rand(3, 1)),
               match="must be the same as input size")


@pytest.mark.parametrize("reduction", RED + ["batchmean"])
def test_kl_div(reduction):
    t = np.random.default_rng(3).dirichlet(np.ones(4), size=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda x, y: F(x).kl_div(x.log_softmax(1), y, reduction=reduction), shapes=[(3, 4), t],
              dtype="float64")
        t[0, 1] = 0.0  # a zero target contributes 0 (its own gradient is nan in PyTorch: not compared)
        check(lambda x, y: F(x).kl_div(x.log_softmax(1), y.detach(), reduction=reduction), shapes=[(3, 4), t],
              dtype="float64")
        check(lambda x, y: F(x).kl_div(x, y, reduction=reduction, log_target=True), shapes=[(3, 4), (3, 4)])
    if reduction == "mean":
        with pytest.warns(UserWarning, match="batchmean"):
            EF.kl_div(ember.zeros(2), ember.ones(2))


@pytest.mark.parametrize("reduction", RED)
def test_cosine_embedding_and_margin_ranking(reduction):
    y = np.array([1.0, -1.0, 1.0, -1.0, -1.0], dtype=np.float32)
    check(lambda a, b, y: F(a).cosine_embedding_loss(a, b, y.detach(), reduction=reduction),
          shapes=[(5, 3), (5, 3), y])
    check(lambda a, b, y: F(a).cosine_embedding_loss(a, b, y.detach(), margin=-0.2, reduction=reduction),
          shapes=[(5, 3), (5, 3), y.astype(np.float64)], dtype="float64")
    check(lambda a, b, y: F(a).cosine_embedding_loss(a, b, y.detach(), reduction=reduction),
          shapes=[(3,), (3,), np.array(-1.0)], dtype="float64")
    check(lambda a, b, y: F(a).margin_ranking_loss(a, b, y.detach(), reduction=reduction), shapes=[(5,), (5,), y])
    check(lambda a, b, y: F(a).margin_ranking_loss(a, b, y.detach(), margin=0.5, reduction=reduction),
          shapes=[(5,), (5,), y.astype(np.float64)], dtype="float64")
    same_error(lambda m: m.nn.functional.margin_ranking_loss(m.ones(3), m.ones(3), m.ones(3, 1)),
               match="same dimension")


# --- utilities --------------------------------------------------------------------------------

def test_one_hot():
    for a, n in [([0, 2, 1], -1), ([[0, 1], [3, 2]], 5), (3, 4)]:
        e = EF.one_hot(ember.tensor(a), n)
        t = TF.one_hot(torch.tensor(a), n)
        assert e.dtype == ember.int64 and tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    same_error(lambda m: m.nn.functional.one_hot(m.tensor([0, 1], dtype=m.int32)), match="LongTensor")
    same_error(lambda m: m.nn.functional.one_hot(m.tensor([0, -1])), match="non-negative")
    same_error(lambda m: m.nn.functional.one_hot(m.tensor([0, 5]), 3), match="smaller than num_classes")


PADS = cases(
    ("const", (1, 2), "constant", (2, 3)),
    ("const_2d", (1, 0, 2, 1), "constant", (2, 3, 4)),
    ("const_neg", (-1, 2, 0, -1), "constant", (2, 3, 4)),
    ("const_all_dims", (1, 1, 1, 1, 1, 1), "constant", (2, 3, 4)),
    ("reflect", (2, 1), "reflect", (2, 3, 4)),
    ("reflect_2d", (2, 1, 1, 2), "reflect", (1, 2, 3, 4)),
    ("reflect_neg", (-1, 2), "reflect", (2, 4)),
    ("replicate", (3, 1), "replicate", (2, 3)),
    ("replicate_3d", (1, 2, 0, 1, 2, 0), "replicate", (1, 1, 2, 3, 2)),
    ("circular", (2, 3), "circular", (2, 3, 4)),
    ("circular_2d", (1, 1, 2, 0), "circular", (1, 2, 3, 4)),
)


@pytest.mark.parametrize("p,mode,shape", PADS)
def test_pad(p, mode, shape, device):
    check(lambda x: F(x).pad(x, p, mode=mode), shapes=[shape], device=device)


def test_pad_value_and_errors():
    check(lambda x: F(x).pad(x, (1, 1), value=3.5), shapes=[(2, 3)], dtype="float64")
    check(lambda x: F(x).pad(x, (1, 1), value=7), shapes=[(2, 3)], dtype="int64", grad=False)
    f = lambda m: m.nn.functional  # noqa: E731
    same_error(lambda m: f(m).pad(m.ones(3, 5), (1,)), match="divisible by 2")
    same_error(lambda m: f(m).pad(m.ones(3, 5), (1, 1, 1, 1, 1, 1)), match="padding length 6")
    same_error(lambda m: f(m).pad(m.ones(3, 5), (5, 5), mode="reflect"), match=r"padding \(5, 5\)")
    same_error(lambda m: f(m).pad(m.ones(3, 5), (1, 1), mode="reflect", value=2.0), match="value argument")
    same_error(lambda m: f(m).pad(m.ones(5), (1, 1), mode="reflect"), match="not supported for 1D")
    same_error(lambda m: f(m).pad(m.ones(2, 3, 4), (6, 1), mode="circular"), match="wrapping around")


def test_normalize_and_cosine_similarity(device):
    check(lambda x: F(x).normalize(x), shapes=[(3, 4)], device=device)
    check(lambda x: F(x).normalize(x, p=1.0, dim=0), shapes=[(3, 4)], dtype="float64")
    check(lambda x: F(x).normalize(x, dim=-1), shapes=[(2, 3, 4)], dtype="float64")
    check(lambda a, b: F(a).cosine_similarity(a, b), shapes=[(3, 4), (3, 4)], device=device)
    check(lambda a, b: F(a).cosine_similarity(a, b, dim=0), shapes=[(3, 4), (1, 4)], dtype="float64")
    check(lambda a, b: F(a).cosine_similarity(a, b, dim=-1), shapes=[(2, 3, 4), (3, 4)], dtype="float64")
    check(lambda a, b: F(a).cosine_similarity(a, b), shapes=[np.zeros((2, 3)), (2, 3)], grad=False)


# --- PyTorch-free numerical checks of the primitives and key composites -------------------------

def _t(shape, seed=0, low=-1.0, high=1.0):
    return ember.tensor(np.random.default_rng(seed).uniform(low, high, shape), requires_grad=True)


GRADCHECKS = cases(
    ("linear", lambda x, w, b: EF.linear(x, w, b), [(4, 3), (2, 3), (2,)]),
    ("linear_3d_nobias", lambda x, w: EF.linear(x, w), [(2, 4, 3), (2, 3)]),
    ("bilinear", lambda a, b, w: EF.bilinear(a, b, w), [(3, 2), (3, 4), (2, 2, 4)]),
    ("gelu", lambda x: EF.gelu(x), [(3, 4)]),
    ("gelu_tanh", lambda x: EF.gelu(x, approximate="tanh"), [(3, 4)]),
    ("elu", lambda x: EF.elu(x), [(3, 4)]),
    ("softplus", lambda x: EF.softplus(x, beta=2), [(3, 4)]),
    ("mish", lambda x: EF.mish(x), [(3, 4)]),
    ("logsigmoid", lambda x: EF.logsigmoid(x), [(3, 4)]),
    ("layer_norm", lambda x, w, b: EF.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    ("rms_norm", lambda x, w: EF.rms_norm(x, (4,), w), [(3, 4), (4,)]),
    ("group_norm", lambda x: EF.group_norm(x, 2), [(2, 4, 3)]),
    ("batch_norm", lambda x, w: EF.batch_norm(x, None, None, w, training=True), [(5, 3), (3,)]),
    ("bce_logits", lambda x, y: EF.binary_cross_entropy_with_logits(x, y), [(3, 4), (3, 4)]),
    ("normalize", lambda x: EF.normalize(x), [(3, 4)]),
    ("pad_reflect", lambda x: EF.pad(x, (2, 1), mode="reflect"), [(2, 4)]),
)


@pytest.mark.parametrize("fn,shapes", GRADCHECKS)
def test_gradcheck(fn, shapes):
    inputs = [_t(s, seed=i) for i, s in enumerate(shapes)]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("reduction", RED)
def test_gradcheck_cross_entropy_fused(reduction):
    t = ember.tensor(idx([2, 0, -100, 1]))
    x = _t((4, 3))
    fn = lambda x: EF.cross_entropy(x, t, reduction=reduction)  # noqa: E731
    assert EF.cross_entropy(x, t, reduction=reduction).grad_fn.name() == "NllLossBackward0"  # the fused op
    assert gradcheck(fn, [x])
    assert gradgradcheck(fn, [x])
    w = ember.tensor([0.3, 1.0, 2.0])
    assert gradgradcheck(lambda x: EF.cross_entropy(x, t, w, reduction=reduction, label_smoothing=0.1), [x])


def test_gradcheck_embedding():
    w = _t((5, 3))
    i = ember.tensor(idx([[0, 2], [2, 4]]))
    # padding_idx / scale_grad_by_freq change the gradient on purpose: compared with torch above
    assert gradcheck(lambda w: EF.embedding(i, w), [w])
    assert gradgradcheck(lambda w: EF.embedding(i, w) ** 2, [w])


# --- fused ops: the array-level fast backward equals the Tensor-level formula ---------------------

@pytest.mark.parametrize("name", ["linear", "linear_3d", "cross_entropy", "cross_entropy_none", "embedding", "erf"])
def test_fast_backward_matches_tensor_backward(name):
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    w = ember.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = ember.tensor(rng.normal(size=(2,)), requires_grad=True)
    t = ember.tensor(idx([0, 2, -100, 1]))
    fns = {
        "linear": (lambda: EF.linear(x, w, b), [x, w, b]),
        "linear_3d": (lambda: EF.linear(x.reshape(2, 2, 3), w, b), [x, w, b]),
        "cross_entropy": (lambda: EF.cross_entropy(x, t), [x]),
        "cross_entropy_none": (lambda: EF.cross_entropy(x, t, reduction="none"), [x]),
        "embedding": (lambda: EF.embedding(ember.tensor(idx([[0, 1], [1, 3]])), x, padding_idx=3,
                                           scale_grad_by_freq=True), [x]),
        "erf": (lambda: EF.gelu(x), [x]),
    }
    fn, params = fns[name]
    y = fn()
    g = ember.tensor(rng.normal(size=tuple(y.shape)))
    fast = ember.autograd.grad(y, params, g)                      # raw mode: fast_backward
    slow = ember.autograd.grad(fn(), params, g, create_graph=True)  # Tensor-level backward
    for a, s in zip(fast, slow):
        np.testing.assert_allclose(a.numpy(), s.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_linear_second_derivative_vs_torch():
    rng = np.random.default_rng(0)
    a = [rng.normal(size=s) for s in ((4, 3), (2, 3), (2,))]
    res = []
    for m, F_ in ((torch, TF), (ember, EF)):
        x, w, b = [m.tensor(v, requires_grad=True) for v in a]
        y = F_.cross_entropy(F_.linear(x, w, b).tanh(), m.tensor([0, 1, 1, 0]))
        gx, = (torch.autograd.grad if m is torch else ember.autograd.grad)(y, [x], create_graph=True)
        (gx * gx).sum().backward()
        res.append([w.grad.numpy(), b.grad.numpy()])
    for e, t in zip(res[1], res[0]):
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-12)

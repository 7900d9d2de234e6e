"""The autograd engine against PyTorch: graph attributes, backward/grad, accumulation,
hooks, higher-order gradients, the errors PyTorch raises, leaf .grad ownership,
anomaly detection and deep graphs.

Most cases are a function of ``lib`` (torch or ember) run on both; ``both`` compares
what they return (tensors by value, everything else exactly).
"""
import gc
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd.grad_mode import GradMode

torch.set_num_threads(1)


def _plain(v):
    """Tensors become nested lists (with dtype), tuples become lists: comparable across libraries."""
    if isinstance(v, (torch.Tensor, ember.Tensor)):
        return ("tensor", str(v.dtype).split(".")[-1], np.asarray(v.detach().tolist(), dtype=np.float64))
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (torch.Size, ember.Size)):
        return list(v)
    return v


def _same(a, b, path="result"):
    if isinstance(a, tuple) and a and a[0] == "tensor":
        assert isinstance(b, tuple) and b[0] == "tensor", f"{path}: ember {a} vs torch {b}"
        assert a[1] == b[1], f"{path}: dtype {a[1]} vs torch {b[1]}"
        assert a[2].shape == b[2].shape, f"{path}: shape {a[2].shape} vs torch {b[2].shape}"
        assert np.allclose(a[2], b[2], rtol=1e-5, atol=1e-7, equal_nan=True), f"{path}:\n{a[2]}\nvs torch\n{b[2]}"
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: ember {a} vs torch {b}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-6, abs=1e-9, nan_ok=True), f"{path}: {a} vs torch {b}"
    else:
        assert a == b, f"{path}: ember {a!r} vs torch {b!r}"


def both(fn):
    e, t = fn(ember), fn(torch)
    _same(_plain(e), _plain(t))
    return e


def T(lib, data, dtype=None, rg=True):
    return lib.tensor(data, dtype=dtype or lib.float64, requires_grad=rg)


def raises(lib, fn, exc=RuntimeError):
    """The message of the exception ``fn()`` raises (fails the test if it raises none)."""
    with pytest.raises(exc) as info:
        fn()
    return str(info.value)


def _name(lib, node):
    """PyTorch's class name of a backward node (ember: Node.name())."""
    return node.name() if lib is ember else type(node).__name__


# --- graph attributes ----------------------------------------------------------------------

def _attrs(lib):
    x = T(lib, [1.0, 2.0])
    c = T(lib, [3.0, 4.0], rg=False)
    y = x * c
    z = c + 1
    return (x.requires_grad, x.is_leaf, x.grad_fn, x.grad, y.requires_grad, y.is_leaf,
            z.requires_grad, z.is_leaf, z.grad_fn, c.is_leaf)


GRAD_FN_NAMES = [
    ("mul", lambda x, y: x * y), ("mul_scalar", lambda x, y: x * 2), ("add", lambda x, y: x + y),
    ("add_scalar", lambda x, y: x + 1), ("sub", lambda x, y: x - y), ("div", lambda x, y: x / y),
    ("neg", lambda x, y: -x), ("sum", lambda x, y: x.sum()), ("exp", lambda x, y: x.exp()),
    ("log", lambda x, y: x.log()), ("sin", lambda x, y: x.sin()), ("tanh", lambda x, y: x.tanh()),
    ("sigmoid", lambda x, y: x.sigmoid()), ("relu", lambda x, y: x.relu()), ("sqrt", lambda x, y: x.sqrt()),
    ("abs", lambda x, y: x.abs()), ("view", lambda x, y: x.view(2, 2)), ("reshape", lambda x, y: x.reshape(4, 1)),
    ("mm", lambda x, y: x.view(2, 2).mm(y.view(2, 2))), ("softmax", lambda x, y: x.softmax(0)),
    ("log_softmax", lambda x, y: x.log_softmax(0)), ("clone", lambda x, y: x.clone()),
]


@pytest.mark.parametrize("name,fn", GRAD_FN_NAMES, ids=[n for n, _ in GRAD_FN_NAMES])
def test_grad_fn_names(name, fn):
    def case(lib):
        x, y = T(lib, [1.0, 2.0, 3.0, 4.0]), T(lib, [0.5, 1.5, 2.5, 3.5])
        out = fn(x, y)
        return _name(lib, out.grad_fn)
    both(case)


def test_next_functions_and_accumulate_grad():
    def case(lib):
        x, c = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0], rg=False)
        y = (x * c).sum()
        mul, _ = y.grad_fn.next_functions[0]
        (acc, nr), (none, nr2) = mul.next_functions
        return _name(lib, mul), _name(lib, acc), nr, none, nr2, acc.variable is x
    both(case)


def test_attributes():
    both(_attrs)


def test_requires_grad_and_detach():
    def case(lib):
        x = T(lib, [1.0, 2.0])
        y = x * 2
        d = y.detach()
        shares = d.data_ptr() == y.data_ptr()
        a = (d.requires_grad, d.is_leaf, d.grad_fn, shares)
        z = x * 3
        same = z.detach_() is z
        b = (z.requires_grad, z.grad_fn, z.is_leaf, same)
        w = T(lib, [1.0], rg=False)
        c = (w.requires_grad_() is w, w.requires_grad, w.requires_grad_(False).requires_grad)
        err = raises(lib, lambda: y.requires_grad_(False))
        ierr = raises(lib, lambda: lib.tensor([1, 2]).requires_grad_())
        return a, b, c, "leaf" in err, "floating point" in ierr
    both(case)


def test_detach_shares_version_counter():
    def case(lib):
        x = T(lib, [1.0, 2.0])
        y = x.exp()
        d = y.detach()
        d.zero_()
        return y._version, d._version, "inplace" in raises(lib, lambda: y.sum().backward())
    both(case)


# --- backward ------------------------------------------------------------------------------

def _backward_basic(lib):
    x = T(lib, [1.0, 2.0, 3.0])
    w = T(lib, [[0.5], [-1.0], [2.0]])
    y = ((x.view(1, 3).mm(w)).tanh() * x.sum()).sum()
    y.backward()
    return x.grad, w.grad, y


def _backward_gradient_arg(lib):
    x = T(lib, [1.0, 2.0])
    (x * x).backward(lib.tensor([1.0, -3.0], dtype=lib.float64))
    return x.grad


def _backward_accumulates(lib):
    x = T(lib, [1.0, 2.0])
    (x * x).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    return x.grad, g is x.grad


def _backward_accumulates_into_assigned_grad(lib):
    x = T(lib, [1.0, 2.0])
    mine = lib.tensor([10.0, 20.0], dtype=lib.float64)
    x.grad = mine
    (x * x).sum().backward()
    return x.grad, mine, x.grad is mine


def _backward_after_zero(lib):
    x = T(lib, [1.0, 2.0])
    (x * x).sum().backward()
    x.grad.zero_()
    (x * x).sum().backward()
    return x.grad


def _backward_no_saved_twice(lib):
    x = T(lib, [1.0, 2.0])
    s = (x + 1).view(2, 1).sum() - x.sum()
    s.backward()
    s.backward()  # nothing was saved: PyTorch allows this
    return x.grad


def _backward_retain_graph(lib):
    x = T(lib, [1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


def _backward_inputs(lib):
    x, w = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0])
    h = x * w
    h.retain_grad()
    out = (h * h).sum()
    out.backward(inputs=[x], retain_graph=True)
    a = (x.grad, w.grad)
    out.backward(inputs=[h, w])
    return a, x.grad, w.grad, h.grad


def _backward_inputs_single_tensor(lib):
    x, w = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0])
    (x * w).sum().backward(inputs=w)
    return x.grad, w.grad


def _backward_multiple_roots(lib):
    x = T(lib, [1.0, 2.0])
    y1, y2 = x * x, x.sin()
    lib.autograd.backward([y1, y2], [lib.ones(2, dtype=lib.float64), lib.tensor([2.0, 3.0], dtype=lib.float64)])
    return x.grad


def _backward_nonscalar_needs_gradient(lib):
    x = T(lib, [1.0, 2.0])
    return "implicitly created only for scalar outputs" in raises(lib, lambda: (x * 2).backward())


def _backward_gradient_shape_mismatch(lib):
    x = T(lib, [1.0, 2.0])
    msg = raises(lib, lambda: (x * 2).backward(lib.ones(3, dtype=lib.float64)))
    return "Mismatch in shape" in msg


def _backward_no_grad_tensor(lib):
    x = T(lib, [1.0, 2.0], rg=False)
    return raises(lib, lambda: (x * 2).sum().backward())


def _backward_from_leaf(lib):
    x = T(lib, [1.0, 2.0])
    x.backward(lib.tensor([3.0, 4.0], dtype=lib.float64))
    return x.grad


def _backward_int_and_no_grad_branches(lib):
    x = T(lib, [1.0, -2.0, 3.0])
    mask = (x > 0).float()
    idx = x.argmax()
    y = (x * mask.double()).sum() + x[idx]
    y.backward()
    return x.grad


def _backward_dtype_mixed(lib):
    x = T(lib, [1.0, 2.0], dtype=lib.float32)
    y = T(lib, [3.0, 4.0], rg=False)  # float64
    (x * y).sum().backward()
    return x.grad


def _backward_create_graph_keeps_graph(lib):
    x = T(lib, [1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    r = (g.requires_grad, g.grad_fn is not None)
    x.grad = None
    (g * g).sum().backward()
    out = x.grad
    x.grad = None  # break the x -> grad -> graph -> x cycle
    return r, out


@pytest.mark.parametrize("case", [
    _backward_basic, _backward_gradient_arg, _backward_accumulates, _backward_accumulates_into_assigned_grad,
    _backward_after_zero, _backward_no_saved_twice, _backward_retain_graph, _backward_inputs,
    _backward_inputs_single_tensor, _backward_multiple_roots, _backward_nonscalar_needs_gradient,
    _backward_gradient_shape_mismatch, _backward_from_leaf, _backward_int_and_no_grad_branches,
    _backward_dtype_mixed, _backward_create_graph_keeps_graph,
], ids=lambda f: f.__name__.strip("_"))
def test_backward(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's create_graph=True reference-cycle warning
        both(case)


def test_backward_on_tensor_without_grad_message():
    def case(lib):
        return _backward_no_grad_tensor(lib)
    e, t = case(ember), case(torch)
    assert e == t


# --- autograd.grad --------------------------------------------------------------------------

def _grad_basic(lib):
    x, w = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0])
    y = (x * w).exp().sum()
    gx, gw = lib.autograd.grad(y, [x, w])
    return gx, gw, x.grad, w.grad


def _grad_single_input_tuple(lib):
    x = T(lib, [1.0, 2.0])
    r = lib.autograd.grad((x * x).sum(), x)
    return isinstance(r, tuple), len(r), r[0]


def _grad_outputs(lib):
    x = T(lib, [1.0, 2.0])
    y = x * x
    return lib.autograd.grad(y, x, grad_outputs=lib.tensor([1.0, 5.0], dtype=lib.float64))[0]


def _grad_several_outputs(lib):
    x = T(lib, [1.0, 2.0])
    ys = [x * x, x.exp()]
    gos = [lib.ones(2, dtype=lib.float64), lib.tensor([0.5, 2.0], dtype=lib.float64)]
    return lib.autograd.grad(ys, [x], gos)[0]


def _grad_nonleaf_input(lib):
    x = T(lib, [1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    gh, gx = lib.autograd.grad(y, [h, x])
    return gh, gx


def _grad_unused(lib):
    x, u = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0])
    msg = raises(lib, lambda: lib.autograd.grad((x * 2).sum(), [x, u]))
    gx, gu = lib.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    gx2, gu2 = lib.autograd.grad((x * 2).sum(), [x, u], materialize_grads=True)
    return "allow_unused=True" in msg, gx, gu, gu2


def _grad_frees_graph(lib):
    x = T(lib, [1.0, 2.0])
    y = (x * x).sum()
    lib.autograd.grad(y, x)
    return "backward through the graph a second time" in raises(lib, lambda: lib.autograd.grad(y, x))


def _grad_retain_graph(lib):
    x = T(lib, [1.0, 2.0])
    y = (x * x).sum()
    a = lib.autograd.grad(y, x, retain_graph=True)[0]
    b = lib.autograd.grad(y, x)[0]
    return a, b


def _grad_input_without_grad(lib):
    x, c = T(lib, [1.0, 2.0]), T(lib, [1.0, 2.0], rg=False)
    return "does not require grad" in raises(lib, lambda: lib.autograd.grad((x * c).sum(), [c]))


def _grad_result_requires_grad(lib):
    x = T(lib, [1.0, 2.0])
    g1 = lib.autograd.grad((x * x).sum(), x)[0]
    g2 = lib.autograd.grad((x * x).sum(), x, create_graph=True)[0]
    return g1.requires_grad, g1.grad_fn is None, g2.requires_grad, g2.grad_fn is None


@pytest.mark.parametrize("case", [
    _grad_basic, _grad_single_input_tuple, _grad_outputs, _grad_several_outputs, _grad_nonleaf_input,
    _grad_unused, _grad_frees_graph, _grad_retain_graph, _grad_input_without_grad, _grad_result_requires_grad,
], ids=lambda f: f.__name__.strip("_"))
def test_grad(case):
    both(case)


# --- retain_grad and hooks ------------------------------------------------------------------

def _retain_grad(lib):
    x = T(lib, [1.0, 2.0])
    y = x * 2
    y.retain_grad()
    y.retain_grad()  # twice is fine
    z = y * y
    z.retain_grad()
    w = y * 3  # not retained
    (z.sum() + w.sum()).backward()
    x.retain_grad()  # no-op on a leaf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about reading .grad of a non-leaf
        return y.grad, z.grad, w.grad, y.retains_grad, w.retains_grad, x.grad


def _retain_grad_accumulates(lib):
    x = T(lib, [1.0, 2.0])
    y = x * 2
    y.retain_grad()
    s = (y * y).sum()
    s.backward(retain_graph=True)
    s.backward()
    return y.grad


def _hook_leaf_modifies(lib):
    x = T(lib, [1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    x.register_hook(lambda g: g * 10)
    x.register_hook(lambda g: seen.append(g.clone()))
    (x * x).sum().backward()
    return x.grad, seen


def _hook_nonleaf_modifies(lib):
    x = T(lib, [1.0, 2.0])
    y = x * 3
    y.register_hook(lambda g: g + 1)
    y.retain_grad()  # retain_grad sees the hooked gradient
    (y * y).sum().backward()
    return x.grad, y.grad


def _hook_remove(lib):
    x = T(lib, [1.0, 2.0])
    y = x * 3
    h1 = x.register_hook(lambda g: g * 0)
    h2 = y.register_hook(lambda g: g * 100)
    h1.remove()
    h2.remove()
    h2.remove()  # twice is fine
    (y * 1).sum().backward()
    return x.grad


def _hook_multi_use_leaf_fires_once(lib):
    x = T(lib, [1.0, 2.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.clone()))
    (x * 2 + x * x + x.exp()).sum().backward()
    return calls, x.grad


def _hook_multi_use_nonleaf_fires_once(lib):
    x = T(lib, [1.0, 2.0])
    h = x * 1
    calls = []
    h.register_hook(lambda g: calls.append(g.clone()))
    (h * 2 + h * h).sum().backward()
    return calls


def _hook_on_no_grad_tensor(lib):
    x = T(lib, [1.0], rg=False)
    return "doesn't require" in raises(lib, lambda: x.register_hook(lambda g: g))


def _hook_none_grad_not_called(lib):
    x, u = T(lib, [1.0, 2.0]), T(lib, [1.0, 2.0])
    calls = []
    u.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    return calls, u.grad


def _hook_changes_dtype_or_shape(lib):
    msgs = []
    for change in (lambda g: g.float(), lambda g: g[:1]):
        for leaf in (True, False):
            x = T(lib, [1.0, 2.0])
            h = x if leaf else x * 1
            h.register_hook(change)
            with pytest.raises(RuntimeError) as info:
                (h * 2).sum().backward()
            msgs.append("has changed the " in str(info.value))
    return msgs


def _hooks_and_retain_grad_across_inplace(lib):
    x = T(lib, [1.0, 2.0])
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(("before", g.clone())))  # sees the grad of the old value
    y.retain_grad()                                                  # follows the tensor
    y.mul_(3)
    y.register_hook(lambda g: seen.append(("after", g.clone())))
    (y * lib.tensor([1.0, 10.0], dtype=lib.float64)).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return seen, y.grad, x.grad


def _retain_grad_view_inplace(lib):
    x = T(lib, [[1.0, 2.0], [3.0, 4.0]])
    y = x * 1
    y.retain_grad()
    y[0].mul_(5)
    (y * y).sum().backward()
    return y.grad, x.grad


def _post_accumulate_hook(lib):
    x = T(lib, [1.0, 2.0])
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    (x * x).sum().backward()
    (x * 1).sum().backward()
    return seen


@pytest.mark.parametrize("case", [
    _retain_grad, _retain_grad_accumulates, _hook_leaf_modifies, _hook_nonleaf_modifies, _hook_remove,
    _hook_multi_use_leaf_fires_once, _hook_multi_use_nonleaf_fires_once, _hook_on_no_grad_tensor,
    _hook_none_grad_not_called, _hook_changes_dtype_or_shape, _hooks_and_retain_grad_across_inplace,
    _retain_grad_view_inplace, _post_accumulate_hook,
], ids=lambda f: f.__name__.strip("_"))
def test_hooks_and_retain_grad(case):
    both(case)


# --- higher-order gradients -------------------------------------------------------------------

def _gradient_penalty(lib):
    x = T(lib, [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]])
    w = T(lib, [[1.0, -0.5], [0.3, 0.8], [-1.2, 0.4]])
    loss = (x.mm(w).tanh() ** 2).sum()
    g, = lib.autograd.grad(loss, x, create_graph=True)
    (g.norm() ** 2).backward()
    return x.grad, w.grad


def _hvp(lib):
    x = T(lib, [0.5, 1.0, 2.0])
    v = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    y = (x ** 3).sum() + x[0] * x[1] * x[2] + (x.sin() * x.exp()).sum()
    g, = lib.autograd.grad(y, x, create_graph=True)
    hv, = lib.autograd.grad(g, x, v)
    return hv


def _third(f):
    def case(lib):
        x = T(lib, [0.5, 1.0, 2.0])
        g1, = lib.autograd.grad(f(x).sum(), x, create_graph=True)
        g2, = lib.autograd.grad(g1.sum(), x, create_graph=True)
        g3, = lib.autograd.grad(g2.sum(), x)
        return g1, g2, g3
    return case


DOUBLE_BACKWARD = [
    ("mm", lambda lib, x: x.view(3, 1).mm(x.view(1, 3)).mm(x.view(3, 1).exp())),
    ("sigmoid", lambda lib, x: x.sigmoid()),
    ("tanh", lambda lib, x: x.tanh()),
    ("exp", lambda lib, x: x.exp()),
    ("softmax", lambda lib, x: x.softmax(0) * lib.arange(3, dtype=lib.float64)),
    ("log_softmax", lambda lib, x: x.log_softmax(0) * lib.arange(3, dtype=lib.float64)),
    ("div", lambda lib, x: x / (x * x + 1) + 2 / x),
    ("pow", lambda lib, x: x ** 3 + x ** x + 2 ** x + x ** 0.5),
    ("log_sqrt", lambda lib, x: x.log() * x.sqrt()),
    ("sum_mean_broadcast", lambda lib, x: x.view(3, 1) * x.view(1, 3) / x.mean() + x.sum()),
]


@pytest.mark.parametrize("name,f", DOUBLE_BACKWARD, ids=[n for n, _ in DOUBLE_BACKWARD])
def test_double_backward(name, f):
    def case(lib):
        x = T(lib, [0.5, 1.0, 2.0])
        y = f(lib, x)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        h, = lib.autograd.grad((g * g).sum(), x)
        return g, h
    both(case)


@pytest.mark.parametrize("case", [
    _gradient_penalty, _hvp, _third(lambda x: x ** 4), _third(lambda x: x.sin()),
    _third(lambda x: x.exp() * x), _third(lambda x: (x * x).tanh()),
], ids=["gradient_penalty", "hvp", "third_pow4", "third_sin", "third_xexp", "third_tanh"])
def test_higher_order(case):
    both(case)


def test_hessian_vector_product_helper():
    x = ember.tensor([0.5, 1.0, 2.0], dtype=ember.float64)
    v = ember.tensor([1.0, 0.0, -1.0], dtype=ember.float64)
    _, hv = ember.autograd.functional.hvp(lambda a: (a ** 3).sum(), x, v)
    assert np.allclose(hv.tolist(), [3.0, 0.0, -12.0])


# --- errors: freed buffers and in-place modification ------------------------------------------

def _second_backward_saved(lib):
    x = T(lib, [1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    return "backward through the graph a second time" in raises(lib, y.backward)


def _second_backward_custom_saved(lib):
    class Sq(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return 2 * a * g
    x = T(lib, [1.0, 2.0])
    y = Sq.apply(x).sum()
    y.backward()
    return "backward through the graph a second time" in raises(lib, y.backward)


def _inplace_on_saved_input(lib):
    x = T(lib, [1.0, 2.0])
    y = x * 1
    z = y * y
    y.add_(1)
    msg = raises(lib, lambda: z.sum().backward())
    return "modified by an inplace operation" in msg


def _inplace_on_saved_output(lib):
    x = T(lib, [1.0, 2.0])
    y = x.exp()
    z = y * 1
    y.mul_(2)
    return "modified by an inplace operation" in raises(lib, lambda: z.sum().backward())


def _inplace_setitem_on_saved(lib):
    x = T(lib, [1.0, 2.0])
    y = x * 1
    z = y.sin()
    y[0] = 5.0
    return "modified by an inplace operation" in raises(lib, lambda: z.sum().backward())


def _inplace_through_view_under_no_grad(lib):
    x = T(lib, [[1.0, 2.0], [3.0, 4.0]])
    y = x * 1
    z = y.sin()
    with lib.no_grad():
        y[0].zero_()
    return "modified by an inplace operation" in raises(lib, lambda: z.sum().backward())


def _inplace_on_leaf_under_no_grad_after_use(lib):
    x = T(lib, [1.0, 2.0])
    z = x * x
    with lib.no_grad():
        x.mul_(2)
    return "modified by an inplace operation" in raises(lib, lambda: z.sum().backward())


@pytest.mark.parametrize("case", [
    _second_backward_saved, _second_backward_custom_saved, _inplace_on_saved_input, _inplace_on_saved_output,
    _inplace_setitem_on_saved, _inplace_through_view_under_no_grad, _inplace_on_leaf_under_no_grad_after_use,
], ids=lambda f: f.__name__.strip("_"))
def test_errors_like_torch(case):
    both(case)


@pytest.mark.parametrize("build,modify,op", [
    (lambda y: y * y, "input", "MulBackward0"),
    (lambda y: y.sin(), "input", "SinBackward0"),
    (lambda y: y.log(), "input", "LogBackward0"),
    (lambda y: y.exp(), "output", "ExpBackward0"),
    (lambda y: y.tanh(), "output", "TanhBackward0"),
], ids=["mul", "sin", "log", "exp_output", "tanh_output"])
def test_inplace_error_names_the_op(build, modify, op):
    x = T(ember, [1.0, 2.0])
    y = x * 1
    z = build(y)
    (y if modify == "input" else z).add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation") as info:
        (z * 1).sum().backward()
    assert op in str(info.value)


LEAF_INPLACE = [
    ("add_", lambda x: x.add_(1)), ("sub_", lambda x: x.sub_(1)), ("mul_", lambda x: x.mul_(2)),
    ("div_", lambda x: x.div_(2)), ("iadd", lambda x: x.__iadd__(1)), ("imul", lambda x: x.__imul__(2)),
    ("zero_", lambda x: x.zero_()), ("fill_", lambda x: x.fill_(1.0)), ("exp_", lambda x: x.exp_()),
    ("relu_", lambda x: x.relu_()), ("clamp_", lambda x: x.clamp_(0, 1)), ("neg_", lambda x: x.neg_()),
    ("setitem", lambda x: x.__setitem__(0, 1.0)), ("copy_", lambda x: x.copy_(x.detach() * 0)),
]


@pytest.mark.parametrize("name,op", LEAF_INPLACE, ids=[n for n, _ in LEAF_INPLACE])
def test_inplace_on_leaf_that_requires_grad_raises(name, op):
    for lib in (torch, ember):
        x = T(lib, [1.0, 2.0])
        with pytest.raises(RuntimeError, match="in-place operation"):
            op(x)
        assert x.tolist() == [1.0, 2.0]
        if lib is ember:
            with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                                   "in-place operation"):
                op(x)
        with lib.no_grad():
            op(x)  # allowed under no_grad
        assert x.is_leaf and x.requires_grad


def _no_false_positive_add_(lib):
    x = T(lib, [1.0, 2.0])
    y = x * 2
    y.add_(1)
    y.sum().backward()
    return x.grad, y, y.grad_fn is not None


def _no_false_positive_mul_(lib):
    x = T(lib, [1.0, 2.0])
    y = x * x
    y.mul_(3)
    y.relu_()
    (y * x).sum().backward()
    return x.grad


def _no_false_positive_unsaved(lib):
    x = T(lib, [1.0, 2.0])
    y = x * 2
    z = y + 1          # add saves nothing
    e = y.exp()        # exp saves its output, not y
    y.add_(1)
    (z + e).sum().backward()
    return x.grad


def _no_false_positive_setitem(lib):
    x = T(lib, [1.0, 2.0, 3.0])
    y = x.clone()
    y[0] = 0.0
    y[1:] *= 2
    (y * y).sum().backward()
    return x.grad


def _no_false_positive_sgd(lib):
    w = T(lib, [1.0, 2.0])
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
        w.grad.zero_()
    return w, w.grad, w.is_leaf, w.requires_grad


def _no_false_positive_data(lib):
    x = T(lib, [1.0, 2.0])
    z = x * x
    x.data.mul_(2)  # .data is not tracked
    z.sum().backward()
    return x.grad


def _inplace_grad_of_nonleaf(lib):
    x = T(lib, [1.0, 2.0])
    y = x.sigmoid()
    y.mul_(2)       # sigmoid saved its output, but y is now a new version through mul_
    s = y.sum()
    return "modified by an inplace operation" in raises(lib, s.backward)


def _version_counter(lib):
    x = T(lib, [1.0, 2.0])
    v = [x._version]
    with lib.no_grad():
        x.add_(1)
        v.append(x._version)
        x[0] = 3.0
        v.append(x._version)
        x.mul_(2)
        v.append(x._version)
    y = x * 1
    y.add_(1)
    v.append(y._version)
    return v


@pytest.mark.parametrize("case", [
    _no_false_positive_add_, _no_false_positive_mul_, _no_false_positive_unsaved, _no_false_positive_setitem,
    _no_false_positive_sgd, _no_false_positive_data, _inplace_grad_of_nonleaf, _version_counter,
], ids=lambda f: f.__name__.strip("_"))
def test_inplace_no_false_positives(case):
    both(case)


# --- leaf .grad is owned: fresh, writable, contiguous, aliasing nothing ------------------------

def _check_owned(*tensors):
    """Each grad is writable and contiguous, and no two grads (or the given others) share memory."""
    arrays = []
    for t in tensors:
        g = t.grad if t.grad is not None else t
        a = g._data
        assert a.flags.writeable, "a leaf .grad must be writable"
        assert a.flags.c_contiguous, "a leaf .grad must be contiguous"
        assert g.is_contiguous()
        arrays.append(a)
    for i in range(len(arrays)):
        for j in range(i + 1, len(arrays)):
            assert not np.shares_memory(arrays[i], arrays[j]), f"grads {i} and {j} share memory"


def test_leaf_grads_of_add_do_not_alias():
    x, y = T(ember, [1.0, 2.0]), T(ember, [3.0, 4.0])
    (x + y).sum().backward()
    _check_owned(x, y)
    x.grad.zero_()
    assert y.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("build", [
    lambda x, y: (x * 1 + y).sum(),
    lambda x, y: (x + y).sum(),
    lambda x, y: (x - y).mean(),
    lambda x, y: (x.expand(3, 4) * 1).sum() + y.sum(),
    lambda x, y: x.sum() + y.sum(),
    lambda x, y: (x.t() * 1).sum() + (y * 2).sum(),
    lambda x, y: x.reshape(-1).sum() + y.view(-1).sum(),
    lambda x, y: (x + y).max(),
    lambda x, y: (x + y)[0].sum(),
], ids=["mul1_broadcast", "add_broadcast", "sub_mean", "expand", "sum", "t", "reshape_view", "max", "index"])
def test_leaf_grads_owned_with_broadcasting(build):
    x = T(ember, [[1.0], [2.0], [3.0]])
    y = T(ember, [[4.0, 5.0, 6.0, 7.0]])
    build(x, y).backward()
    _check_owned(x, y)
    xg, yg = x.grad.tolist(), y.grad.tolist()
    x.grad.add_(100)
    assert y.grad.tolist() == yg
    y.grad.mul_(0)
    assert np.allclose(np.array(x.grad.tolist()) - 100, xg)


def test_leaf_grad_does_not_alias_root_gradient():
    # the gradient handed to backward reaches the leaf unchanged (clone, view, leaf root)
    for make in (lambda x: x.clone(), lambda x: x.view(2, 2), lambda x: x, lambda x: x * 1, lambda x: x + 0):
        x = T(ember, [1.0, 2.0, 3.0, 4.0])
        y = make(x)
        gr = ember.ones(y.shape, dtype=ember.float64)
        y.backward(gr)
        _check_owned(x, gr)
        x.grad.zero_()
        assert gr.tolist() == ember.ones(y.shape).tolist()


def test_leaf_grad_does_not_alias_a_tensor_a_hook_returns():
    held = ember.ones(2, dtype=ember.float64)
    x = T(ember, [1.0, 2.0])
    x.register_hook(lambda g: held)
    x.register_hook(lambda g: None)
    (x * 3).sum().backward()
    _check_owned(x, held)
    x.grad.zero_()
    assert held.tolist() == [1.0, 1.0]


def test_leaf_grad_does_not_alias_a_tensor_a_custom_backward_returns():
    kept = ember.tensor([7.0, 7.0], dtype=ember.float64)

    class Const(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return kept, kept

    x, y = T(ember, [1.0, 2.0]), T(ember, [3.0, 4.0])
    Const.apply(x, y).sum().backward()
    _check_owned(x, y, kept)
    x.grad.zero_()
    assert y.grad.tolist() == [7.0, 7.0] and kept.tolist() == [7.0, 7.0]


def test_leaf_grad_does_not_alias_retained_nonleaf_grad():
    x = T(ember, [1.0, 2.0])
    h = x * 1
    h.retain_grad()
    k = h.clone()
    k.retain_grad()
    k.sum().backward()
    _check_owned(x, h, k)


def test_leaf_grads_with_backward_inputs_do_not_alias():
    x, y = T(ember, [1.0, 2.0]), T(ember, [3.0, 4.0])
    (x + y).sum().backward(inputs=[x, y])
    _check_owned(x, y)


def test_create_graph_leaf_grads_do_not_alias():
    def case(lib):
        x, y = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x + y).sum().backward(create_graph=True)
        r = x.grad is y.grad, x.grad.requires_grad
        with lib.no_grad():
            x.grad.zero_()
        return r, y.grad
    both(case)
    x, y = T(ember, [1.0, 2.0]), T(ember, [3.0, 4.0])
    (x * y).sum().backward(create_graph=True)
    _check_owned(x, y)
    assert x.grad.requires_grad and y.grad.requires_grad
    x.grad = y.grad = None


def test_autograd_grad_results_are_distinct_and_writable():
    x, y = T(ember, [1.0, 2.0]), T(ember, [3.0, 4.0])
    gx, gy = ember.autograd.grad((x + y).sum(), [x, y])
    assert gx is not gy
    gx.add_(1)  # writable, even when the formula produced a broadcast view
    assert gx.tolist() == [2.0, 2.0]


def test_leaf_grad_stable_over_many_backwards():
    # the first backward's grad object is reused for accumulation, and stays exclusive
    x, y = T(ember, [[1.0, 2.0]]), T(ember, [[3.0], [4.0]])
    first = None
    for i in range(5):
        (x * y).sum().backward()
        if first is None:
            first = (x.grad, y.grad)
        _check_owned(x, y)
    assert x.grad is first[0] and y.grad is first[1]
    assert x.grad.tolist() == [[35.0, 35.0]] and y.grad.tolist() == [[15.0], [15.0]]


# --- anomaly detection --------------------------------------------------------------------------

def _anomaly_sqrt(lib):
    x = T(lib, [0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            y = (x.sqrt() * 0).sum()
            return raises(lib, y.backward)


def _anomaly_off_gives_nan(lib):
    x = T(lib, [0.0, 1.0])
    with np.errstate(all="ignore"):
        (x.sqrt() * 0).sum().backward()
    return x.grad


def _anomaly_custom_function(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")
    x = T(lib, [1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            return raises(lib, lambda: Bad.apply(x).sum().backward())


@pytest.mark.parametrize("case", [_anomaly_sqrt, _anomaly_off_gives_nan, _anomaly_custom_function],
                         ids=lambda f: f.__name__.strip("_"))
def test_anomaly(case):
    both(case)


def test_anomaly_message_names_op_and_forward_line():
    x = T(ember, [0.0, 1.0])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with ember.autograd.detect_anomaly():
            y = (x.sqrt() * 0).sum()  # forward-call-marker
            with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward0' returned nan values in its 0th "
                                                   r"output\."):
                y.backward()
    assert any("forward-call-marker" in str(m.message) and "SqrtBackward0" in str(m.message) for m in w)
    assert not GradMode.anomaly


def test_anomaly_decorator_and_setter():
    @ember.autograd.detect_anomaly()
    def f():
        return ember.autograd.anomaly.is_anomaly_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert f() is True
    assert not GradMode.anomaly
    with ember.autograd.set_detect_anomaly(True):
        assert GradMode.anomaly
    assert not GradMode.anomaly


# --- deep graphs: iterative walks, iterative release -------------------------------------------

def test_deep_chain_backward_no_recursion():
    n = 100_000
    x = T(ember, [1.0, 2.0])
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * 1.0000001
    y.sum().backward()
    elapsed = time.perf_counter() - t0
    assert np.allclose(x.grad.tolist(), [1.0000001 ** n] * 2)
    assert elapsed < 20, f"100k-op chain took {elapsed:.1f}s"


def test_deep_chain_with_saved_tensors_and_branches():
    x = T(ember, [0.5])
    y = x
    for i in range(20_000):
        y = (y * y).tanh() + y * 0.5 if i % 2 else y.sin() + 0.1 * y
    y.sum().backward()
    xt = T(torch, [0.5])
    yt = xt
    for i in range(20_000):
        yt = (yt * yt).tanh() + yt * 0.5 if i % 2 else yt.sin() + 0.1 * yt
    yt.sum().backward()
    assert np.allclose(x.grad.tolist(), xt.grad.tolist(), rtol=1e-6, atol=1e-12)


def test_deep_chain_autograd_grad_and_create_graph():
    x = T(ember, [1.0])
    y = x
    for _ in range(20_000):
        y = y * 1.00001
    g, = ember.autograd.grad(y, x, create_graph=True)
    assert np.allclose(g.tolist(), [1.00001 ** 20_000])


_FREE_DEEP = r"""
import sys, gc
import ember
sys.setrecursionlimit(1000)
def chain(n, custom):
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(n):
        y = Id.apply(y) if custom else y * 1.0000001
    return y
class Id(ember.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        out = a * 1
        ctx.save_for_backward(a, out)  # the saved output makes node <-> tensor cycles for the collector
        return out
    @staticmethod
    def backward(ctx, g):
        return g
for custom, n in ((False, 150_000), (True, 50_000)):
    y = chain(n, custom)
    del y                       # never backpropagated
    y = chain(n, custom)
    y.sum().backward()          # freed after backward
    del y
gc.collect()
print("ok")
"""


def test_freeing_a_deep_graph_does_not_recurse():
    # in a subprocess: a recursive deallocator would crash the interpreter, not just raise
    r = subprocess.run([sys.executable, "-c", _FREE_DEEP], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


def test_graph_is_collected_after_backward():
    import weakref
    x = T(ember, [1.0, 2.0])
    y = (x.exp() * x).sum()
    ref = weakref.ref(y.grad_fn)
    y.backward()
    del y
    gc.collect()
    assert ref() is None


def _random_graph_grads_are_owned(seed, create_graph):
    rng = np.random.default_rng(seed)
    leaves = [T(ember, rng.standard_normal((2, 3))) for _ in range(3)]
    held, pool = [], list(leaves)
    for _ in range(int(rng.integers(1, 8))):
        a, b = pool[int(rng.integers(len(pool)))], pool[int(rng.integers(len(pool)))]
        k = int(rng.integers(9))
        if k == 0:
            c = a + b
        elif k == 1:
            c = a.clone()
        elif k == 2:
            c = a.view(3, 2).view(2, 3)
        elif k == 3:
            c = a - b
        elif k == 4:
            c = a * 1
        elif k == 5:
            c = a + 0
        elif k == 6:  # a non-leaf hook that returns a tensor the test keeps
            c = a.clone()
            h = ember.ones(2, 3, dtype=a.dtype)
            held.append(h)
            c.register_hook(lambda g, h=h: h)
        elif k == 7:
            c = a.t().t()
        else:
            c = (a.sum(0, keepdim=True) + b * 0).expand(2, 3) * 1
        pool.append(c)
    for leaf in leaves:
        if rng.integers(2):
            h = ember.full((2, 3), 2.0, dtype=leaf.dtype)
            held.append(h)
            keep = bool(rng.integers(2))
            leaf.register_hook(lambda g, h=h, keep=keep: h if keep else None)
    out = sum(pool[-3:], pool[-1] * 0)
    gr = ember.ones(2, 3, dtype=out.dtype)
    held.append(gr)
    out.backward(gr, create_graph=create_graph)
    got = [leaf for leaf in leaves if leaf.grad is not None]
    _check_owned(*got)
    for leaf in got:
        for other in held + pool:
            assert not np.shares_memory(leaf.grad._data, other._data), f"seed {seed}: a grad aliases a kept tensor"
    for leaf in leaves:
        leaf.grad = None


@pytest.mark.parametrize("create_graph", [False, True], ids=["plain", "create_graph"])
def test_random_graphs_leaf_grads_are_owned(create_graph):
    """Adds, clones, views, hooks returning kept tensors, broadcasts: no leaf grad aliases anything."""
    for seed in range(300):
        _random_graph_grads_are_owned(seed, create_graph)


@pytest.mark.parametrize("build", [
    lambda x, y: x * y, lambda x, y: x + y, lambda x, y: x / y, lambda x, y: y - x, lambda x, y: (x * y).exp(),
], ids=["mul", "add", "div", "rsub", "exp"])
def test_leaf_grad_dtype_is_leaf_dtype(build):
    def case(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)  # float32
        y = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        build(x, y).sum().backward()
        return x.grad, y.grad
    both(case)


# --- in-place ops through views (PyTorch's CopySlices) --------------------------------------------

def _v_aug_slice(lib, x, w):
    y = x * 1
    y[1:] *= 2
    return y


def _v_mul_column(lib, x, w):
    y = x * 1
    y[:, 1].mul_(w[0])
    return y


def _v_transpose_add(lib, x, w):
    y = x * 1
    y.t().add_(x.t() * w.view(3, 1))
    return y


def _v_row_copy(lib, x, w):
    y = x * 1
    y[0].copy_(w * 3)
    return y


def _v_into_buffer(lib, x, w):
    b = lib.zeros(2, 3, dtype=lib.float64)
    b[1].copy_(w.exp())
    b[0].add_(x[0])
    return b


def _v_use_view_after(lib, x, w):
    y = x * 1
    v = y[1]
    v.mul_(w)
    return v * y.sum()


def _v_nested(lib, x, w):
    y = x * 1
    y[1:][0][1:].mul_(w[1:])
    return y


def _v_setitem_on_view(lib, x, w):
    y = x * 1
    y[1][0] = w[2] * 5
    return y


def _v_flat_strided(lib, x, w):
    y = x - 3
    y.view(-1)[::2].mul_(2)
    y.view(6).sub_(w.repeat(2))
    return y


@pytest.mark.parametrize("case", [
    _v_aug_slice, _v_mul_column, _v_transpose_add, _v_row_copy, _v_into_buffer, _v_use_view_after, _v_nested,
    _v_setitem_on_view, _v_flat_strided,
], ids=lambda f: f.__name__.strip("_"))
def test_inplace_through_view(case):
    def run(lib):
        x = T(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        w = T(lib, [0.5, -1.0, 2.0])
        out = case(lib, x, w)
        (out * lib.arange(out.numel(), dtype=lib.float64).reshape(out.shape)).sum().backward()
        return out, x.grad, w.grad, out.requires_grad
    both(run)


def test_inplace_through_view_of_leaf_raises():
    for lib in (torch, ember):
        x = T(lib, [1.0, 2.0, 3.0])
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                               "in-place operation"):
            x[1:].mul_(2)
        assert x.tolist() == [1.0, 2.0, 3.0]


def test_view_positions_locate_every_kind_of_view():
    from ember.autograd.views import view_positions
    b = np.arange(12.0).reshape(3, 4)
    bt = np.arange(12.0).reshape(4, 3).T  # a non-contiguous base
    for base in (b, bt):
        for view in (base[1:], base[:, 1], base.T, base[::2, ::-1], base[1, 2:3], base[1:][0][1:]):
            pos = view_positions(base, view)
            assert pos is not None and pos.shape == view.shape
            assert np.array_equal(base.ravel()[pos], view)
    assert view_positions(b, np.zeros(3)) is None  # not inside the base's memory
    assert view_positions(np.broadcast_to(np.ones(3), (2, 3)), np.ones(3)) is None  # ambiguous base

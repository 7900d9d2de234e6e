"""ember.nn core (Parameter, Module, containers, Linear, Flatten) against PyTorch 2.13.

The same architecture is built from both libraries (``build(lib)``), torch's weights are
copied into ember through ``load_state_dict``, and names, values, reprs and errors are compared.
"""
import copy
import inspect
import sys
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember


def err(fn, lib):
    with pytest.raises(Exception) as info:
        fn(lib)
    return info


def same_err(fn):
    """Both raise the same exception type with the same message (ember's names read as torch's)."""
    t, e = err(fn, torch), err(fn, ember)
    assert e.type is t.type, f"ember {e.type.__name__}({e.value}) vs torch {t.type.__name__}({t.value})"
    assert str(e.value).replace("ember.", "torch.") == str(t.value)
    return e


def same_warning(fn):
    """Both emit the same list of warning categories (usually none, or exactly one)."""
    out = []
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn(lib)
        out.append([x.category for x in w])
    return out


def copy_weights(t_model, e_model):
    e_model.load_state_dict({k: v.detach().numpy() for k, v in t_model.state_dict().items()})


def np_sd(sd):
    return {k: np.asarray(v.detach().numpy() if hasattr(v, "detach") else v) for k, v in sd.items()}


# --- architectures built identically from either library ------------------------------------------

def make_block(lib):
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, n=3):
            super().__init__()
            self.fc = nn.Linear(n, n)
            self.scale = nn.Parameter(lib.ones(n))
            self.register_buffer("count", lib.zeros(1, dtype=lib.int64))
            self.register_buffer("scratch", lib.zeros(n), persistent=False)
            self.register_parameter("unused", None)
            self.seq = nn.Sequential(OrderedDict(a=nn.Linear(n, n), b=nn.Flatten()))

        def forward(self, x):
            return self.seq(self.fc(x) * self.scale)

    return Block


def build(lib):
    nn = lib.nn
    Block = make_block(lib)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(4, 3)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.shared = self.inp  # the same module reachable twice
            self.heads = nn.ModuleDict({"x": nn.Linear(3, 2), "y": nn.Bilinear(3, 3, 1)})
            self.extra = nn.ParameterList([nn.Parameter(lib.ones(2)), nn.Parameter(lib.zeros(2, 2))])
            self.pd = nn.ParameterDict({"p": nn.Parameter(lib.ones(1))})
            self.register_buffer("step", lib.tensor(0.0))

        def forward(self, x):
            h = self.inp(x)
            for b in self.blocks:
                h = b(h)
            return self.heads["x"](h), self.heads["y"](h, h)

    return Net()


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    t = build(torch)
    e = build(ember)
    copy_weights(t, e)
    return t, e


# --- Parameter -------------------------------------------------------------------------------------

@pytest.mark.parametrize("rg", [True, False])
def test_parameter_repr(rg):
    t = torch.nn.Parameter(torch.tensor([1.0, 2.5]), requires_grad=rg)
    e = ember.nn.Parameter(ember.tensor([1.0, 2.5]), requires_grad=rg)
    assert repr(e) == repr(t) and str(e) == str(t)


def test_parameter_basics():
    base = ember.ones(3)
    p = ember.nn.Parameter(base)
    assert isinstance(p, ember.nn.Parameter) and isinstance(p, ember.Tensor)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    p.data.fill_(2.0)
    assert base.tolist() == [2.0, 2.0, 2.0]  # shares memory
    assert type(p * 2) is ember.Tensor  # results of ops are plain tensors, as in torch
    assert ember.nn.Parameter().shape == torch.nn.Parameter().shape
    assert not ember.nn.Parameter(ember.ones(1), requires_grad=False).requires_grad


def test_parameter_integer_requires_grad_raises():
    same_type = err(lambda lib: lib.nn.Parameter(lib.tensor([1, 2])), ember).type
    assert same_type is err(lambda lib: lib.nn.Parameter(lib.tensor([1, 2])), torch).type
    assert ember.nn.Parameter(ember.tensor([1, 2]), requires_grad=False).dtype == ember.int64


def test_parameter_deepcopy():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    p.grad = ember.tensor([0.5, 0.5])
    q = copy.deepcopy(p)
    assert type(q) is ember.nn.Parameter and q.requires_grad
    assert q.tolist() == p.tolist() and q.grad.tolist() == [0.5, 0.5]
    q.data.fill_(0.0)
    assert p.tolist() == [1.0, 2.0]


def test_buffer_class():
    b = ember.nn.Buffer(ember.ones(2), persistent=False)
    assert isinstance(b, ember.nn.Buffer) and not isinstance(ember.ones(2), ember.nn.Buffer)
    m = ember.nn.Module()
    m.b = b
    assert "b" in m._buffers and "b" in m._non_persistent_buffers_set and "b" not in m.state_dict()


# --- registration ------------------------------------------------------------------------------------

def test_setattr_routes_into_dicts():
    m = ember.nn.Module()
    m.p = ember.nn.Parameter(ember.ones(1))
    m.c = ember.nn.Linear(1, 1)
    m.register_buffer("b", ember.zeros(1))
    m.plain = 3
    assert list(m._parameters) == ["p"] and list(m._modules) == ["c"] and list(m._buffers) == ["b"]
    assert m.p is m._parameters["p"] and m.c is m._modules["c"] and m.plain == 3
    m.b = ember.ones(2)  # a tensor to a buffer name replaces the buffer
    assert m._buffers["b"].tolist() == [1.0, 1.0]
    m.p = None
    assert m._parameters["p"] is None and m.p is None
    m.c = ember.nn.Parameter(ember.ones(1))  # re-registering under another kind removes the old entry
    assert "c" not in m._modules and "c" in m._parameters
    del m.c, m.b, m.plain
    assert "c" not in m._parameters and "b" not in m._buffers and not hasattr(m, "plain")
    assert {"p", "training", "forward"} <= set(dir(m))


@pytest.mark.parametrize("fn", [
    lambda lib: setattr(lib.nn.Linear(2, 2), "weight", lib.zeros(2, 2)),
    lambda lib: setattr(lib.nn.Linear(2, 2), "weight", 3),
    lambda lib: setattr(lib.nn.Sequential(lib.nn.Linear(1, 1)), "0", 5),
    lambda lib: setattr(_with_buffer(lib), "b", 5),
    lambda lib: lib.nn.Linear(2, 2).missing,
    lambda lib: lib.nn.Module().register_buffer("a.b", lib.ones(1)),
    lambda lib: lib.nn.Module().register_buffer("", lib.ones(1)),
    lambda lib: lib.nn.Module().register_buffer(3, lib.ones(1)),
    lambda lib: lib.nn.Module().register_buffer("training", lib.ones(1)),
    lambda lib: lib.nn.Module().register_buffer("x", 3.0),
    lambda lib: lib.nn.Module().register_parameter("a.b", None),
    lambda lib: lib.nn.Module().register_parameter("", None),
    lambda lib: lib.nn.Module().register_parameter("x", lib.ones(1)),
    lambda lib: lib.nn.Module().register_parameter("x", lib.nn.Parameter(lib.ones(1)) * 2),
    lambda lib: lib.nn.Module().register_parameter("forward", None),
    lambda lib: lib.nn.Module().add_module("a.b", lib.nn.Linear(1, 1)),
    lambda lib: lib.nn.Module().add_module("", lib.nn.Linear(1, 1)),
    lambda lib: lib.nn.Module().add_module("x", 3),
    lambda lib: lib.nn.Module().add_module(1, lib.nn.Linear(1, 1)),
    lambda lib: lib.nn.Linear(2, 2).get_submodule("a.b"),
    lambda lib: lib.nn.Sequential(lib.nn.Linear(1, 1)).get_submodule("0.weight"),
    lambda lib: lib.nn.Sequential(lib.nn.Linear(1, 1)).get_parameter("0.nothing"),
    lambda lib: lib.nn.Sequential(lib.nn.Linear(1, 1)).get_parameter("0.in_features"),
    lambda lib: lib.nn.Sequential(lib.nn.Linear(1, 1)).get_buffer("0.weight"),
    lambda lib: lib.nn.Linear(2, 2).train("yes"),
    lambda lib: lib.nn.Linear(2, 2).to(lib.int64),
    lambda lib: lib.nn.Module()(1),
    lambda lib: lib.nn.Module(3),
    lambda lib: lib.nn.Module(x=3),
], ids=lambda f: None)
def test_registration_errors_like_torch(fn):
    same_err(fn)


def _with_buffer(lib):
    m = lib.nn.Module()
    m.register_buffer("b", lib.ones(1))
    return m


def test_assign_before_init():
    class Bad(ember.nn.Module):
        def __init__(self):
            self.p = ember.nn.Parameter(ember.ones(1))

    class BadT(torch.nn.Module):
        def __init__(self):
            self.p = torch.nn.Parameter(torch.ones(1))

    with pytest.raises(AttributeError) as t:
        BadT()
    with pytest.raises(AttributeError) as e:
        Bad()
    assert str(e.value) == str(t.value)


def test_get_submodule_parameter_buffer(nets):
    t, e = nets
    assert e.get_submodule("blocks.1.seq.a") is e.blocks[1].seq.a
    assert e.get_submodule("") is e
    assert e.get_parameter("blocks.0.scale") is e.blocks[0].scale
    assert e.get_buffer("blocks.0.count") is e.blocks[0].count


def test_list_of_modules_warns():
    m = ember.nn.Module()
    with pytest.warns(UserWarning, match="ModuleList"):
        m.layers = [ember.nn.Linear(1, 1), ember.nn.Linear(1, 1)]
    with pytest.warns(UserWarning, match="not registered"):
        m.pair = (ember.nn.Linear(1, 1),)
    assert list(m.parameters()) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.numbers = [1, 2]
        m.empty = []


# --- naming and walks -------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m: [n for n, _ in m.named_parameters()],
    lambda m: [n for n, _ in m.named_parameters(remove_duplicate=False)],
    lambda m: [n for n, _ in m.named_parameters(prefix="model", recurse=False)],
    lambda m: [n for n, _ in m.blocks[0].named_parameters(prefix="b0")],
    lambda m: [n for n, _ in m.named_buffers()],
    lambda m: [n for n, _ in m.named_buffers(recurse=False)],
    lambda m: [n for n, _ in m.named_modules()],
    lambda m: [n for n, _ in m.named_modules(remove_duplicate=False)],
    lambda m: [n for n, _ in m.named_modules(prefix="root")],
    lambda m: [n for n, _ in m.named_children()],
    lambda m: [type(c).__name__ for c in m.children()],
    lambda m: [type(c).__name__ for c in m.modules()],
    lambda m: [tuple(p.shape) for p in m.parameters()],
    lambda m: [tuple(b.shape) for b in m.buffers()],
    lambda m: list(m.state_dict()),
    lambda m: list(m.state_dict(prefix="pre.")),
    lambda m: sorted(m.state_dict()._metadata),
], ids=lambda f: None)
def test_names_like_torch(nets, call):
    t, e = nets
    assert call(e) == call(t)


def test_shared_parameter_deduplicated():
    for lib in (torch, ember):
        a, b = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
        b.weight = a.weight
        s = lib.nn.Sequential(a, b)
        names = [n for n, _ in s.named_parameters()]
        assert names == ["0.weight", "0.bias", "1.bias"], lib.__name__
        assert len(list(s.named_parameters(remove_duplicate=False))) == 4


def test_apply_order_like_torch(nets):
    t, e = nets
    seen_t, seen_e = [], []
    t.apply(lambda m: seen_t.append(type(m).__name__))
    e.apply(lambda m: seen_e.append(type(m).__name__))
    assert seen_e == seen_t


def test_deep_tree_has_no_recursion_limit():
    root = ember.nn.Sequential()
    node = root
    for _ in range(400):
        child = ember.nn.Sequential()
        node.append(child)
        node = child
    node.append(ember.nn.Linear(1, 1))
    # allow only 150 more frames than the test itself uses: a recursive walk over 400 levels fails
    depth = len(inspect.stack(0))
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 150)
    try:
        n_mods = len(list(root.named_modules()))
        keys = list(root.state_dict())
        root.eval()
        text = repr(root)
        root.apply(lambda m: None)
        root.to(ember.float64)
    finally:
        sys.setrecursionlimit(old)
    assert n_mods == 402 and keys[0].endswith("0.weight") and len(keys) == 2
    assert not node[0].training and node[0].weight.dtype == ember.float64
    assert text.count("Sequential(") == 401


# --- state_dict / load_state_dict -------------------------------------------------------------------

def test_state_dict_values_like_torch(nets):
    t, e = nets
    ts, es = t.state_dict(), e.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy(), err_msg=k)
        assert es[k].dtype.__repr__().split(".")[-1] == str(ts[k].dtype).split(".")[-1]
        assert not es[k].requires_grad and type(es[k]) is ember.Tensor
    assert "blocks.0.scratch" not in es and "blocks.0.unused" not in es


def test_state_dict_shares_memory_and_keep_vars():
    m = ember.nn.Linear(2, 2)
    sd = m.state_dict()
    sd["bias"].fill_(7.0)
    assert m.bias.tolist() == [7.0, 7.0]
    kv = m.state_dict(keep_vars=True)
    assert kv["weight"] is m.weight


def test_outputs_equal_after_copy(nets):
    t, e = nets
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    to, eo = t(torch.tensor(x)), e(ember.tensor(x))
    for a, b in zip(to, eo):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_round_trip_and_no_grad():
    a, b = ember.nn.Linear(3, 2), ember.nn.Linear(3, 2)
    w = b.weight
    result = b.load_state_dict(a.state_dict())
    assert b.weight is w and b.weight.grad_fn is None and b.weight.requires_grad
    np.testing.assert_array_equal(b.weight.numpy(force=True), a.weight.numpy(force=True))
    assert result == ([], []) and repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    a.weight.data.fill_(0.0)
    assert b.weight.abs().sum().item() > 0  # copied, not aliased


@pytest.mark.parametrize("edit", [
    lambda sd: sd.pop("inp.bias"),
    lambda sd: sd.update(extra=np.ones(1, np.float32)),
    lambda sd: (sd.pop("blocks.1.count"), sd.update({"blocks.0.nope": np.ones(1, np.float32)})),
    lambda sd: sd.update({"blocks.0.fc.weight": np.ones((2, 3), np.float32)}),
    lambda sd: (sd.update({"heads.x.bias": np.ones((5,), np.float32)}), sd.pop("step")),
    lambda sd: sd.update({"unknown.module.w": np.ones(1, np.float32)}),
], ids=lambda f: None)
@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_errors_like_torch(nets, edit, strict):
    t, e = nets
    sd = np_sd(t.state_dict())
    edit(sd)
    t_sd = OrderedDict((k, torch.tensor(v)) for k, v in sd.items())
    try:
        t_res = copy.deepcopy(t).load_state_dict(t_sd, strict=strict)
        t_err = None
    except RuntimeError as ex:
        t_err = str(ex)
    target = build(ember)
    if t_err is None:
        e_res = target.load_state_dict(sd, strict=strict)
        assert (e_res.missing_keys, e_res.unexpected_keys) == (t_res.missing_keys, t_res.unexpected_keys)
        assert repr(e_res) == repr(t_res)
    else:
        with pytest.raises(RuntimeError) as info:
            target.load_state_dict(sd, strict=strict)
        assert str(info.value).replace("Net", "Net") == t_err


def test_load_state_dict_error_message_linear():
    msg = ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". \n\t'
           'Unexpected key(s) in state_dict: "extra". ')
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            lib.nn.Linear(2, 3).load_state_dict({"weight": lib.zeros(3, 2), "extra": lib.zeros(1)})
        assert str(info.value) == msg, lib.__name__


def test_load_state_dict_accepts_arrays_and_tensors():
    m = ember.nn.Linear(2, 2)
    m.load_state_dict({"weight": ember.ones(2, 2, dtype=ember.float64), "bias": [1, 2]})
    assert m.weight.dtype == ember.float32 and m.weight.tolist() == [[1, 1], [1, 1]] and m.bias.tolist() == [1, 2]
    t = torch.nn.Linear(2, 2)
    m.load_state_dict(t.state_dict())  # torch tensors (requires_grad or not) go through __array__
    np.testing.assert_array_equal(m.weight.numpy(force=True), t.weight.detach().numpy())
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([("weight", 1)])


def test_load_state_dict_assign():
    m = ember.nn.Linear(2, 2)
    new = ember.ones(2, 2, dtype=ember.float64)
    m.load_state_dict({"weight": new, "bias": ember.zeros(2)}, assign=True)
    assert isinstance(m.weight, ember.nn.Parameter) and m.weight.dtype == ember.float64 and m.weight.requires_grad
    new.fill_(3.0)
    assert m.weight.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_load_safetensors_from_torch(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    torch.manual_seed(1)
    t = build(torch)
    path = str(tmp_path / "model.safetensors")
    safetensors_torch.save_file({k: v.clone() for k, v in t.state_dict().items()}, path)
    e = build(ember)
    assert e.load_state_dict(safetensors_numpy.load_file(path)) == ([], [])
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(e.state_dict()[k].numpy(), v.numpy(), err_msg=k)


# --- conversion, modes, grads ------------------------------------------------------------------------

def test_to_dtype_converts_only_floating(nets):
    e = build(ember)
    w = e.inp.weight
    assert e.to(ember.float64) is e
    assert e.inp.weight is w and type(w) is ember.nn.Parameter and w.dtype == ember.float64
    assert e.blocks[0].count.dtype == ember.int64 and e.step.dtype == ember.float64
    assert all(p.dtype == ember.float64 for p in e.parameters())
    e.float()
    assert all(p.dtype == ember.float32 for p in e.parameters())
    e.half()
    assert w.dtype == ember.float16 and e.blocks[0].count.dtype == ember.int64
    e.to(ember.zeros(1, dtype=ember.float64))
    assert w.dtype == ember.float64
    e.to("cpu", dtype=ember.float32)
    assert w.dtype == ember.float32 and w.device == ember.device("cpu")
    e.type(ember.float64)
    assert e.blocks[0].count.dtype == ember.float64  # type() converts every tensor, as in torch
    e.double().cpu()


def test_to_converts_grad_in_place():
    m = ember.nn.Linear(2, 1)
    m(ember.ones(1, 2)).sum().backward()
    g = m.weight.grad
    m.double()
    assert m.weight.grad is g and g.dtype == ember.float64


def test_train_eval_propagation(nets):
    _, e = nets
    assert e.training and e.eval() is e
    assert not any(m.training for m in e.modules())
    e.train()
    assert all(m.training for m in e.modules())
    e.blocks.train(False)
    assert e.training and not e.blocks[1].seq.a.training


def test_train_override_in_child_is_called():
    calls = []

    class Special(ember.nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    s = ember.nn.Sequential(ember.nn.Linear(1, 1), Special())
    s.eval()
    assert calls == [False] and not s[1].training


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    m = ember.nn.Linear(3, 2)
    m(ember.ones(4, 3)).sum().backward()
    g = m.weight.grad
    m.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert m.weight.grad is None and m.bias.grad is None
    else:
        assert m.weight.grad is g and g.abs().sum().item() == 0 and not g.requires_grad


def test_requires_grad_():
    m = ember.nn.Linear(2, 2).requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    assert all(p.requires_grad for p in m.requires_grad_().parameters())


def test_module_deepcopy():
    m = ember.nn.Sequential(ember.nn.Linear(2, 2))
    c = copy.deepcopy(m)
    assert type(c[0].weight) is ember.nn.Parameter and c[0].weight is not m[0].weight
    assert c[0].weight.tolist() == m[0].weight.tolist()
    assert [n for n, _ in c.named_parameters()] == ["0.weight", "0.bias"]


# --- hooks -------------------------------------------------------------------------------------------

def test_forward_hooks():
    m = ember.nn.Linear(2, 2)
    log = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: log.append("a") or out + 100)
    h3 = m.register_forward_hook(lambda mod, args, out: log.append("b"), prepend=True)
    out = m(ember.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), m.bias.detach().numpy()[None] + 100, rtol=1e-6)
    assert log == ["b", "a"]
    for h in (h1, h2, h3):
        h.remove()
    np.testing.assert_allclose(m(ember.zeros(1, 2)).detach().numpy(), m.bias.detach().numpy()[None], rtol=1e-6)
    assert not m._forward_hooks and not m._forward_pre_hooks


def test_forward_hooks_with_kwargs_and_context():
    class Add(ember.nn.Module):
        def forward(self, x, y=0):
            return x + y

    m = Add()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"y": 10}), with_kwargs=True)
    seen = []
    with m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs["y"]), with_kwargs=True):
        assert m(ember.tensor(1.0)).item() == 11.0
    assert seen == [10]
    m(ember.tensor(1.0))
    assert seen == [10]


def test_always_call_hook_runs_on_error():
    class Boom(ember.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    m = Boom()
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError):
        m(1)
    assert seen == [None]


# --- repr ---------------------------------------------------------------------------------------------

def _repr_models(lib):
    nn = lib.nn
    Block = make_block(lib)
    return [
        nn.Linear(3, 4), nn.Linear(3, 4, bias=False), nn.Bilinear(2, 3, 4), nn.Identity(7), nn.Flatten(),
        nn.Flatten(0, 2), nn.Unflatten(1, (2, 5)), nn.Sequential(), nn.ModuleList(), nn.ModuleDict(),
        nn.Sequential(nn.Linear(2, 3), nn.Flatten(), nn.Linear(3, 1)),
        nn.Sequential(OrderedDict(enc=nn.Sequential(nn.Linear(2, 2)), dec=nn.Identity())),
        nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.Flatten(), nn.Linear(2, 3), nn.Linear(2, 3)]),
        nn.ModuleList([nn.Sequential(nn.Linear(1, 1), nn.Identity()) for _ in range(2)]),
        nn.ModuleList([Block(), Block(), Block(4)]),
        nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ModuleList([nn.Identity(), nn.Identity()])}),
        nn.ParameterList([nn.Parameter(lib.ones(2, 3)), nn.Parameter(lib.ones(2, dtype=lib.float64)),
                          lib.ones(3), 5, nn.Linear(1, 1)]),
        nn.ParameterList([nn.Parameter(lib.ones(2))]), nn.ParameterList(), nn.ParameterDict(),
        nn.ParameterDict({"a": nn.Parameter(lib.ones(2, 3)), "b": lib.zeros(1), "c": "str"}),
        build(lib), Block(),
    ]


def test_repr_like_torch():
    for t, e in zip(_repr_models(torch), _repr_models(ember)):
        assert repr(e).replace("ember.", "torch.") == repr(t)


def test_repr_sequential_of_linear_relu():
    if not hasattr(ember.nn, "ReLU"):
        pytest.skip("ember.nn.ReLU not written yet")
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    e = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU(), ember.nn.Linear(8, 2))
    assert repr(e) == repr(t)


def test_custom_repr_and_extra_repr():
    for lib in (torch, ember):
        class Custom(lib.nn.Module):
            def extra_repr(self):
                return "line1\nline2"

        class Own(lib.nn.Module):
            def __repr__(self):
                return "OWN"

        m = lib.nn.Sequential(Custom(), Own())
        assert repr(m) == "Sequential(\n  (0): Custom(\n    line1\n    line2\n  )\n  (1): OWN\n)", lib.__name__


# --- containers ---------------------------------------------------------------------------------------

def _seq_ops(lib):
    nn = lib.nn
    s = nn.Sequential(nn.Linear(1, 2), nn.Linear(2, 3), nn.Linear(3, 4))
    out = [len(s), s[-1].out_features, type(s[1:]).__name__, [m.out_features for m in s[::2]]]
    s.append(nn.Linear(4, 5))
    s.insert(0, nn.Identity())
    s.insert(-1, nn.Flatten())
    out.append(list(s._modules))
    out.append([type(m).__name__ for m in s])
    s.extend([nn.Linear(5, 6)])
    popped = s.pop(1)
    out.append((popped.out_features, list(s._modules)))
    del s[0]
    del s[1:3]
    out.append([getattr(m, "out_features", None) for m in s])
    s[0] = nn.Linear(1, 9)
    out.append(s[0].out_features)
    t = s + nn.Sequential(nn.Identity())
    out.append((len(t), list(t._modules), len(s)))
    s += nn.Sequential(nn.Identity())
    out.append(len(s))
    out.append(len(nn.Sequential(nn.Identity()) * 3))
    return out


def test_sequential_ops_like_torch():
    assert _seq_ops(ember) == _seq_ops(torch)


def test_sequential_forward_and_errors():
    s = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.Flatten(0), ember.nn.Unflatten(0, (3, 1)))
    assert tuple(s(ember.ones(1, 2)).shape) == (3, 1)
    same_err(lambda lib: lib.nn.Sequential(lib.nn.Identity())[3])
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class, but <class"):
        ember.nn.Sequential(ember.nn.Identity()) + ember.nn.ModuleList()
    same_err(lambda lib: lib.nn.Sequential(lib.nn.Identity()).insert(5, lib.nn.Identity()))


def _modulelist_ops(lib):
    nn = lib.nn
    ml = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 2)])
    ml.append(nn.Linear(1, 3))
    ml.extend([nn.Linear(1, 4)])
    ml += [nn.Linear(1, 5)]
    ml.insert(1, nn.Linear(1, 6))
    out = [len(ml), [m.out_features for m in ml], ml[-2].out_features, type(ml[1:3]).__name__]
    ml[0] = nn.Linear(1, 7)
    popped = ml.pop(2)
    del ml[::2]
    out += [popped.out_features, [m.out_features for m in ml], list(ml._modules)]
    combined = ml + nn.ModuleList([nn.Identity()])
    out += [len(combined), [n for n, _ in combined.named_parameters()]]
    return out


def test_modulelist_ops_like_torch():
    assert _modulelist_ops(ember) == _modulelist_ops(torch)
    same_err(lambda lib: lib.nn.ModuleList([lib.nn.Identity()])[-2])
    same_err(lambda lib: lib.nn.ModuleList().extend(5))


def _moduledict_ops(lib):
    nn = lib.nn
    md = nn.ModuleDict([("b", nn.Linear(1, 1)), ("a", nn.Identity())])
    md["c"] = nn.Flatten()
    md.update({"b": nn.Linear(1, 2), "d": nn.Identity()})
    out = [list(md), list(md.keys()), [type(v).__name__ for v in md.values()], "a" in md, len(md)]
    out.append(type(md.pop("a")).__name__)
    del md["c"]
    out.append([k for k, _ in md.items()])
    out.append([n for n, _ in md.named_parameters()])
    md.clear()
    out.append(len(md))
    return out


def test_moduledict_ops_like_torch():
    assert _moduledict_ops(ember) == _moduledict_ops(torch)
    same_err(lambda lib: lib.nn.ModuleDict().update(3))
    same_err(lambda lib: lib.nn.ModuleDict().update([("a", lib.nn.Identity(), 1)]))


def _paramlist_ops(lib):
    nn = lib.nn
    pl = nn.ParameterList([nn.Parameter(lib.ones(1)), lib.zeros(2)])
    pl.append(lib.ones(3))
    pl.extend([nn.Parameter(lib.ones(4))])
    pl += [lib.ones(5)]
    out = [len(pl), [type(p).__name__ for p in pl], [p.numel() for p in pl[1:3]], pl[-1].numel()]
    pl[0] = lib.ones(6)
    out += [[n for n, _ in pl.named_parameters()], pl[0].numel(), isinstance(pl[0], nn.Parameter)]
    return out


def test_parameterlist_ops_like_torch():
    assert _paramlist_ops(ember) == _paramlist_ops(torch)
    same_err(lambda lib: lib.nn.ParameterList()(1))
    same_err(lambda lib: lib.nn.ParameterList().extend(lib.ones(2)))


def _paramdict_ops(lib):
    nn = lib.nn
    pd = nn.ParameterDict({"b": lib.ones(1), "a": nn.Parameter(lib.ones(2))})
    pd["c"] = lib.zeros(3)
    pd.update([("d", lib.ones(4))])
    out = [list(pd), [type(v).__name__ for v in pd.values()], "a" in pd, len(pd), pd.get("zz") is None]
    out.append(pd.pop("b").numel())
    out.append(pd.setdefault("e", lib.ones(5)).numel())
    out.append([n for n, _ in pd.named_parameters()])
    out.append(list(reversed(pd)))
    out.append(list(pd.copy()))
    pd.clear()
    out.append(len(pd))
    return out


def test_parameterdict_ops_like_torch():
    assert _paramdict_ops(ember) == _paramdict_ops(torch)
    same_err(lambda lib: lib.nn.ParameterDict()[1])


# --- layers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
def test_linear_matches_torch(shape):
    torch.manual_seed(0)
    t = torch.nn.Linear(4, 3)
    e = ember.nn.Linear(4, 3)
    copy_weights(t, e)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    ot, oe = t(xt), e(xe)
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-6)
    ot.sum().backward()
    oe.sum().backward()
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_bilinear_matches_torch():
    torch.manual_seed(0)
    t = torch.nn.Bilinear(3, 2, 4)
    e = ember.nn.Bilinear(3, 2, 4)
    copy_weights(t, e)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((5, 2)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(a), ember.tensor(b)).detach().numpy(),
                               t(torch.tensor(a), torch.tensor(b)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Linear(50, 40), lambda lib: lib.nn.Linear(7, 3, bias=False),
    lambda lib: lib.nn.Bilinear(9, 4, 30),
], ids=lambda f: None)
def test_default_init_bounds(make):
    ember.manual_seed(0)
    e, t = make(ember), make(torch)
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        bound = 1 / np.sqrt(pt.shape[1] if name == "weight" else t.weight.shape[1])
        v = pe.detach().numpy()
        assert pe.shape == pt.shape and pe.dtype == ember.float32
        assert np.abs(v).max() <= bound and np.abs(v).max() > 0.8 * bound, name
        if v.size > 100:
            assert abs(v.std() - bound / np.sqrt(3)) < 0.1 * bound


def test_linear_factory_kwargs():
    m = ember.nn.Linear(2, 3, dtype=ember.float64, device="cpu")
    assert m.weight.dtype == ember.float64 and m.bias.dtype == ember.float64
    m.reset_parameters()
    assert m.weight.abs().max().item() <= 1 / np.sqrt(2)


@pytest.mark.parametrize("args, shape", [
    ((), (2, 3, 4, 5)), ((0, -1), (2, 3, 4)), ((1, 2), (2, 3, 4, 5)), ((2,), (2, 3, 4, 5)),
])
def test_flatten_like_torch(args, shape):
    x = np.zeros(shape, np.float32)
    assert tuple(ember.nn.Flatten(*args)(ember.tensor(x)).shape) == tuple(torch.nn.Flatten(*args)(torch.tensor(x)).shape)


@pytest.mark.parametrize("dim, size, shape", [(1, (2, 5), (3, 10)), (-1, [2, 2], (3, 4)), (0, (2, -1), (6,))])
def test_unflatten_like_torch(dim, size, shape):
    x = np.zeros(shape, np.float32)
    assert tuple(ember.nn.Unflatten(dim, size)(ember.tensor(x)).shape) == \
        tuple(torch.nn.Unflatten(dim, size)(torch.tensor(x)).shape)


def test_unflatten_errors_like_torch():
    same_err(lambda lib: lib.nn.Unflatten(1, (2, 5.0)))
    same_err(lambda lib: lib.nn.Unflatten(1, 5))


def test_exports():
    for mod in ("parameter", "module", "container", "linear", "flatten"):
        names = getattr(ember.nn, mod).__all__
        assert names and all(hasattr(ember.nn, n) for n in names)
    assert ember.nn.Linear.__doc__ and ember.nn.Module.state_dict.__doc__


def test_module_to_device(device):
    m = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.Flatten())
    m.register_buffer("steps", ember.zeros(1, dtype=ember.int64))
    w = m[0].weight
    m.to(device)
    assert m[0].weight is w and type(w) is ember.nn.Parameter
    assert all(t.device == ember.device(device) for t in list(m.parameters()) + list(m.buffers()))
    m.load_state_dict({"0.weight": np.ones((2, 3), np.float32), "0.bias": ember.zeros(2), "steps": np.ones(1)})
    out = m(ember.ones(4, 3, device=device))
    assert out.device == ember.device(device) and out.tolist() == [[3.0, 3.0]] * 4
    m.cpu()
    assert w.device == ember.device("cpu") and m.steps.tolist() == [1]

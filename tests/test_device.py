"""Devices against PyTorch: ember.device construction, repr/str/equality/hash exactly like torch.device,
.cpu(), device= on creation functions, the ember.cuda queries, and the errors a CPU-only machine gives.

Tests that need a GPU take the ``device`` fixture (cpu and cuda) or skip with the shared reason.
"""
import pickle

import numpy as np
import pytest
import torch

import ember
from helpers import CUDA_SKIP_REASON, HAS_CUDA

torch.set_num_threads(1)

needs_no_cuda = pytest.mark.skipif(HAS_CUDA, reason="checks the CPU-only behaviour; this machine has CUDA")
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason=CUDA_SKIP_REASON)

# --- ember.device -------------------------------------------------------------------------------------

DEVICE_ARGS = [
    ("cpu", ("cpu",), {}),
    ("cpu_0", ("cpu:0",), {}),
    ("cuda", ("cuda",), {}),
    ("cuda_0", ("cuda:0",), {}),
    ("cuda_3", ("cuda:3",), {}),
    ("cuda_index_arg", ("cuda", 1), {}),
    ("cuda_index_kw", ("cuda",), {"index": 2}),
    ("type_kw", (), {"type": "cuda", "index": 0}),
    ("cpu_index_arg", ("cpu", 0), {}),
    ("spaces", (" cuda:1 ",), {}),
]


@pytest.mark.parametrize("args,kw", [pytest.param(a, k, id=i) for i, a, k in DEVICE_ARGS])
def test_device_like_torch(args, kw):
    if args == (" cuda:1 ",):
        pytest.skip("torch rejects surrounding spaces; ember strips them")
    t, e = torch.device(*args, **kw), ember.device(*args, **kw)
    assert repr(e) == repr(t)
    assert str(e) == str(t)
    assert e.type == t.type and e.index == t.index


def test_device_from_device_and_pickle():
    d = ember.device("cuda:1")
    assert ember.device(d) == d and repr(ember.device(d)) == "device(type='cuda', index=1)"
    assert pickle.loads(pickle.dumps(d)) == d
    assert pickle.loads(pickle.dumps(ember.device("cpu"))) == ember.device("cpu")


def test_device_int_is_cuda_index():
    # torch.device(1) is the accelerator with index 1 (it raises only when there is none)
    assert repr(ember.device(1)) == "device(type='cuda', index=1)"


EQUALITY = [
    ("cpu_cpu", ("cpu",), ("cpu",)),
    ("cpu_cpu0", ("cpu",), ("cpu:0",)),
    ("cuda_cuda0", ("cuda",), ("cuda:0",)),
    ("cuda0_cuda0", ("cuda:0",), ("cuda", 0)),
    ("cuda0_cuda1", ("cuda:0",), ("cuda:1",)),
    ("cpu_cuda", ("cpu",), ("cuda",)),
]


@pytest.mark.parametrize("a,b", [pytest.param(a, b, id=i) for i, a, b in EQUALITY])
def test_device_equality_and_hash(a, b):
    t_eq = torch.device(*a) == torch.device(*b)
    e_eq = ember.device(*a) == ember.device(*b)
    assert e_eq == t_eq
    assert (ember.device(*a) != ember.device(*b)) == (not t_eq)
    if t_eq:
        assert hash(ember.device(*a)) == hash(ember.device(*b))


def test_device_usable_as_key():
    d = {ember.device("cpu"): 1, ember.device("cuda", 0): 2}
    assert d[ember.device("cpu")] == 1 and d[ember.device("cuda:0")] == 2
    assert (ember.device("cpu") == 0) is False and (ember.device("cpu") == None) is False  # noqa: E711


DEVICE_ERRORS = [
    ("unknown_type", ("gpu",), {}, "Expected one of cpu, cuda"),
    ("negative_in_string", ("cuda:-1",), {}, "Invalid device string"),
    ("negative_index", ("cuda", -1), {}, "must not be negative"),
    ("junk_index", ("cuda:x",), {}, "Invalid device string"),
    ("index_twice", ("cuda:1", 1), {}, "must not include an index"),
]


@pytest.mark.parametrize("args,kw,match", [pytest.param(a, k, m, id=i) for i, a, k, m in DEVICE_ERRORS])
def test_device_errors(args, kw, match):
    with pytest.raises(RuntimeError):
        torch.device(*args, **kw)
    with pytest.raises(RuntimeError, match=match):
        ember.device(*args, **kw)


# --- tensors on the CPU ------------------------------------------------------------------------------------

CPU_SPELLINGS = ["cpu", "cpu:0", ember.device("cpu"), ember.device("cpu", 0), None]


@pytest.mark.parametrize("dev", CPU_SPELLINGS, ids=["str", "str0", "obj", "obj0", "none"])
def test_cpu_spellings_give_the_cpu(dev):
    for t in (ember.zeros(2, device=dev), ember.tensor([1.0], device=dev), ember.arange(3, device=dev),
              ember.rand(2, device=dev), ember.ones(1).to(dev) if dev is not None else ember.ones(1)):
        assert t.device == ember.device("cpu")
        tdev = torch.device(str(dev)) if isinstance(dev, ember.device) else dev
        assert repr(t.device) == repr(torch.zeros(1, device=tdev).device) == "device(type='cpu')"
        assert t.is_cpu and not t.is_cuda


def test_cpu_is_self_on_cpu():
    x = ember.ones(2, 3)
    assert x.cpu() is x and x.to("cpu") is x and x.to(ember.device("cpu")) is x


def test_cpu_roundtrip_values(device):
    from helpers import skip_unless_device
    skip_unless_device(device)
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = ember.tensor(a, device=device)
    assert x.device.type == device and np.array_equal(x.cpu().numpy(), a)
    assert x.cpu().device == ember.device("cpu")


# --- ember.cuda on a machine without CUDA ------------------------------------------------------------------

def _no_cuda_error(fn):
    with pytest.raises(RuntimeError) as info:
        fn()
    msg = str(info.value)
    assert "CUDA is not available" in msg and "pip install" in msg, msg
    return msg


@needs_no_cuda
def test_cuda_queries_without_cuda():
    assert ember.cuda.is_available() is False  # a plain False, not an exception
    assert ember.cuda.device_count() == 0 == torch.cuda.device_count()
    _no_cuda_error(ember.cuda.current_device)
    _no_cuda_error(ember.cuda.get_device_name)
    _no_cuda_error(lambda: ember.cuda.get_device_name(0))
    _no_cuda_error(ember.cuda.synchronize)


CUDA_MOVES = {
    "cuda()": lambda: ember.ones(2).cuda(),
    "cuda(0)": lambda: ember.ones(2).cuda(0),
    "to('cuda')": lambda: ember.ones(2).to("cuda"),
    "to('cuda:0')": lambda: ember.ones(2).to("cuda:0"),
    "to(device)": lambda: ember.ones(2).to(ember.device("cuda", 0)),
    "to(0)": lambda: ember.ones(2).to(0),
    "to(device=, dtype=)": lambda: ember.ones(2).to(device="cuda", dtype=ember.float64),
    "type(cuda name)": lambda: ember.ones(2).type("torch.cuda.FloatTensor"),
}
CUDA_FACTORIES = {
    "tensor": lambda d: ember.tensor([1.0], device=d),
    "as_tensor": lambda d: ember.as_tensor([1.0], device=d),
    "zeros": lambda d: ember.zeros(2, device=d),
    "ones": lambda d: ember.ones(2, device=d),
    "empty": lambda d: ember.empty(2, device=d),
    "full": lambda d: ember.full((2,), 1.0, device=d),
    "eye": lambda d: ember.eye(2, device=d),
    "arange": lambda d: ember.arange(3, device=d),
    "linspace": lambda d: ember.linspace(0, 1, 3, device=d),
    "rand": lambda d: ember.rand(2, device=d),
    "randn": lambda d: ember.randn(2, device=d),
    "randint": lambda d: ember.randint(5, (2,), device=d),
    "randperm": lambda d: ember.randperm(3, device=d),
    "normal": lambda d: ember.normal(0.0, 1.0, (2,), device=d),
    "zeros_like": lambda d: ember.zeros_like(ember.ones(2), device=d),
    "rand_like": lambda d: ember.rand_like(ember.ones(2), device=d),
}


@needs_no_cuda
@pytest.mark.parametrize("name", sorted(CUDA_MOVES))
def test_moving_to_cuda_raises_clearly(name):
    _no_cuda_error(CUDA_MOVES[name])


@needs_no_cuda
@pytest.mark.parametrize("name", sorted(CUDA_FACTORIES))
def test_creating_on_cuda_raises_clearly(name):
    _no_cuda_error(lambda: CUDA_FACTORIES[name]("cuda"))


# --- with a GPU ------------------------------------------------------------------------------------------------------

@needs_cuda
def test_cuda_queries_with_cuda():
    assert ember.cuda.is_available() is True
    n = ember.cuda.device_count()
    assert n >= 1 and 0 <= ember.cuda.current_device() < n
    assert isinstance(ember.cuda.get_device_name(0), str) and ember.cuda.get_device_name(0)
    ember.cuda.synchronize()


@needs_cuda
@pytest.mark.parametrize("name", sorted(CUDA_MOVES))
def test_moving_to_cuda(name):
    t = CUDA_MOVES[name]()
    assert t.is_cuda and t.device == ember.device("cuda", 0) and t.cpu().tolist() == [1.0, 1.0]


@needs_cuda
@pytest.mark.parametrize("name", sorted(CUDA_FACTORIES))
def test_creating_on_cuda(name):
    for d in ("cuda", "cuda:0", ember.device("cuda", 0)):
        t = CUDA_FACTORIES[name](d)
        assert t.device == ember.device("cuda", 0) and repr(t.device) == "device(type='cuda', index=0)"


@needs_cuda
def test_cuda_grad_flows_back_to_cpu():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x.cuda() * 3).sum().backward()
    assert x.grad.device == ember.device("cpu") and x.grad.tolist() == [3.0, 3.0]


# --- mixing devices -----------------------------------------------------------------------------------------------------

def _cuda_like(t):
    """A real CUDA tensor when there is a GPU; otherwise the CPU tensor marked as cuda:0, which is enough
    for the device check that every op runs before it touches the data."""
    if HAS_CUDA:
        return t.cuda()
    t._device = ember.device("cuda", 0)
    return t


MIXES = {
    "add": lambda a, b: a + b,
    "radd": lambda a, b: b + a,
    "mul_method": lambda a, b: a.mul(b),
    "cat": lambda a, b: ember.cat([a, b]),
    "where": lambda a, b: ember.where(a > 0, a, b),
    "maximum": lambda a, b: ember.maximum(a, b),
}


@pytest.mark.parametrize("name", sorted(MIXES))
def test_mixing_devices_message(name):
    a, b = ember.ones(3), _cuda_like(ember.ones(3))
    with pytest.raises(RuntimeError) as info:
        MIXES[name](a, b)
    msg = str(info.value)
    assert msg.startswith("Expected all tensors to be on the same device, but found at least two devices, "), msg
    assert "cpu" in msg and "cuda:0" in msg, msg


@needs_cuda
def test_zero_dim_cpu_tensor_joins_cuda():
    y = ember.ones(3).cuda() * ember.tensor(2.0)  # as in PyTorch: a 0-d CPU tensor may join CUDA tensors
    assert y.is_cuda and y.cpu().tolist() == [2.0, 2.0, 2.0]

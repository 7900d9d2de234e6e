"""ember.cuda, ember.backends and tensors on the GPU.

Without CuPy or a GPU: the answers and error texts of a CPU-only machine. With a GPU
(skipped here with the shared reason): moves, mixing devices, events, memory figures,
streams, printing, training on the GPU, save/load.
"""
import os
import tempfile

import numpy as np
import pytest
import torch

import ember
from helpers import CUDA_SKIP_REASON, HAS_CUDA

needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason=CUDA_SKIP_REASON)
needs_no_cuda = pytest.mark.skipif(HAS_CUDA, reason="checks the CPU-only behaviour; this machine has CUDA")


def _no_cuda_error(fn):
    with pytest.raises(RuntimeError) as info:
        fn()
    msg = str(info.value)
    assert "CUDA is not available" in msg and "pip install ember[cuda12]" in msg and "ember[cuda13]" in msg, msg
    return msg


# --- without CUDA ---------------------------------------------------------------------------------------------

@needs_no_cuda
def test_queries_without_cuda_match_pytorch_cpu_build():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0 == torch.cuda.device_count()
    assert ember.cuda.is_initialized() is False
    # PyTorch answers these with 0 / None while CUDA is not initialised
    for name in ("memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved"):
        assert getattr(ember.cuda, name)() == 0 == getattr(torch.cuda, name)(), name
    assert ember.cuda.empty_cache() is None
    assert ember.cuda.reset_peak_memory_stats() is None


RAISING = {
    "current_device": lambda: ember.cuda.current_device(),
    "set_device": lambda: ember.cuda.set_device(0),
    "get_device_name": lambda: ember.cuda.get_device_name(),
    "get_device_name(0)": lambda: ember.cuda.get_device_name(0),
    "get_device_properties": lambda: ember.cuda.get_device_properties(0),
    "get_device_capability": lambda: ember.cuda.get_device_capability(),
    "synchronize": lambda: ember.cuda.synchronize(),
    "init": lambda: ember.cuda.init(),
    "Event": lambda: ember.cuda.Event(enable_timing=True),
    "Stream": lambda: ember.cuda.Stream(),
    "current_stream": lambda: ember.cuda.current_stream(),
    "default_stream": lambda: ember.cuda.default_stream(),
    "device(0)": lambda: ember.cuda.device(0).__enter__(),
    "to('cuda')": lambda: ember.ones(2).to("cuda"),
    "cuda(1)": lambda: ember.ones(2).cuda(1),
    "zeros(device='cuda:0')": lambda: ember.zeros(2, device="cuda:0"),
    "tensor(device='cuda')": lambda: ember.tensor([1.0], device="cuda"),
    "Module.to('cuda')": lambda: ember.nn.Linear(2, 2).to("cuda"),
}


@needs_no_cuda
@pytest.mark.parametrize("name", sorted(RAISING))
def test_cuda_calls_raise_clearly_without_cuda(name):
    _no_cuda_error(RAISING[name])


@needs_no_cuda
def test_load_onto_cuda_without_cuda_says_to_use_the_cpu():
    with pytest.raises(RuntimeError, match=r"CUDA is not available; pass map_location='cpu'"):
        _save_and_load({"w": ember.ones(2)}, "cuda")


@needs_no_cuda
def test_rng_functions_share_the_default_generator_without_cuda():
    ember.cuda.manual_seed(123)
    a = ember.rand(3)
    ember.cuda.manual_seed_all(123)
    assert ember.equal(a, ember.rand(3))
    assert ember.cuda.initial_seed() == 123 == ember.initial_seed()
    ember.cuda.seed()  # reseeds from a random number; must not raise


def test_device_objects_for_cuda_need_no_gpu():
    d = ember.device("cuda")
    assert d.type == "cuda" and d.index is None and repr(d) == repr(torch.device("cuda"))
    assert str(ember.device("cuda:1")) == "cuda:1" == str(torch.device("cuda:1"))
    assert ember.device("cuda", 0) == ember.device("cuda:0")


def test_backends_flags_exist_and_are_settable():
    m = ember.backends.cuda.matmul
    assert m.allow_tf32 is False is torch.backends.cuda.matmul.allow_tf32
    try:
        m.allow_tf32 = True
        assert ember.backends.cuda.matmul.allow_tf32 is True
    finally:
        m.allow_tf32 = False
    with pytest.raises(RuntimeError, match="expects a bool"):
        m.allow_tf32 = 1
    cudnn = ember.backends.cudnn
    defaults = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True}
    for name, value in defaults.items():
        assert getattr(cudnn, name) is value is getattr(torch.backends.cudnn, name), name
        setattr(cudnn, name, not value)
        assert getattr(cudnn, name) is (not value)
        setattr(cudnn, name, value)
    assert ember.backends.mps.is_available() is False is torch.backends.mps.is_available()
    assert isinstance(ember.backends.cpu.get_cpu_capability(), str)
    assert ember.backends.cuda.is_built() in (True, False)


def test_cuda_context_managers_with_none_do_nothing():
    with ember.cuda.device(None):
        pass
    with ember.cuda.stream(None) as s:
        assert s is None


def _save_and_load(obj, map_location):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.safetensors")
        ember.save(obj, path)
        return ember.load(path, map_location=map_location)


# --- with a GPU -----------------------------------------------------------------------------------------------

@needs_cuda
def test_queries_with_cuda():
    assert ember.cuda.is_available() and ember.cuda.device_count() >= 1
    ember.cuda.init()
    assert ember.cuda.is_initialized()
    p = ember.cuda.get_device_properties(0)
    tp = torch.cuda.get_device_properties(0)
    assert p.name == tp.name == ember.cuda.get_device_name(0)
    assert (p.major, p.minor) == (tp.major, tp.minor) == ember.cuda.get_device_capability(0)
    assert p.multi_processor_count == tp.multi_processor_count
    assert abs(p.total_memory - tp.total_memory) < 2 ** 30
    assert repr(p).startswith(f"_CudaDeviceProperties(name='{tp.name}', major={tp.major}, minor={tp.minor}, "
                              "total_memory=")
    with ember.cuda.device(0):
        assert ember.cuda.current_device() == 0
    ember.cuda.set_device(0)
    ember.cuda.synchronize()
    ember.cuda.synchronize(0)


@needs_cuda
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"])
def test_round_trip_keeps_values_and_dtype(dtype):
    a = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    x = ember.tensor(a)
    for spelling in ("cuda", "cuda:0", ember.device("cuda", 0), 0):
        g = x.to(spelling, non_blocking=True)
        assert g.is_cuda and g.device == ember.device("cuda:0") and g.dtype == x.dtype
        back = g.cpu()
        assert back.device == ember.device("cpu") and back.dtype == x.dtype
        np.testing.assert_array_equal(back.numpy(), a)
    assert x.cuda().tolist() == a.tolist()


@needs_cuda
def test_factories_honour_device():
    for t in (ember.zeros(2, 3, device="cuda"), ember.ones(2, device="cuda"), ember.full((2,), 3.0, device="cuda"),
              ember.arange(5, device="cuda"), ember.linspace(0, 1, 4, device="cuda"), ember.eye(3, device="cuda"),
              ember.tensor([[1, 2]], device="cuda"), ember.randn(3, device="cuda"), ember.rand(3, device="cuda"),
              ember.randint(0, 5, (3,), device="cuda"), ember.empty(2, device="cuda")):
        assert t.device == ember.device("cuda:0")
    x = ember.zeros(2, device="cuda")
    assert ember.zeros_like(x).is_cuda and ember.rand_like(x).is_cuda and ember.full_like(x, 2).is_cuda


@needs_cuda
def test_numpy_item_tolist_and_printing():
    g = ember.tensor([1.5, 2.5], device="cuda")
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy\. Use Tensor\.cpu\(\) "
                                        r"to copy the tensor to host memory first\."):
        g.numpy()
    assert g.sum().item() == 4.0 and g.tolist() == [1.5, 2.5]
    assert repr(g) == repr(torch.tensor([1.5, 2.5], device="cuda")) == "tensor([1.5000, 2.5000], device='cuda:0')"
    assert repr(ember.tensor(3, device="cuda")) == "tensor(3, device='cuda:0')"


@needs_cuda
def test_mixed_devices_error_and_zero_dim_cpu_operand():
    g = ember.ones(3, device="cuda")
    c = ember.ones(3)
    msg = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
    for fn in (lambda: g + c, lambda: g * c, lambda: ember.cat([g, c]),
               lambda: ember.where(g > 0, g, c), lambda: g.add_(c)):
        with pytest.raises(RuntimeError) as info:
            fn()
        assert msg in str(info.value)
    with pytest.raises(RuntimeError, match="same device"):
        c.add_(g)
    s = ember.tensor(2.0)  # a 0-d CPU tensor joins CUDA tensors, as in PyTorch
    assert (g * s).is_cuda and (g * s).tolist() == [2.0, 2.0, 2.0]
    g2 = g.clone()
    g2.mul_(s)
    assert g2.tolist() == [2.0, 2.0, 2.0]


@needs_cuda
def test_indexing_cuda_tensor_with_cpu_index():
    g = ember.arange(10, device="cuda") * 10
    idx = ember.tensor([1, 3])
    assert g[idx].is_cuda and g[idx].tolist() == [10, 30]
    assert g[ember.arange(10) > 7].tolist() == [80, 90]
    g[idx] = 0
    assert g[:4].tolist() == [0, 0, 20, 0]


@needs_cuda
def test_gradient_flows_across_devices():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.cuda() ** 2).sum()
    y.backward()
    assert x.grad.device == ember.device("cpu") and x.grad.tolist() == [2.0, 4.0]


@needs_cuda
def test_event_elapsed_time():
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    a = ember.randn(1024, 1024, device="cuda")
    start.record()
    for _ in range(5):
        a = a @ a
        a = a / a.abs().max()
    end.record()
    end.synchronize()
    assert end.query() and start.elapsed_time(end) > 0
    with pytest.raises(RuntimeError, match="enable_timing"):
        ember.cuda.Event().elapsed_time(end)


@needs_cuda
def test_memory_stats_move_and_empty_cache():
    ember.cuda.init()
    ember.cuda.empty_cache()
    ember.cuda.reset_peak_memory_stats()
    before = ember.cuda.memory_allocated()
    x = ember.empty(64 * 2 ** 20 // 4, device="cuda")  # 64 MiB
    assert ember.cuda.memory_allocated() >= before + 64 * 2 ** 20
    assert ember.cuda.max_memory_allocated() >= before + 64 * 2 ** 20
    assert ember.cuda.memory_reserved() >= ember.cuda.memory_allocated()
    peak = ember.cuda.max_memory_allocated()
    del x
    assert ember.cuda.memory_allocated() <= before + 2 ** 20
    assert ember.cuda.max_memory_allocated() == peak  # the peak stays until reset
    assert ember.cuda.memory_reserved() >= 64 * 2 ** 20  # cached by the pool ...
    ember.cuda.empty_cache()
    assert ember.cuda.memory_reserved() < 64 * 2 ** 20  # ... until empty_cache
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() < peak
    assert ember.cuda.max_memory_reserved() >= ember.cuda.memory_reserved()


@needs_cuda
def test_peak_sees_a_temporary_between_reads():
    ember.cuda.init()
    ember.cuda.reset_peak_memory_stats()
    base = ember.cuda.max_memory_allocated()
    n = 32 * 2 ** 20 // 4
    ember.ones(n, device="cuda").sum().item()  # a 32 MiB temporary, freed before the next read
    assert ember.cuda.max_memory_allocated() >= base + 32 * 2 ** 20


@needs_cuda
def test_streams():
    s = ember.cuda.Stream()
    with ember.cuda.stream(s):
        assert ember.cuda.current_stream() == s
        y = ember.ones(1000, device="cuda") * 2
    s.synchronize()
    assert s.query() and y.sum().item() == 2000
    other = ember.cuda.Stream(priority=-1)
    other.wait_stream(s)
    e = s.record_event()
    other.wait_event(e)
    e.wait()
    other.synchronize()
    with s:
        assert ember.cuda.current_stream() == s
    assert ember.cuda.current_stream() != s


@needs_cuda
def test_tf32_flag_reaches_cupy():
    import cupy
    from cupy._core import _routines_linalg as rl
    try:
        ember.backends.cuda.matmul.allow_tf32 = True
        ember.cuda.init()
        want = rl.COMPUTE_TYPE_TF32 if ember.cuda.get_device_capability()[0] >= 8 else rl.COMPUTE_TYPE_DEFAULT
        assert rl.get_compute_type(np.float32) == want
    finally:
        ember.backends.cuda.matmul.allow_tf32 = False
    assert rl.get_compute_type(np.float32) == rl.COMPUTE_TYPE_DEFAULT
    a = cupy.random.rand(256, 256, dtype=cupy.float32)
    full = ember.tensor(a.get(), device="cuda") @ ember.tensor(a.get(), device="cuda")
    np.testing.assert_allclose(full.cpu().numpy(), a.get().astype(np.float64) @ a.get().astype(np.float64),
                               rtol=1e-4)


@needs_cuda
def test_module_to_cuda_and_optimizer_state_stay_on_cuda():
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU(), ember.nn.Linear(8, 2)).to("cuda")
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    x, y = ember.randn(16, 4, device="cuda"), ember.randn(16, 2, device="cuda")
    for _ in range(3):
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for p in model.parameters():
        assert p.is_cuda and p.grad.is_cuda
        for v in opt.state[p].values():
            if isinstance(v, ember.Tensor) and v.ndim > 0:
                assert v.is_cuda
    back = model.to("cpu")
    assert all(not p.is_cuda for p in back.parameters())


@needs_cuda
def test_save_cuda_tensors_and_load_with_map_location():
    w = ember.randn(3, 4, device="cuda")
    loaded = _save_and_load({"w": w, "i": ember.arange(3, device="cuda")}, None)
    assert loaded["w"].is_cuda and ember.equal(loaded["w"].cpu(), w.cpu())
    on_cpu = _save_and_load({"w": w}, "cpu")
    assert not on_cpu["w"].is_cuda and ember.equal(on_cpu["w"], w.cpu())
    on_gpu = _save_and_load({"w": w.cpu()}, "cuda")
    assert on_gpu["w"].device == ember.device("cuda:0") and ember.equal(on_gpu["w"].cpu(), w.cpu())

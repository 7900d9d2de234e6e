"""Random number generation: ``Generator``, ``manual_seed`` and the random factories.

Numbers come from numpy's PCG64 on the host and are copied to the device.
(A counter-based generator shared by CPU and CUDA is a later issue.)
"""


import numpy as np

from . import dtypes as _dt
from .device import to_device, CPU

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator", "rand", "randn", "randint", "randperm", "normal", "bernoulli",
           "rand_like", "randn_like", "randint_like", "multinomial"]


class Generator:
    """A source of random numbers with its own state, ``ember.Generator(device='cpu')``."""

    def __init__(self, device="cpu"):
        self.device = to_device(device)
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        """Seed the generator; returns it."""
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise ValueError(f"manual_seed: seed must be within the range [-0x8000_0000_0000_0000, "
                               f"0xffff_ffff_ffff_ffff], got {seed}")
        if seed < 0:
            seed += 1 << 64
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy) % (1 << 63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        from .tensor import tensor
        state = self._rng.bit_generator.state
        words = [state["state"]["state"], state["state"]["inc"], state["has_uint32"], state["uinteger"]]
        raw = b"".join(int(w).to_bytes(16, "little") for w in words)
        return tensor(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        raw = bytes(np.asarray(new_state._data, dtype=np.uint8))
        w = [int.from_bytes(raw[i:i + 16], "little") for i in range(0, 64, 16)]
        self._rng.bit_generator.state = {"bit_generator": "PCG64", "state": {"state": w[0], "inc": w[1]},
                                         "has_uint32": w[2], "uinteger": w[3]}
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator (CPU and CUDA); returns it."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _rng(generator):
    return (generator or default_generator)._rng


def _to_device(arr, device):
    dev = to_device(device)
    if dev is CPU:
        return arr
    from .backend import xp_for
    return xp_for(dev).asarray(arr)


def _float_only(dt, kernel):
    if not dt.is_floating_point:
        from .tensor import _type_name
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(dt)}\' '
                                  f"(random floats need a floating dtype, got {dt})")


def normal_array(shape, mean, std, dtype, device, generator=None):
    dt = _dt.to_dtype(dtype)
    _float_only(dt, "normal_kernel_cpu")
    rng = _rng(generator)
    if dt in (_dt.float32, _dt.float64):
        a = rng.standard_normal(tuple(shape), dtype=dt.np)
    else:
        a = rng.standard_normal(tuple(shape)).astype(dt.np)
    if std != 1:
        a *= std
    if mean != 0:
        a += mean
    return _to_device(a, device)


def uniform_array(shape, low, high, dtype, device, generator=None):
    dt = _dt.to_dtype(dtype)
    _float_only(dt, "check_uniform_bounds")
    rng = _rng(generator)
    if dt in (_dt.float32, _dt.float64):
        a = rng.random(tuple(shape), dtype=dt.np)
    else:
        a = rng.random(tuple(shape)).astype(dt.np)
    if (low, high) != (0.0, 1.0):
        a = (a * (high - low) + low).astype(dt.np, copy=False)
    return _to_device(a, device)


def randint_array(low, high, shape, dtype, device, generator=None):
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = _dt.to_dtype(dtype)
    if not dt.is_floating_point:
        lo, hi = (0, 1) if dt is _dt.bool else (int(np.iinfo(dt.np).min), int(np.iinfo(dt.np).max))
        if not lo <= low <= hi:
            raise RuntimeError(f"randint: from={low} is out of bounds for {dt}")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"randint: to - 1 = {high - 1} is out of bounds for {dt}")
    a = _rng(generator).integers(low, high, size=tuple(shape), dtype=np.int64)
    return _to_device(a.astype(dt.np, copy=False), device)


def _wrap_new(arr, requires_grad):
    from .tensor import _wrap
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size, op):
    from .tensor import _creation_shape
    return _creation_shape(size, op)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """Uniform random numbers on [0, 1)."""
    return _wrap_new(uniform_array(_size(size, "rand"), 0.0, 1.0, dtype, device, generator), requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """Standard normal random numbers (mean 0, variance 1)."""
    return _wrap_new(normal_array(_size(size, "randn"), 0.0, 1.0, dtype, device, generator), requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    """Random integers from [low, high); ``randint(high, size)`` also works."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    dt = _dt.int64 if dtype is None else dtype
    return _wrap_new(randint_array(low, high, _size((size,), "randint"), dt, device, generator), requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0..n-1."""
    dt = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    n = _size((n,), "randperm")[0]
    if dt is _dt.bool:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if n > 0 and not dt.is_floating_point and n - 1 > np.iinfo(dt.np).max:
        raise RuntimeError(f"randperm: n={n} values cannot be represented in {dt} without overflow")
    return _wrap_new(_to_device(_rng(generator).permutation(n).astype(dt.np), device), requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Normal random numbers; ``mean`` and ``std`` may be tensors (broadcast) or numbers with ``size``."""
    from .tensor import Tensor
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        from .tensor import broadcast_shapes
        shape = broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        z = normal_array(shape, 0.0, 1.0, like.dtype, like.device, generator)
        from .tensor import _wrap
        return _wrap(z) * std + mean
    if size is None:
        raise TypeError("normal(): with number mean and std, pass size=")
    return _wrap_new(normal_array(_size((size,), "normal"), mean, std, dtype, device, generator), requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """Draws 0/1 with probabilities ``input`` (or ``p``)."""
    from .tensor import _wrap
    probs = input._data if p is None else p
    u = uniform_array(input.shape, 0.0, 1.0, _dt.float64, input.device, generator)
    return _wrap((u < probs).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Sample category indices with the given (unnormalised) weights, per row."""
    from .tensor import _wrap
    from .backend import to_host
    w = np.asarray(to_host(input._data), dtype=np.float64)
    rows = w.reshape(-1, w.shape[-1])
    rng = _rng(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for r, row in enumerate(rows):
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        out[r] = rng.choice(row.size, num_samples, replace=replacement, p=row / row.sum())
    out = out.reshape(w.shape[:-1] + (num_samples,))
    return _wrap(_to_device(out, input.device))


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device or input.device)

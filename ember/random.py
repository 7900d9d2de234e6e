"""Random number generation: ``Generator``, ``manual_seed`` and the random factories.

One counter-based generator, Philox4x64-10 (``ember._philox``), serves CPU and CUDA tensors, and a
draw gives the same numbers on both devices for the same seed: a model initialised on either device
is the same model. (PyTorch's CPU and CUDA generators differ.)

How a draw works
----------------
A generator is a 64-bit ``seed`` and an ``offset``: the number of Philox blocks (4 uint64 words
each) drawn so far. The Philox key is ``seed`` (key word 1 is 0); the words of a draw are the stream
``Philox(key=seed, counter=offset)`` in numpy's convention, i.e. blocks ``offset+1, offset+2, ...``
(see ``ember._philox``). A draw that needs ``m`` words takes the first ``m`` and advances ``offset``
by ``ceil(m / 4)``, whatever the device, so a CPU draw and the same CUDA draw use the same counters.

The words are made on the target device: numpy's C ``Philox`` for CPU tensors, the ``xp`` Philox of
``ember._philox`` on cupy for CUDA tensors. The words -> values conversions below are written once
over ``xp``:

* float64 uniform: ``(u >> 11) * 2**-53`` (one word a value, numpy's own ``random()`` formula);
* float32 uniform: each word is two uint32 halves, low half first, ``(w >> 8) * 2**-24`` (numpy's
  ``random(dtype=float32)`` formula); float16 uses ``(w >> 21) * 2**-11``, exact in float16, so that
  1.0 is never reached;
* normal: Box-Muller in float64 on two words a pair of values (angle by octant), then cast;
* randint: multiply-shift ``(w * range) >> 32`` of a uint32 half for ranges up to 2**32, ``u % range``
  of a whole word above;
* randperm: sort of random words with the index packed into their low bits;
* bernoulli/dropout: float64 uniform ``< p``; multinomial: inverse CDF or exponential keys.

On the CPU the uniform floats come straight from ``np.random.Generator(Philox).random``, which
computes the same formulas in C; ``tests/test_random.py`` holds that path equal to the ``xp`` one.

What can differ between CPU and CUDA
------------------------------------
Uniform floats, integers, permutations, bernoulli and dropout masks are exact integer or
power-of-two arithmetic: identical bits on both devices. Normals use ``log``, ``sqrt``, ``cos`` and
``sin`` in float64; numpy (host libm/SIMD) and CUDA's libdevice may round these differently in the
last place, so float64 normals may differ by an ulp or two, and a float32/float16 normal, rounded from
the float64 value, differs by one float32 ulp only when the float64 value falls within those ulps of
a float32 rounding boundary: about one value in 2**28 (so a few values in a billion-parameter
initialisation). ``multinomial`` adds a cumulative sum whose rounding may differ (sequential on the
CPU, a parallel scan on CUDA); ``nn.init.orthogonal_`` adds a QR decomposition that certainly does.
"""

import math

import numpy as np

from . import _philox
from . import dtypes as _dt
from .backend import _NO_GUARD, device_guard, xp_for
from .device import CPU, to_device

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator", "rand", "randn", "randint", "randperm", "normal", "bernoulli",
           "rand_like", "randn_like", "randint_like", "multinomial"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed
_STATE_BYTES = 16  # seed and offset, 8 little-endian bytes each

# Tests set this to make CPU draws take the xp Philox and xp conversions with numpy arrays: the
# path a CUDA draw takes, minus the device. Never set it in library code.
_force_xp_path = False


class Generator:
    r"""Creates and returns a generator object that manages the state of the algorithm which
    produces pseudo random numbers. Used as a keyword argument in many random functions.

    ember's generator is Philox4x64-10, counter-based: its state is the ``seed`` and an ``offset``
    (Philox blocks drawn so far), and one generator serves tensors on any device with the same
    numbers on each.

    Args:
        device (:class:`ember.device`, optional): the desired device for the generator (kept for
            PyTorch compatibility; draws for any device come from the same stream).

    Example::

        >>> g = ember.Generator().manual_seed(0)
        >>> ember.rand(2, generator=g).equal(ember.rand(2, generator=ember.Generator().manual_seed(0)))
        True
    """

    def __init__(self, device="cpu"):
        self.device = to_device(device)
        self._seed = _DEFAULT_SEED
        self._offset = 0
        self._bitgen = None  # numpy's C Philox for CPU draws, kept at counter == _bitgen_offset
        self._bitgen_offset = 0
        self._numpy_generator = None  # np.random.Generator over _bitgen: its C float conversions

    def manual_seed(self, seed):
        r"""Sets the seed for generating random numbers and resets the offset. Returns the generator.

        Args:
            seed (int): The desired seed, in ``[-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff]``;
                negative values are taken modulo 2**64.
        """
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise ValueError(f"manual_seed: seed must be within the range [-0x8000_0000_0000_0000, "
                             f"0xffff_ffff_ffff_ffff], got {seed}")
        self._seed = seed % (1 << 64)
        self._offset = 0
        self._bitgen = None
        return self

    def seed(self):
        r"""Gets a non-deterministic random number from the OS and uses it to seed the generator.

        Returns the seed.
        """
        s = int(np.random.SeedSequence().entropy) % (1 << 63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        r"""Returns the initial seed for generating random numbers."""
        return self._seed

    def get_offset(self):
        r"""Returns the offset: how many Philox blocks (4 random 64-bit words each) have been drawn."""
        return self._offset

    def set_offset(self, offset):
        r"""Sets the offset (Philox blocks drawn) to ``offset``, an int in ``[0, 2**64)``."""
        offset = int(offset)
        if not 0 <= offset < (1 << 64):
            raise RuntimeError(f"set_offset: offset must be within [0, 2**64), got {offset}")
        self._offset = offset
        return self

    def get_state(self):
        r"""Returns the Generator state as a ``ember.ByteTensor`` of 16 bytes: the seed, then the
        offset, each 8 little-endian bytes."""
        from .tensor import tensor
        raw = self._seed.to_bytes(8, "little") + self._offset.to_bytes(8, "little")
        return tensor(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        r"""Sets the Generator state from ``new_state``, a ``ember.ByteTensor`` from :meth:`get_state`.

        Args:
            new_state (ember.ByteTensor): The desired state.
        """
        from .tensor import Tensor
        from .backend import to_host
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a ember.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not _dt.uint8:
            raise TypeError("RNG state must be a ember.ByteTensor")
        if new_state.numel() != _STATE_BYTES:
            raise RuntimeError(f"Expected a PhiloxState of size {_STATE_BYTES} but found the input RNG state "
                               f"size to be {new_state.numel()}")
        raw = bytes(np.ascontiguousarray(to_host(new_state._data)).reshape(-1))
        self._seed = int.from_bytes(raw[:8], "little")
        self._offset = int.from_bytes(raw[8:], "little")
        self._bitgen = None
        return self

    def __repr__(self):
        return f"<ember.Generator device={self.device} seed={self._seed} offset={self._offset}>"

    # --- drawing words ---------------------------------------------------------------------------

    def _claim(self, n_words):
        """Reserve the blocks for ``n_words`` words: returns (first offset, block count)."""
        n_blocks = -(-n_words // 4)
        start = self._offset
        self._offset = start + n_blocks
        return start, n_blocks

    def _numpy_bitgen(self, start, n_blocks):
        """numpy's Philox at counter ``start``, to draw ``n_blocks`` whole blocks from.

        Kept between draws: every CPU draw takes whole blocks, so the C state stays on a block
        boundary and only needs moving when a CUDA draw or ``set_offset`` moved ``offset``.
        """
        bg = self._bitgen
        if bg is None or self._bitgen_offset > start:
            bg = self._bitgen = _philox.numpy_philox(self._seed, start)
            self._numpy_generator = np.random.Generator(bg)
        elif self._bitgen_offset < start:
            bg.advance(start - self._bitgen_offset)
        self._bitgen_offset = start + n_blocks
        return bg

    def _words(self, xp, n_words):
        """The next ``n_words`` words rounded up to whole blocks (a uint64 array of 4 * blocks)."""
        start, n_blocks = self._claim(n_words)
        if xp is np and not _force_xp_path:
            return self._numpy_bitgen(start, n_blocks).random_raw(4 * n_blocks)
        return _philox.blocks(xp, self._seed, start + 1, n_blocks).reshape(-1)


default_generator = Generator()


def manual_seed(seed):
    r"""Sets the seed for generating random numbers on all devices. Returns the default
    ``ember.Generator`` object.

    Args:
        seed (int): The desired seed.
    """
    return default_generator.manual_seed(seed)


def seed():
    r"""Sets the seed for generating random numbers to a non-deterministic random number.
    Returns the 64 bit number used to seed the RNG."""
    return default_generator.seed()


def initial_seed():
    r"""Returns the initial seed for generating random numbers as a Python `long`."""
    return default_generator.initial_seed()


def get_rng_state():
    r"""Returns the random number generator state as a `ember.ByteTensor`."""
    return default_generator.get_state()


def set_rng_state(new_state):
    r"""Sets the random number generator state.

    Args:
        new_state (ember.ByteTensor): The desired state
    """
    default_generator.set_state(new_state)


def _gen(generator):
    return default_generator if generator is None else generator


def _draw_seed(generator=None):
    """A seed in [0, 2**63) drawn from ``generator`` (the default one if None): what samplers and
    DataLoader iterators use to seed their own generators and workers."""
    return int(_gen(generator)._words(np, 1)[0] >> np.uint64(1))


def _xp_device(device):
    """(array module, context selecting the device) for a factory's ``device`` argument."""
    dev = to_device(device)
    if dev is CPU:  # the common case, without the backend lookups
        return np, _NO_GUARD
    return xp_for(dev), device_guard(dev)


# --- words -> values, once over xp ------------------------------------------------------------------

_F32_BITS = {np.dtype(np.float16): 11, np.dtype(np.float32): 24}  # significand bits of the result


def _uniform01(gen, xp, n, np_dtype):
    """``n`` uniform values in [0, 1) of float dtype ``np_dtype`` (float64, float32 or float16)."""
    if np_dtype == np.float64:
        if xp is np and not _force_xp_path:  # numpy's C loop: the same formula as below
            start, n_blocks = gen._claim(n)
            gen._numpy_bitgen(start, n_blocks)
            return gen._numpy_generator.random(4 * n_blocks)[:n]
        u = gen._words(xp, n)[:n]
        u >>= xp.uint64(11)
        a = u.astype(xp.float64)
        a *= 2.0 ** -53
        return a
    # float32 / float16: two values per word, the word's low uint32 half first (numpy's order)
    if np_dtype == np.float32 and xp is np and not _force_xp_path:
        start, n_blocks = gen._claim(-(-n // 2))
        gen._numpy_bitgen(start, n_blocks)
        return gen._numpy_generator.random(8 * n_blocks, dtype=np.float32)[:n]
    bits = _F32_BITS[np.dtype(np_dtype)]
    w = gen._words(xp, -(-n // 2)).view(xp.uint32)[:n]
    w >>= xp.uint32(32 - bits)
    a = w.astype(xp.float32)  # exact: below 2**24
    a *= xp.float32(2.0 ** -bits)  # exact: a power of two
    return a if np_dtype == np.float32 else a.astype(np_dtype)  # exact: `bits` significant bits


_NORMAL_CHUNK = 1 << 14  # words per chunk on the CPU: a few 128 KiB arrays, resident in L2


def _standard_normal(gen, xp, n):
    """``n`` standard normal float64 values by Box-Muller.

    Words ``[0, h)`` give the radii ``sqrt(-2 log u)`` and words ``[h, 2h)`` the angles
    (``h = ceil(n / 2)``); values ``[0, h)`` are ``r cos(theta)`` and ``[h, 2h)`` ``r sin(theta)``.

    An angle word's top three bits pick one of the eight octants and its low 53 bits an angle
    ``psi`` in ``[0, pi/4)``: ``(cos, sin)`` of the angle is ``(cos psi, sin psi)`` with the two
    swapped (bit 63) and their signs flipped (bits 62, 61), the eight symmetries of the square,
    which carry ``[0, pi/4)`` onto each octant once. cos/sin of small arguments are about three
    times cheaper on the CPU than over ``[0, 2 pi)``, and the swap and sign flips are exact.
    ``log``, ``sqrt``, ``cos`` and ``sin`` are the only non-exact steps (see the module docstring).
    """
    h = -(-n // 2)
    w = gen._words(xp, 2 * h)[:2 * h]
    # Elementwise, so chunking changes no value; on the CPU chunks that stay in cache are about
    # twice as fast as whole-array passes (and their temporaries cost no fresh pages). One chunk on
    # CUDA, where each pass is a kernel launch.
    step = _NORMAL_CHUNK if xp is np else max(h, 1)
    for i in range(0, h, step):
        _box_muller(xp, w[i:min(i + step, h)], w[h + i:h + min(i + step, h)])
    return w.view(xp.float64)[:n]


def _box_muller(xp, rad, ang):
    """Box-Muller in place: radius words ``rad`` and angle words ``ang`` (uint64) become the float64
    values ``r x`` and ``r y``."""
    u64 = xp.uint64
    sign = u64(1 << 63)
    # Work in place where possible, and branch-free: the swap is a bit blend under an all-ones mask.
    swap = (ang.view(xp.int64) >> 63).view(u64)  # arithmetic shift: bit 63 -> all ones or zero
    sign_x = (ang << u64(1)) & sign  # bit 62
    sign_y = (ang << u64(2)) & sign  # bit 61
    ang &= u64((1 << 53) - 1)
    rad >>= u64(11)
    rad += u64(1)  # (k + 1) * 2**-53 lies in (0, 1]: log never sees 0
    r = rad.view(xp.float64)
    psi = ang.view(xp.float64)
    # int64 -> float64 is exact below 2**53; each element is read before it is overwritten
    xp.multiply(rad.view(xp.int64), 2.0 ** -53, out=r)
    # an exact rescaling of fl(pi/4): the same product on every device
    xp.multiply(ang.view(xp.int64), (math.pi / 4) * 2.0 ** -53, out=psi)
    xp.log(r, out=r)
    r *= -2.0
    xp.sqrt(r, out=r)
    s = xp.sin(psi)
    c = xp.cos(psi, out=psi)
    cb, sb = c.view(u64), s.view(u64)
    d = cb ^ sb
    d &= swap
    cb ^= d  # c's memory now holds x = (c, s)[swap]
    sb ^= d  # and s's holds y = (s, c)[swap]
    cb ^= sign_x  # negation by the sign bit: exact
    sb ^= sign_y
    s *= r  # r * y
    xp.multiply(c, r, out=r)  # r * x, into rad's memory
    c[...] = s  # r * y, into ang's memory


def _randint_words(gen, xp, low, high, n):
    """``n`` integers in ``[low, high)`` as an int64 array (``high - low <= 2**64``).

    Ranges up to 2**32 use one uint32 half a value and multiply-shift, ``(w * range) >> 32``: each
    value then has probability ``floor(2**32 / range)`` or ``ceil(2**32 / range)`` over 2**32, a
    relative bias below ``range / 2**32`` (PyTorch's CPU ``random_(from, to)`` has the same bound with
    ``w % range``). Larger ranges take a whole word, ``u % range``: bias below ``range / 2**64``.
    Fixed consumption (no rejection loop) is what keeps a draw's counters the same on every device.
    """
    span = high - low
    if span <= 1 << 32:
        w = gen._words(xp, -(-n // 2)).view(xp.uint32)[:n]
        v = w.astype(xp.uint64)
        v *= xp.uint64(span)
        v >>= xp.uint64(32)
    else:
        v = gen._words(xp, n)[:n]
        if span < 1 << 64:
            v %= xp.uint64(span)
    if low:
        v += xp.uint64(low % (1 << 64))  # wraps modulo 2**64, so negative lows come out right
    return v.view(xp.int64)


def _randperm_words(gen, xp, n):
    """A random permutation of ``range(n)`` as an int64 array.

    Equal to a stable argsort of the words' top ``64 - b`` bits (``b = bit_length(n - 1)``): the index
    sits in the low ``b`` bits, which makes the keys distinct, so a plain sort of the packed words
    gives the same answer on any device and is much faster than an argsort. Keys tied in their top
    bits keep index order; for n = 1e6 the expected number of tied pairs is about 0.03.
    """
    b = max(1, (n - 1).bit_length())
    low_mask = xp.uint64((1 << b) - 1)
    u = gen._words(xp, n)[:n]
    u &= ~low_mask
    u |= xp.arange(n, dtype=xp.uint64)
    u.sort()
    u &= low_mask
    return u.view(xp.int64)


# --- arrays for the factories, nn.init and Tensor methods -------------------------------------------

def _float_only(dt, kernel):
    if not dt.is_floating_point:
        from .tensor import _type_name
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(dt)}\' '
                                  f"(random floats need a floating dtype, got {dt})")


def _numel(shape):
    return math.prod(tuple(shape))


def normal_array(shape, mean, std, dtype, device, generator=None):
    """An array of ``shape`` from N(mean, std**2) in ``dtype`` on ``device``."""
    dt = _dt.to_dtype(dtype)
    _float_only(dt, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    xp, guard = _xp_device(device)
    with guard:
        z = _standard_normal(_gen(generator), xp, _numel(shape))
        a = z if dt is _dt.float64 else z.astype(dt.np)
        # scale and shift as separate ops in the result dtype: each is one IEEE rounding on every
        # device (a fused multiply-add would round once and could differ)
        if std != 1:
            a *= std
        if mean != 0:
            a += mean
        return a.reshape(tuple(shape))


def uniform_array(shape, low, high, dtype, device, generator=None):
    """An array of ``shape`` from U[low, high) in ``dtype`` on ``device``."""
    dt = _dt.to_dtype(dtype)
    _float_only(dt, "check_uniform_bounds")
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}")
    xp, guard = _xp_device(device)
    with guard:
        a = _uniform01(_gen(generator), xp, _numel(shape), dt.np)
        if (low, high) != (0.0, 1.0):
            if dt is _dt.float16:  # scale in float32, then round once
                a = a.astype(xp.float32)
            a *= high - low
            a += low
            a = a.astype(dt.np, copy=False)
        return a.reshape(tuple(shape))


def randint_array(low, high, shape, dtype, device, generator=None):
    """An array of ``shape`` with integers from [low, high) in ``dtype`` on ``device``."""
    low, high = int(low), int(high)
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = _dt.to_dtype(dtype)
    if not dt.is_floating_point:
        lo, hi = (0, 1) if dt is _dt.bool else (int(np.iinfo(dt.np).min), int(np.iinfo(dt.np).max))
        if not lo <= low <= hi:
            raise RuntimeError(f"randint: from={low} is out of bounds for {dt}")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"randint: to - 1 = {high - 1} is out of bounds for {dt}")
    elif not (-(1 << 63) <= low and high - 1 < (1 << 63)):
        raise RuntimeError(f"randint: [{low}, {high}) does not fit in int64")
    xp, guard = _xp_device(device)
    with guard:
        v = _randint_words(_gen(generator), xp, low, high, _numel(shape))
        return v.astype(dt.np, copy=False).reshape(tuple(shape))


def _wrap_new(arr, requires_grad):
    t = _tensor_module()._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size, op):
    return _tensor_module()._creation_shape(size, op)


def _tensor_module():
    # ember.tensor imports this module, so it is looked up on first use, then kept (by its
    # sys.modules name: the package attribute `ember.tensor` is the factory function)
    global _tensor_mod
    if _tensor_mod is None:
        import sys
        from . import tensor  # noqa: F401  (makes sure the module is loaded)
        _tensor_mod = sys.modules[__package__ + ".tensor"]
    return _tensor_mod


_tensor_mod = None


# --- the public factories ---------------------------------------------------------------------------

def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    r"""Returns a tensor filled with random numbers from a uniform distribution on the interval
    :math:`[0, 1)`. The shape of the tensor is defined by the variable argument :attr:`size`.

    The same seed gives the same values on every device.

    Args:
        size (int...): a sequence of integers defining the shape of the output tensor.

    Keyword args:
        generator (:class:`ember.Generator`, optional): a pseudorandom number generator for sampling
        dtype (:class:`ember.dtype`, optional): the desired data type of returned tensor.
        device (:class:`ember.device`, optional): the desired device of returned tensor.
        requires_grad (bool, optional): If autograd should record operations on the returned tensor.
    """
    return _wrap_new(uniform_array(_size(size, "rand"), 0.0, 1.0, dtype, device, generator), requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    r"""Returns a tensor filled with random numbers from a normal distribution with mean `0` and
    variance `1` (also called the standard normal distribution).

    Values come from Box-Muller in float64; see :mod:`ember.random` for how far CPU and CUDA agree.

    Args:
        size (int...): a sequence of integers defining the shape of the output tensor.

    Keyword args:
        generator (:class:`ember.Generator`, optional): a pseudorandom number generator for sampling
        dtype (:class:`ember.dtype`, optional): the desired data type of returned tensor.
        device (:class:`ember.device`, optional): the desired device of returned tensor.
        requires_grad (bool, optional): If autograd should record operations on the returned tensor.
    """
    return _wrap_new(normal_array(_size(size, "randn"), 0.0, 1.0, dtype, device, generator), requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    r"""Returns a tensor filled with random integers generated uniformly between :attr:`low`
    (inclusive) and :attr:`high` (exclusive). ``randint(high, size)`` also works.

    Args:
        low (int, optional): Lowest integer to be drawn from the distribution. Default: 0.
        high (int): One above the highest integer to be drawn from the distribution.
        size (tuple): a tuple defining the shape of the output tensor.

    Keyword args:
        generator (:class:`ember.Generator`, optional): a pseudorandom number generator for sampling
        dtype (ember.dtype, optional): the desired data type of returned tensor. Default: ``ember.int64``.
        device (:class:`ember.device`, optional): the desired device of returned tensor.
    """
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
    r"""Returns a random permutation of integers from ``0`` to ``n - 1``.

    Args:
        n (int): the upper bound (exclusive)

    Keyword args:
        generator (:class:`ember.Generator`, optional): a pseudorandom number generator for sampling
        dtype (:class:`ember.dtype`, optional): the desired data type of returned tensor.
            Default: ``ember.int64``.
        device (:class:`ember.device`, optional): the desired device of returned tensor.
    """
    dt = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    n = _size((n,), "randperm")[0]
    if dt is _dt.bool:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if n > 0 and not dt.is_floating_point and n - 1 > np.iinfo(dt.np).max:
        raise RuntimeError(f"randperm: n={n} values cannot be represented in {dt} without overflow")
    xp, guard = _xp_device(device)
    with guard:
        p = _randperm_words(_gen(generator), xp, n) if n else xp.zeros(0, dtype=xp.int64)
        return _wrap_new(p.astype(dt.np, copy=False), requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    r"""Returns a tensor of random numbers drawn from separate normal distributions whose mean and
    standard deviation are given. ``mean`` and ``std`` may be tensors (broadcast together) or
    numbers with ``size``.
    """
    from .tensor import Tensor
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        from .tensor import broadcast_shapes, _wrap
        shape = broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        z = normal_array(shape, 0.0, 1.0, like.dtype, like.device, generator)
        return _wrap(z) * std + mean
    if size is None:
        raise TypeError("normal(): with number mean and std, pass size=")
    return _wrap_new(normal_array(_size((size,), "normal"), mean, std, dtype, device, generator), requires_grad)


def bernoulli(input, p=None, *, generator=None):
    r"""Draws binary random numbers (0 or 1) from a Bernoulli distribution: ``out[i]`` is 1 with
    probability ``input[i]`` (or ``p``), decided by a float64 uniform draw ``u < p``.

    Args:
        input (Tensor): the input tensor of probability values for the Bernoulli distribution
        p (float, optional): one probability for every element instead of ``input``'s values

    Keyword args:
        generator (:class:`ember.Generator`, optional): a pseudorandom number generator for sampling
    """
    from .tensor import _wrap
    probs = input._data if p is None else p
    u = uniform_array(input.shape, 0.0, 1.0, _dt.float64, input.device, generator)
    return _wrap((u < probs).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    r"""Returns a tensor where each row contains :attr:`num_samples` indices sampled from the
    multinomial distribution located in the corresponding row of tensor :attr:`input`.

    With replacement each sample inverts the row's cumulative distribution at a float64 uniform
    draw; without replacement the row's categories are ordered by exponential keys ``E / w``
    (``E = -log(u)``), which is the law of drawing them one by one. Every row is done at once, on
    the input's device.

    Args:
        input (Tensor): the input tensor containing probabilities (1 or 2 dimensions, non-negative,
            not necessarily summing to one)
        num_samples (int): number of samples to draw
        replacement (bool, optional): whether to draw with replacement or not

    Keyword args:
        generator (:class:`ember.Generator`, optional): a pseudorandom number generator for sampling
    """
    from .tensor import _wrap, _type_name
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_type_name(input.dtype)}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    xp, guard = _xp_device(input.device)
    with guard:
        w = input._data.astype(xp.float64).reshape(-1, input.shape[-1])
        rows, k = w.shape
        if not replacement and num_samples > k:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        if rows and k and bool(xp.any(~xp.isfinite(w) | (w < 0))):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if rows and bool(xp.any(w.sum(axis=1) <= 0)):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        gen = _gen(generator)
        if replacement:
            cdf = xp.cumsum(w, axis=1)
            cdf /= cdf[:, -1:]  # the last entry is exactly 1
            u = _uniform01(gen, xp, rows * num_samples, np.float64).reshape(rows, num_samples)
            # one searchsorted for all rows: row r's CDF and draws are shifted into [r, r + 1]
            shift = xp.arange(rows, dtype=xp.float64)[:, None]
            idx = xp.searchsorted((cdf + shift).reshape(-1), (u + shift).reshape(-1), side="right")
            idx = idx.reshape(rows, num_samples) - xp.arange(rows)[:, None] * k
            # rounding of u + r up to r + 1 must not step past the row's last positive category
            last = k - 1 - xp.argmax(w[:, ::-1] > 0, axis=1)
            out = xp.minimum(idx, last[:, None]).astype(xp.int64)
        else:
            u = _uniform01(gen, xp, rows * k, np.float64).reshape(rows, k)
            # zero weights get key +inf: after every positive weight, in index order (as PyTorch)
            with np.errstate(divide="ignore", invalid="ignore"):
                keys = xp.where(w > 0, -xp.log1p(-u) / w, xp.inf)
            order = xp.argsort(keys, axis=1, kind="stable") if xp is np else xp.argsort(keys, axis=1)  # cupy: stable
            out = order[:, :num_samples].astype(xp.int64)
        return _wrap(out.reshape(tuple(input.shape[:-1]) + (num_samples,)))


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    r"""Returns a tensor with the same size as :attr:`input` that is filled with random numbers from
    a uniform distribution on the interval :math:`[0, 1)`."""
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    r"""Returns a tensor with the same size as :attr:`input` that is filled with random numbers from
    a normal distribution with mean 0 and variance 1."""
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    r"""Returns a tensor with the same shape as Tensor :attr:`input` filled with random integers
    generated uniformly between :attr:`low` (inclusive) and :attr:`high` (exclusive)."""
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device or input.device)

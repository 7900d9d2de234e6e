"""``ember.cuda``: the GPU, the way ``torch.cuda`` shows it, on top of CuPy.

Without CuPy or an NVIDIA GPU, ``is_available()`` is False, ``device_count()`` is 0,
``is_initialized()`` is False, the memory figures are 0 and ``empty_cache()`` does
nothing (all as in PyTorch); everything else raises a RuntimeError that says how to
install a GPU build (``pip install ember[cuda12]`` or ``ember[cuda13]``).

Where things come from:

* devices, properties, synchronisation: ``cupy.cuda.runtime`` and ``cupy.cuda.Device``;
* memory figures: CuPy's default memory pool (``cupy.get_default_memory_pool()``).
  ``memory_allocated`` is the pool's ``used_bytes()`` (bytes held by live arrays, rounded
  up to CuPy's 512-byte blocks) and ``memory_reserved`` its ``total_bytes()`` (also the
  cached free blocks). CuPy keeps no peak, so when ember first loads CuPy it installs a
  small allocator that calls the pool's ``malloc`` and then reads ``used_bytes()`` and
  ``total_bytes()`` to update the per-device peaks. Both figures only grow inside
  ``malloc``, so the peaks are exact. Cost: one Python call per GPU allocation (about a
  microsecond; on CuPy 14 both reads are O(1), on CuPy 13 ``used_bytes()`` walks the
  live blocks). If another allocator was installed before ember loaded CuPy, ember
  leaves it alone and the peaks are only sampled when the figures are read;
* the random generator: ember has one default generator for CPU and CUDA (identical
  numbers on both), so ``manual_seed``/``seed``/``initial_seed`` here are those of
  ``ember.random`` and work without a GPU too;
* ``Event`` and ``Stream`` wrap ``cupy.cuda.Event`` and ``cupy.cuda.Stream``.
"""
import contextlib as _contextlib

from .. import backend as _backend
from ..backend import cupy_available, cupy_module

__all__ = ["is_available", "is_initialized", "init", "device_count", "current_device", "set_device",
           "get_device_name", "get_device_properties", "get_device_capability", "device", "synchronize",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed", "memory_allocated",
           "max_memory_allocated", "memory_reserved", "max_memory_reserved", "reset_peak_memory_stats",
           "reset_max_memory_allocated", "empty_cache", "Event", "Stream", "current_stream", "default_stream",
           "stream"]


# --- availability ------------------------------------------------------------------------------------------

def is_available():
    """True when CuPy is installed and an NVIDIA GPU is present."""
    return cupy_available()


def is_initialized():
    """True once ember has loaded CuPy: ``init()``, the first tensor on the GPU, or ``is_available()``
    (which has to load CuPy to answer; PyTorch's does not initialise CUDA)."""
    return _backend.cupy_loaded()


def init():
    """Load CuPy and set up ember's CUDA state now instead of at first use; raises without CUDA."""
    cupy_module()


def device_count():
    """Number of CUDA devices: 0 without CuPy or a GPU (as in PyTorch, so ``if device_count() > 1`` works)."""
    if not cupy_available():
        return 0
    return cupy_module().cuda.runtime.getDeviceCount()


# --- devices -----------------------------------------------------------------------------------------------

def current_device():
    """Index of the current CUDA device; raises RuntimeError without CUDA."""
    return cupy_module().cuda.runtime.getDevice()


def _index(d, optional=False):
    """A device index from None (current), an int, a string or an ember.device of type cuda."""
    if d is None or (isinstance(d, int) and not isinstance(d, bool) and d < 0):
        return None if optional else current_device()
    if isinstance(d, int) and not isinstance(d, bool):
        return d
    from ..device import device as _dev
    d = d if isinstance(d, _dev) else _dev(d)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return d.index if d.index is not None else (None if optional else current_device())


def _checked_index(d):
    idx = _index(d)
    n = device_count()
    if not 0 <= idx < n:
        raise RuntimeError(f"CUDA error: invalid device ordinal {idx} (this machine has {n} CUDA device"
                           f"{'s' if n != 1 else ''})")
    return idx


def set_device(device):
    """Make ``device`` the current CUDA device (``'cuda'`` and new tensors go there)."""
    idx = _index(device, optional=True)
    if idx is None:
        return
    cupy_module().cuda.Device(_checked_index(idx)).use()
    from ..device import _cache  # 'cuda' means the current device: forget the cached meaning
    _cache.clear()


class device:
    """Context manager that makes a CUDA device current: ``with ember.cuda.device(1): ...``.

    ``None`` or a negative index does nothing, as in PyTorch.
    """

    def __init__(self, device):
        self.idx = _index(device, optional=True)
        self.prev = None

    def __enter__(self):
        if self.idx is None:
            return self
        self.prev = current_device()
        if self.prev != self.idx:
            set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev is not None and self.prev != self.idx:
            set_device(self.prev)
        return False


class device_of(device):
    """Context manager that makes the device of tensor ``obj`` current (nothing for a CPU tensor)."""

    def __init__(self, obj):
        super().__init__(obj.device.index if obj.is_cuda else None)


def get_device_name(device=None):
    """Name of a CUDA device, e.g. ``'NVIDIA H100 80GB HBM3'``; raises RuntimeError without CUDA."""
    return get_device_properties(device).name


def get_device_capability(device=None):
    """``(major, minor)`` compute capability of a CUDA device, e.g. ``(9, 0)`` for an H100."""
    p = get_device_properties(device)
    return p.major, p.minor


class _CudaDeviceProperties:
    """What ``get_device_properties`` returns: the fields PyTorch's object has, from CUDA's device properties."""

    __slots__ = ("name", "major", "minor", "total_memory", "multi_processor_count", "L2_cache_size",
                 "is_integrated", "is_multi_gpu_board", "uuid", "pci_bus_id", "pci_device_id", "pci_domain_id",
                 "max_threads_per_multi_processor", "warp_size", "regs_per_multiprocessor", "gcnArchName")

    def __init__(self, props):
        def get(key, default=0):
            return props.get(key, default)
        name = get("name", b"")
        self.name = name.decode(errors="replace").rstrip("\x00") if isinstance(name, bytes) else str(name)
        self.major, self.minor = int(get("major")), int(get("minor"))
        self.total_memory = int(get("totalGlobalMem"))
        self.multi_processor_count = int(get("multiProcessorCount"))
        self.L2_cache_size = int(get("l2CacheSize"))
        self.is_integrated = int(get("integrated"))
        self.is_multi_gpu_board = int(get("isMultiGpuBoard"))
        uuid = get("uuid", b"")
        self.uuid = uuid.hex() if isinstance(uuid, bytes) else str(uuid)
        self.pci_bus_id = int(get("pciBusID"))
        self.pci_device_id = int(get("pciDeviceID"))
        self.pci_domain_id = int(get("pciDomainID"))
        self.max_threads_per_multi_processor = int(get("maxThreadsPerMultiProcessor"))
        self.warp_size = int(get("warpSize", 32))
        self.regs_per_multiprocessor = int(get("regsPerMultiprocessor"))
        self.gcnArchName = "NVIDIA"

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count}, uuid={self.uuid}, "
                f"pci_bus_id={self.pci_bus_id}, pci_device_id={self.pci_device_id}, "
                f"pci_domain_id={self.pci_domain_id}, L2_cache_size={self.L2_cache_size // (1024 * 1024)}MB)")


_props_cache = {}


def get_device_properties(device=None):
    """Properties of a CUDA device: ``.name``, ``.total_memory`` (bytes), ``.major``, ``.minor``,
    ``.multi_processor_count``, ... (``cupy.cuda.runtime.getDeviceProperties``)."""
    cp = cupy_module()
    idx = _checked_index(device)
    p = _props_cache.get(idx)
    if p is None:
        p = _props_cache[idx] = _CudaDeviceProperties(cp.cuda.runtime.getDeviceProperties(idx))
    return p


def synchronize(device=None):
    """Wait until all work queued on a CUDA device (default: the current one) has finished."""
    cp = cupy_module()
    cp.cuda.Device(_checked_index(device)).synchronize()


# --- random numbers: one generator for CPU and CUDA -----------------------------------------------------------

def manual_seed(seed):
    """Seed ember's default generator (shared by CPU and CUDA, so this equals ``ember.manual_seed``)."""
    from .. import random
    random.manual_seed(seed)


manual_seed_all = manual_seed


def seed():
    """Seed ember's default generator from a random number (shared by CPU and CUDA)."""
    from .. import random
    random.seed()


seed_all = seed


def initial_seed():
    """The seed of ember's default generator (shared by CPU and CUDA)."""
    from .. import random
    return random.initial_seed()


# --- memory --------------------------------------------------------------------------------------------------

_peak_used = {}      # device index -> highest pool.used_bytes() seen
_peak_total = {}     # device index -> highest pool.total_bytes() seen
_tracking = [False]  # True while ember's counting allocator is the current one


def _install_peak_tracking(cp):
    """Wrap the default pool's malloc so that each allocation updates the peaks (see the module docstring)."""
    pool = cp.get_default_memory_pool()
    if cp.cuda.get_allocator() != pool.malloc:
        return  # the user chose another allocator (RMM, no pool, ...): leave it alone
    malloc, used, total, peak_used, peak_total = pool.malloc, pool.used_bytes, pool.total_bytes, _peak_used, \
        _peak_total
    get_device_id = cp.cuda.runtime.getDevice

    def _ember_counting_malloc(size):
        mem = malloc(size)
        dev = get_device_id()
        u = used()
        if u > peak_used.get(dev, 0):
            peak_used[dev] = u
        t = total()
        if t > peak_total.get(dev, 0):
            peak_total[dev] = t
        return mem

    cp.cuda.set_allocator(_ember_counting_malloc)
    _tracking[0] = True


_backend.on_cupy_load.append(_install_peak_tracking)


def _pool_figures(device):
    """(used, total) bytes of the default pool on a device; None while CUDA isn't initialised."""
    if not _backend.cupy_loaded():
        return None
    cp = cupy_module()
    idx = _checked_index(device)
    pool = cp.get_default_memory_pool()
    with cp.cuda.Device(idx):
        u, t = pool.used_bytes(), pool.total_bytes()
    if u > _peak_used.get(idx, 0):  # sampling covers allocations made before tracking (or without it)
        _peak_used[idx] = u
    if t > _peak_total.get(idx, 0):
        _peak_total[idx] = t
    return idx, u, t


def memory_allocated(device=None):
    """Bytes of GPU memory held by tensors (CuPy's pool ``used_bytes``); 0 while CUDA isn't initialised."""
    f = _pool_figures(device)
    return 0 if f is None else f[1]


def max_memory_allocated(device=None):
    """Peak of ``memory_allocated`` since the start or the last ``reset_peak_memory_stats``."""
    f = _pool_figures(device)
    return 0 if f is None else _peak_used.get(f[0], 0)


def memory_reserved(device=None):
    """Bytes CuPy's pool holds from the driver, in use or cached (``total_bytes``); 0 while not initialised."""
    f = _pool_figures(device)
    return 0 if f is None else f[2]


def max_memory_reserved(device=None):
    """Peak of ``memory_reserved`` since the start or the last ``reset_peak_memory_stats``."""
    f = _pool_figures(device)
    return 0 if f is None else _peak_total.get(f[0], 0)


def reset_peak_memory_stats(device=None):
    """Start the peaks again from the current figures."""
    if not _backend.cupy_loaded():
        return
    idx = _checked_index(device)
    _peak_used.pop(idx, None)
    _peak_total.pop(idx, None)
    _pool_figures(idx)


def reset_max_memory_allocated(device=None):
    """Start ``max_memory_allocated`` again from the current figure (older PyTorch name)."""
    reset_peak_memory_stats(device)


def empty_cache():
    """Give CuPy's cached free blocks (device and pinned host memory) back to the driver; tensors stay.
    Does nothing while CUDA isn't initialised."""
    if not _backend.cupy_loaded():
        return
    cp = cupy_module()
    pool = cp.get_default_memory_pool()
    for idx in range(device_count()):
        with cp.cuda.Device(idx):
            pool.free_all_blocks()
    cp.get_default_pinned_memory_pool().free_all_blocks()


def memory_summary(device=None, abbreviated=False):
    """A short text with the memory figures of a device."""
    mb = 1024 * 1024
    return (f"ember CUDA memory (device {device if device is not None else 'current'}): "
            f"allocated {memory_allocated(device) / mb:.1f} MiB (peak {max_memory_allocated(device) / mb:.1f}), "
            f"reserved {memory_reserved(device) / mb:.1f} MiB (peak {max_memory_reserved(device) / mb:.1f})")


def mem_get_info(device=None):
    """``(free, total)`` bytes of the device as the driver sees them."""
    cp = cupy_module()
    with cp.cuda.Device(_checked_index(device)):
        return cp.cuda.runtime.memGetInfo()


# --- streams and events ----------------------------------------------------------------------------------------

class Stream:
    """A CUDA stream (``cupy.cuda.Stream``): work queued on it runs in order, apart from other streams.

    ``Stream(device=None, priority=0)``: lower numbers are higher priorities. Use it with
    ``with ember.cuda.stream(s):`` (or ``with s:``) so that ember's GPU work goes to it.
    """

    def __init__(self, device=None, priority=0, **kwargs):
        cp = cupy_module()
        idx = _checked_index(device)
        with cp.cuda.Device(idx):
            self._cp = cp.cuda.Stream(non_blocking=False, priority=priority) if priority else cp.cuda.Stream()
        self.device_index = idx
        self.priority = priority

    @classmethod
    def _wrap(cls, cp_stream, idx):
        s = object.__new__(cls)
        s._cp, s.device_index, s.priority = cp_stream, idx, 0
        return s

    @property
    def device(self):
        from ..device import device as _dev
        return _dev("cuda", self.device_index)

    @property
    def cuda_stream(self):
        """The raw ``cudaStream_t`` as an int."""
        return self._cp.ptr

    def query(self):
        """True if all work queued on this stream has finished."""
        return bool(self._cp.done)

    def synchronize(self):
        """Wait until all work queued on this stream has finished."""
        self._cp.synchronize()

    def wait_event(self, event):
        """Make future work on this stream wait for ``event`` (returns at once)."""
        self._cp.wait_event(event._cp)

    def wait_stream(self, stream):
        """Make future work on this stream wait for the work queued on ``stream`` so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        """Record ``event`` (a new one if None) on this stream and return it."""
        if event is None:
            event = Event()
        event.record(self)
        return event

    def __enter__(self):
        self._ctx = stream(self)
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)

    def __eq__(self, other):
        return isinstance(other, Stream) and self._cp.ptr == other._cp.ptr and self.device_index == \
            other.device_index

    def __hash__(self):
        return hash((self._cp.ptr, self.device_index))

    def __repr__(self):
        return f"<ember.cuda.Stream device=cuda:{self.device_index} cuda_stream={self._cp.ptr:#x}>"


def current_stream(device=None):
    """The stream ember's GPU work goes to on a device (CuPy's current stream there)."""
    cp = cupy_module()
    idx = _checked_index(device)
    with cp.cuda.Device(idx):
        return Stream._wrap(cp.cuda.get_current_stream(), idx)


def default_stream(device=None):
    """The default (null) stream of a device."""
    cp = cupy_module()
    return Stream._wrap(cp.cuda.Stream.null, _checked_index(device))


@_contextlib.contextmanager
def stream(s):
    """``with ember.cuda.stream(s):`` queues ember's GPU work on stream ``s`` (and makes its device current).

    ``None`` does nothing, as in PyTorch.
    """
    if s is None:
        yield None
        return
    with device(s.device_index), s._cp:  # cupy: entering a stream makes it current on the current device
        yield s


class Event:
    """A CUDA event (``cupy.cuda.Event``): a marker in a stream, to wait on or to time GPU work.

    ``Event(enable_timing=False, blocking=False, interprocess=False)``::

        start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
        start.record(); y = x @ x; end.record(); end.synchronize()
        ms = start.elapsed_time(end)
    """

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        cp = cupy_module()
        self._cp = cp.cuda.Event(block=blocking, disable_timing=not enable_timing, interprocess=interprocess)
        self.enable_timing, self.blocking, self.interprocess = enable_timing, blocking, interprocess
        self._recorded = False

    @property
    def cuda_event(self):
        return self._cp.ptr

    def record(self, stream=None):
        """Record the event on ``stream`` (default: the current stream)."""
        if stream is None:
            stream = current_stream()
        self._cp.record(stream._cp)
        self._recorded = True

    def wait(self, stream=None):
        """Make future work on ``stream`` (default: the current stream) wait for this event."""
        if stream is None:
            stream = current_stream()
        stream.wait_event(self)

    def query(self):
        """True if the work captured by the event has finished (True for an event never recorded)."""
        return bool(self._cp.done)

    def synchronize(self):
        """Wait until the work captured by the event has finished."""
        self._cp.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds between this event and ``end_event`` (both recorded with ``enable_timing=True``;
        call ``end_event.synchronize()`` first)."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if not (self._recorded and end_event._recorded):
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return float(cupy_module().cuda.get_elapsed_time(self._cp, end_event._cp))

    def __repr__(self):
        return f"<ember.cuda.Event {self._cp.ptr:#x}>"


def _set_tf32(cp):
    """Apply ``ember.backends.cuda.matmul.allow_tf32`` to CuPy as soon as CuPy is loaded."""
    from ..backends import cuda as _bc
    _bc._apply_tf32(cp)


_backend.on_cupy_load.append(_set_tf32)

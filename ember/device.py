"""``ember.device``: where a tensor's memory lives (``cpu`` or ``cuda:N``)."""

__all__ = ["device"]


class device:
    """A device, written like PyTorch's: ``device('cpu')``, ``device('cuda:0')``, ``device('cuda', 0)``.

    ``device('cpu:0')`` is accepted and is the CPU (PyTorch keeps the index in
    the repr; so do we). Equality compares type and index.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            type, index = "cuda", type  # device(1): the accelerator with that index, as in PyTorch
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string like 'cpu' or 'cuda:0', got {type!r}")
        s = type.strip()
        if ":" in s:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {s}")
            s, _, idx = s.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if s not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if index is not None:
            index = int(index)
            if index < 0:
                raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = s, index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")
_cache = {}


def to_device(d):
    """Normalise a device-like (None, str, int, device) into a canonical device: cpu, or cuda with an index."""
    if d is None:
        return CPU
    r = _cache.get(d) if not isinstance(d, device) else None
    if r is not None:
        return r
    if isinstance(d, int) and not isinstance(d, bool):
        r = device("cuda", d)
    else:
        r = device(d)
    if r.type == "cpu":
        r = CPU
    elif r.index is None:
        from . import cuda
        r = device("cuda", cuda.current_device())
    if not isinstance(d, device):
        _cache[d] = r
    return r

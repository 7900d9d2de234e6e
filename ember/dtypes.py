"""ember's dtypes and PyTorch's type-promotion rules.

A :class:`dtype` wraps a numpy dtype. Promotion follows PyTorch, which differs
from numpy in two places that users notice: a Python float meeting an integer
tensor gives the *default* float dtype (float32), and a 0-d tensor or a Python
scalar never widens a dimensioned tensor of the same category
(``int32_tensor + int64_scalar_tensor`` stays int32).
"""
import numpy as np

__all__ = [
    "dtype", "float16", "half", "float32", "float", "float64", "double",
    "int8", "int16", "int32", "int", "int64", "long", "uint8", "bool",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
]

_BOOL, _INT, _FLOAT = 0, 1, 2  # categories, ordered


class dtype:
    """The data type of a tensor, e.g. ``ember.float32``."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "category", "_pt_name")

    def __init__(self, name, np_dtype, pt_name):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.category = _FLOAT if self.np.kind == "f" else (_BOOL if self.np.kind == "b" else _INT)
        self._pt_name = pt_name  # legacy tensor-type name: FloatTensor, LongTensor, ...

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_from_name, (self.name,))

    def to_real(self):
        return self


float16 = half = dtype("float16", np.float16, "HalfTensor")
float32 = float = dtype("float32", np.float32, "FloatTensor")
float64 = double = dtype("float64", np.float64, "DoubleTensor")
int8 = dtype("int8", np.int8, "CharTensor")
int16 = dtype("int16", np.int16, "ShortTensor")
int32 = int = dtype("int32", np.int32, "IntTensor")
int64 = long = dtype("int64", np.int64, "LongTensor")
uint8 = dtype("uint8", np.uint8, "ByteTensor")
bool = dtype("bool", np.bool_, "BoolTensor")  # noqa: A001 - PyTorch's name

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, int=int32, long=int64)


def _from_name(name):
    return _BY_NAME[name]


class _DefaultDtype:
    value = float32


def get_default_dtype():
    """Returns the current default floating point dtype (``ember.float32`` initially)."""
    return _DefaultDtype.value


def set_default_dtype(d):
    """Sets the default floating point dtype to ``d`` (float16, float32 or float64).

    It is used by factory functions and as the result of integer tensors meeting
    Python floats.
    """
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {d}")
    _DefaultDtype.value = d


def to_dtype(d):
    """Turn a dtype-like (ember dtype, numpy dtype, Python type, string) into an ember dtype."""
    if d.__class__ is dtype:
        return d
    if d is None:
        return _DefaultDtype.value
    if d is _py_float:  # PyTorch: dtype=float means float64 (the default dtype is for float *values*)
        return float64
    if d is _py_int:
        return int64
    if d is _py_bool:
        return bool
    if isinstance(d, str):
        try:
            return _BY_NAME[d.replace("torch.", "").replace("ember.", "")]
        except KeyError:
            pass
    try:
        return _BY_NP[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"ember: unsupported dtype {d!r}; use one of "
                        + ", ".join(repr(x) for x in _ALL)) from None


import builtins as _b  # noqa: E402

_py_float, _py_int, _py_bool = _b.float, _b.int, _b.bool


def from_numpy_dtype(np_dtype):
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
                        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


# --- promotion --------------------------------------------------------------

def _promote_np(a, b):
    """Promote two ember dtypes as PyTorch does."""
    if a is b:
        return a
    ca, cb = a.category, b.category
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        return hi  # float beats int beats bool, whatever the widths
    if ca == _BOOL:
        return bool
    return _BY_NP[np.promote_types(a.np, b.np)]


_PROMOTE_CACHE = {}


def promote_types(a, b):
    """Returns the dtype with the smallest size and category that both ``a`` and ``b`` fit in."""
    key = (a, b)
    r = _PROMOTE_CACHE.get(key)
    if r is None:
        r = _PROMOTE_CACHE[key] = _promote_np(to_dtype(a), to_dtype(b))
    return r


def _combine(higher, lower):
    """PyTorch's rule for folding a lower-priority group (0-d tensors, scalars) into a higher one."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _FLOAT:
        return higher
    if higher is bool or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(v):
    """The dtype a Python scalar takes when it meets tensors."""
    if v.__class__ is _py_float:
        return _DefaultDtype.value
    if v.__class__ is _py_bool or isinstance(v, (np.bool_, _py_bool)):
        return bool
    if isinstance(v, (_py_int, np.integer)):
        return int64
    if isinstance(v, (_py_float, np.floating)):
        return _DefaultDtype.value
    raise TypeError(f"unsupported scalar type {type(v).__name__}")


def result_type(*operands):
    """The dtype PyTorch would give an op over ``operands`` (tensors and Python scalars)."""
    dim = zero = wrapped = None
    for o in operands:
        d = getattr(o, "dtype", None)
        if d is None or d.__class__ is not dtype:
            sd = scalar_dtype(o)
            wrapped = sd if wrapped is None else promote_types(wrapped, sd)
        elif o.ndim:
            dim = d if dim is None else promote_types(dim, d)
        else:
            zero = d if zero is None else promote_types(zero, d)
    return _combine(dim, _combine(zero, wrapped))

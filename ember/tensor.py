"""ember.Tensor: an array (numpy or cupy) plus autograd bookkeeping.

The math of every op lives in ``ember/ops``; the methods here are thin: they
normalise arguments (dims, shapes, scalars, dtypes), then call ``Op.apply``.
"""
import builtins
import math
import operator
import weakref

import numpy as np

from . import dtypes as _dt
from .autograd import function as _fn
from .autograd import engine as _engine
from .autograd.function import AccumulateGrad
from .autograd.grad_mode import GradMode, enable_grad, no_grad
from .backend import xp_for, xp_of, to_host, cuda_array, device_guard
from .device import CPU, to_device, device as _device_cls
from .dtypes import from_numpy_dtype, result_type, to_dtype
from .ops import elementwise as E, index as I, linalg as L, movement as M, reduce as R

_py_bool, _py_int, _py_float, _py_slice = builtins.bool, builtins.int, builtins.float, builtins.slice
_ndarray = np.ndarray
_BY_NP = _dt._BY_NP


class Size(tuple):
    """The shape of a tensor: a tuple that prints as ``ember.Size([64, 10])``."""

    def __repr__(self):
        return "ember.Size([" + ", ".join(str(s) for s in self) + "])"

    __str__ = __repr__

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, _py_slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def numel(self):
        """Number of elements a tensor of this shape holds."""
        return math.prod(self)


# --- small helpers ----------------------------------------------------------

def _wrap(data, node=None, nr=0):
    """Make a Tensor around an array (the result of an op). ``node``: its grad_fn."""
    if data.__class__ is not _ndarray:
        data = _as_array(data)
    t = object.__new__(Tensor)
    t._data = data
    t._ver = [0]
    if node is None:
        t.requires_grad = False
        t.grad_fn = None
    else:
        t.requires_grad = True
        t.grad_fn = node
        t._out_nr = nr
    t._device = CPU if data.__class__ is _ndarray else _cuda_device_of(data)
    return t


def _as_array(data):
    if isinstance(data, (np.generic, _py_bool, _py_int, _py_float)):
        return np.asarray(data)
    return data


def _cuda_device_of(a):
    return to_device(f"cuda:{a.device.id}")


_fn._wrap = _wrap


def _norm_dim(d, ndim, op="dim"):
    """Turn a possibly negative dim into a non-negative one, with PyTorch's IndexError."""
    n = ndim if ndim > 0 else 1
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d + n if d < 0 else d


def _norm_dims(dim, ndim):
    """dim=None|int|sequence -> None or a sorted tuple of non-negative dims."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        dims = tuple(sorted({_norm_dim(d, ndim) for d in dim}))
    else:
        dims = (_norm_dim(dim, ndim),)
    if ndim == 0:
        return None
    return dims


def _shape_args(args, op="shape"):
    """Accept f(2, 3), f((2, 3)), f([2, 3]), f(Size)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        return tuple(_py_int(s) for s in args)
    except TypeError:
        raise TypeError(f"{op}: size must be a sequence of ints, got {args!r}") from None


def _is_tensor(x):
    return isinstance(x, Tensor)


def device_mismatch(cls, tensors):
    """Inputs on different devices: a 0-d CPU tensor may join CUDA tensors (as in PyTorch); else error."""
    devs = [t._device for t in tensors]
    target = next((d for d, t in zip(devs, tensors) if d.type != "cpu" or t.ndim), devs[0])
    out = []
    for t, d in zip(tensors, devs):
        if d != target:
            if d.type == "cpu" and t.ndim == 0:
                t = t.to(target)
            else:
                name = cls.__name__.lower() if isinstance(cls, type) else str(cls)
                raise RuntimeError(
                    "Expected all tensors to be on the same device, but found at least two devices, "
                    f"{target} and {d}! (in op {name}; move them with .to(device) first)")
        out.append(t)
    return tuple(out)


def _scalar_tensor(value, like):
    """A Python number as a 0-d tensor of the dtype it takes next to ``like``."""
    d = result_type(like, value)
    xp = np if like._device is CPU else xp_for(like._device)
    return _wrap(xp.asarray(_fit_int(value, d), dtype=d.np))


def _fit_int(value, d):
    """A Python int that doesn't fit integer dtype ``d`` wraps around, as PyTorch's cast does (uint8 + 300)."""
    if d.category == _dt._INT and isinstance(value, (_py_int, np.integer)) and not isinstance(value, _py_bool):
        info = np.iinfo(d.np)
        if not info.min <= value <= info.max:
            return _py_int(np.asarray(value, dtype=np.int64).astype(d.np))  # a plain int: fine for cupy too
    return value


def _broadcast_error(op, a, b):
    sa, sb = tuple(a.shape), tuple(b.shape)
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"{op}: the size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i}; shapes {list(sa)} and {list(sb)} do not broadcast")
    return RuntimeError(f"{op}: shapes {list(sa)} and {list(sb)} do not broadcast")


_SCALAR_TYPES = (_py_int, _py_float, np.number, np.bool_)


def _scalar_operand(a, b):
    """Prepare ``a op b`` for a Python number ``b``: PyTorch's result dtype, a plain Python value."""
    if b.__class__ is not _py_float and b.__class__ is not _py_int:
        b = b.item() if isinstance(b, (np.number, np.bool_)) else b
    cat = a._data.dtype.kind
    if b.__class__ is _py_float:
        if cat != "f":
            a = a.to(_dt.get_default_dtype())
    elif b.__class__ is _py_int:
        if cat == "b":
            a = a.to(_dt.int64)
        elif cat in "iu":
            b = _fit_int(b, a.dtype)
    return a, b


def _binary(cls, a, b, opname):
    """Promote dtypes PyTorch's way, then apply a binary op. ``a`` is a Tensor."""
    if b.__class__ is not Tensor and not isinstance(b, Tensor):
        if isinstance(b, _SCALAR_TYPES):
            scalar_cls = E.SCALAR_OPS.get(cls)
            if scalar_cls is not None:
                a, b = _scalar_operand(a, b)
                return scalar_cls.apply(a, s=b)
            b = _scalar_tensor(b, a)
        else:
            b = _to_tensor_like(b, a, opname)
    da, db = a._data.dtype, b._data.dtype
    if da is not db and da != db:
        rt = result_type(a, b)
        if a.dtype is not rt:
            a = a.to(rt)
        if b.dtype is not rt:
            b = b.to(rt)
    try:
        return cls.apply(a, b)
    except ValueError as e:
        if "broadcast" in str(e):
            raise _broadcast_error(opname, a, b) from None
        raise


def _rbinary(cls, a, b, opname):
    """``b op a`` where ``b`` is a scalar or array-like (the reflected operators)."""
    if b.__class__ is _py_float or isinstance(b, _SCALAR_TYPES):
        scalar_cls = E.RSCALAR_OPS.get(cls)
        if scalar_cls is not None:
            a, b = _scalar_operand(a, b)
            return scalar_cls.apply(a, s=b)
        b = _scalar_tensor(b, a)
    else:
        b = _to_tensor_like(b, a, opname)
    return _binary(cls, b, a, opname)


def _compare(ufunc, cls, a, b, opname):
    """Comparisons: no gradient, so a Python number is compared directly."""
    if isinstance(b, (_py_int, _py_float)) and b.__class__ is not _py_bool:
        return _wrap(ufunc(a._data, _fit_int(b, a.dtype)))
    return _binary(cls, a, b, opname)


def _to_tensor_like(x, like, opname):
    if isinstance(x, (list, tuple, np.ndarray)):
        return tensor(x, device=like.device)
    raise TypeError(f"{opname}: unsupported operand type {type(x).__name__} (expected a Tensor or a number)")


def _named(t, name):
    """Give the node that just produced ``t`` PyTorch's name for the user-level op (bookkeeping
    only: several user ops share one primitive, e.g. t/transpose/permute)."""
    fn = t.grad_fn
    if fn is not None:
        fn.grad_name = name
    return t


def _float_result(x):
    """Integer inputs of float-only math (exp, sqrt, true division) become the default float dtype."""
    if x._data.dtype.kind == "f":
        return x
    return x.to(_dt.get_default_dtype())


def _unary(cls, x, **kw):
    return cls.apply(_float_result(x), **kw)


# --- in-place bookkeeping ------------------------------------------------------

_LEAF_INPLACE = ("a leaf Variable that requires grad is being used in an in-place operation ({op}). "
                 "Wrap the update in `with ember.no_grad():`, or work on a clone.")


def _can_cast(src, dst):
    """PyTorch's rule for writing a result of dtype ``src`` into a tensor of dtype ``dst``."""
    return src.category <= dst.category


def _check_inplace(self, op, result_dtype):
    if GradMode.enabled and self.requires_grad and self.grad_fn is None:
        raise RuntimeError(_LEAF_INPLACE.format(op=op))
    if not _can_cast(result_dtype, self.dtype):
        raise RuntimeError(f"{op}: result type {_type_name(result_dtype)} can't be cast to the desired "
                           f"output type {_type_name(self.dtype)} (in-place on a {self.dtype} tensor of shape "
                           f"{list(self.shape)}); use the out-of-place op or convert the tensor first")


def _type_name(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[d.name]


def _graph_alias(self):
    """A stand-in for ``self`` in an in-place op that records the graph.

    The op's result overwrites ``self``'s memory; for a non-leaf the stand-in keeps
    the old values (a copy, same graph position) so a formula that saved its input
    still sees them. A tensor outside the graph stands for itself.
    """
    if self.grad_fn is None:
        return self
    return _wrap(self._data.copy(), self.grad_fn, self._out_nr)


def _commit_inplace_view(self, base, result):
    """An in-place op through a view while recording: the base takes a new graph node, as
    PyTorch's CopySlices (``base_new = base_old`` with the view's elements replaced by
    ``result``), and the view becomes that node's slice. None if the view's elements can't
    be located in the base's memory."""
    from .autograd.views import view_positions
    if base.requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if self._data.shape != result._data.shape:
        return None
    pos = view_positions(base._data, self._data)
    if pos is None:
        return None
    key = (pos,)
    v = result if result.dtype == base.dtype else result.to(base.dtype)
    src = _graph_alias(base)
    new_flat = I.IndexPut.apply(src.reshape(-1), v, key=key)
    new_base = M.Reshape.apply(new_flat, shape=base._data.shape)
    self._data[...] = v._data
    self._ver[0] += 1  # shared with the base
    old_base_fn, old_fn = base.grad_fn, self.grad_fn
    base.requires_grad, base.grad_fn, base._out_nr = True, new_base.grad_fn, new_base._out_nr
    new_view = I.GetItem.apply(new_flat, key=key)
    self.requires_grad, self.grad_fn, self._out_nr = True, new_view.grad_fn, new_view._out_nr
    self._base_fn = base.grad_fn
    _fn.move_retained(base, old_base_fn)
    _fn.move_retained(self, old_fn)
    return self


def refresh_view(view):
    """Bring a view's graph node up to date after its base was changed in place.

    ``y = x * 1; v = y[0]; y.mul_(2)``: ``v`` still points at the node of the old ``y``.
    Before ``v`` feeds a recorded op, it becomes ``y``'s elements at ``v``'s positions
    under ``y``'s current node (PyTorch regenerates such views the same way).
    """
    base = view._base
    if base.grad_fn is view._base_fn or not base.requires_grad:
        return
    from .autograd.views import view_positions
    pos = view_positions(base._data, view._data)
    view._base_fn = base.grad_fn
    if pos is None:
        return
    with enable_grad():
        fresh = I.GetItem.apply(M.Reshape.apply(base, shape=(base._data.size,)), key=(pos,))
    view.requires_grad, view.grad_fn, view._out_nr = True, fresh.grad_fn, fresh._out_nr


def _commit_inplace(self, result):
    """Write an op's out-of-place ``result`` into ``self`` and take over its graph position."""
    base = self._base
    if base is not None and result.requires_grad:
        done = _commit_inplace_view(self, base, result)
        if done is not None:
            return done
        if base.requires_grad:
            raise RuntimeError(
                "in-place op on a view of a tensor that requires grad is not supported for this view: "
                f"the view has shape {list(self.shape)}. Use an out-of-place op (e.g. torch.where) instead.")
    data = result._data
    if data.dtype != self._data.dtype:
        data = data.astype(self._data.dtype)
    if self._data.shape != data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(data.shape)}")
    self._data[...] = data
    self._ver[0] += 1
    if result.requires_grad:
        old_fn = self.grad_fn
        self.requires_grad = True
        self.grad_fn = result.grad_fn
        self._out_nr = result._out_nr
        _fn.move_retained(self, old_fn)  # retain_grad() follows the tensor to its new value
    return self


def _inplace_binary(self, other, cls, ufunc, opname):
    """``self op= other``: plain array math when no graph is recorded, the out-of-place op otherwise."""
    other_t = other if isinstance(other, Tensor) else None
    if GradMode.enabled and (self.requires_grad or (other_t is not None and other_t.requires_grad)):
        rt = result_type(self, other)
        _check_inplace(self, opname, rt)
        src = _graph_alias(self)
        return _commit_inplace(self, _binary(cls, src, other, opname))
    if other_t is not None:
        if other_t._device is not self._device and other_t._device != self._device:
            device_mismatch(opname, (self, other_t))
        o = other_t._data
        rt = result_type(self, other_t) if o.dtype != self._data.dtype else self.dtype
    elif isinstance(other, (_py_int, _py_float, np.number, np.bool_)):
        o = _fit_int(other, self.dtype)
        rt = result_type(self, other)
    else:
        other_t = _to_tensor_like(other, self, opname)
        o, rt = other_t._data, result_type(self, other_t)
    _check_inplace(self, opname, rt)
    if ufunc is np.true_divide and not self.dtype.is_floating_point:
        raise RuntimeError(f"{opname}: result type Float can't be cast to the desired output type "
                           f"{_type_name(self.dtype)}")
    try:
        ufunc(self._data, o, out=self._data, casting="unsafe")
    except ValueError:
        raise _broadcast_error(opname, self, other_t if other_t is not None else tensor(o)) from None
    self._ver[0] += 1
    return self


def _inplace_unary(self, fn, opname, **kw):
    """``self = fn(self)`` in place (``fn`` is an out-of-place Tensor function)."""
    if GradMode.enabled and self.requires_grad:
        _check_inplace(self, opname, self.dtype)
        src = _graph_alias(self)
        return _commit_inplace(self, fn(src, **kw))
    with no_grad():
        r = fn(self, **kw)
    _check_inplace(self, opname, r.dtype)
    self._data[...] = r._data
    self._ver[0] += 1
    return self


# --- indexing keys ------------------------------------------------------------

def _convert_key(key, x):
    """Turn a Python/Tensor index into one numpy/cupy understands; checks bounds like PyTorch."""
    if not isinstance(key, tuple):
        key = tuple(key) if _sequence_is_tuple(key) else (key,)
    out = []
    dim = 0
    xp = xp_of(x._data)
    for k in key:
        if isinstance(k, Tensor):
            if k._device != x._device and not (k._device.type == "cpu"):
                device_mismatch("index", (x, k))
            a = k._data
            if a.dtype == np.uint8:  # PyTorch (deprecated): a uint8 tensor index is a mask
                a = a.astype(np.bool_)
            if a.dtype == np.bool_:
                _check_mask(a, x, dim)
                dim += a.ndim
                out.append(a if xp is xp_of(a) else xp.asarray(to_host(a)))
                continue
            if a.dtype.kind not in "iu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            a = a if xp is xp_of(a) else xp.asarray(to_host(a))
            _check_index_array(a, x, dim)
            out.append(a)
            dim += 1
        elif isinstance(k, (list, np.ndarray)) and not isinstance(k, Tensor):
            a = np.asarray(k)
            if a.dtype == np.bool_:
                _check_mask(a, x, dim)
                dim += a.ndim
            else:
                if a.dtype.kind not in "iu":
                    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
                _check_index_array(a, x, dim)
                dim += 1
            out.append(xp.asarray(a) if xp is not np else a)
        elif k is None or k is Ellipsis:
            out.append(k)
            if k is Ellipsis:
                dim = x.ndim - builtins.sum(
                    1 for kk in key[key.index(Ellipsis) + 1:] if kk is not None and kk is not Ellipsis)
        elif isinstance(k, _py_slice):
            if k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(k)
            dim += 1
        elif isinstance(k, (_py_int, np.integer)) and not isinstance(k, _py_bool):
            if dim >= x.ndim:
                raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
            size = x.shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            out.append(_py_int(k))
            dim += 1
        elif isinstance(k, _py_bool):
            out.append(k)
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             f"Variables are valid indices (got {type(k).__name__})")
    if dim > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    return tuple(out)


def _sequence_is_tuple(key):
    """PyTorch's (and old numpy's) rule: a short list holding a sequence, tensor, slice, None or Ellipsis
    indexes like a tuple, so ``x[[[0, 1], [1, 0]]]`` is ``x[[0, 1], [1, 0]]``."""
    if not isinstance(key, list) or len(key) >= 32:
        return False
    return any(k is None or k is Ellipsis or isinstance(k, (list, tuple, _py_slice, Tensor)) for k in key)


def _check_mask(a, x, dim):
    shape = tuple(x.shape[dim:dim + a.ndim])
    if a.shape != shape:
        for i, (m, s) in enumerate(zip(a.shape, shape)):
            if m != s:
                raise IndexError(f"The shape of the mask {list(a.shape)} at index {i} does not match the "
                                 f"shape of the indexed tensor {list(x.shape)} at index {dim + i}")
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")


def _check_index_array(a, x, dim):
    if dim >= x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    if a.size:
        size = x.shape[dim]
        lo, hi = _py_int(a.min()), _py_int(a.max())
        if lo < -size or hi >= size:
            bad = hi if hi >= size else lo
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


_FULL = _py_slice(None)


def _is_basic_key(key):
    return all(k is None or k is Ellipsis or isinstance(k, (_py_int, _py_slice)) for k in key)


# --- the Tensor -------------------------------------------------------------------

class Tensor:
    """A multi-dimensional array on a device, with autograd.

    Create tensors with :func:`ember.tensor`, :func:`ember.zeros`, :func:`ember.randn`, ...
    """

    # Hot fields live in slots; rarely set ones default on the class and land in __dict__ when set.
    __slots__ = ("_data", "_ver", "requires_grad", "grad_fn", "_out_nr", "_device", "__weakref__", "__dict__")

    def __new__(cls, *args, **kwargs):
        # ember.Tensor(data) / ember.Tensor(2, 3): the legacy constructor, float32
        self = object.__new__(cls)
        if args and isinstance(args[0], Tensor):
            data = args[0]._data
        elif args and isinstance(args[0], (list, tuple, np.ndarray)):
            data = np.asarray(args[0], dtype=_dt.get_default_dtype().np)
        else:
            data = np.empty(_shape_args(args), dtype=_dt.get_default_dtype().np) if args else \
                np.empty((0,), dtype=_dt.get_default_dtype().np)
        self._data = data
        self._ver = [0]
        self.requires_grad = False
        self.grad_fn = None
        self._device = CPU
        return self

    def __init__(self, *args, **kwargs):
        pass

    # numpy scalars and arrays on the left (np.float64(2) * x) defer to our reflected operators, as with torch
    __array_priority__ = 1000

    # Slots read often default here, so creating a Tensor sets only what it must.
    grad = None
    _accum = None  # a leaf's (AccumulateGrad, 0) edge, made on first use
    _hooks = None
    _post_acc_hooks = None
    _base = None
    _base_fn = None

    # --- autograd bookkeeping ---------------------------------------------------
    def _edge(self):
        """The (node, output_nr) a gradient for this tensor flows into."""
        fn = self.grad_fn
        if fn is not None:
            return (fn, self._out_nr)
        edge = self._accum
        if edge is None:
            # The leaf keeps its AccumulateGrad edge; the node refers back weakly (no cycle).
            edge = self._accum = (AccumulateGrad(self), 0)
        return edge

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded op (user-created, or requires_grad=False)."""
        return self.grad_fn is None

    @property
    def _version(self):
        return self._ver[0]

    @property
    def data(self):
        """The same memory without autograd history."""
        t = _wrap(self._data)
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._device = value._device

    def requires_grad_(self, requires_grad=True):
        """Sets whether autograd records ops on this (leaf) tensor; returns self."""
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients (got {self.dtype})")
        self.requires_grad = _py_bool(requires_grad)
        return self

    def detach(self):
        """A new tensor sharing memory (and version counter) with this one, outside the graph."""
        t = _wrap(self._data)
        t._ver = self._ver
        return t

    def detach_(self):
        """Detaches this tensor from the graph in place, making it a leaf."""
        self.grad_fn = None
        self.requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        node = self.grad_fn
        if node._retained is None:
            node._retained = []
        if not any(nr == self._out_nr and ref() is self for nr, ref in node._retained):
            node._retained.append((self._out_nr, weakref.ref(self)))

    @property
    def retains_grad(self):
        node = self.grad_fn
        return node is not None and node._retained is not None and any(
            ref() is self for _, ref in node._retained)

    def register_hook(self, hook):
        """Register ``hook(grad) -> Tensor or None`` called with this tensor's gradient during backward."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            node = self.grad_fn
            if node._pre_hooks is None:
                node._pre_hooks = []
            entry = (self._out_nr, hook)
            node._pre_hooks.append(entry)
            return _fn._RemovableHandle(node._pre_hooks, entry)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _fn._RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _fn._RemovableHandle(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Computes the gradient of this tensor w.r.t. graph leaves, accumulated into their ``.grad``.

        ``gradient`` is required for non-scalar tensors; ``retain_graph`` keeps saved tensors for
        another backward; ``create_graph`` records the backward itself (higher-order gradients);
        ``inputs`` restricts accumulation to these tensors.
        """
        if (gradient is None and inputs is None and not create_graph and self.grad_fn is not None
                and self._data.size == 1):
            # the everyday loss.backward(): skip the argument plumbing
            data = self._data
            seed = xp_of(data).ones(data.shape, dtype=data.dtype)
            _engine._run([(self.grad_fn, self._out_nr, _wrap(seed))], bool(retain_graph), False)
            return
        _engine.backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph, inputs)

    # --- metadata ---------------------------------------------------------------------
    @property
    def dtype(self):
        return _BY_NP[self._data.dtype]

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape as an ``ember.Size``, or the size of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_norm_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return _py_int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_signed(self):
        return self.dtype.is_signed

    def is_complex(self):
        return False

    def is_contiguous(self, memory_format=None):
        return _py_bool(self._data.flags.c_contiguous)

    def contiguous(self, memory_format=None):
        if self._data.flags.c_contiguous:
            return self
        return self.clone()

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_norm_dim(dim, self.ndim)]

    def storage_offset(self):
        return 0

    def data_ptr(self):
        if self._device is CPU:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def type(self, dtype=None, non_blocking=False):
        """With no argument, the legacy type name ('torch.FloatTensor'); else convert to ``dtype``."""
        if dtype is None:
            prefix = "torch." if self._device.type == "cpu" else "torch.cuda."
            return prefix + self.dtype._pt_name
        device = None
        if isinstance(dtype, type) and dtype.__name__.endswith("Tensor"):  # ember.DoubleTensor and friends
            dtype = dtype.__name__
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            name = dtype.split(".")[-1]
            if ".cuda." in dtype:
                device = "cuda"
            dtype = next((d for d in _dt._ALL if d._pt_name == name), None)
            if dtype is None:
                raise ValueError(f"invalid type: '{name}'")
        return self.to(device, to_dtype(dtype))

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        if self._data.shape[0] == 0:
            return iter(())
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous "
                               f"(shape {list(self.shape)}); use .any() or .all()")
        return _py_bool(self._data.reshape(()))

    def _one_element(self, fn):
        if self._data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars ({fn}() of a "
                             f"tensor of shape {list(self.shape)}); index it or reduce it first")
        return self.item()

    def __float__(self):
        return _py_float(self._one_element("float"))

    def __int__(self):
        return _py_int(self._one_element("int"))

    def __index__(self):
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return _py_int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar "
                               f"(item() of a tensor of shape {list(self.shape)}); index it or reduce it first")
        return self._data.item() if self._device is CPU else to_host(self._data).item()

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return to_host(self._data).tolist()

    def numpy(self, force=False):
        """The values as a numpy array; shares memory on the CPU."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        if self._device is not CPU:
            if not force:
                raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use Tensor.cpu() to "
                                "copy the tensor to host memory first.")
            return to_host(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = to_host(self._data)
        if dtype is not None:
            return a.astype(dtype, copy=bool(copy))
        return a.copy() if copy else a

    def __dlpack__(self, stream=None, **kwargs):
        if self.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        # Pass max_version/dl_device/copy through: without max_version numpy makes a legacy capsule,
        # which numpy's own from_dlpack then imports read-only.
        kw = {k: v for k, v in kwargs.items() if v is not None}
        if stream is not None and self._device is not CPU:
            kw["stream"] = stream
        return self._data.__dlpack__(**kw)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __repr__(self, *, tensor_contents=None):
        from .printing import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        raise TypeError("ember tensors are not picklable; use ember.save, which stores tensors safely")

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment")
        t = _wrap(self._data.copy())
        t.requires_grad = self.requires_grad
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    # --- conversion ---------------------------------------------------------------------
    def to(self, *args, **kwargs):
        """Convert dtype and/or device: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, _dt.dtype):
                dtype = a
            elif isinstance(a, (str, _device_cls, _py_int)) and not isinstance(a, _py_bool):
                device = a
            elif a is _py_float or a is _py_int or a is _py_bool:
                dtype = to_dtype(a)
            elif isinstance(a, _py_bool):
                pass  # non_blocking positional
            elif a is not None:
                raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
        t = self
        if device is not None:
            dev = to_device(device)
            if dev != t._device:
                t = _ToDevice.apply(t, device=dev)
        if dtype is not None:
            dtype = to_dtype(dtype)
            if dtype is not t.dtype:
                if t.requires_grad and not dtype.is_floating_point:
                    t = t.detach()  # an integer or bool result carries no gradient
                t = E.Cast.apply(t, dtype=dtype)
        if copy and t is self:
            t = self.clone()
        return t

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(to_device("cuda" if device is None else (device if not isinstance(device, _py_int)
                                                                  else f"cuda:{device}")))

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def half(self):
        return self.to(_dt.float16)

    def long(self):
        return self.to(_dt.int64)

    def int(self):
        return self.to(_dt.int32)

    def short(self):
        return self.to(_dt.int16)

    def char(self):
        return self.to(_dt.int8)

    def byte(self):
        return self.to(_dt.uint8)

    def bool(self):
        return self.to(_dt.bool)

    def type_as(self, other):
        return self.to(other.dtype)

    def clone(self, memory_format=None):
        return _Clone.apply(self)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    # --- arithmetic operators -----------------------------------------------------------------
    def __add__(self, other):
        return _binary(E.Add, self, other, "add")

    def __radd__(self, other):
        return _rbinary(E.Add, self, other, "add")

    def __sub__(self, other):
        _check_sub(self, other)
        return _binary(E.Sub, self, other, "sub")

    def __rsub__(self, other):
        _check_sub(self, other)
        return _rbinary(E.Sub, self, other, "sub")

    def __mul__(self, other):
        return _binary(E.Mul, self, other, "mul")

    def __rmul__(self, other):
        return _rbinary(E.Mul, self, other, "mul")

    def __truediv__(self, other):
        if not self.dtype.is_floating_point and not (isinstance(other, Tensor) and other.dtype.is_floating_point):
            if not isinstance(other, _py_float):
                return _binary(E.Div, _float_result(self), other, "div")
        return _binary(E.Div, self, other, "div")

    def __rtruediv__(self, other):
        return _rbinary(E.Div, _float_result(self), other, "div")

    def __floordiv__(self, other):
        return _binary(E.FloorDivide, self, other, "floor_divide")

    def __rfloordiv__(self, other):
        return _rbinary(E.FloorDivide, self, other, "floor_divide")

    def __mod__(self, other):
        return _binary(E.Remainder, self, other, "remainder")

    def __rmod__(self, other):
        return _rbinary(E.Remainder, self, other, "remainder")

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        if isinstance(base, (_py_int, _py_float)):
            return E.RPowScalar.apply(_float_result(self) if isinstance(base, _py_float) else self,
                                      base=base)
        return _rbinary(E.Pow, self, base, "pow")

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(tensor(other, dtype=self.dtype, device=self.device), self)

    def __neg__(self):
        if self.dtype is _dt.bool:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                               "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return E.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __invert__(self):
        if self.dtype.is_floating_point:
            raise TypeError("~ (bitwise_not) is only supported for integer and bool tensors")
        return E.BitwiseNot.apply(self)

    def __and__(self, other):
        return _binary(E.BitwiseAnd, self, other, "bitwise_and")

    __rand__ = __and__

    def __or__(self, other):
        return _binary(E.BitwiseOr, self, other, "bitwise_or")

    __ror__ = __or__

    def __xor__(self, other):
        return _binary(E.BitwiseXor, self, other, "bitwise_xor")

    __rxor__ = __xor__

    def __eq__(self, other):
        if other is None:
            return False
        return _binary(E.Eq, self, other, "eq")

    def __ne__(self, other):
        if other is None:
            return True
        return _binary(E.Ne, self, other, "ne")

    def __lt__(self, other):
        return _compare(np.less, E.Lt, self, other, "lt")

    def __le__(self, other):
        return _compare(np.less_equal, E.Le, self, other, "le")

    def __gt__(self, other):
        return _compare(np.greater, E.Gt, self, other, "gt")

    def __ge__(self, other):
        return _compare(np.greater_equal, E.Ge, self, other, "ge")

    # in place: x += y works on x's memory
    def __iadd__(self, other):
        return _inplace_binary(self, other, E.Add, np.add, "add_")

    def __isub__(self, other):
        _check_sub(self, other)
        return _inplace_binary(self, other, E.Sub, np.subtract, "sub_")

    def __imul__(self, other):
        return _inplace_binary(self, other, E.Mul, np.multiply, "mul_")

    def __itruediv__(self, other):
        return _inplace_binary(self, other, E.Div, np.true_divide, "div_")

    def __ifloordiv__(self, other):
        return _inplace_binary(self, other, E.FloorDivide, np.floor_divide, "floor_divide_")

    def __imod__(self, other):
        return _inplace_binary(self, other, E.Remainder, np.remainder, "remainder_")

    def __ipow__(self, other):
        return _inplace_unary(self, Tensor.pow, "pow_", exponent=other)

    def __iand__(self, other):
        return _inplace_binary(self, other, E.BitwiseAnd, np.bitwise_and, "bitwise_and_")

    def __ior__(self, other):
        return _inplace_binary(self, other, E.BitwiseOr, np.bitwise_or, "bitwise_or_")

    def __ixor__(self, other):
        return _inplace_binary(self, other, E.BitwiseXor, np.bitwise_xor, "bitwise_xor_")

    # --- named arithmetic --------------------------------------------------------------------
    def add(self, other, *, alpha=1):
        if alpha != 1:
            other = other * alpha
        return _binary(E.Add, self, other, "add")

    def sub(self, other, *, alpha=1):
        _check_sub(self, other)
        if alpha != 1:
            other = other * alpha
        return _binary(E.Sub, self, other, "sub")

    subtract = sub

    def mul(self, other):
        return _binary(E.Mul, self, other, "mul")

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return self.__truediv__(other)
        q = self.__truediv__(other)
        if rounding_mode == "floor":
            r = q.floor()
        elif rounding_mode == "trunc":
            r = q.trunc()
        else:
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                             f"'{rounding_mode}'")
        rt = result_type(self, other)
        return r if rt.is_floating_point else r.to(rt)

    divide = true_divide = div

    def floor_divide(self, other):
        return self.__floordiv__(other)

    def remainder(self, other):
        return self.__mod__(other)

    def fmod(self, other):
        return _binary(E.Fmod, self, other, "fmod")

    def pow(self, exponent):
        if isinstance(exponent, (_py_int, _py_float)) and not isinstance(exponent, _py_bool):
            x = self
            if isinstance(exponent, _py_float) and not x.dtype.is_floating_point:
                x = _float_result(x)
            elif isinstance(exponent, _py_int) and exponent < 0 and not x.dtype.is_floating_point:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            if exponent == 1:
                return E.PowScalar.apply(x, p=1)
            return E.PowScalar.apply(x, p=exponent)
        return _binary(E.Pow, self, exponent, "pow")

    def neg(self):
        return -self

    negative = neg

    def abs(self):
        return E.Abs.apply(self)

    absolute = abs

    def sign(self):
        return E.Sign.apply(self)

    sgn = sign

    def exp(self):
        return _unary(E.Exp, self)

    def expm1(self):
        return _unary(E.Expm1, self)

    def log(self):
        return _unary(E.Log, self)

    def log2(self):
        return _unary(E.Log2, self)

    def log10(self):
        return self.log() / math.log(10.0)

    def log1p(self):
        return _unary(E.Log1p, self)

    def sqrt(self):
        return _unary(E.Sqrt, self)

    def rsqrt(self):
        return _unary(E.Rsqrt, self)

    def square(self):
        return self.pow(2)

    def reciprocal(self):
        return 1.0 / _float_result(self)

    def sin(self):
        return _unary(E.Sin, self)

    def cos(self):
        return _unary(E.Cos, self)

    def tan(self):
        return _unary(E.Tan, self)

    def tanh(self):
        return _unary(E.Tanh, self)

    def sigmoid(self):
        return _unary(E.Sigmoid, self)

    def relu(self):
        return E.Relu.apply(self)

    def floor(self):
        return E.Floor.apply(self) if self.dtype.is_floating_point else self.clone()

    def ceil(self):
        return E.Ceil.apply(self) if self.dtype.is_floating_point else self.clone()

    def round(self, decimals=0):
        return E.Round.apply(self, decimals=decimals) if self.dtype.is_floating_point else self.clone()

    def trunc(self):
        return E.Trunc.apply(self) if self.dtype.is_floating_point else self.clone()

    fix = trunc

    def frac(self):
        return self - self.trunc()

    def clamp(self, min=None, max=None):
        """Clamp values into [min, max]; either bound may be None, a number or a tensor."""
        if max is None and min.__class__ is _py_int or min.__class__ is _py_float and max is None:
            if self._data.dtype.kind == "f":
                return E.Clamp.apply(self, min=min, max=None)  # the seed's h.clamp(min=0)
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            lo = min if isinstance(min, Tensor) or min is None else _scalar_tensor(min, self)
            hi = max if isinstance(max, Tensor) or max is None else _scalar_tensor(max, self)
            rt = result_type(*[t for t in (self, lo, hi) if t is not None])
            x, lo, hi = [(t if t.dtype is rt else t.to(rt)) if t is not None else None for t in (self, lo, hi)]
            placeholder = _wrap(xp_of(x._data).zeros((), dtype=rt.np))
            try:
                return E.ClampTensor.apply(x, lo if lo is not None else placeholder,
                                           hi if hi is not None else placeholder,
                                           has_min=lo is not None, has_max=hi is not None)
            except ValueError:
                raise RuntimeError(f"clamp: shapes {list(self.shape)}, {list(lo.shape) if lo is not None else None} "
                                   f"and {list(hi.shape) if hi is not None else None} do not broadcast") from None
        x = self
        if (isinstance(min, _py_float) or isinstance(max, _py_float)) and not x.dtype.is_floating_point:
            x = _float_result(x)
        return E.Clamp.apply(x, min=min, max=max)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def maximum(self, other):
        return _binary(E.Maximum, self, other, "maximum")

    def minimum(self, other):
        return _binary(E.Minimum, self, other, "minimum")

    def fmax(self, other):
        """Elementwise maximum that ignores NaN (a NaN loses to a number); ties go to ``self``."""
        return where(self.ge(other).logical_or(other.isnan()), self, other)

    def fmin(self, other):
        """Elementwise minimum that ignores NaN (a NaN loses to a number); ties go to ``self``."""
        return where(self.le(other).logical_or(other.isnan()), self, other)

    def where(self, condition, other):
        return where(condition, self, other)

    def lerp(self, end, weight):
        return self + (end - self) * weight

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        p = mat1.mm(mat2)
        return (self * beta if beta != 1 else self) + (p * alpha if alpha != 1 else p)

    def addcmul(self, t1, t2, *, value=1):
        return self + t1 * t2 * value

    def addcdiv(self, t1, t2, *, value=1):
        return self + t1 / t2 * value

    # comparisons and logic, named
    def eq(self, other):
        return _binary(E.Eq, self, other, "eq")

    def ne(self, other):
        return _binary(E.Ne, self, other, "ne")

    not_equal = ne

    def lt(self, other):
        return _binary(E.Lt, self, other, "lt")

    less = lt

    def le(self, other):
        return _binary(E.Le, self, other, "le")

    less_equal = le

    def gt(self, other):
        return _binary(E.Gt, self, other, "gt")

    greater = gt

    def ge(self, other):
        return _binary(E.Ge, self, other, "ge")

    greater_equal = ge

    def equal(self, other):
        return self.shape == other.shape and _py_bool((self == other).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _py_bool(self.isclose(other, rtol, atol, equal_nan).all())

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        xp = xp_of(self._data)
        o = other._data if isinstance(other, Tensor) else other
        return _wrap(xp.isclose(self._data, o, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def logical_and(self, other):
        return _binary(E.LogicalAnd, self, other, "logical_and")

    def logical_or(self, other):
        return _binary(E.LogicalOr, self, other, "logical_or")

    def logical_xor(self, other):
        return _binary(E.LogicalXor, self, other, "logical_xor")

    def logical_not(self):
        return E.LogicalNot.apply(self)

    def bitwise_not(self):
        return ~self

    def bitwise_and(self, other):
        return self & other

    def bitwise_or(self, other):
        return self | other

    def bitwise_xor(self, other):
        return self ^ other

    def isnan(self):
        return E.IsNan.apply(self)

    def isinf(self):
        return E.IsInf.apply(self)

    def isfinite(self):
        return E.IsFinite.apply(self)

    def isposinf(self):
        return self.isinf().logical_and(self > 0)

    def isneginf(self):
        return self.isinf().logical_and(self < 0)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return E.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    # --- reductions ----------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        """Sum of elements, over all or over ``dim``; integer and bool inputs sum to int64."""
        if dim is None and dtype is None and self._data.dtype.kind == "f":
            return R.Sum.apply(self, dim=None, keepdim=keepdim)
        if dtype is not None:
            dt = to_dtype(dtype)
        elif self.dtype.category != _dt._FLOAT:
            dt = _dt.int64
        else:
            dt = None
        x = self if dt is None else self.to(dt)
        return R.Sum.apply(x, dim=_norm_dims(dim, self.ndim), keepdim=keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return self.nan_to_num(0.0, float("inf"), float("-inf")).where(~self.isnan(),
                                                                      self.new_zeros(())).sum(dim, keepdim,
                                                                                              dtype=dtype)

    def sum_to_size(self, *size):
        shape = _shape_args(size)
        if tuple(self.shape) == shape:
            return self
        return M.SumToSize.apply(self, shape=shape)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        """Mean of elements (floating-point inputs only, as in PyTorch)."""
        x = self if dtype is None else self.to(to_dtype(dtype))
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {_type_name(x.dtype)}")
        if x.dtype is _dt.float16:  # PyTorch accumulates half in float: the sum may overflow, the mean not
            return x.to(_dt.float32).mean(dim, keepdim).to(_dt.float16)
        dims = _norm_dims(dim, x.ndim)
        n = x.numel() if dims is None else math.prod(x.shape[d] for d in dims)
        s = R.Sum.apply(x, dim=dims, keepdim=keepdim)
        return _named(s / n if n else s * float("nan"), "MeanBackward0" if dim is None else "MeanBackward1")

    def nanmean(self, dim=None, keepdim=False):
        m = ~self.isnan()
        return self.nansum(dim, keepdim) / m.sum(dim, keepdim)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        x = self.to(to_dtype(dtype)) if dtype is not None else (
            self if self.dtype.is_floating_point else self.to(_dt.int64))
        if dim is None:
            return R.Prod.apply(x, dim=None, keepdim=False)
        return R.Prod.apply(x, dim=(_norm_dim(dim, x.ndim),), keepdim=keepdim)

    def _max_min(self, dim, keepdim, is_min, name):
        if dim is None:
            if isinstance(keepdim, Tensor):  # max(other) spelled as max(tensor)
                return self.minimum(keepdim) if is_min else self.maximum(keepdim)
            if self.numel() == 0:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            return _named(R.Amax.apply(self, dim=None, keepdim=False, is_min=is_min),
                          "MinBackward1" if is_min else "MaxBackward1")
        if isinstance(dim, Tensor):
            return self.minimum(dim) if is_min else self.maximum(dim)
        d = _norm_dim(dim, self.ndim)
        if self.ndim and self.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        vals, idx = R.MaxDim.apply(self, dim=d, keepdim=keepdim, is_min=is_min)
        from .return_types import minmax
        return minmax(name, vals, idx)

    def max(self, dim=None, keepdim=False):
        """Max of all elements, or ``(values, indices)`` along ``dim``, or elementwise with a tensor."""
        return self._max_min(dim, keepdim, False, "max")

    def min(self, dim=None, keepdim=False):
        return self._max_min(dim, keepdim, True, "min")

    def amax(self, dim=(), keepdim=False):
        return R.Amax.apply(self, dim=_norm_dims(dim, self.ndim), keepdim=keepdim, is_min=False)

    def amin(self, dim=(), keepdim=False):
        return R.Amax.apply(self, dim=_norm_dims(dim, self.ndim), keepdim=keepdim, is_min=True)

    def aminmax(self, *, dim=None, keepdim=False):
        from .return_types import named
        return named("aminmax", ("min", "max"), self.amin(() if dim is None else dim, keepdim),
                     self.amax(() if dim is None else dim, keepdim))

    def argmax(self, dim=None, keepdim=False):
        return self._arg_extreme(dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        return self._arg_extreme(dim, keepdim, "argmin")

    def _arg_extreme(self, dim, keepdim, name):
        xp = xp_of(self._data)
        a = self._data
        if dim is None:
            if a.size == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            r = xp.asarray(getattr(a, name)(), dtype=np.int64)
            return _wrap(r.reshape((1,) * self.ndim) if keepdim else r)
        d = _norm_dim(dim, self.ndim)
        if self.ndim == 0:
            return _wrap(xp.zeros((), dtype=np.int64))
        if a.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        return _wrap(getattr(a, name)(axis=d, keepdims=keepdim).astype(np.int64))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance with Bessel's ``correction`` (1 by default; ``unbiased=False`` means 0)."""
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        if isinstance(unbiased, (_py_int,)) and not isinstance(unbiased, _py_bool) and dim is None:
            dim, unbiased = unbiased, None
        dims = _norm_dims(dim, self.ndim)
        n = self.numel() if dims is None else math.prod(self.shape[d] for d in dims)
        centered = self - self.mean(dims if dims is not None else None, keepdim=True)
        sq = (centered * centered).sum(dims, keepdim=keepdim)
        # n <= correction divides by zero, as in PyTorch: inf, or nan where sq is 0
        return _named(sq / builtins.max(n - correction, 0), "VarBackward0")

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _named(self.var(dim, unbiased, keepdim, correction=correction).sqrt(), "StdBackward0")

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """Vector p-norm over all elements or ``dim`` ('fro' and 2 are the Euclidean norm)."""
        x = self if dtype is None else self.to(dtype)
        if p == "fro" or p == 2 or p is None:
            return _named((x * x).sum(dim, keepdim).sqrt(), "LinalgVectorNormBackward0")
        if p == float("inf"):
            return x.abs().amax(() if dim is None else dim, keepdim)
        if p == float("-inf"):
            return x.abs().amin(() if dim is None else dim, keepdim)
        if p == 0:
            return x.sign().abs().sum(dim, keepdim)  # the count of non-zeros, with a (zero) gradient
        if p == 1:
            return x.abs().sum(dim, keepdim)
        if p == "nuc":
            raise NotImplementedError("norm(p='nuc') is not implemented yet")
        return x.abs().pow(p).sum(dim, keepdim).pow(1.0 / p)

    def logsumexp(self, dim, keepdim=False):
        x = _float_result(self)
        return R.LogSumExp.apply(x, dim=_norm_dims(dim, x.ndim), keepdim=keepdim)

    def softmax(self, dim, dtype=None):
        x = _float_result(self if dtype is None else self.to(dtype))
        return R.Softmax.apply(x, dim=_norm_dim(dim, x.ndim))

    def log_softmax(self, dim, dtype=None):
        x = _float_result(self if dtype is None else self.to(dtype))
        return R.LogSoftmax.apply(x, dim=_norm_dim(dim, x.ndim))

    def cumsum(self, dim, *, dtype=None):
        x = self.to(to_dtype(dtype)) if dtype is not None else (
            self if self.dtype.is_floating_point else self.to(_dt.int64))
        if x.ndim == 0:
            return x.clone()
        return R.Cumsum.apply(x, dim=_norm_dim(dim, x.ndim))

    def cumprod(self, dim, *, dtype=None):
        x = self.to(to_dtype(dtype)) if dtype is not None else (
            self if self.dtype.is_floating_point else self.to(_dt.int64))
        if x.ndim == 0:
            return x.clone()
        return R.Cumprod.apply(x, dim=_norm_dim(dim, x.ndim))

    def all(self, dim=None, keepdim=False):
        d = _norm_dims(dim, self.ndim)
        r = xp_of(self._data).asarray(self._data.astype(bool).all(axis=d, keepdims=keepdim))
        return _wrap(r.astype(np.uint8) if self._data.dtype == np.uint8 else r)  # uint8 in, uint8 out

    def any(self, dim=None, keepdim=False):
        d = _norm_dims(dim, self.ndim)
        r = xp_of(self._data).asarray(self._data.astype(bool).any(axis=d, keepdims=keepdim))
        return _wrap(r.astype(np.uint8) if self._data.dtype == np.uint8 else r)  # uint8 in, uint8 out

    def count_nonzero(self, dim=None):
        return (self != 0).sum(dim)

    # --- shape and movement ------------------------------------------------------------------------
    def _view_of(self, out):
        """Mark ``out`` as a view of self: shares the version counter, remembers its base and
        the base's graph node at this moment (see ``refresh_view``)."""
        out._ver = self._ver
        base = out._base = self._base if self._base is not None else self
        out._base_fn = base.grad_fn
        return out

    def view(self, *shape):
        """Same data with a new shape (no copy); -1 infers one dimension."""
        if len(shape) == 1 and isinstance(shape[0], _dt.dtype):
            return _wrap(self._data.view(shape[0].np))
        shape = _resolve_shape(_shape_args(shape, "view"), self.numel(), "view", self.shape)
        if not self._data.flags.c_contiguous and shape != self._data.shape:
            try:
                # numpy can view some non-contiguous arrays; PyTorch's rule is stricter but agrees on these
                a = self._data.view()
                a.shape = shape
            except AttributeError:
                raise RuntimeError(
                    f"view size is not compatible with input tensor's size and stride (at least one dimension "
                    f"spans across two contiguous subspaces): view of shape {list(self.shape)} as {list(shape)}. "
                    "Use .reshape(...) instead.") from None
        return self._view_of(M.Reshape.apply(self, shape=shape))

    def view_as(self, other):
        return self.view(other.shape)

    def reshape(self, *shape):
        """Same data with a new shape; a view when possible, else a copy."""
        shape = _resolve_shape(_shape_args(shape, "reshape"), self.numel(), "reshape", self.shape)
        if shape == self._data.shape:
            return self._view_of(M.Reshape.apply(self, shape=shape))
        out = M.Reshape.apply(self, shape=shape)
        if out._data.base is not None and xp_of(self._data).may_share_memory(out._data, self._data):
            self._view_of(out)
        return out

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _norm_dim(start_dim, self.ndim), _norm_dim(end_dim, self.ndim)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape[:s] + (math.prod(self.shape[s:e + 1]),) + self.shape[e + 1:]
        return self.reshape(shape)

    def ravel(self):
        return self.reshape(-1)

    def unflatten(self, dim, sizes):
        d = _norm_dim(dim, self.ndim)
        sizes = _resolve_shape(tuple(sizes), self.shape[d], "unflatten", self.shape)
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])

    def squeeze(self, dim=None):
        if dim is None:
            shape = tuple(s for s in self.shape if s != 1)
        else:
            dims = _norm_dims(dim, self.ndim) or ()
            shape = tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        return self._view_of(_named(M.Reshape.apply(self, shape=shape),
                                    "SqueezeBackward0" if dim is None else "SqueezeBackward1"))

    def unsqueeze(self, dim):
        d = _norm_dim(dim, self.ndim + 1)
        shape = self.shape[:d] + (1,) + self.shape[d:]
        return self._view_of(_named(M.Reshape.apply(self, shape=tuple(shape)), "UnsqueezeBackward0"))

    def permute(self, *dims):
        dims = _shape_args(dims, "permute")
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                               f"the length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} "
                               f"is not equal to len(dims) = {len(dims)}")
        dims = tuple(_norm_dim(d, self.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return self._view_of(M.Permute.apply(self, dims=dims))

    def transpose(self, dim0, dim1):
        n = self.ndim
        if n == 0:
            return self._view_of(M.Reshape.apply(self, shape=()))
        d0, d1 = _norm_dim(dim0, n), _norm_dim(dim1, n)
        dims = list(range(n))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return self._view_of(_named(M.Permute.apply(self, dims=tuple(dims)), "TransposeBackward0"))

    swapaxes = swapdims = transpose

    def t(self):
        """Transpose of a tensor of at most 2 dimensions."""
        nd = self._data.ndim
        if nd == 2:
            out = M.Permute.apply(self, dims=(1, 0))
            if out.grad_fn is not None:
                out.grad_fn.grad_name = "TBackward0"
            return self._view_of(out)
        if nd > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        if nd < 2:
            return self._view_of(M.Reshape.apply(self, shape=self._data.shape))
        return self._view_of(M.Permute.apply(self, dims=(1, 0)))

    @property
    def T(self):
        if self.ndim < 2:
            return self
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                               f"{self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        return self.T

    @property
    def mH(self):
        return self.mT

    def expand(self, *sizes):
        """Broadcast to a larger shape without copying (-1 keeps a dimension)."""
        sizes = _shape_args(sizes, "expand")
        if len(sizes) < self.ndim:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
                               f"to the number of dimensions in the tensor ({self.ndim})")
        lead = len(sizes) - self.ndim
        shape = []
        for i, s in enumerate(sizes):
            cur = self.shape[i - lead] if i >= lead else 1
            if s == -1:
                if i < lead:
                    raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
                s = cur
            elif cur != 1 and cur != s:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) "
                                   f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor "
                                   f"sizes: {list(self.shape)}")
            shape.append(s)
        shape = tuple(shape)
        if shape == self._data.shape:
            return self._view_of(M.Reshape.apply(self, shape=shape))
        out = M.Expand.apply(self, shape=shape)
        if out._data.__class__ is _ndarray and out._data.flags.writeable:  # CuPy's flags have no writeable
            out._data.flags.writeable = False  # elements share memory: writes must go elsewhere
        return self._view_of(out)

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(shape)

    def repeat(self, *reps):
        reps = _shape_args(reps, "repeat")
        if len(reps) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                               "of tensor")
        return M.Repeat.apply(self, reps=reps)

    def tile(self, *reps):
        reps = _shape_args(reps, "tile")
        if len(reps) < self.ndim:
            reps = (1,) * (self.ndim - len(reps)) + reps
        return self.repeat(reps)

    def flip(self, *dims):
        dims = _shape_args(dims, "flip")
        return M.Flip.apply(self, dims=tuple(_norm_dim(d, self.ndim) for d in dims))

    def fliplr(self):
        return self.flip(1)

    def flipud(self):
        return self.flip(0)

    def roll(self, shifts, dims=None):
        if dims is None:
            return M.Roll.apply(self.flatten(), shifts=shifts, dims=0).view(self.shape)
        if isinstance(shifts, (tuple, list)):
            shifts = tuple(shifts)
            dims = tuple(_norm_dim(d, self.ndim) for d in dims)
        else:
            dims = _norm_dim(dims if not isinstance(dims, (tuple, list)) else dims[0], self.ndim)
        return M.Roll.apply(self, shifts=shifts, dims=dims)

    def split(self, split_size_or_sections, dim=0):
        d = _norm_dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, _py_int):
            step = split_size_or_sections
            if step <= 0 and n > 0:
                raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
            sizes = [builtins.min(step, n - i) for i in range(0, n, step)] if n else [0]
        else:
            sizes = [_py_int(s) for s in split_size_or_sections]
            if builtins.sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                                   f"size at dimension {d}), but got split_sizes={sizes}")
        outs = M.Split.apply(self, sizes=tuple(sizes), dim=d)
        return tuple(self._view_of(o) for o in outs) if isinstance(outs, tuple) else (outs,)

    def chunk(self, chunks, dim=0):
        d = _norm_dim(dim, self.ndim)
        n = self.shape[d]
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        if n == 0:  # PyTorch: `chunks` empty pieces
            return self.split([0] * chunks, d)
        return self.split(-(-n // chunks), d)

    def tensor_split(self, indices_or_sections, dim=0):
        d = _norm_dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(indices_or_sections, _py_int):
            k = indices_or_sections
            q, r = divmod(n, k)
            sizes = [q + 1] * r + [q] * (k - r)
        else:
            bounds = [0] + [builtins.min(builtins.max(_py_int(i), 0), n) for i in indices_or_sections] + [n]
            sizes = [builtins.max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
        return self.split(sizes, d)

    def unbind(self, dim=0):
        d = _norm_dim(dim, self.ndim)
        return tuple(p.squeeze(d) for p in self.split(1, d))

    def narrow(self, dim, start, length):
        d = _norm_dim(dim, self.ndim)
        if isinstance(start, Tensor):
            start = start.item()
        size = self.shape[d] if self.ndim else 1
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start}) "
                             f"(narrow along dim {d})")
        if start < 0:
            start += size
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}) "
                               f"(narrow along dim {d})")
        key = (_py_slice(None),) * d + (_py_slice(start, start + length),)
        return self[key]

    def select(self, dim, index):
        d = _norm_dim(dim, self.ndim)
        return self[(_py_slice(None),) * d + (index,)]

    def tril(self, diagonal=0):
        if self.ndim < 2:
            raise RuntimeError(f"tril: input tensor must have at least 2 dimensions (got shape {list(self.shape)})")
        return M.Tril.apply(self, k=diagonal)

    def triu(self, diagonal=0):
        if self.ndim < 2:
            raise RuntimeError(f"triu: input tensor must have at least 2 dimensions (got shape {list(self.shape)})")
        return M.Triu.apply(self, k=diagonal)

    def diag(self, diagonal=0):
        if self.ndim not in (1, 2):
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return M.Diag.apply(self, k=diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal over dims ``dim1`` and ``dim2`` (appended as the last dim); a view, as in PyTorch."""
        d1, d2 = _norm_dim(dim1, self.ndim), _norm_dim(dim2, self.ndim)
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return self._view_of(M.Diagonal.apply(self, offset=offset, dim1=d1, dim2=d2))

    def diagonal_scatter(self, src, offset=0):
        return M.DiagonalScatter.apply(self, src, k=offset)

    def trace(self):
        return self.diagonal().sum()

    def movedim(self, source, destination):
        src = [source] if isinstance(source, _py_int) else list(source)
        dst = [destination] if isinstance(destination, _py_int) else list(destination)
        src = [_norm_dim(s, self.ndim) for s in src]
        dst = [_norm_dim(s, self.ndim) for s in dst]
        order = [i for i in range(self.ndim) if i not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    # --- indexing ----------------------------------------------------------------------------------
    def __getitem__(self, key):
        if key.__class__ is _py_int and self._data.ndim:
            size = self._data.shape[0]
            if not -size <= key < size:
                raise IndexError(f"index {key} is out of bounds for dimension 0 with size {size}")
            k = (key,)
        else:
            k = _convert_key(key, self)
        out = I.GetItem.apply(self, key=k)
        if _is_basic_key(k):
            self._view_of(out)
            if out.grad_fn is not None:
                # PyTorch names a basic index by its last step: an int selects, a slice slices
                last = next((e for e in reversed(k) if e is not Ellipsis and e != _FULL), None)
                if last is None or isinstance(last, _py_slice):
                    out.grad_fn.grad_name = "SliceBackward0"
                elif isinstance(last, _py_int):
                    out.grad_fn.grad_name = "SelectBackward0"
                else:
                    out.grad_fn.grad_name = "UnsqueezeBackward0"
        return out

    def _getitem_key(self, key):
        return I.GetItem.apply(self, key=key)

    def __setitem__(self, key, value):
        if key.__class__ is Tensor and value.__class__ in (_py_int, _py_float) and not (
                self.requires_grad and GradMode.enabled):
            m = key._data
            if m.dtype.kind == "b" and m.shape == self._data.shape and key._device is self._device \
                    and self._data.dtype.kind == "f":
                # the seed's grad_h[h < 0] = 0: a same-shape mask and a number, nothing to record
                # (putmask does the same as boolean-index assignment here, ~40% faster on numpy)
                xp_of(m).putmask(self._data, m, value)
                self._ver[0] += 1
                return
        k = _convert_key(key, self)
        if isinstance(value, Tensor):
            if value._device != self._device:
                if value._device.type == "cpu" and value.ndim == 0:
                    value = value.to(self._device)
                else:
                    device_mismatch("index_put_", (self, value))
        if GradMode.enabled and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
            _check_inplace(self, "index_put_", value.dtype if isinstance(value, Tensor) else self.dtype)
            v = value if isinstance(value, Tensor) else _scalar_tensor(value, self)
            if v.dtype is not self.dtype:
                v = v.to(self.dtype)
            src = _graph_alias(self)
            _commit_inplace(self, I.IndexPut.apply(src, v, key=k))
            return
        if self.requires_grad and self.grad_fn is None and GradMode.enabled:
            raise RuntimeError(_LEAF_INPLACE.format(op="index_put_"))
        if isinstance(value, Tensor):
            value = value._data  # converted to self's dtype, as PyTorch's x[k] = v does
        else:
            value = _fit_int(value, self.dtype)
        try:
            self._data[k] = value
        except ValueError as e:
            raise RuntimeError(f"index_put_: shape mismatch: value tensor of shape "
                               f"{list(np.shape(value))} cannot be broadcast to indexing result "
                               f"({e})") from None
        self._ver[0] += 1

    def index_put_key(self, key, values, accumulate=False):
        """Out-of-place index_put with an already converted key (used by backward formulas)."""
        if not isinstance(values, Tensor):
            values = _scalar_tensor(values, self)
        return I.IndexPut.apply(self, values.to(self.dtype) if values.dtype is not self.dtype else values,
                                key=key, accumulate=accumulate)

    def index_put(self, indices, values, accumulate=False):
        _check_index_put_dtype(self, values)
        return self.index_put_key(_convert_key(tuple(indices), self), values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        _check_index_put_dtype(self, values)
        if not accumulate:
            self[tuple(indices)] = values
            return self
        return _inplace_unary(self, Tensor.index_put, "index_put_", indices=indices, values=values,
                              accumulate=True)

    def gather(self, dim, index):
        d = _norm_dim(dim, self.ndim)
        _check_scatter_index("gather", self, d, index)
        return I.Gather.apply(self, index, dim=d)

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        d = _norm_dim(dim, self.ndim)
        if src is None:
            src = value
        if not isinstance(src, Tensor):
            src = _scalar_tensor(src, self).to(self.dtype)
        _check_scatter_index("scatter", self, d, index)
        return I.Scatter.apply(self, index, src.to(self.dtype), dim=d, reduce=reduce)

    def scatter_add(self, dim, index, src):
        d = _norm_dim(dim, self.ndim)
        _check_scatter_index("scatter_add", self, d, index)
        return I.ScatterAdd.apply(self, index, src.to(self.dtype), dim=d)

    def index_select(self, dim, index):
        d = _norm_dim(dim, self.ndim)
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if self.ndim == 0:
            if index.numel() != 1:
                raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.numel()} "
                                   "value(s)")
            return self.reshape(1).index_select(0, index.reshape(1)).reshape(())
        _check_index_array(index._data, self, d)
        return I.IndexSelect.apply(self, index.reshape(-1), dim=d)

    def index_add(self, dim, index, source, *, alpha=1):
        d = _norm_dim(dim, self.ndim)
        return I.IndexAdd.apply(self, index, source.to(self.dtype), dim=d, alpha=alpha)

    def index_fill(self, dim, index, value):
        d = _norm_dim(dim, self.ndim)
        key = (_py_slice(None),) * d + (index,)
        return self.index_put_key(_convert_key(key, self), value)

    def masked_fill(self, mask, value):
        """Where ``mask`` is True, take ``value``; elsewhere keep self (broadcasting)."""
        if not isinstance(mask, Tensor) or mask.dtype is not _dt.bool:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}")
        if not isinstance(value, Tensor):
            value = _scalar_tensor(value, self)
        return _named(where(mask, value.to(self.dtype), self), "MaskedFillBackward0")

    def masked_select(self, mask):
        a, m = broadcast_tensors(self, mask)
        return a[m]

    def masked_scatter(self, mask, source):
        a, m = broadcast_tensors(self, mask)
        n = _py_int(m.sum())
        return a.index_put((m,), source.reshape(-1)[:n])

    def take(self, index):
        return self.reshape(-1)[index]

    def nonzero(self, *, as_tuple=False):
        xp = xp_of(self._data)
        idx = xp.nonzero(self._data)
        if as_tuple:
            return tuple(_wrap(i.astype(np.int64)) for i in idx)
        return _wrap(xp.stack(idx, axis=1).astype(np.int64) if idx else
                     xp.zeros((0, 0), dtype=np.int64))  # on self's device (np.zeros made a CPU tensor)

    def argwhere(self):
        return self.nonzero()

    # --- linear algebra -----------------------------------------------------------------------
    def matmul(self, other):
        return matmul(self, other)

    def mm(self, mat2):
        """Matrix product of two 2-D tensors."""
        return mm(self, mat2)

    def bmm(self, mat2):
        return bmm(self, mat2)

    def mv(self, vec):
        return mv(self, vec)

    def dot(self, other):
        return dot(self, other)

    inner = dot

    def outer(self, other):
        return outer(self, other)

    ger = outer

    # --- in-place variants -----------------------------------------------------------------------
    def add_(self, other, *, alpha=1):
        return self.__iadd__(other * alpha if alpha != 1 else other)

    def sub_(self, other, *, alpha=1):
        return self.__isub__(other * alpha if alpha != 1 else other)

    def mul_(self, other):
        return self.__imul__(other)

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is not None:
            return _inplace_unary(self, Tensor.div, "div_", other=other, rounding_mode=rounding_mode)
        return self.__itruediv__(other)

    def pow_(self, exponent):
        return _inplace_unary(self, Tensor.pow, "pow_", exponent=exponent)

    def zero_(self):
        """Fill with zeros in place."""
        return self.fill_(0)

    def fill_(self, value):
        """Fill with ``value`` in place."""
        if isinstance(value, Tensor):
            value = value.item()
        if GradMode.enabled and self.requires_grad:
            _check_inplace(self, "fill_", self.dtype)
            return _commit_inplace(self, _Fill.apply(_graph_alias(self), value=value))
        self._data.fill(value)
        self._ver[0] += 1
        return self

    def clamp_(self, min=None, max=None):
        return _inplace_unary(self, Tensor.clamp, "clamp_", min=min, max=max)

    clip_ = clamp_

    def copy_(self, src, non_blocking=False):
        """Copy ``src`` (broadcast, converted to this dtype and device) into self in place."""
        if not isinstance(src, Tensor):
            src = tensor(src)
        if src._device != self._device:
            src = src.to(self._device)
        if GradMode.enabled and (self.requires_grad or src.requires_grad):
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(_LEAF_INPLACE.format(op="copy_"))
            r = src.to(self.dtype).expand(self.shape)
            return _commit_inplace(self, r + _graph_alias(self) * 0 if self.requires_grad else r)
        try:
            xp_of(self._data).copyto(self._data, xp_of(self._data).broadcast_to(src._data, self._data.shape),
                                     casting="unsafe")
        except ValueError:
            raise RuntimeError(f"copy_: the source of shape {list(src.shape)} cannot be broadcast to the "
                               f"destination of shape {list(self.shape)}") from None
        self._ver[0] += 1
        return self

    def masked_fill_(self, mask, value):
        return _inplace_unary(self, Tensor.masked_fill, "masked_fill_", mask=mask, value=value)

    def index_fill_(self, dim, index, value):
        return _inplace_unary(self, Tensor.index_fill, "index_fill_", dim=dim, index=index, value=value)

    def index_add_(self, dim, index, source, *, alpha=1):
        return _inplace_unary(self, Tensor.index_add, "index_add_", dim=dim, index=index, source=source,
                              alpha=alpha)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return _inplace_unary(self, Tensor.scatter, "scatter_", dim=dim, index=index, src=src, value=value,
                              reduce=reduce)

    def scatter_add_(self, dim, index, src):
        return _inplace_unary(self, Tensor.scatter_add, "scatter_add_", dim=dim, index=index, src=src)

    def lerp_(self, end, weight):
        return _inplace_unary(self, Tensor.lerp, "lerp_", end=end, weight=weight)

    def addcmul_(self, t1, t2, *, value=1):
        return _inplace_unary(self, Tensor.addcmul, "addcmul_", t1=t1, t2=t2, value=value)

    def addcdiv_(self, t1, t2, *, value=1):
        return _inplace_unary(self, Tensor.addcdiv, "addcdiv_", t1=t1, t2=t2, value=value)

    def maximum_(self, other):
        return _inplace_unary(self, Tensor.maximum, "maximum_", other=other)

    def tril_(self, diagonal=0):
        return _inplace_unary(self, Tensor.tril, "tril_", diagonal=diagonal)

    def triu_(self, diagonal=0):
        return _inplace_unary(self, Tensor.triu, "triu_", diagonal=diagonal)

    def t_(self):
        self._data = self._data.T
        return self

    def squeeze_(self, dim=None):
        self._data = self.squeeze(dim)._data
        return self

    def unsqueeze_(self, dim):
        self._data = self.unsqueeze(dim)._data
        return self

    def resize_(self, *sizes):
        shape = _shape_args(sizes)
        n = math.prod(shape)
        flat = self._data.reshape(-1)
        new = xp_of(self._data).zeros(n, dtype=self._data.dtype)
        new[:builtins.min(n, flat.size)] = flat[:n]
        self._data = new.reshape(shape)
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from . import random
        return self._fill_random(random.normal_array(self.shape, mean, std, self.dtype, self.device, generator))

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        from . import random
        return self._fill_random(random.uniform_array(self.shape, a, b, self.dtype, self.device, generator))

    def random_(self, low=0, high=None, *, generator=None):
        from . import random
        if high is None:
            low, high = 0, low if low else (2 ** 24 if self.dtype.is_floating_point else 2 ** 31)
        return self._fill_random(random.randint_array(low, high, self.shape, self.dtype, self.device, generator))

    def bernoulli_(self, p=0.5, *, generator=None):
        from . import random
        u = random.uniform_array(self.shape, 0.0, 1.0, _dt.float64 if not isinstance(p, Tensor) else p.dtype,
                                 self.device, generator)
        pp = p._data if isinstance(p, Tensor) else p
        return self._fill_random((u < pp).astype(self._data.dtype))

    def exponential_(self, lambd=1.0, *, generator=None):
        from . import random
        u = random.uniform_array(self.shape, 0.0, 1.0, self.dtype, self.device, generator)
        return self._fill_random(-xp_of(u).log1p(-u) / lambd)

    def _fill_random(self, arr):
        if GradMode.enabled and self.requires_grad and self.grad_fn is None:
            raise RuntimeError(_LEAF_INPLACE.format(op="random fill"))
        self._data[...] = arr
        self._ver[0] += 1
        return self

    def apply_(self, fn):
        flat = self._data.reshape(-1)
        for i in range(flat.size):
            flat[i] = fn(flat[i].item())
        return self

    # --- sorting (implemented in ops/sort.py) ----------------------------------------------------------
    def sort(self, dim=-1, descending=False, stable=False):
        from .ops.sort import sort
        return sort(self, dim=dim, descending=descending, stable=stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable)[1]

    def topk(self, k, dim=-1, largest=True, sorted=True):
        from .ops.sort import topk
        return topk(self, k, dim=dim, largest=largest, sorted=sorted)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        from .ops.sort import unique
        return unique(self, sorted=sorted, return_inverse=return_inverse, return_counts=return_counts, dim=dim)

    def kthvalue(self, k, dim=-1, keepdim=False):
        from .ops.sort import kthvalue
        return kthvalue(self, k, dim, keepdim)

    def median(self, dim=None, keepdim=False):
        from .ops.sort import median
        return median(self, dim, keepdim)


_elementwise_inplace = ["neg", "abs", "sign", "exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
                        "sin", "cos", "tan", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "trunc",
                        "reciprocal", "square", "frac", "nan_to_num", "logical_not", "clamp_min", "clamp_max",
                        "fmod", "remainder", "minimum", "logical_and", "logical_or", "where"]


def _make_inplace(name):
    fn = getattr(Tensor, name)

    def method(self, *args, **kwargs):
        return _inplace_unary(self, lambda s: fn(s, *args, **kwargs), name + "_")
    method.__name__ = name + "_"
    method.__doc__ = f"In-place version of :meth:`{name}`."
    return method


for _n in _elementwise_inplace:
    setattr(Tensor, _n + "_", _make_inplace(_n))


def _check_sub(a, b):
    """PyTorch refuses subtraction with bool operands (a mask minus something is almost always a bug)."""
    if a._data.dtype.kind != "b" and not (b.__class__ is Tensor and b._data.dtype.kind == "b") and \
            b.__class__ is not _py_bool and not isinstance(b, (np.bool_, Tensor)):
        return
    if a.dtype is _dt.bool or (b.dtype is _dt.bool if isinstance(b, Tensor) else isinstance(b, (_py_bool, np.bool_))):
        if a.dtype is _dt.bool and isinstance(b, Tensor) and b.dtype is _dt.bool:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
                               "or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


def _check_index_put_dtype(x, values):
    """index_put(_) (unlike ``x[k] = v``, which converts) wants a source of the destination's dtype."""
    if isinstance(values, Tensor) and values.dtype is not x.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_type_name(x.dtype)} for the destination and {_type_name(values.dtype)} for the source.")


def _check_scatter_index(op, x, d, index):
    if not isinstance(index, Tensor) or index.dtype not in (_dt.int64, _dt.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index"
                           + (f", got {index.dtype}" if isinstance(index, Tensor) else ""))
    if index.ndim != x.ndim and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor "
                           f"({op}: index shape {list(index.shape)}, input shape {list(x.shape)})")
    if index.numel():
        hi, lo = _py_int(index._data.max()), _py_int(index._data.min())
        size = x.shape[d] if x.ndim else 1
        if hi >= size or lo < -size:
            raise RuntimeError(f"{op}(): index {hi if hi >= size else lo} is out of bounds for dimension {d} "
                               f"with size {size}")


def _resolve_shape(shape, numel, op, old):
    """Fill in one -1 and check that the element count matches."""
    if -1 in shape:
        if shape.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif math.prod(shape) != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} ({op} of a tensor of "
                           f"shape {list(old)})")
    for s in shape:
        if s < 0:
            raise RuntimeError(f"invalid shape dimension {s}")
    return shape


# --- helper ops defined here because they are about Tensors themselves ------------

class _Clone(E.Op):
    grad_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class _Fill(E.Op):
    grad_name = "FillBackward0"

    @staticmethod
    def forward(ctx, x, value=0):
        return xp_of(x).full_like(x, value)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class _ToDevice(E.Op):
    grad_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, device=None):
        ctx.src = CPU if isinstance(x, np.ndarray) else _cuda_device_of(x)
        if device.type == "cpu":
            return to_host(x)
        return cuda_array(x, device)  # host->GPU, or a copy from another GPU

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.src)


def _zeros_for_output(node, i):
    """A zero gradient for output ``i`` of ``node`` (when only some outputs got a gradient)."""
    meta = getattr(node, "_out_meta", None)
    if meta is not None:
        shape, dtype, device = meta[i]
        return zeros(shape, dtype=dtype, device=device)
    raise RuntimeError(f"{node.name()}: missing gradient for output {i}")


def ones_like_for_grad(t):
    return _wrap(xp_of(t._data).ones(t._data.shape, dtype=t._data.dtype))


# --- functions of the public namespace that the methods above use ------------------

_PY_LEAF = (_py_bool, _py_int, _py_float)


def _leaf_types(data):
    """The set of types of the non-sequence leaves of nested lists/tuples (one C-level pass per level)."""
    types = set()
    stack = [data]
    while stack:
        seq = stack.pop()
        ts = set(map(type, seq))
        if list in ts or tuple in ts:
            stack.extend(v for v in seq if v.__class__ is list or v.__class__ is tuple)
            ts.discard(list)
            ts.discard(tuple)
        types |= ts
    return types


def _scalar_type_dtype(t):
    """The dtype one leaf of nested data contributes: Python bool/int/float, or a numpy scalar's own."""
    if t is _py_bool:
        return _dt.bool
    if t is _py_int:
        return _dt.int64
    if t is _py_float:
        return _dt.get_default_dtype()
    if isinstance(t, type) and issubclass(t, np.generic):
        return from_numpy_dtype(np.dtype(t))
    if isinstance(t, np.ndarray):  # an array leaf (see _infer_dtype): its own dtype
        return from_numpy_dtype(t.dtype)
    if isinstance(t, type) and issubclass(t, (_py_int, _py_float)):  # int/float subclasses (e.g. IntEnum)
        return _dt.int64 if issubclass(t, _py_int) else _dt.get_default_dtype()
    raise TypeError(f"tensor(): could not infer dtype: invalid data type '{t.__name__}'")


def _infer_dtype(data, types=None):
    """The dtype PyTorch gives Python data: bool, int64 or the default float for Python numbers; numpy
    scalars keep their dtype (``tensor(np.float64(1))`` is float64), and mixed leaves promote."""
    if isinstance(data, np.generic):
        return from_numpy_dtype(data.dtype)
    if isinstance(data, (list, tuple)):
        types = _leaf_types(data) if types is None else types
        if not types:
            return _dt.get_default_dtype()  # tensor([]) and tensor([[]])
        if np.ndarray in types:  # lists of arrays: each array contributes its dtype
            types = list(types - {np.ndarray}) + [a for a in _flat_iter(data) if a.__class__ is np.ndarray]
        d = None
        for t in types:
            td = _scalar_type_dtype(t)
            d = td if d is None else _dt.promote_types(d, td)
        return d
    if data.__class__ in _PY_LEAF:
        return _scalar_type_dtype(data.__class__)
    a = np.asarray(data)
    if a.dtype == np.bool_:
        return _dt.bool
    if a.dtype.kind in "iu":
        return _dt.int64
    if a.dtype.kind == "f":
        return _dt.get_default_dtype()
    raise TypeError(f"tensor(): could not infer dtype of data of type {type(data).__name__} "
                    f"(numpy sees {a.dtype})")


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Constructs a tensor by copying ``data`` (a number, nested lists, numpy array or tensor).

    Example::

        >>> ember.tensor([[1., -1.], [1., -1.]])
        tensor([[ 1., -1.],
                [ 1., -1.]])
    """
    dev = to_device(device)
    if data.__class__ not in _HOST_DATA and not isinstance(data, (Tensor, np.ndarray)) and _dlpack_on_cuda(data):
        # a CuPy array or CUDA PyTorch tensor: np.from_dlpack refuses GPU memory, so wrap it (zero-copy)
        # and copy it as a Tensor, GPU to GPU; without a device it stays on its GPU, as in PyTorch
        from .interop import from_dlpack
        data = from_dlpack(data.detach() if hasattr(data, "detach") else data)
        if device is None:
            dev = data._device
    if isinstance(data, Tensor):
        t = data.detach().to(dev, dtype=dtype, copy=True) if dtype is not None else data.detach().to(dev).clone()
        t = t.detach()
    else:
        types = _leaf_types(data) if isinstance(data, (list, tuple)) else None
        if not isinstance(data, (np.ndarray, list, tuple)) and hasattr(data, "__dlpack__"):
            data = _from_foreign(data)  # a PyTorch/CuPy/... tensor: keeps its dtype, like a numpy array
        if isinstance(data, np.ndarray):
            d = to_dtype(dtype) if dtype is not None else from_numpy_dtype(data.dtype)
            arr = np.array(data, dtype=d.np)
        elif types is not None and builtins.any(issubclass(t, Tensor) for t in types):
            arr = np.array([_tensor_leaf_value(x) for x in data])
            d = to_dtype(dtype) if dtype is not None else (from_numpy_dtype(arr.dtype) if arr.dtype.kind == "f"
                                                           and arr.dtype != np.float64 else _infer_dtype(arr))
            arr = arr.astype(d.np)
        else:
            d = to_dtype(dtype) if dtype is not None else _infer_dtype(data, types)
            try:
                arr = np.array(data, dtype=d.np)
            except (ValueError, TypeError, OverflowError) as e:
                raise ValueError(f"tensor(): could not build a {d} tensor from the given data: {e}") from None
        if dev is not CPU:
            arr = cuda_array(arr, dev)  # on dev.index, not on whichever GPU is current
        t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


_HOST_DATA = frozenset((Tensor, np.ndarray, list, tuple, _py_int, _py_float, _py_bool))


def _dlpack_on_cuda(obj):
    """Whether ``obj`` exports GPU memory through DLPack (kDLCUDA or kDLCUDAHost)."""
    dev = getattr(obj, "__dlpack_device__", None)
    if dev is None:
        return False
    try:
        return int(dev()[0]) in (2, 3)
    except Exception:
        return False


def _from_foreign(obj):
    """A numpy view of another library's CPU tensor through DLPack (detached first if it needs grad)."""
    try:
        return np.from_dlpack(obj)
    except (BufferError, RuntimeError):
        if hasattr(obj, "detach"):
            return np.from_dlpack(obj.detach())
        raise


def _flat_iter(data):
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            yield x


def _tensor_leaf_value(x):
    if isinstance(x, Tensor):
        return to_host(x._data)
    if isinstance(x, (list, tuple)):
        return np.array([_tensor_leaf_value(v) for v in x])
    return x


def _creation_shape(size, op):
    """The shape asked of a factory (zeros, rand, ...): varargs, a tuple, list or Size of ints >= 0."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = tuple(size)
    for s in shape:
        if s.__class__ is not _py_int or s < 0:
            break
    else:
        return shape  # the common case: plain non-negative ints
    try:
        shape = tuple(operator.index(s) for s in shape)  # ints, numpy ints, 1-element integer tensors
    except TypeError:
        bad = next(s for s in shape if not hasattr(s, "__index__") or isinstance(s, (_py_float, np.floating)))
        raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element of type "
                        f"{type(bad).__name__} ({bad!r})") from None
    neg = next((s for s in shape if s < 0), None)
    if neg is not None:
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {list(shape)}")
    return shape


def _factory(fill, size, dtype, device, requires_grad, op):
    shape = _creation_shape(size, op)
    dt = to_dtype(dtype)
    dev = to_device(device)
    xp = np if dev is CPU else xp_for(dev)
    with device_guard(dev):  # cuda:1 allocates on GPU 1 whatever the current device
        if fill is None:
            arr = xp.empty(shape, dtype=dt.np)
        elif fill == 0:
            arr = xp.zeros(shape, dtype=dt.np)
        else:
            arr = xp.full(shape, fill, dtype=dt.np)
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A tensor of zeros of the given shape."""
    return _factory(0, size, dtype, device, requires_grad, "zeros")


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A tensor of ones of the given shape."""
    return _factory(1, size, dtype, device, requires_grad, "ones")


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    """An uninitialised tensor of the given shape."""
    return _factory(None, size, dtype, device, requires_grad, "empty")


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value when not given)."""
    if dtype is None:
        dtype = _dt.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    t = _factory(None, (size,) if isinstance(size, _py_int) else size, dtype, device, False, "full")
    t._data.fill(fill_value)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _like(fn, t, dtype, device, requires_grad, *args):
    return fn(*args, t.shape, dtype=dtype if dtype is not None else t.dtype,
              device=device if device is not None else t.device, requires_grad=requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(empty, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return full(input.shape, fill_value, dtype=dtype if dtype is not None else input.dtype,
                device=device if device is not None else input.device, requires_grad=requires_grad)


def where(condition, input=None, other=None):
    """Elementwise ``input if condition else other``; with one argument, ``condition.nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(condition, Tensor):
        condition = tensor(condition)
    if condition.dtype is not _dt.bool:
        condition = condition.to(_dt.bool)
    like = input if isinstance(input, Tensor) else (other if isinstance(other, Tensor) else condition)
    a = input if isinstance(input, Tensor) else _scalar_tensor(input, like if isinstance(like, Tensor) and
                                                              like is not condition else _wrap(np.zeros(0, np.float32 if isinstance(input, _py_float) else np.int64)))
    b = other if isinstance(other, Tensor) else _scalar_tensor(other, a)
    if a.dtype is not b.dtype:
        rt = result_type(a, b)
        a, b = a.to(rt), b.to(rt)
    try:
        return E.Where.apply(condition, a, b)
    except ValueError:
        raise RuntimeError(f"where: shapes {list(condition.shape)}, {list(a.shape)} and {list(b.shape)} do not "
                           "broadcast together") from None


def _check_matmul(op, a, b, inner_a, inner_b):
    if a.shape[inner_a] != b.shape[inner_b]:
        raise RuntimeError(f"{op}: cannot multiply {tuple(a.shape)} by {tuple(b.shape)}: inner dims "
                           f"{a.shape[inner_a]} != {b.shape[inner_b]}")


def _same_dtype(op, a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{op}: expected both operands to have the same dtype, but got {a.dtype} and "
                           f"{b.dtype}; convert one with .to(dtype)")


def mm(input, mat2):
    """Matrix product of two 2-D tensors: (n, m) @ (m, p) -> (n, p)."""
    a, b = input._data, mat2._data
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype is b.dtype:
        return L.MatMul.apply(input, mat2)  # the common case, checked on raw shapes
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    _check_matmul("mm", input, mat2, 1, 0)
    _same_dtype("mm", input, mat2)
    return L.MatMul.apply(input, mat2)


def bmm(input, mat2):
    """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p)."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expected 3-D tensors, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {tuple(input.shape)} and {tuple(mat2.shape)}")
    _check_matmul("bmm", input, mat2, 2, 1)
    _same_dtype("bmm", input, mat2)
    return L.MatMul.apply(input, mat2)


def matmul(input, other):
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading dims broadcast."""
    if other.__class__ is Tensor:
        a, b = input._data, other._data
        if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype is b.dtype:
            return L.MatMul.apply(input, other)
    if not isinstance(other, Tensor):
        other = tensor(other, dtype=input.dtype, device=input.device)
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got {input.ndim}D and "
                           f"{other.ndim}D tensors")
    _same_dtype("matmul", input, other)
    _check_matmul("matmul", input, other, -1, -2 if other.ndim > 1 else 0)
    a, b = input, other
    if a.ndim == 1 and b.ndim == 1:
        return L.MatMul.apply(a.unsqueeze(0), b.unsqueeze(1)).reshape(())
    if a.ndim == 1:
        return L.MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
    if b.ndim == 1:
        return L.MatMul.apply(a, b.unsqueeze(1)).squeeze(-1)
    try:
        return L.MatMul.apply(a, b)
    except ValueError:
        raise RuntimeError(f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} do not "
                           "broadcast") from None


def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a 2-D matrix and a 1-D vector, got shapes {tuple(input.shape)} and "
                           f"{tuple(vec.shape)}")
    _check_matmul("mv", input, vec, 1, 0)
    return matmul(input, vec)


def dot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements, but got {input.shape[0]} "
                           f"and {other.shape[0]} elements respectively")
    return matmul(input, other)


def outer(input, vec2):
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "->" not in eq:
        ins = eq.split(",")
        counts = {}
        for c in "".join(ins):
            if c.isalpha():
                counts[c] = counts.get(c, 0) + 1
        # implicit output: the broadcast (ellipsis) dims, then the letters used once, sorted
        eq = eq + "->" + ("..." if "..." in eq else "") + "".join(sorted(c for c, n in counts.items() if n == 1))
    if "..." in eq:
        eq = _expand_ellipsis(eq, operands)
    ins = eq.split("->")[0].split(",")
    if len(ins) != len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation "
                           f"({len(operands)} operands for {len(ins)} subscripts)")
    for s, op in zip(ins, operands):
        if len(s) != op.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) does not match "
                               f"the number of dimensions ({op.ndim}) for operand {ins.index(s)}")
    out_sub = eq.split("->")[1]
    for c in out_sub:
        if out_sub.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
    seen = {}
    for i, (s, op) in enumerate(zip(ins, operands)):
        for c, n in zip(s, op.shape):
            m = seen.setdefault(c, n)
            if m == 1:
                seen[c] = n
            elif n != m and n != 1:  # size-1 dims broadcast, as in PyTorch
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not "
                                   f"broadcast with previously seen size {seen[c]} (equation {equation!r}, "
                                   f"shapes {[tuple(o.shape) for o in operands]})")
    dt = operands[0].dtype
    for o in operands[1:]:
        dt = _dt.promote_types(dt, o.dtype)
    operands = [o.to(dt) for o in operands]
    return L.Einsum.apply(*operands, equation=eq)


def _expand_ellipsis(eq, operands):
    ins, out = eq.split("->")
    ins = ins.split(",")
    used = set(c for c in eq if c.isalpha())
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    nell = max(op.ndim - (len(s) - 3) for s, op in zip(ins, operands) if "..." in s)
    ell = "".join(free[:nell])
    new_ins = []
    for s, op in zip(ins, operands):
        if "..." in s:
            k = op.ndim - (len(s) - 3)
            s = s.replace("...", ell[nell - k:])
        new_ins.append(s)
    out = out.replace("...", ell)
    return ",".join(new_ins) + "->" + out


def cat(tensors, dim=0, *, out=None):
    """Concatenate tensors along an existing dimension."""
    tensors = [t for t in tensors]
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    # PyTorch skips 1-D empty tensors in cat (legacy behaviour)
    nonempty = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]
    if not nonempty:
        return tensors[0].clone()
    tensors = nonempty
    ref = tensors[0]
    d = _norm_dim(dim, ref.ndim)
    dt = ref.dtype
    for t in tensors[1:]:
        if t.dtype is not dt:
            dt = _dt.promote_types(dt, t.dtype)
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    tensors = [t if t.dtype is dt else t.to(dt) for t in tensors]
    return M.Cat.apply(*tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Stack tensors of equal shape along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(t.shape)} at entry {i}")
    d = _norm_dim(dim, len(shape) + 1)
    return _named(cat([t.unsqueeze(d) for t in tensors], d), "StackBackward0")


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def broadcast_shapes(*shapes):
    try:
        return Size(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{[list(s) for s in shapes]}") from None


def _range_scalar(v):
    """A bound of arange/linspace as a Python number (0-d tensors and numpy scalars too)."""
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, np.generic):
        v = v.item()
    return v


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) spaced by ``step``.

    int64 when all three are integers, else the default float dtype. With an integer ``dtype``
    the bounds and step are truncated to integers first, as in PyTorch.
    """
    if end is None:
        start, end = 0, start
    vals = [_range_scalar(v) for v in (start, end, step)]
    if dtype is None:
        dtype = _dt.int64 if all(isinstance(v, _py_int) for v in vals) else _dt.get_default_dtype()
    dt = to_dtype(dtype)
    if dt is _dt.bool:
        raise NotImplementedError('"arange_cpu" not implemented for \'Bool\'')
    if not all(math.isfinite(v) for v in vals):
        raise RuntimeError(f"arange: unsupported range: {vals[0]} -> {vals[1]} (step {vals[2]}); the bounds "
                           "and step must be finite")
    if not dt.is_floating_point:
        vals = [_py_int(v) for v in vals]
    lo, hi, st = vals
    if st == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (st > 0 and hi < lo) or (st < 0 and hi > lo):
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                           f"(start={lo}, end={hi}, step={st})")
    if dt.is_floating_point:
        n = math.ceil((hi - lo) / st)
        arr = (np.arange(n, dtype=np.float64) * st + lo).astype(dt.np)
    else:
        arr = np.arange(lo, hi, st, dtype=np.int64).astype(dt.np)
    t = tensor(arr, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _fma(a, b, c):
    """``a * b + c`` rounded once, in float64 arrays (Dekker's exact product plus a compensated sum).

    PyTorch's CPU kernels compile ``start + step * i`` to a fused multiply-add; plain numpy
    rounds twice and lands one ulp off in about half of the places.
    """
    def split(x):
        t = 134217729.0 * x  # 2**27 + 1
        hi = t - (t - x)
        return hi, x - hi
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    return s + (((p - (s - bb)) + (c - bb)) + err)


def _linspace_values(lo, hi, steps, dt):
    """PyTorch's linspace values: the first half counts up from ``lo``, the second half down from ``hi``
    (so both ends are exact), with the step and arithmetic in the dtype's own precision."""
    if steps == 1:
        return np.array([lo], dtype=np.float64).astype(dt.np)
    i = np.arange(steps)
    j = (steps - 1) - i
    first = i < steps // 2
    if dt is _dt.float16:
        f = np.float16
        a, b = f(lo), f(hi)
        step = (b - a) / f(steps - 1)
        return np.where(first, a + step * i.astype(f), b - step * j.astype(f))
    if dt is _dt.float32:
        a, b = np.float32(lo), np.float32(hi)
        step = np.float64((b - a) / np.float32(steps - 1))
        # a float32 step times an index is exact in float64, so this rounds like an FMA would
        vals = np.where(first, step * i + np.float64(a), np.float64(b) - step * j)
        return vals.astype(np.float32)
    a, b = np.float64(lo), np.float64(hi)
    step = (b - a) / np.float64(steps - 1)
    vals = np.where(first, _fma(np.full(steps, step), i.astype(np.float64), np.full(steps, a)),
                    _fma(np.full(steps, -step), j.astype(np.float64), np.full(steps, b)))
    return vals if dt is _dt.float64 else np.trunc(vals).astype(dt.np)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (the same values as PyTorch)."""
    dt = to_dtype(dtype)
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    if dt is _dt.bool:
        raise NotImplementedError('"linspace_cpu" not implemented for \'Bool\'')
    lo, hi = (_range_scalar(v) for v in (start, end))
    if steps == 0:
        return tensor(np.zeros(0, dtype=dt.np), device=device, requires_grad=requires_grad)
    if not dt.is_floating_point or (dt is _dt.float16 and steps > 1):
        # the ends are converted to the dtype first (integers truncate), and must fit in it
        info = np.finfo(dt.np) if dt.is_floating_point else np.iinfo(dt.np)
        for v in ((lo, hi) if steps > 1 else (lo,)):
            checked = isinstance(v, _py_float) or dt.is_floating_point
            if checked and not _py_float(info.min) <= v <= _py_float(info.max):
                raise RuntimeError(f"linspace: value {v} cannot be converted to type {dt.name} without overflow")
        if not dt.is_floating_point:  # Python ints wrap around, as in a cast
            lo, hi = (_py_int(np.array(_py_int(v), dtype=np.int64).astype(dt.np)) for v in (lo, hi))
    arr = _linspace_values(lo, hi, steps, dt)
    t = tensor(arr.astype(dt.np, copy=False), device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    return (base ** linspace(start, end, steps, dtype=_dt.float64)).to(to_dtype(dtype), device=device)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A 2-D tensor with ones on the diagonal."""
    dt = to_dtype(dtype)
    m = n if m is None else m
    for name, v in (("n", n), ("m", m)):
        if isinstance(v, (_py_float, np.floating)):
            raise TypeError(f"eye(): argument '{name}' must be int, not {type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {v}")
    t = tensor(np.eye(operator.index(n), operator.index(m), dtype=dt.np), device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """A tensor sharing memory with a numpy array (changes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    from_numpy_dtype(ndarray.dtype)
    if ndarray.__class__ is not np.ndarray:  # np.memmap, np.matrix, ...: a base-class view (same memory);
        ndarray = ndarray.view(np.ndarray)   # _wrap takes any other array class for a CUDA one
    return _wrap(ndarray)


def as_tensor(data, dtype=None, device=None):
    """Convert ``data`` to a tensor, sharing memory when it already is one (or a numpy array) of that dtype and
    device."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and (dtype is None or to_dtype(dtype).np == data.dtype) and \
            to_device(device) is CPU:
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def _legacy_types():
    """ember.FloatTensor(...) and friends: callables that build tensors of one dtype."""
    def make(dt):
        class _Meta(type):
            def __instancecheck__(cls, obj):
                return isinstance(obj, Tensor) and obj.dtype is dt

        class Legacy(metaclass=_Meta):
            def __new__(cls, *args):
                if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
                    return tensor(args[0], dtype=dt)
                return zeros(*args, dtype=dt)
        Legacy.__name__ = dt._pt_name
        return Legacy
    return tuple(make(d) for d in (_dt.float32, _dt.float64, _dt.float16, _dt.int64, _dt.int32, _dt.int16,
                                   _dt.int8, _dt.uint8, _dt.bool))

"""Graph nodes and the one path every op takes: :meth:`Function.apply`.

An op is a :class:`Function` subclass. ``forward(ctx, *arrays, **attrs)`` runs on
raw arrays through ``xp`` (numpy or cupy); ``backward(ctx, *grads)`` is written in
ember Tensor ops, so running it with grad mode on (``create_graph=True``) records
the graph of the gradient itself and higher-order gradients come for free.

The ``ctx`` of a call is the graph node: one object per recorded op. Built-in ops
declare what they keep for backward with the class attributes ``save_inputs``
(indices of inputs) and ``save_output``; that bookkeeping is done here, only when
the graph is recorded, so forward code stays pure math.
"""
import itertools
import weakref

from .grad_mode import GradMode

__all__ = ["Function", "Node", "FunctionCtx", "once_differentiable"]

_SAVED_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after "
                "they have already been freed). Saved intermediate values of the graph are freed when you call "
                ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved tensors after calling backward.")


class Node:
    """A recorded op. Holds the edges to the nodes of its inputs and what backward needs.

    ``next`` is a tuple with one entry per input: ``(node, output_nr)`` for inputs
    that require grad, else None. ``_seq`` is the node's creation number.
    """

    # Set on every recorded node, so slots (no defaults); the rest defaults on the class.
    __slots__ = ("next", "_seq", "__dict__", "__weakref__")

    # ``_saved``: tuple of (tensor, version) pairs, or None once freed; ``_freed`` tells the two apart.
    _saved = ()
    _freed = False
    _pre_hooks = None      # list of (output_nr, hook) from Tensor.register_hook on non-leaf outputs
    _retained = None       # list of (output_nr, weakref to tensor) from retain_grad()
    _hooks = None          # Node.register_hook: called with (grad_inputs, grad_outputs)
    n_outputs = 1
    non_differentiable_outputs = ()
    materialize_grads = True
    _anomaly_trace = None
    _in_meta = None        # user-defined Functions: (shape, dtype) per forward argument, None for non-Tensors

    grad_name = None  # PyTorch's name of the backward node, e.g. "MulBackward0"

    def name(self):
        if self.grad_name:
            return self.grad_name
        cls = type(self)
        return cls.__name__ + ("Backward0" if getattr(cls, "_builtin", False) else "Backward")

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.next)

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(_SAVED_FREED)
        out = []
        for t, ver in saved:
            if t is None:
                out.append(None)
                continue
            if t._ver[0] != ver:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.type()} {list(t.shape)}] is at version {t._ver[0]}; expected version {ver} "
                    f"instead. The op whose backward needed it is {self.name()}. Hint: avoid the in-place op, "
                    "or .clone() the tensor before modifying it.")
            out.append(t)
        return tuple(out)

    def _save(self, tensors):
        self._saved = tuple((t, t._ver[0]) if t is not None else (None, 0) for t in tensors)

    def release(self):
        if self._saved is not None and self._saved != ():
            self._saved = None
            self._freed = True

    def register_hook(self, fn):
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        if self._pre_hooks is None:
            self._pre_hooks = []
        entry = (None, fn)
        self._pre_hooks.append(entry)
        return _RemovableHandle(self._pre_hooks, entry)


def move_retained(t, old_node):
    """After an in-place op gave ``t`` a new grad_fn: move its retain_grad() from ``old_node``."""
    if old_node is None or old_node._retained is None:
        return
    keep = [(nr, ref) for nr, ref in old_node._retained if ref() is not t]
    if len(keep) != len(old_node._retained):
        old_node._retained = keep or None
        t.retain_grad()


class _RemovableHandle:
    def __init__(self, lst, item):
        self._lst, self._item = lst, item

    def remove(self):
        try:
            self._lst.remove(self._item)
        except ValueError:
            pass


class AccumulateGrad(Node):
    """The node of a leaf tensor that requires grad: writes the gradient into ``leaf.grad``."""

    def __init__(self, leaf):
        self._variable = weakref.ref(leaf)
        self.next = ()
        self._seq = next_seq()

    @property
    def variable(self):
        """The leaf tensor (None once it has been garbage collected)."""
        return self._variable()

    def name(self):
        return "AccumulateGrad"


class Function(Node):
    """Base class for differentiable ops, PyTorch's ``torch.autograd.Function``.

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``
    and call ``MyFn.apply(*args)``. Inside ``forward`` the Tensor arguments arrive
    as Tensors (for user-defined functions) and ``ctx.save_for_backward`` keeps
    tensors for ``backward``; ``backward`` returns one gradient per forward
    argument (None for non-tensors).

    Built-in ops set ``_builtin = True``: their forward receives raw arrays.
    """

    _builtin = False
    save_inputs = ()
    save_output = False

    # --- the ctx API of custom functions ------------------------------------
    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff_ids = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty_ids = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        """PyTorch 2's split style: ``forward(*args)`` without ctx, then ``setup_context`` saves
        what backward needs. Override it to use that style."""
        raise NotImplementedError("setup_context is not overridden")

    @classmethod
    def apply(cls, *args, **kwargs):
        return _apply_custom(cls, args, kwargs)


FunctionCtx = Function


def once_differentiable(fn):
    """Decorator for a custom backward that can't itself be differentiated.

    The backward runs under no_grad. When a graph of the backward is being recorded
    (``create_graph=True``) and an incoming gradient requires grad, its results are
    attached to a node that raises if anything differentiates through it, as PyTorch
    does, instead of silently contributing nothing to a higher-order gradient.
    """
    import functools
    from .grad_mode import no_grad

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with no_grad():
            outputs = fn(ctx, *grads)
        if not GradMode.enabled:
            return outputs
        from ..tensor import Tensor
        if not any(isinstance(g, Tensor) and g.requires_grad for g in grads):
            return outputs
        is_tuple = isinstance(outputs, tuple)
        outs = outputs if is_tuple else (outputs,)
        present = [o for o in outs if isinstance(o, Tensor)]
        if not present:
            return outputs
        marked = _DelayedError.apply(len(present), *present, *[g for g in grads if isinstance(g, Tensor)])
        marked = iter(marked if isinstance(marked, tuple) else (marked,))
        res = tuple(next(marked) if isinstance(o, Tensor) else o for o in outs)
        return res if is_tuple else res[0]
    return wrapper


class _DelayedError(Function):
    """Passes tensors through; differentiating through it raises (see :func:`once_differentiable`)."""

    @staticmethod
    def forward(ctx, n, *tensors):
        out = tuple(t.detach() for t in tensors[:n])
        return out if n > 1 else out[0]

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")

    def name(self):
        return "DelayedError"


# Filled in by ember.tensor to avoid an import cycle.
_Tensor = None
_wrap = None


def _refresh_view(t):
    from ..tensor import refresh_view
    refresh_view(t)


def _check_devices(cls, tensors):
    d = tensors[0]._device
    for t in tensors:
        if t._device is not d and t._device != d:
            from ..tensor import device_mismatch
            return device_mismatch(cls, tensors)
    return tensors


def apply_builtin(cls, *tensors, **attrs):
    """Run a built-in op: forward on arrays, and record a node if any input needs grad.

    This is the hot path of every op: keep it lean (measure with benchmarks/).
    When nothing is recorded, forward writes its notes into a per-op scratch node
    instead of a fresh one (nobody reads them; creating and freeing a node per op
    was a measurable share of small-op time).
    """
    if len(tensors) == 1:
        x = tensors[0]
        if GradMode.enabled and x._base is not None and x._base_fn is not x._base.grad_fn:
            _refresh_view(x)
        if x.requires_grad and GradMode.enabled:
            ctx = _new(cls)
            return _record(cls, ctx, tensors, cls.forward(ctx, x._data, **attrs))
        out = cls.forward(_scratch(cls), x._data, **attrs)
    else:
        d = tensors[0]._device
        record = False
        for t in tensors:
            if t._device is not d:
                tensors = _check_devices(cls, tensors)
            if t._base is not None and t._base_fn is not t._base.grad_fn and GradMode.enabled:
                _refresh_view(t)
            if t.requires_grad:
                record = True
        if record and GradMode.enabled:
            ctx = _new(cls)
            return _record(cls, ctx, tensors, cls.forward(ctx, *[t._data for t in tensors], **attrs))
        out = cls.forward(_scratch(cls), *[t._data for t in tensors], **attrs)
    if out.__class__ is tuple:
        return tuple([_wrap(o) for o in out])
    return _wrap(out)


def _scratch(cls):
    """The one node of ``cls`` that unrecorded calls share (its notes are never read back)."""
    ctx = cls.__dict__.get("_scratch_ctx")
    if ctx is None:
        ctx = _new(cls)
        type.__setattr__(cls, "_scratch_ctx", ctx)
    return ctx
_new = object.__new__

# Every node gets a creation number. A node is created after the nodes of its inputs,
# so running nodes in decreasing order of this number visits every consumer of a
# gradient before its producer: the engine needs no dependency count.
next_seq = itertools.count(1).__next__


def _record(cls, ctx, tensors, out):
    edges = []
    for t in tensors:
        if t.requires_grad:
            fn = t.grad_fn
            if fn is not None:
                edges.append((fn, t._out_nr))
            else:  # a leaf: Tensor._edge inlined for its cached edge (this loop runs for every op)
                edge = t._accum
                edges.append(edge if edge is not None else t._edge())
        else:
            edges.append(None)
    ctx.next = edges
    ctx._seq = next_seq()
    if out.__class__ is tuple:
        ctx.n_outputs = len(out)
        nd = cls.non_differentiable_outputs
        outs = tuple([_wrap(o) if i in nd else _wrap(o, ctx, i) for i, o in enumerate(out)])
        ctx._out_meta = tuple([(o.shape, o.dtype, o.device) for o in outs])  # zeros for unused outputs
        if cls.save_output:
            ctx._save_outputs(outs)
        result = outs
    else:
        result = _wrap(out, ctx, 0)
        if cls.save_output:
            ctx._saved_out = ((out, result._ver, 0),)
    si = cls.save_inputs
    if si:
        if si == "all":
            ctx._saved = tuple([(t, t._ver[0]) for t in tensors])
        elif len(si) == 1:
            t = tensors[si[0]]
            ctx._saved = ((t, t._ver[0]),)
        elif si == (0, 1) and len(tensors) == 2:
            a, b = tensors
            ctx._saved = ((a, a._ver[0]), (b, b._ver[0]))
        else:
            ctx._saved = tuple([(tensors[i], tensors[i]._ver[0]) for i in si])
    if GradMode.anomaly:
        from .anomaly import record_trace
        record_trace(ctx)
    return result


def _save_outputs(self, outs):
    # A saved output is kept as its array and version counter, not as the Tensor:
    # the Tensor points at this node, and keeping it would make a reference cycle.
    self._saved_out = tuple((o._data, o._ver, o._ver[0]) for o in outs)


def _saved_outputs(self):
    saved = self._saved_out
    if saved is None:
        raise RuntimeError(_SAVED_FREED)
    res = []
    for i, (data, ver, v) in enumerate(saved):
        if ver[0] != v:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: output {i} of {self.name()} (shape {list(data.shape)}) is at version {ver[0]}; "
                f"expected version {v} instead. Hint: avoid the in-place op, or .clone() the result first.")
        # Re-attach the output to this node so that a create_graph backward can differentiate through it.
        t = _wrap(data, self if GradMode.enabled else None, i)
        t._ver = ver
        res.append(t)
    return res


def _release(self):
    # Only a node that saved something is "freed": like PyTorch, a node that needs no
    # saved tensors (x * 2, sum) can be backpropagated through again.
    if self._saved or self._saved_out:
        self._saved = self._saved_out = None
        self._freed = True


def _saved_arrays(self):
    """The saved inputs' arrays (version-checked): for array-level fast backward formulas."""
    saved = self._saved
    if saved is not None:
        out = []
        for t, v in saved:
            if t is None or t._ver[0] != v:
                break
            out.append(t._data)
        else:
            return out
    return [t._data if t is not None else None for t in self.saved_tensors]  # raises, or handles None


def _saved_output_arrays(self):
    saved = self._saved_out
    if saved is None:
        raise RuntimeError(_SAVED_FREED)
    for data, ver, v in saved:
        if ver[0] != v:
            return [t._data for t in _saved_outputs(self)]  # raises the version error
    return [s[0] for s in saved]


Function.saved_arrays = property(_saved_arrays)
Function.saved_output_arrays = property(_saved_output_arrays)
Function.fast_backward = None
Function._save_outputs = _save_outputs
Function.saved_outputs = property(_saved_outputs)
Function._saved_out = ()
Function.release = _release
GradMode.anomaly = False


def _apply_custom(cls, args, kwargs):
    """Run a user-defined Function: forward sees Tensors, under no_grad."""
    from ..tensor import Tensor
    ctx = cls.__new__(cls)
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    if len(tensor_args) > 1:
        _check_devices(cls, tensor_args)
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    prev = GradMode.enabled
    GradMode.enabled = False
    try:
        if cls.setup_context is Function.setup_context:
            out = cls.forward(ctx, *args, **kwargs)
        else:  # forward(*args) plus setup_context(ctx, inputs, output)
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
    finally:
        GradMode.enabled = prev
    is_tuple = isinstance(out, tuple)
    outs = out if is_tuple else (out,)
    record = prev and any(ctx.needs_input_grad)
    non_diff = getattr(ctx, "_non_diff_ids", ())
    dirty = getattr(ctx, "_dirty_ids", ())
    results = []
    input_ids = {id(a) for a in tensor_args}
    if record:
        # The edges to the inputs' nodes, taken before a dirty (modified in place) input
        # becomes an output of this node: else the node would point at itself.
        edges = tuple(a._edge() if isinstance(a, Tensor) and a.requires_grad else None for a in args)
        for a in tensor_args:
            if id(a) in dirty and a.requires_grad and a.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation "
                                   f"({cls.__name__}.forward marked it dirty).")
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            continue
        nd, is_dirty = id(o) in non_diff, id(o) in dirty
        if id(o) in input_ids and not is_dirty:
            o = o.view_as(o) if not record else _wrap(o._data)
        if record and not nd:
            if is_dirty:
                o.grad_fn, o.requires_grad, o._out_nr = ctx, True, i
                o._ver[0] += 1
            else:
                o = _wrap(o._data, ctx, i) if o.grad_fn is not None or o.requires_grad else _attach(o, ctx, i)
        results.append(o)
    if record:
        ctx.next = edges
        ctx._seq = next_seq()
        ctx.n_outputs = len(outs)
        ctx._n_args = len(args)
        ctx.non_differentiable_outputs = tuple(i for i, o in enumerate(outs) if id(o) in non_diff)
        # Metadata the engine needs: zeros for outputs that got no gradient, and checks of
        # the gradients backward returns against the inputs' shapes and dtypes.
        ctx._out_meta = tuple((o.shape, o.dtype, o.device) if isinstance(o, Tensor) else None for o in outs)
        ctx._in_meta = tuple((a.shape, a.dtype) if isinstance(a, Tensor) else None for a in args)
        to_save = getattr(ctx, "_to_save", None)
        if to_save is not None:
            ctx._save(to_save)
        if GradMode.anomaly:
            from .anomaly import record_trace
            record_trace(ctx)
    else:
        to_save = getattr(ctx, "_to_save", None)
        if to_save is not None:
            ctx._save(to_save)
    return tuple(results) if is_tuple else results[0]


def _attach(t, node, i):
    t.grad_fn, t.requires_grad, t._out_nr = node, True, i
    return t

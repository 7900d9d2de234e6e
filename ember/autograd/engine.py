"""The backward engine: an iterative walk over the recorded graph (no recursion anywhere:
a chain of 100,000 ops is fine).

1. Nodes run in decreasing creation order (a heap on ``Node._seq``): every consumer
   of a node's outputs was created after it, so when a node runs, all the gradients
   for it have been summed in its buffer. Only nodes that receive a gradient run.
2. Leaves get their ``.grad`` from their AccumulateGrad node: a fresh, writable
   array that no other tensor shares (copied unless provably exclusive); saved
   tensors are freed after a node runs unless ``retain_graph``.
3. Gradients of user-defined Functions are checked against their inputs (count,
   shape, dtype); tensor hooks may replace a gradient but not change its shape or dtype.

Backward formulas run under no_grad unless ``create_graph=True``, in which case
they record a graph of their own (higher-order gradients).
"""
import sys
from heapq import heappop, heappush

import numpy as np

from .function import AccumulateGrad
from .grad_mode import GradMode

__all__ = ["backward", "grad"]

_ndarray = np.ndarray


def _writable(a):
    """Whether writing to ``a`` touches each element once. numpy marks broadcast views read-only;
    CuPy's ``flags`` has no ``writeable`` (only c/f_contiguous, owndata), so look for a zero stride."""
    if a.__class__ is _ndarray:
        return a.flags.writeable
    return not any(s == 0 and n > 1 for n, s in zip(a.shape, a.strides))


def _reachable(roots):
    """All nodes reachable from ``roots`` (explicit stack, no recursion)."""
    seen = set(roots)
    stack = list(roots)
    while stack:
        for edge in stack.pop().next:
            if edge is not None and edge[0] not in seen:
                seen.add(edge[0])
                stack.append(edge[0])
    return seen


def _needed_nodes(roots, targets):
    """The nodes from which some target node can be reached (only they have to run)."""
    needed = set()
    # increasing creation order: a node's inputs were all created (and decided) before it
    for node in sorted(_reachable(roots), key=lambda n: n._seq):
        if node in targets or any(e is not None and e[0] in needed for e in node.next):
            needed.add(node)
    return needed


def _sum_grads(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _run(roots_with_grads, retain_graph, create_graph, capture=None, accumulate=True):
    """Run the backward pass.

    roots_with_grads: list of (node, output_nr, grad Tensor).
    capture: dict {(node, output_nr): None} to fill with the total gradient arriving there
             (autograd.grad); when given, only nodes leading to captured places run.
    accumulate: write leaf .grad (backward) or not (autograd.grad).

    Nodes run in decreasing creation order (a max-heap on ``_seq``): every consumer of
    a node's outputs was created after it, so by the time a node runs all its
    gradients have arrived. Only nodes that receive a gradient are visited.

    Without create_graph the gradients travel as raw arrays ("raw mode") and ops
    with an array-level ``fast_backward`` use it; with create_graph they travel
    as Tensors through the Tensor-level formulas, recording a graph.
    """
    raw = not create_graph
    buffers = {}
    heap = []
    for node, nr, g in roots_with_grads:
        if raw:
            g = g._data
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.n_outputs
            heappush(heap, (-node._seq, node))  # creation numbers are unique: nodes never compared
        buf[nr] = _sum_grads(buf[nr], g)
    needed = None
    if capture is not None:
        needed = _needed_nodes([h[1] for h in heap], {key[0] for key in capture})
    observe = capture is not None
    anomaly = GradMode.anomaly
    prev_mode = GradMode.enabled
    GradMode.enabled = create_graph
    try:
        while heap:
            node = heappop(heap)[1]
            grads = buffers.pop(node)
            if needed is not None and node not in needed:
                continue
            if observe or node._pre_hooks is not None or node._retained is not None:
                grads = _observe(node, grads, capture, raw)
            if node.__class__ is AccumulateGrad:
                leaf = node._variable()
                if accumulate and grads[0] is not None and leaf is not None:
                    if raw:
                        _accumulate_raw(leaf, grads[0])
                    else:
                        _accumulate(leaf, grads[0], True)
                continue
            if node.n_outputs == 1:
                fast = node.fast_backward if raw else None
                if fast is not None and not node._freed and node._hooks is None and not anomaly:
                    # the common case, inlined: an array formula for a one-output op
                    input_grads = fast(node, grads[0])
                    if input_grads.__class__ is not tuple:
                        input_grads = (input_grads,)
                else:
                    input_grads = _call_backward(node, grads, raw)
            elif all(g is None for g in grads):
                continue
            else:
                input_grads = _call_backward(node, grads, raw)
            if not retain_graph and (node._saved or node._saved_out):
                node.release()
            for edge, g in zip(node.next, input_grads):
                if edge is None or g is None:
                    continue
                child = edge[0]
                buf = buffers.get(child)
                if buf is None:
                    if child.n_outputs == 1:
                        buffers[child] = [g]
                    else:
                        buf = buffers[child] = [None] * child.n_outputs
                        buf[edge[1]] = g
                    heappush(heap, (-child._seq, child))
                else:
                    nr = edge[1]
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
            input_grads = g = grads = None  # drop references: a leaf may take a gradient array without copying
    finally:
        GradMode.enabled = prev_mode
    if raw and capture is not None:
        for key, g in capture.items():
            if g is not None and g.__class__ is not _tensor_cls():
                capture[key] = _wrap_grad(g)


def _tensor_cls():
    from ..tensor import Tensor
    return Tensor


def _wrap_grad(a):
    from ..tensor import _wrap
    return _wrap(a)


def _observe(node, grads, capture, raw):
    """Hooks, retain_grad and autograd.grad's capture see Tensors, also in raw mode."""
    if raw:
        grads = [_wrap_grad(g) if g is not None else None for g in grads]
    if node._pre_hooks is not None:
        grads = _run_pre_hooks(node, grads)
    if node._retained is not None:
        _retain(node, grads)
    if capture is not None:
        for i, g in enumerate(grads):
            if (node, i) in capture:
                capture[(node, i)] = g
    if raw:
        grads = [g._data if g is not None else None for g in grads]
    return grads


def _call_backward(node, grads, raw):
    if node._freed:
        from .function import _SAVED_FREED
        raise RuntimeError(_SAVED_FREED)
    fast = node.fast_backward if raw else None
    if fast is None and raw:
        # an op without an array formula: run its Tensor formula on wrapped arrays
        grads = [_wrap_grad(g) if g is not None else None for g in grads]
    if node.n_outputs == 1:
        result = (fast or node.backward)(node, grads[0])
    else:
        if node.materialize_grads:
            grads = _materialize(node, grads, raw)
        result = (fast or node.backward)(node, *grads)
    if result.__class__ is not tuple:
        result = (result,)
    if raw and fast is None:
        result = tuple([r._data if r is not None and hasattr(r, "_data") else r for r in result])
    n_in = len(node.next)
    if len(result) != n_in:
        if len(result) > n_in and all(r is None for r in result[n_in:]):
            result = result[:n_in]
        else:
            raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                               f"(expected {n_in}, got {len(result)})")
    if node._in_meta is not None:  # a user-defined Function: check what its backward returned
        result = _validate_grads(node, result)
    if GradMode.anomaly:
        from .anomaly import check_grads
        check_grads(node, [_wrap_grad(r) if raw and r is not None else r for r in result])
    if node._hooks is not None:
        result = _run_node_hooks(node, result, grads, raw)
    return result


def _validate_grads(node, result):
    """Gradients a custom backward returned, checked against its inputs as PyTorch does.

    A gradient for an input that doesn't require grad is dropped; one for a non-Tensor
    argument, or of a shape that can't be summed to the input's, is an error; a
    broadcast-compatible one is summed to the input's shape; the dtype becomes the input's.
    Works on Tensors and, in raw mode, on arrays.
    """
    out = list(result)
    for i, (r, meta) in enumerate(zip(result, node._in_meta)):
        if r is None:
            continue
        if meta is None:
            raise RuntimeError(f"function {node.name()} returned a gradient different than None at position "
                               f"{i + 1}, but the corresponding forward input was not a Variable")
        if node.next[i] is None:
            out[i] = None
            continue
        shape, dtype = meta
        if not hasattr(r, "shape") or not hasattr(r, "dtype"):
            raise TypeError(f"function {node.name()} returned a {type(r).__name__} as the gradient at index {i}; "
                            "expected a Tensor (or None)")
        rshape = tuple(r.shape)
        if rshape != tuple(shape):
            if not _sums_to(rshape, tuple(shape)):
                raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got "
                                   f"{list(rshape)} but expected shape compatible with {list(shape)}")
            if hasattr(r, "_data"):
                r = r.sum_to_size(tuple(shape))
            else:
                from ..ops.fast_backward import sum_to_array
                r = sum_to_array(r, tuple(shape))
        if hasattr(r, "_data"):
            if r.dtype != dtype:
                r = r.to(dtype)
        elif r.dtype != dtype.np:
            r = r.astype(dtype.np)
        out[i] = r
    return tuple(out)


def _sums_to(src, dst):
    """Whether a gradient of shape ``src`` can be summed down to ``dst`` (``dst`` broadcasts to ``src``)."""
    if len(dst) > len(src):
        return False
    for s, d in zip(src[len(src) - len(dst):], dst):
        if d != s and d != 1:
            return False
    return True


def _run_node_hooks(node, result, grads, raw):
    if raw:
        result = tuple(_wrap_grad(r) if r is not None else None for r in result)
        grads = [_wrap_grad(g) if g is not None and not hasattr(g, "_data") else g for g in grads]
    for hook in node._hooks:
        r = hook(result, tuple(grads))
        if r is not None:
            result = tuple(r)
    if raw:
        result = tuple(r._data if r is not None else None for r in result)
    return result


def _materialize(node, grads, raw=False):
    from ..tensor import _zeros_for_output
    out = []
    for i, g in enumerate(grads):
        if g is None:
            z = _zeros_for_output(node, i)
            g = z._data if raw and node.fast_backward is not None else z
        out.append(g)
    return out


def _run_pre_hooks(node, grads):
    grads = list(grads)
    for nr, hook in node._pre_hooks:
        if nr is None:  # Node.register_prehook: sees the whole tuple
            r = hook(tuple(grads))
            if r is not None:
                grads = list(r)
            continue
        if grads[nr] is None:
            continue
        r = hook(grads[nr])
        if r is not None:
            grads[nr] = _checked_hook_result(hook, grads[nr], r)
    return grads


def _checked_hook_result(hook, old, new):
    """A tensor hook may replace the gradient, but not change its shape or dtype (as PyTorch)."""
    if tuple(new.shape) != tuple(old.shape):
        raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the size of value "
                           f"(was {list(old.shape)} got {list(new.shape)})")
    if new.dtype != old.dtype:
        raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the type of value "
                           f"(was {old.dtype} got {new.dtype})")
    return new


def _retain(node, grads):
    for nr, ref in node._retained:
        t = ref()
        g = grads[nr]
        if t is None or g is None:
            continue
        g = g if GradMode.enabled else g.detach()
        if t.grad is None:
            t.grad = g.clone() if not GradMode.enabled else g
        else:
            t.grad = t.grad + g


def _accumulate(leaf, g, create_graph):
    """Add ``g`` into ``leaf.grad`` as PyTorch does (leaf hooks first)."""
    if not create_graph:
        return _accumulate_raw(leaf, g)
    if leaf._hooks:
        for hook in leaf._hooks:
            r = hook(g)
            if r is not None:
                g = _checked_hook_result(hook, g, r)
    if g._data.shape != leaf._data.shape:
        g = g.sum_to_size(leaf._data.shape)
    if leaf.grad is None:
        # A copy, recorded in the graph, as PyTorch's CopyBackwards: the formula's result may be
        # shared (the same tensor handed to both inputs of an add, a broadcast view, a hook's tensor).
        leaf.grad = g.clone()
    else:
        leaf.grad = leaf.grad + g
    if leaf._post_acc_hooks:
        for hook in leaf._post_acc_hooks:
            hook(leaf)


def _accumulate_raw(leaf, g, shared=False):
    """Raw mode: ``g`` is an array (``shared``: someone else may hold it, so copy it)."""
    if leaf._hooks:
        t = _wrap_grad(g)
        for hook in leaf._hooks:
            r = hook(t)
            if r is not None:
                t = _checked_hook_result(hook, t, r)
                shared = True  # a hook's result may be a tensor its author keeps
        g = t._data
    if g.shape != leaf._data.shape:
        from ..ops.fast_backward import sum_to_array
        g = sum_to_array(g, leaf._data.shape)
    old = leaf.grad
    if old is None:
        # Take a freshly computed array as it is; copy one that something else may hold
        # (the same array handed to two inputs, a broadcast view, a user's tensor).
        if shared or not (g.base is None and (g.flags.writeable if g.__class__ is _ndarray else _writable(g))
                                     and g.flags.c_contiguous
                                     and sys.getrefcount(g) <= _RAW_REFS):
            g = g.copy()
        leaf.grad = _wrap_grad(g)
    elif old.requires_grad:  # a grad that carries a graph is replaced, never mutated
        leaf.grad = old.detach() + _wrap_grad(g)
    else:
        old._data += g
        old._ver[0] += 1
    if leaf._post_acc_hooks:
        for hook in leaf._post_acc_hooks:
            hook(leaf)


# References to a fresh gradient array when it reaches _accumulate_raw: the engine's
# buffer list, _accumulate_raw's argument, getrefcount's own (3 on
# CPython 3.10-3.13). Measured, not assumed: an interpreter that borrows references
# (3.14's LOAD_FAST_BORROW) counts fewer, and a hard-coded 3 would then let a leaf take
# an array someone else still holds.
def _measure_raw_refs():
    def accumulate_raw(leaf, g, shared=False):
        return sys.getrefcount(g)

    grads = [bytearray(1)]  # any fresh object: the engine's buffer list holds the array the same way
    return accumulate_raw(None, grads[0])


_RAW_REFS = min(_measure_raw_refs(), 3)


# --- public entry points ----------------------------------------------------

def _make_roots(outputs, grad_outputs, what):
    from ..tensor import Tensor, ones_like_for_grad
    roots = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{what}: expected Tensors as outputs, got {type(out).__name__}")
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; {what} got an "
                                   f"output of shape {tuple(out.shape)}: pass gradient= of that shape")
            g = ones_like_for_grad(out)
        elif not isinstance(g, Tensor):
            from ..tensor import tensor as _t
            g = _t(g, dtype=out.dtype, device=out.device)
        if g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                               f"output[{i}] has a shape of {tuple(out.shape)}.")
        node, nr = out._edge()
        roots.append((node, nr, g))
    return roots


def _as_tuple(x):
    from ..tensor import Tensor
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Computes the sum of gradients of ``tensors`` w.r.t. graph leaves, accumulated into ``.grad``."""
    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(tensors)
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(grads)} gradients for {len(tensors)} tensors")
    if retain_graph is None:
        retain_graph = create_graph
    roots = _make_roots(tensors, grads, "backward")
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
        capture = {t._edge(): None for t in inputs}
        _run(roots, retain_graph, create_graph, capture=capture, accumulate=False)
        for t in inputs:
            g = capture[t._edge()]
            if g is not None:
                if t.grad_fn is not None and t.retains_grad:
                    continue  # retain_grad already accumulated it into .grad during the pass
                if create_graph:
                    _accumulate(t, g, True)
                else:
                    _accumulate_raw(t, g._data, shared=True)
        return
    _run(roots, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Computes and returns the gradients of ``outputs`` w.r.t. ``inputs`` (nothing accumulates into .grad)."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad_outputs has {len(grad_outputs)} entries for {len(outputs)} outputs")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    roots = _make_roots(outputs, grad_outputs, "grad")
    capture = {t._edge(): None for t in inputs}
    _run(roots, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for i, t in enumerate(inputs):
        g = capture[t._edge()]
        if g is None:
            if materialize_grads:
                from ..tensor import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) "
                                   "appears to not have been used in the graph. Set allow_unused=True if "
                                   "this is the desired behavior.")
        elif not create_graph:
            # distinct, writable results, even where the formula produced a broadcast view or
            # handed the same array to several inputs
            a = g._data
            g = g.detach()
            if not _writable(a) or any(r is not None and r._data is a for r in result):
                g = g.clone()
        result.append(g)
    return tuple(result)

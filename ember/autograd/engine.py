"""The backward engine: an iterative walk over the recorded graph.

1. Count, for every node reachable from the roots, how many edges lead into it
   (an explicit stack, never recursion: a chain of 100,000 ops is fine).
2. Run nodes whose dependants have all been run, summing the gradients that
   arrive at each node's outputs in a dict of buffers.
3. Leaves get their ``.grad`` from their AccumulateGrad node; saved tensors are
   freed after a node runs unless ``retain_graph``.

Backward formulas run under no_grad unless ``create_graph=True``, in which case
they record a graph of their own (higher-order gradients).
"""
import sys

from .function import AccumulateGrad
from .grad_mode import GradMode

__all__ = ["backward", "grad"]


def _dependencies(roots):
    """Number of incoming edges of each node reachable from ``roots``."""
    deps = {}
    seen = set()
    stack = [n for n in roots]
    for n in roots:
        seen.add(n)
    while stack:
        node = stack.pop()
        for edge in node.next:
            if edge is None:
                continue
            child = edge[0]
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return deps


def _needed_nodes(roots, targets, deps):
    """The nodes from which some target node can be reached (only they have to run)."""
    # Topological order from the dependency counts (Kahn), then a reverse pass.
    remaining = dict(deps)
    order = []
    stack = [n for n in roots if remaining.get(n, 0) == 0]
    seen = set(stack)
    while stack:
        node = stack.pop()
        order.append(node)
        for edge in node.next:
            if edge is None:
                continue
            child = edge[0]
            remaining[child] -= 1
            if remaining[child] == 0 and child not in seen:
                seen.add(child)
                stack.append(child)
    needed = set()
    for node in reversed(order):
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
    """
    roots = []
    buffers = {}
    for node, nr, g in roots_with_grads:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.n_outputs
            roots.append(node)
        buf[nr] = _sum_grads(buf[nr], g)
    deps = _dependencies(roots)
    needed = None
    if capture is not None:
        targets = {key[0] for key in capture}
        needed = _needed_nodes(roots, targets, deps)
    ready = [n for n in roots if deps.get(n, 0) == 0]
    prev_mode = GradMode.enabled
    GradMode.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is None:
                grads = [None] * node.n_outputs
            if needed is not None and node not in needed:
                _release_edges(node, deps, ready)
                continue
            if node._pre_hooks is not None:
                grads = _run_pre_hooks(node, grads)
            if node._retained is not None:
                _retain(node, grads)
            if capture is not None:
                for i, g in enumerate(grads):
                    if (node, i) in capture:
                        capture[(node, i)] = g
            if node.__class__ is AccumulateGrad:
                if accumulate and grads[0] is not None:
                    _accumulate(node.variable, grads[0], create_graph)
                continue
            if all(g is None for g in grads):
                _release_edges(node, deps, ready)
                if not retain_graph:
                    node.release()
                continue
            input_grads = _call_backward(node, grads)
            if not retain_graph:
                node.release()
            for edge, g in zip(node.next, input_grads):
                if edge is None:
                    continue
                child, nr = edge
                if g is not None:
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child.n_outputs
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                left = deps[child] - 1
                deps[child] = left
                if left == 0:
                    ready.append(child)
    finally:
        GradMode.enabled = prev_mode


def _release_edges(node, deps, ready):
    for edge in node.next:
        if edge is None:
            continue
        child = edge[0]
        left = deps[child] - 1
        deps[child] = left
        if left == 0:
            ready.append(child)


def _call_backward(node, grads):
    if node._freed:
        from .function import _SAVED_FREED
        raise RuntimeError(_SAVED_FREED)
    if node.n_outputs > 1 and node.materialize_grads:
        grads = _materialize(node, grads)
    elif node.n_outputs == 1 and grads[0] is None:
        grads = _materialize(node, grads)
    result = node.backward(node, *grads)
    if result.__class__ is not tuple:
        result = (result,)
    n_in = len(node.next)
    if len(result) != n_in:
        if len(result) > n_in and all(r is None for r in result[n_in:]):
            result = result[:n_in]
        else:
            raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                               f"(expected {n_in}, got {len(result)})")
    if GradMode.anomaly:
        from .anomaly import check_grads
        check_grads(node, result)
    if node._hooks is not None:
        for hook in node._hooks:
            r = hook(result, tuple(grads))
            if r is not None:
                result = tuple(r)
    return _fix_grad_shapes(node, result)


def _fix_grad_shapes(node, result):
    # A custom Function may return a gradient for a non-Tensor argument (ignored) or
    # a plain number; builtin ops always return Tensors of the input's shape.
    return result


def _materialize(node, grads):
    from ..tensor import _zeros_for_output
    return [g if g is not None else _zeros_for_output(node, i) for i, g in enumerate(grads)]


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
            grads[nr] = r
    return grads


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
    if leaf._hooks:
        for hook in leaf._hooks:
            r = hook(g)
            if r is not None:
                g = r
    if g.shape != leaf.shape:
        g = g.sum_to_size(leaf.shape)
    if leaf.grad is None:
        if create_graph:
            leaf.grad = g
        else:
            leaf.grad = _owned(g)
    elif create_graph:
        leaf.grad = leaf.grad + g
    else:
        old = leaf.grad
        if old.requires_grad:  # a grad that carries a graph is replaced, never mutated
            leaf.grad = old.detach() + g
        else:
            old._data += g._data
            old._ver[0] += 1
    if leaf._post_acc_hooks:
        for hook in leaf._post_acc_hooks:
            hook(leaf)


def _owned(g):
    """A gradient that can become ``.grad``: detached, contiguous, writable, shared with nobody.

    Formulas often hand the same array to several inputs (``a + b``) or a
    broadcast view; those are copied. A freshly computed array (refcount says only
    the gradient tensor and this frame hold it) is taken as it is.
    """
    a = g._data
    if (a.base is None and a.flags.writeable and a.flags.c_contiguous
            and sys.getrefcount(a) <= 3 and sys.getrefcount(g) <= 4):
        if g.grad_fn is None and not g.requires_grad:
            return g
        return g.detach()
    return g.detach().clone()


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
                _accumulate(t, g, create_graph)
        return
    _run(roots, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Computes and returns the gradients of ``outputs`` w.r.t. ``inputs`` (nothing accumulates into .grad)."""
    outputs = _as_tuple(outputs)
    single = not isinstance(inputs, (tuple, list))
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
            g = g.detach()
        result.append(g)
    return tuple(result)
